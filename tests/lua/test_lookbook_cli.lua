-- test_lookbook_cli.lua — `atelier -m lookbook`, a lookbook or line sheet in one command:
-- images from a fresh shell (no environment beyond PATH), --help listing every option,
-- usage errors exiting 2, a CSV whose rows name their images and fields, and line sheets
-- (lookbook.line_sheet) with every field inside its box.
local T = require "testing"
local lookbook = require "lookbook"
local png = require "pngfixture"

local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  return os.getenv("PWD") .. "/" .. path
end

local ATELIER = abs(T.atelier)

local function images(dir, n)
  os.execute("mkdir -p " .. T.shell_quote(dir))
  local paths = {}
  for i = 1, n do
    paths[i] = png.write(string.format("%s/look-%02d.png", dir, i), 60, 80, { (i * 37) % 256, (i * 91) % 256, 90 })
  end
  return paths
end

local function pdftext(path)
  local r = T.run { "pdftotext", "-enc", "UTF-8", path, "-" }
  T.eq(r.code, 0, "pdftotext: " .. r.stderr)
  return r.stdout
end

T.case("atelier -m lookbook -o book.pdf --title SS27 images/*.png works from a fresh shell", function()
  local dir = T.tmpdir()
  images(dir .. "/images", 5)
  local argv = { "env", "-i", "PATH=/usr/bin:/bin" }
  for _, v in ipairs { "LSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS" } do -- the sanitizers' settings only
    if os.getenv(v) then argv[#argv + 1] = v .. "=" .. os.getenv(v) end
  end
  for _, a in ipairs { "sh", "-c", T.shell_quote(ATELIER) .. " -m lookbook -o book.pdf --title SS27 images/*.png" } do
    argv[#argv + 1] = a
  end
  local r = T.run(argv, { cwd = dir })
  T.eq(r.code, 0, "exit status; stderr: " .. r.stderr)
  T.match(r.stdout, "book%.pdf: 5 images on 1 pages")
  local text = pdftext(dir .. "/book.pdf")
  T.ok(text:find("SS27", 1, true), "the title is in the PDF")
  T.ok(text:find("look-03", 1, true), "captions are the file names")
end)

T.case("--help lists the options; usage errors exit 2 and say what is wrong", function()
  local r = T.run { ATELIER, "-m", "lookbook", "--help" }
  T.eq(r.code, 0)
  for _, opt in ipairs { "--output", "--title", "--cover", "--line-sheet", "--font", "--page", "--columns",
    "--contact", "--section-column" } do
    T.ok(r.stdout:find(opt, 1, true), "--help lists " .. opt)
  end
  local bad = {
    { { "--bogus" }, "unknown option '%-%-bogus'" },
    { { "a.png" }, "no output" },
    { { "-o", "x.pdf" }, "no input files" },
    { { "-o", "x.pdf", "--columns", "many", "a.png" }, "%-%-columns: expected an integer" },
  }
  for _, c in ipairs(bad) do
    local argv = { ATELIER, "-m", "lookbook" }
    for _, a in ipairs(c[1]) do argv[#argv + 1] = a end
    r = T.run(argv)
    T.eq(r.code, 2, table.concat(c[1], " ") .. " exits 2")
    T.match(r.stderr, c[2])
    T.ok(not r.stderr:find("traceback", 1, true), "no traceback for a usage error")
  end
  r = T.run { ATELIER, "-m", "lookbook", "-o", "x.pdf", "/nonexistent/a.png" }
  T.eq(r.code, 1, "a missing file exits 1")
  T.match(r.stderr, "/nonexistent/a%.png")
  r = T.run { ATELIER, "-m", "nosuchmodule" }
  T.eq(r.code, 1)
  T.match(r.stderr, "nosuchmodule")
end)

local CSV = "name,name_ja,sku,colourways,sizes,fabric,wholesale,retail,notes,image,line\n"
    .. '"Linen blazer, unlined",麻のジャケット,SS27-002,"Sand, Navy",34–44,Irish linen,€ 210,€ 525,,images/look-01.png,Tailoring\n'
    .. 'Slip dress,スリップドレス,SS27-001,Ivory,XS–L,Silk satin,€ 180,€ 450,"Bias cut\nlined",images/look-02.png,Tailoring\n'
    .. "Canvas tote,トート,SS27-012,Natural,One size,Cotton canvas,€ 45,€ 110,,images/look-03.png,Accessories\n"

T.case("a line sheet from a CSV: cover, fields under every image, header and footer", function()
  local dir = T.tmpdir()
  images(dir .. "/data/images", 3)
  T.write_file(dir .. "/data/styles.csv", "\xef\xbb\xbf" .. CSV)
  local r = T.run({ ATELIER, "-m", "lookbook", "--line-sheet", "--title", "Maison Ardent — SS27", "--season",
    "Spring–Summer 2027", "--delivery", "15 Jan – 28 Feb", "--order-by", "1 Oct", "--terms", "Prices ex-works",
    "--contact", "sales@ardent.example", "--section-column", "line", "data/styles.csv", "-o", "ls.pdf" },
    { cwd = dir })
  T.eq(r.code, 0, "stderr: " .. r.stderr)
  local text = pdftext(dir .. "/ls.pdf")
  for _, want in ipairs { "Maison Ardent — SS27", "Spring–Summer 2027", "Delivery 15 Jan – 28 Feb", "Order by 1 Oct",
    "Prices ex-works", "sales@ardent.example", "SS27-002", "Sand, Navy", "€ 525", "麻のジャケット", "Bias cut lined",
    "Tailoring", "Accessories" } do
    T.ok(text:find(want, 1, true), "the line sheet shows " .. want)
  end
  T.ok(text:find("STYLE NO.", 1, true) and text:find("WHOLESALE", 1, true), "fields are labelled: " .. text)
  local info = T.run { "pdfinfo", dir .. "/ls.pdf" }
  T.eq(tonumber(info.stdout:match("Pages:%s+(%d+)")), 3, "a cover and a page per section")
end)

T.case("lookbook.line_sheet keeps every field and caption inside its box", function()
  local dir = T.tmpdir()
  local paths = images(dir, 3)
  local items = {
    header = { "name", "sku", "colourways", "wholesale", "retail", "image" },
    { name = "A very long style name that needs two lines to be read and then some more words", sku = "SS27-001",
      colourways = "Ivory, Black, Sand, Navy, Olive, Rose, Sky stripe, Butter, Ecru", wholesale = "€ 180",
      retail = "€ 450", image = paths[1] },
    { name = "Slip dress", sku = "SS27-002", wholesale = "€ 1", image = paths[2] },
    { name = "Tote", sku = "SS27-003", retail = "€ 110", image = paths[3] },
  }
  local book = lookbook.line_sheet { items = items, title = "Line sheet", season = "SS27", contact = "x@y.example",
    terms = "Terms apply", page = "Letter", orientation = "landscape" }
  local info = book:inspect()
  local fields, labels = 0, 0
  for _, t in ipairs(info.texts) do
    local b, g, ink = t.box, t.logical, t.ink
    T.ok(g.x >= b.x - 0.75 and g.x + g.w <= b.x + b.w + 0.75 and g.h <= b.h + 0.75, t.what .. " inside its box")
    if ink.w > 0 then
      T.ok(ink.y >= b.y - 1.5 and ink.y + ink.h <= b.y + b.h + 1.5, t.what .. " ink inside its box")
    end
    if t.what == "field" then fields = fields + 1 end
    if t.what == "field label" then labels = labels + 1 end
  end
  T.eq(fields, 3 * 4, "four fields under each of the three styles (a dash where one is missing)")
  T.eq(labels, fields)
end)
