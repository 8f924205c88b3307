#!/usr/bin/env bash
# state_workers_live.sh - state_live.sh (issue 13: the key-value store
# survives kill -9 + restart with --state-dir) with two policy workers: the
# one store their instances share is loaded before either's init and saved
# once.
LS_STATE_WORKERS=2 exec "$(dirname "$0")/state_live.sh" "$@"
