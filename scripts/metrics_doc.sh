#!/usr/bin/env bash
# metrics_doc.sh - rewrite docs/metrics.md's generated tables from the code's
# metric table (src/obs/metric_table.c) with tests/tools/metrics_doc: run it
# after adding or changing a family; tests/obs/metrics_doc.sh fails until
# the page and the code agree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
make -C "$root" -s build/asan/tools/metrics_doc
"$root/build/asan/tools/metrics_doc" --write "$root/docs/metrics.md"
