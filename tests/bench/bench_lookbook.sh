#!/bin/sh
# bench_lookbook.sh — lookbook pages against ImageMagick's montage, measured in the same
# run: 64 images of 880x1176 (FASHN's 3:4 output size) -> 4 pages of 4x4 cells with
# captions and a title, as PDF and as PNG pages. Prints wall time and peak RSS of each
# and the ratios (goals: time <= 0.25x montage's, peak RSS <= 0.2x). Then 64 inputs of
# 4096x4096 -> the same PDF, whose peak RSS must stay under 100 MB, also with the inputs
# as interlaced PNG, progressive JPEG and lossless WebP.
#
# Inputs are generated here, deterministically (ImageMagick plasma with fixed seeds,
# 8-bit PNG like the API's). The contenders take turns for BENCH_RUNS rounds (default 3);
# the best wall time and the lowest peak RSS of each count, for both sides alike. The
# 4096x4096 runs are measured once each.
# montage cannot write PDF under Debian's ImageMagick security policy (PDF/PS coders
# are disabled), so both lookbook outputs are compared with montage making the same
# pages as PNG — the part of the work any montage-based PDF would also have to do.
set -eu
BIN=${BIN:-bin}
ATELIER=${ATELIER_BIN:-$BIN/atelier}
RUNS=${BENCH_RUNS:-3}
for tool in montage convert cwebp /usr/bin/time pdfinfo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench_lookbook: $tool is missing (make bench installs it)"; exit 1; }
done
W=$(mktemp -d /tmp/atelier-bench-lookbook.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/in" "$W/in4k" "$W/out"

echo "generating 64 inputs of 880x1176 ..."
convert -size 880x1176 -seed 27 plasma:fractal -blur 0x2 -depth 8 "$W/base.png"
i=1
while [ $i -le 64 ]; do
  convert "$W/base.png" -roll +$((i * 53))+$((i * 97)) -modulate 100,$((60 + i % 50)),$((i * 37 % 200)) \
    -depth 8 "$W/in/look-$(printf %02d $i).png"
  i=$((i + 1))
done
echo "  $(du -sh "$W/in" | cut -f1) of PNG"

cat >"$W/book.lua" <<'EOF'
-- the lookbook side of the benchmark: arg = output, input dir, count
local lookbook = require "lookbook"
local out, dir, n = arg[1], arg[2], tonumber(arg[3])
local book = lookbook.new { title = "Resort 27", subtitle = "64 looks", columns = 4, rows = 4, cell = "880:1176",
  dpi = 150, page = "A4" }
for i = 1, n do
  book:add(string.format("%s/look-%02d.png", dir, i), { caption = string.format("Look %d · seed %d", i, i * 7) })
end
local files = book:save(out)
io.stderr:write(string.format("%d pages, %d files\n", book:pages(), #files))
if arg[4] then -- print the cell size so montage can be given the same
  local g = book:geometry()
  print(g.cell_width, g.cell_height, g.gutter)
end
EOF

# once NAME CMD...: runs CMD once under /usr/bin/time; keeps NAME's best wall time and
# lowest peak RSS so far in $W/best-NAME ("<seconds> <KB>").
once() {
  name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/stdout" 2>"$W/stderr" || {
    echo "bench_lookbook: failed: $*" >&2
    cat "$W/stderr" >&2
    exit 1
  }
  if [ -f "$W/best-$name" ]; then
    awk 'NR == FNR { t = $1; m = $2; next } { if ($1 < t) t = $1; if ($2 < m) m = $2 } END { print t, m }' \
      "$W/best-$name" "$W/time" >"$W/best.tmp"
    mv "$W/best.tmp" "$W/best-$name"
  else
    cp "$W/time" "$W/best-$name"
  fi
}
best() { cat "$W/best-$1"; }

set -- $("$ATELIER" "$W/book.lua" "$W/out/probe.pdf" "$W/in" 64 geometry 2>/dev/null)
CW=$1 CH=$2 G=$3
HALF=$((G / 2))
echo "cells: ${CW}x${CH} px at 150 dpi, gutter $G px"

# The three contenders take turns, RUNS rounds, so a busy moment of the machine hurts
# all of them alike; each keeps its best round.
r=1
while [ $r -le "$RUNS" ]; do
  echo "round $r/$RUNS: montage (4 PNG pages), lookbook PNG pages, lookbook PDF ..."
  rm -f "$W"/out/montage-*.png "$W"/out/book-*.png
  once montage montage -font DejaVu-Sans -pointsize 12 -title "Resort 27" -label "Look %t" "$W"/in/look-*.png \
    -tile 4x4 -geometry "${CW}x${CH}+${HALF}+${HALF}" -background white -depth 8 "$W/out/montage-%d.png"
  once png "$ATELIER" "$W/book.lua" "$W/out/book.png" "$W/in" 64
  once pdf "$ATELIER" "$W/book.lua" "$W/out/book.pdf" "$W/in" 64
  r=$((r + 1))
done
[ "$(ls "$W"/out/montage-*.png | wc -l)" -eq 4 ] || { echo "montage made $(ls "$W"/out/montage-*.png | wc -l) pages, not 4"; exit 1; }
[ "$(ls "$W"/out/book-*.png | wc -l)" -eq 4 ] || { echo "lookbook made the wrong number of PNG pages"; exit 1; }
pages=$(pdfinfo "$W/out/book.pdf" | sed -n 's/^Pages: *//p')
[ "$pages" = 4 ] || { echo "the PDF has $pages pages, not 4"; exit 1; }
M=$(best montage) P=$(best png) D=$(best pdf)

report() { # name "t m" "t m"(montage)
  echo "$2 $3" | awk -v name="$1" '{
    printf "  %-20s %6.2f s %8.1f MB   vs montage %7.2f s %8.1f MB   time %.3fx (goal <= 0.25x)  peak RSS %.3fx (goal <= 0.2x)\n",
      name, $1, $2 / 1024, $3, $4 / 1024, $1 / $3, $2 / $4 }'
}
echo "results (best of $RUNS rounds each; load average now: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs):"
report "lookbook PNG pages" "$P" "$M"
report "lookbook PDF" "$D" "$M"

echo "generating 64 inputs of 4096x4096 (8 distinct, hard-linked) ..."
k=1
while [ $k -le 8 ]; do
  convert "$W/base.png" -resize 4096x4096! -roll +$((k * 409))+$((k * 211)) -modulate 100,100,$((k * 23)) -depth 8 \
    "$W/in4k/src-$k.png"
  k=$((k + 1))
done
i=1
while [ $i -le 64 ]; do
  ln "$W/in4k/src-$(((i - 1) % 8 + 1)).png" "$W/in4k/look-$(printf %02d $i).png"
  i=$((i + 1))
done
echo "lookbook: 64 x 4096x4096 -> a 4-page PDF ..."
once bigpdf "$ATELIER" "$W/book.lua" "$W/out/big.pdf" "$W/in4k" 64
B=$(best bigpdf)
echo "$B" | awk '{ printf "  %-22s %7.2f s %8.1f MB peak RSS (goal < 100 MB): %s\n", "64 x 4096x4096 PDF", $1, $2 / 1024, ($2 / 1024 < 100) ? "met" : "MISSED" }'
once bigpng "$ATELIER" "$W/book.lua" "$W/out/big.png" "$W/in4k" 64
B2=$(best bigpng)
echo "$B2" | awk '{ printf "  %-22s %7.2f s %8.1f MB peak RSS (goal < 100 MB): %s\n", "64 x 4096x4096 PNG", $1, $2 / 1024, ($2 / 1024 < 100) ? "met" : "MISSED" }'

# The same PDF from inputs a decoder cannot simply stream into a thumbnail: interlaced
# PNG, progressive JPEG and lossless WebP (8 distinct of each, each used 8 times).
echo "generating the 4096x4096 inputs again as interlaced PNG, progressive JPEG and lossless WebP ..."
mkdir -p "$W/in4k-ipng" "$W/in4k-pjpg" "$W/in4k-lwebp"
k=1
while [ $k -le 8 ]; do
  convert "$W/in4k/src-$k.png" -interlace PNG "$W/in4k-ipng/src-$k.png"
  convert "$W/in4k/src-$k.png" -interlace JPEG -quality 85 "$W/in4k-pjpg/src-$k.jpg"
  cwebp -quiet -lossless -z 0 "$W/in4k/src-$k.png" -o "$W/in4k-lwebp/src-$k.webp"
  k=$((k + 1))
done
cat >"$W/book-any.lua" <<'EOF'
-- 64 inputs named src-1..8.EXT, each used 8 times: arg = output, input dir, extension
local lookbook = require "lookbook"
local out, dir, ext = arg[1], arg[2], arg[3]
local book = lookbook.new { title = "Resort 27", subtitle = "64 looks", columns = 4, rows = 4, cell = "880:1176",
  dpi = 150, page = "A4" }
for i = 1, 64 do
  book:add(string.format("%s/src-%d.%s", dir, (i - 1) % 8 + 1, ext), { caption = string.format("Look %d", i) })
end
book:save(out)
EOF
for kind in ipng:png pjpg:jpg lwebp:webp; do
  input=${kind%%:*} ext=${kind#*:} # not "name": once() sets that one
  once "big-$input" "$ATELIER" "$W/book-any.lua" "$W/out/big-$input.pdf" "$W/in4k-$input" "$ext"
  best "big-$input" | awk -v n="64 x 4096x4096 $input" '{ printf "  %-22s %7.2f s %8.1f MB peak RSS (goal < 100 MB): %s\n", n, $1, $2 / 1024, ($2 / 1024 < 100) ? "met" : "MISSED" }'
done
