#!/usr/bin/env bash
# ci.sh - the mutation check's share of every full test run: the few
# mutations of the day (tests/mutate/mutate.py --ci: C-unit-test mutations,
# rotating by day of year, so every one of them runs within a few weeks),
# each of which must be killed. tests/run.sh runs this as a suite; the whole
# list runs with `make mutate` (docs/testing.md, "Mutations").
# Environment: LS_MUTATE_CI (how many, default 3), LS_MUTATE_DAY (the day
# of year to rotate by, to replay a CI run).
set -uo pipefail
cd "$(dirname "$0")/../.."
exec python3 tests/mutate/mutate.py --ci "${LS_MUTATE_CI:-3}"
