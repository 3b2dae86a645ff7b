#!/usr/bin/env bash
# Compares two built checkouts of this repository in one run, alternating them so that the load of
# a shared machine falls on both alike: before, after, before, after, ...
# Usage: bench/compare-builds.sh <before-checkout> <after-checkout> <rounds> <out-dir> [run.js options]
# Each checkout must be installed and built (npm ci && npm run build). Writes <out-dir>/<side>-<n>.md
# per round and prints the load average before each run. Example, the table of quick runs:
#   bench/compare-builds.sh /tmp/before . 3 /tmp/compare --quick --sections table --peers none
set -euo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
rounds=$3
out=$4
shift 4
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$before
    [ "$side" = after ] && dir=$after
    echo "round $round, $side ($(git -C "$dir" rev-parse --short HEAD)); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$dir" && node bench/dist/run.js "$@" --out "$out/$side-$round.md" > "$out/$side-$round.log" 2>&1)
  done
done
