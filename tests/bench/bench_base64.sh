#!/bin/sh
# bench_base64.sh — base64 decode throughput: atelier vs OpenSSL's EVP_DecodeBlock vs
# memcpy, same data, same run (tests/bench/base64_bench.c, built here with -lcrypto).
set -e
out=${BUILD:-build/release}/bench
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$out/base64_bench" tests/bench/base64_bench.c runtime/base/base64.c \
  runtime/base/buf.c -lcrypto
"$out/base64_bench"
