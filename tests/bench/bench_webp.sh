#!/bin/sh
# bench_webp.sh — PNG -> WebP conversion of the same photo-like image at the same
# quality: `atelier` (image.load + save) against the `cwebp` tool, both as whole
# processes, best of 9 runs each, alternated so machine noise hits both alike. The input
# is an 8-bit RGB PNG like the API's outputs; identical settings give identical bytes,
# which the script checks (so "same quality" is literal). Then the CPU time (user +
# system) of 9 more runs each, median (tests/bench/spawn_time.c): on a busy machine the
# best wall time is partly luck, the CPU a process used much less so.
set -e
command -v cwebp >/dev/null || { echo "cwebp not installed (make bench installs the webp package)"; exit 1; }
ATELIER=${ATELIER_BIN:-bin/atelier}
out=${BUILD:-build/release}/bench
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -o "$out/spawn_time" tests/bench/spawn_time.c
dir=$(mktemp -d /tmp/atelier-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
Q=90
for size in 880x1176 2048x2048; do
  png="$dir/in-$size.png"
  if command -v convert >/dev/null && convert -size "$size" -seed 7 plasma:fractal -depth 8 "$png" 2>/dev/null; then :; else
    # no ImageMagick: a noisy image made by atelier itself
    "$ATELIER" -e "local image = require 'image'
      local w, h = ('$size'):match('(%d+)x(%d+)')
      image.new(8, 8, {1, 2, 3}):resize{width = tonumber(w), height = tonumber(h), fit = 'fill'}:save('$png')"
  fi
  best_a=999 best_c=999
  for i in 1 2 3 4 5 6 7 8 9; do
    t0=$(date +%s.%N)
    cwebp -quiet -q $Q "$png" -o "$dir/c.webp"
    t1=$(date +%s.%N)
    "$ATELIER" -e "require('image').load('$png'):save('$dir/a.webp', {quality = $Q})"
    t2=$(date +%s.%N)
    best_c=$(echo "$t1 $t0 $best_c" | awk '{d=$1-$2; print (d<$3)?d:$3}')
    best_a=$(echo "$t2 $t1 $best_a" | awk '{d=$1-$2; print (d<$3)?d:$3}')
  done
  sa=$(stat -c %s "$dir/a.webp"); sc=$(stat -c %s "$dir/c.webp")
  if cmp -s "$dir/a.webp" "$dir/c.webp"; then same="identical output"; else same="outputs differ"; fi
  echo "PNG $size -> WebP q$Q: atelier $(echo "$best_a" | awk '{printf "%.0f ms", $1*1000}') ($sa bytes)," \
       "cwebp $(echo "$best_c" | awk '{printf "%.0f ms", $1*1000}') ($sc bytes), $same"
  echo "$best_a $best_c" | awk '{r=$1/$2; printf "ratio atelier/cwebp time = %.2fx (goal <= 1.1x) %s\n", r, (r<=1.1)?"MET":"NOT MET"}'
  "$out/spawn_time" 9 atelier "$ATELIER" -e "require('image').load('$png'):save('$dir/a.webp', {quality = $Q})" \
    -- cwebp cwebp -quiet -q $Q "$png" -o "$dir/c.webp" |
    awk -F '\t' '{cpu[NR] = $4} END {printf "ratio atelier/cwebp CPU time (median of 9) = %.2fx (%.0f ms / %.0f ms)\n", cpu[1] / cpu[2], cpu[1], cpu[2]}'
done
