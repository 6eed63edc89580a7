#!/bin/sh
# lazy_stubs.sh — prints the runtime/lazy/ list lines (F(...) / V(...), lazy.h) for the
# named functions, read from the library's own headers with the compiler (-aux-info), so
# a new call into a lazily loaded library is one paste: the compiler then checks the
# line against the header anyway.
#
# usage: tools/lazy_stubs.sh 'CFLAGS' HEADER... -- FUNCTION...
#   e.g. tools/lazy_stubs.sh "$(pkg-config --cflags cairo)" cairo.h -- cairo_new_path
set -eu
flags=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/h.c"
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  echo "#include <$1>" >>"$tmp/h.c"
  shift
done
[ $# -gt 0 ] && shift
# shellcheck disable=SC2086
${CC:-cc} $flags -D_DEFAULT_SOURCE -aux-info "$tmp/decls" -c "$tmp/h.c" -o "$tmp/h.o"
for fn in "$@"; do
  line=$(grep -E "[ *]$fn \\(" "$tmp/decls" | head -1 | sed 's|^/\*[^*]*\*/ *||; s/^extern *//; s/;$//')
  [ -n "$line" ] || { echo "lazy_stubs: $fn is not declared by those headers" >&2; exit 1; }
  echo "$line" | awk -v fn="$fn" '
    {
      i = index($0, fn " (")
      ret = substr($0, 1, i - 1); sub(/ +$/, "", ret)
      rest = substr($0, i + length(fn) + 2); sub(/\) *$/, "", rest)
      # split the parameters at commas outside parentheses
      n = 0; depth = 0; cur = ""
      for (k = 1; k <= length(rest); k++) {
        c = substr(rest, k, 1)
        if (c == "(") depth++
        if (c == ")") depth--
        if (c == "," && depth == 0) { p[n++] = cur; cur = ""; continue }
        cur = cur c
      }
      p[n++] = cur
      params = ""; args = ""
      for (k = 0; k < n; k++) {
        t = p[k]; sub(/^ +/, "", t); sub(/ +$/, "", t)
        if (n == 1 && t == "void") { params = "void"; break }
        name = "a" k
        if (t ~ /\(\*\)/) sub(/\(\*\)/, "(*" name ")", t)   # function pointer
        else t = t " " name
        params = params (k ? ", " : "") t
        args = args (k ? ", " : "") name
      }
      if (ret == "void") printf "  V(%s, (%s), (%s)) \\\n", fn, params, args
      else printf "  F(%s, %s, (%s), (%s)) \\\n", ret, fn, params, args
    }'
done
