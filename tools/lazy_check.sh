#!/bin/sh
# lazy_check.sh — checks that every function atelier's objects call from a library that
# loads on first use (runtime/lazy/lazy.h) has its definition in runtime/lazy/, and
# names the file to add it to. Run by `make lazy-check`, and by the link when it fails.
#
# usage: tools/lazy_check.sh CC BUILD_DIR LIB... where each LIB is the Makefile's
# pkg-config:-l name:macro triple (LAZY_LIBS). Exit 1 when a stub is missing.
set -eu
cc=$1 build=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What the program's objects and the tests' call (runtime/lazy/ itself aside).
objdirs=$(for d in runtime bindings tests; do [ -d "$build/$d" ] && echo "$build/$d"; done)
# shellcheck disable=SC2086
find $objdirs -name '*.o' ! -path '*/runtime/lazy/*' \
  -exec nm -u {} + 2>/dev/null | awk 'NF == 2 && $1 == "U" { sub(/@.*/, "", $2); print $2 }' |
  sort -u >"$tmp/called"
# What the program defines itself, and what runtime/lazy/ defines.
# shellcheck disable=SC2086
find $objdirs -name '*.o' ! -path '*/runtime/lazy/*' \
  -exec nm --defined-only {} + 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/own"
find "$build/runtime/lazy" -name 'lazy_*.o' -exec nm --defined-only {} + 2>/dev/null |
  awk 'NF == 3 && ($2 == "T" || $2 == "W") { print $3 }' | sort -u >"$tmp/stubs"

status=0
for lib in "$@"; do
  l=$(echo "$lib" | cut -d: -f2)
  so=$("$cc" -print-file-name="lib$l.so")
  [ -e "$so" ] || { echo "lazy_check: lib$l.so not found" >&2; status=1; continue; }
  nm -D --defined-only "$so" | awk 'NF == 3 && ($2 == "T" || $2 == "W" || $2 == "i") { sub(/@.*/, "", $3); print $3 }' |
    sort -u >"$tmp/exports"
  # Called, exported by this library, neither ours nor stubbed: the link would fail.
  comm -12 "$tmp/called" "$tmp/exports" | comm -23 - "$tmp/own" | comm -23 - "$tmp/stubs" >"$tmp/missing"
  if [ -s "$tmp/missing" ]; then
    status=1
    file=$(grep -l "lazy.h" runtime/lazy/lazy_*.c | xargs grep -l "LAZY_SO_$(echo "$lib" | cut -d: -f3)\b" | head -1)
    echo "lazy_check: lib$l is loaded on first use, but these of its functions have no definition in runtime/lazy/;"
    echo "  add a line for each to ${file:-a new runtime/lazy/lazy_<lib>.c (see runtime/lazy/lazy.h)}"
    echo "  (tools/lazy_stubs.sh prints them from the library's headers):"
    sed 's/^/    /' "$tmp/missing"
  fi
  comm -12 "$tmp/stubs" "$tmp/exports" >>"$tmp/stubbed"
done
# Stubs nothing calls any more: harmless, but each costs a dlsym at load.
sort -u "$tmp/stubbed" | comm -23 - "$tmp/called" >"$tmp/unused"
if [ -s "$tmp/unused" ]; then
  echo "lazy_check: note: defined in runtime/lazy/ but called nowhere (a line to remove):"
  sed 's/^/    /' "$tmp/unused"
fi
[ $status = 0 ] && echo "lazy_check: every call into a lazily loaded library has its definition"
exit $status
