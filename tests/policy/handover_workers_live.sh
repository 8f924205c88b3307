#!/usr/bin/env bash
# handover_workers_live.sh - handover_live.sh (issue 13 row 1: kill -9 +
# restart and a reload under 300 live lease-held connections, 0 dropped)
# with two policy workers (issue 17): each worker's new instance is told of
# its own shard's flows (on_flow_adopted) and renews their leases.
LS_HANDOVER_WORKERS=2 exec "$(dirname "$0")/handover_live.sh" "$@"
