#!/usr/bin/env bash
# Runs every benchmark in turn on the local broker (`make bench`). Each prints its own table;
# the numbers recorded in bench/RESULTS.md and bench/*/RESULTS.md come from these commands.
# Takes ~17 minutes on a 2-core machine. Nothing else should run meanwhile: the machine is shared
# by the broker and the benchmark, and other load skews every ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== state stores";      npx tsx bench/streams/stores-bench.ts
echo "== engine";            npx tsx bench/streams/engine-bench.ts 500000 3
echo "== restore";           npx tsx bench/streams/restore-bench.ts 1000000 3
echo "== channel providers"; npx tsx bench/channels/providers-bench.ts
# The topology as the processor runs (NODE_OPTIONS as `make run` sets them for one stream thread).
echo "== topology";          NODE_OPTIONS="--max-semi-space-size=64 --max-old-space-size=256" npx tsx bench/notify/topology-bench.ts 100000 3 200000 100
echo "== memory";            NODE_OPTIONS="--max-semi-space-size=64 --max-old-space-size=256" npx tsx bench/notify/memory-bench.ts 200000 3000
