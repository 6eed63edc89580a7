#!/bin/sh
# bench_startup.sh — how long atelier takes to start, against stock Lua and node, whole
# processes, in the same run: `atelier -e 'print(1)'` against `lua5.4 -e 'print(1)'`
# (goal: within 2x), and `atelier -e 'require "fashn"'` against
# `node -e "require('fashn')"` with the official SDK (npm `fashn`, tests/lib/sdk.lua
# installs it into tests/.cache/). tests/bench/spawn_time.c runs the commands in turns
# and prints medians: wall time, and CPU time (user + system, steadier on a busy machine).
# Env: BENCH_STARTUP_RUNS (300; node gets a tenth), BENCH_SKIP_SDK=1.
set -e
command -v lua5.4 >/dev/null || { echo "lua5.4 not installed (make bench installs the lua5.4 package)"; exit 1; }
ATELIER=${ATELIER_BIN:-bin/atelier}
RUNS=${BENCH_STARTUP_RUNS:-300}
out=${BUILD:-build/release}/bench
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$out/spawn_time" tests/bench/spawn_time.c

# label median-wall best-wall median-cpu (ms), one line per command -> two summary lines
report() {
  awk -F '\t' -v goal="$1" '
    { label[NR] = $1; wall[NR] = $2; best[NR] = $3; cpu[NR] = $4 }
    END {
      for (i = 1; i <= NR; i++)
        printf "  %-34s median %7.2f ms (best %6.2f), CPU %7.2f ms\n", label[i], wall[i], best[i], cpu[i]
      r = wall[1] / wall[2]; c = cpu[1] / cpu[2]
      if (goal != "") printf "ratio %s / %s = %.2fx wall, %.2fx CPU (goal <= %sx) %s\n", label[1], label[2], r, c, goal, (r <= goal) ? "MET" : "NOT MET"
      else printf "ratio %s / %s = %.2fx wall, %.2fx CPU\n", label[1], label[2], r, c
    }'
}

echo "startup, $RUNS runs each, taking turns:"
"$out/spawn_time" "$RUNS" "atelier -e 'print(1)'" "$ATELIER" -e 'print(1)' \
  -- "lua5.4 -e 'print(1)'" lua5.4 -e 'print(1)' | report 2

if [ -n "${BENCH_SKIP_SDK:-}" ]; then echo "node SDK row skipped (BENCH_SKIP_SDK)"; exit 0; fi
if ! command -v node >/dev/null; then echo "node SDK row skipped: node is not installed"; exit 0; fi
# the SDK's node_modules (installed once), by the same helper the tests use
modules=$("$ATELIER" -e "package.path = 'tests/lib/?.lua;' .. package.path
  local m, why = require('sdk').install()
  if not m then io.stderr:write(why, '\n') os.exit(1) end
  io.write(m)") || { echo "node SDK row skipped: the SDK is not installed"; exit 0; }
NODE_RUNS=$(( RUNS / 10 > 5 ? RUNS / 10 : 5 ))
echo "require of the client, $NODE_RUNS runs each:"
NODE_PATH=$modules "$out/spawn_time" "$NODE_RUNS" "atelier -e 'require \"fashn\"'" "$ATELIER" -e 'require "fashn"' \
  -- "node -e \"require('fashn')\"" node -e "require('fashn')" | report
