#!/bin/sh
# bench_json.sh — reading a multi-megabyte status answer (tests/bench/json_bench.c):
# our json_parse against jansson (the peer), decoding the same data: URIs, and memcpy.
set -e
out=${BUILD:-build/release}/bench
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$out/json_bench" tests/bench/json_bench.c tests/bench/json_bench_jansson.c runtime/base/json.c \
  runtime/base/base64.c runtime/base/buf.c $(pkg-config --cflags --libs jansson)
"$out/json_bench"
