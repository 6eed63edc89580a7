-- test_lookbook.lua — lookbooks from Lua: options checked with messages naming the option,
-- page counts for N images and each shipped layout, valid PDFs (pdfinfo), page files,
-- bad image files refused by name, and the HTML lookbook loading in headless Chromium
-- with every image resolved.
local T = require "testing"
local lookbook = require "lookbook"
local png = require "pngfixture"

local fixtures = png.fixtures

local function pdfinfo(path)
  local r = T.run({ "pdfinfo", path })
  T.eq(r.code, 0, "pdfinfo exit status (stderr: " .. r.stderr .. ")")
  return {
    pages = tonumber(r.stdout:match("Pages:%s+(%d+)")),
    size = r.stdout:match("Page size:%s+([^\n]+)"),
    title = r.stdout:match("Title:%s+([^\n]+)"),
  }
end

T.case("every bad option is refused with the option and the allowed values named", function()
  local bad = {
    { { columns = 0 }, "columns: expected an integer from 1 to 32" },
    { { columns = 2.5 }, "columns" },
    { { rows = "many" }, "rows: expected an integer from 1 to 32 or \"auto\"" },
    { { cell = "3x4" }, "cell: expected an aspect ratio" },
    { { page = "B9" }, "page: unknown page \"B9\" %(use A3, A4" },
    { { page = "100x100" }, "page: unknown page" },
    { { orientation = "sideways" }, "orientation: expected \"portrait\" or \"landscape\"" },
    { { margin = "1 furlong" }, "margin" },
    { { margin = { top = 5, inside = 3 } }, "margin: unknown option 'inside'" },
    { { gutter = true }, "gutter: expected a length" },
    { { background = "#12" }, "background: unknown colour" },
    { { color = "mauvish" }, "color: unknown colour" },
    { { fit = "stretch" }, "fit: expected \"fit\"" },
    { { dpi = 5 }, "dpi: expected a number from 36 to 1200" },
    { { caption_lines = 3 }, "caption_lines: expected an integer from 0 to 2" },
    { { page_numbers = "yes" }, "page_numbers: expected true or false" },
    { { type_size = 100 }, "type_size" },
    { { quality = 0 }, "quality: expected an integer from 1 to 100" },
    { { colums = 4 }, "unknown option 'colums' %(known: title, subtitle, columns" },
    { { layout = "mosaic" }, "layout: unknown layout \"mosaic\" %(shipped: contact, grid, hero" },
    { { title = 7 }, "title: expected a string" },
    { { columns = 32, rows = 32, dpi = 36 }, "cells would be" },
    { { pages = { { spans = { { column = 4, row = 1, columns = 2, rows = 1 } } } }, columns = 4 }, "does not fit" },
  }
  for _, case in ipairs(bad) do
    local err = T.raises(function() lookbook.new(case[1]) end, nil, "lookbook.new")
    T.match(tostring(err), case[2], "message for " .. T.describe(case[1]))
  end
  T.raises(function() lookbook.new("A4") end, "bad argument #1 to 'lookbook.new' %(table expected, got string%)")
end)

T.case("page count follows the images, the grid and sections", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 21)
  local book = lookbook.new { columns = 4, rows = 4, dpi = 72 }
  T.eq(book:pages(), 0)
  for i = 1, 16 do book:add(inputs[(i - 1) % #inputs + 1]) end
  T.eq(book:pages(), 1, "16 images in a 4x4 grid")
  book:add(inputs[1])
  T.eq(book:pages(), 2, "the 17th starts page 2")
  book:section("Second look")
  book:section("Empty sections take no page")
  book:add(inputs[2])
  T.eq(book:pages(), 3, "a section starts a fresh page")
  T.eq(book:count(), 18)
  local out = book:save(dir .. "/book.pdf")
  T.eq(out, { dir .. "/book.pdf" })
  T.eq(pdfinfo(out[1]).pages, 3, "pages in the PDF")
end)

T.case("each shipped layout paginates as its grid says", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 4)
  local expect = {
    grid = function(g) return g.columns * g.rows end,
    hero = function(g) return g.columns * g.rows - 3 end, -- 2x2 hero on the first page only
    contact = function(g) return g.columns * g.rows end,
  }
  for name, first_page in pairs(expect) do
    local book = lookbook.new { layout = name, dpi = 72, title = name }
    local g = book:geometry()
    local n1 = first_page(g)
    T.eq(#g.templates[1], n1, name .. ": cells on page 1")
    local n = n1 + 1
    for i = 1, n do book:add(inputs[(i - 1) % #inputs + 1], { caption = "look " .. i }) end
    T.eq(book:pages(), 2, name .. ": one image more than page 1 holds")
    local info = pdfinfo(book:save(dir .. "/" .. name .. ".pdf")[1])
    T.eq(info.pages, 2, name .. ": PDF pages")
    T.eq(info.title, name, name .. ": PDF title")
  end
  local hero = lookbook.new { layout = "hero", dpi = 72 }
  local g = hero:geometry()
  T.eq(#g.templates[2], g.columns * g.rows, "hero: later pages are a plain grid")
  T.ok(g.templates[1][1][3] > 2 * g.cell_width, "hero: the first cell spans two columns")
end)

T.case("a PDF is valid, A4 by default and landscape when asked", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 3, 88, 117)
  local book = lookbook.new { title = "Resort 27", subtitle = "casting", orientation = "landscape" }
  for i, p in ipairs(inputs) do book:add(p, { caption = { "Look " .. i, "seed " .. i } }) end
  local info = pdfinfo(book:save(dir .. "/r.pdf")[1])
  T.eq(info.pages, 1)
  T.match(info.size, "^841%.9%d* x 595%.2", "A4 landscape in points")
  T.eq(info.title, "Resort 27")
  local r = T.run({ "pdffonts", dir .. "/r.pdf" })
  if r.code == 0 then T.match(r.stdout, "EBGaramond", "text is EB Garamond (the default family), embedded") end
end)

T.case("PDF images are embedded at the book's dpi, and an image used twice only once", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 2, 900, 1200)
  local book = lookbook.new { columns = 2, rows = 2, dpi = 100, fit = "fill" }
  book:add(inputs[1])
  book:add(inputs[2])
  book:add(inputs[1])
  book:add(inputs[1])
  local pdf = book:save(dir .. "/dpi.pdf")[1]
  local r = T.run({ "pdfimages", "-list", pdf })
  T.eq(r.code, 0, "pdfimages")
  local objects, n = {}, 0
  for num, enc, obj, xppi, yppi in r.stdout:gmatch("\n%s*1%s+(%d+)%s+image%s+%d+%s+%d+%s+rgb%s+3%s+8%s+(%a+)%s+%a+%s+(%d+)%s+0%s+(%d+)%s+(%d+)") do
    n = n + 1
    objects[obj] = true
    T.eq(enc, "jpeg", "image " .. num .. " encoding")
    T.eq(tonumber(xppi), 100, "image " .. num .. " horizontal ppi")
    T.eq(tonumber(yppi), 100, "image " .. num .. " vertical ppi")
  end
  T.eq(n, 4, "images drawn on the page")
  local distinct = 0
  for _ in pairs(objects) do distinct = distinct + 1 end
  T.eq(distinct, 2, "image objects in the file (the repeated one is embedded once)")
end)

T.case("raster pages are one file per page with a -N suffix", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 5)
  local book = lookbook.new { columns = 2, rows = 2, dpi = 40, page = "square" }
  for _, p in ipairs(inputs) do book:add(p) end
  for _, ext in ipairs({ "png", "jpg", "webp" }) do
    local out = book:save(dir .. "/pages." .. ext)
    T.eq(out, { dir .. "/pages-1." .. ext, dir .. "/pages-2." .. ext }, ext .. " files")
    for _, f in ipairs(out) do T.ok(#T.read_file(f) > 100, f .. " has content") end
  end
  T.match(T.read_file(dir .. "/pages-1.png"), "^\137PNG", "PNG signature")
  T.match(T.read_file(dir .. "/pages-1.jpg"), "^\255\216", "JPEG signature")
  T.match(T.read_file(dir .. "/pages-1.webp"), "^RIFF....WEBP", "WebP signature")
end)

T.case("bad image files are refused with the file named and the book goes on", function()
  local dir = T.tmpdir()
  local good = fixtures(dir, 1)[1]
  T.write_file(dir .. "/broken.png", "\137PNG\r\n\26\nthis is not really a png")
  T.write_file(dir .. "/empty.jpg", "")
  local book = lookbook.new { dpi = 72 }
  for bad, name in pairs({ [dir .. "/broken.png"] = "ImageDecodeError", [dir .. "/empty.jpg"] = "ImageDecodeError",
    [dir .. "/missing.webp"] = "FileError", [dir] = "FileError" }) do
    local err = T.raises(function() book:add(bad) end, name)
    T.ok(tostring(err):find(bad, 1, true), "the message names " .. bad .. ": " .. tostring(err))
  end
  T.raises(function() book:add(42) end, "bad argument #1 to .add. %(image or file path expected, got number%)")
  T.raises(function() book:add(good, { caption = 5 }) end, "caption: expected a string")
  T.raises(function() book:add(good, { captoin = "x" }) end, "unknown option 'captoin'")
  T.raises(function() book:add(good, { meta = { seed = function() end } }) end, "meta.seed")
  T.raises(function() book:add(good, { caption = "\255\254" }) end, "UTF%-8")
  T.eq(book:count(), 0, "nothing was added")
  book:add(good)
  T.eq(book:count(), 1)
  T.raises(function() book:save(dir .. "/book.docx") end, "unknown format")
  T.write_file(dir .. "/afile", "x") -- a folder cannot be made under a file
  T.raises(function() book:save(dir .. "/afile/dir/book.pdf") end, "SaveError")
  T.raises(function() lookbook.new {}:save(dir .. "/e.pdf") end, "empty")
  book:close()
  T.raises(function() book:add(good) end, "closed")
end)

local function near(a, b) return math.abs(a - b) <= 6 end

local function colour_at(img, x, y, rgb, what)
  local r, g, b = img:pixel(x, y)
  T.ok(near(r, rgb[1]) and near(g, rgb[2]) and near(b, rgb[3]),
    string.format("%s at (%d, %d): got %d,%d,%d, expected %d,%d,%d", what, x, y, r, g, b, rgb[1], rgb[2], rgb[3]))
end

T.case("PNG pages show each image in its cell and the background everywhere else", function()
  local image = require "image"
  local dir = T.tmpdir()
  local colours = { { 208, 16, 16 }, { 16, 160, 32 }, { 16, 48, 208 }, { 224, 192, 0 }, { 128, 16, 160 } }
  local bg = { 0x20, 0x30, 0x40 }
  local book = lookbook.new { columns = 2, rows = 2, dpi = 72, background = "#203040", fit = "fill", title = "Pixels" }
  -- an image object with pixels, an undecoded image object, and a file path all work
  book:add(image.new(300, 400, colours[1]), { caption = "made in memory" })
  png.write(dir .. "/two.png", 30, 40, colours[2])
  book:add(image.load(dir .. "/two.png"), { caption = "loaded, never decoded" })
  for i = 3, 5 do book:add(png.write(dir .. "/in" .. i .. ".png", 60, 80, colours[i]), { caption = "path" }) end
  local pages = book:save(dir .. "/px.png")
  T.eq(#pages, 2)
  local g = book:geometry()
  local cells = g.templates[1]
  local p1, p2 = image.load(pages[1]), image.load(pages[2])
  T.eq({ p1.width, p1.height }, { g.page_width, g.page_height }, "page size")
  for i, c in ipairs(cells) do
    local x, y, w, h = c[1], c[2], c[3], c[4]
    colour_at(p1, x + 1, y + 1, colours[i], "cell " .. i .. " top-left")
    colour_at(p1, x + w - 2, y + h - 2, colours[i], "cell " .. i .. " bottom-right")
    colour_at(p1, x + w // 2, y + h // 2, colours[i], "cell " .. i .. " centre")
    colour_at(p1, x - 1, y + h // 2, bg, "left of cell " .. i)
    colour_at(p1, x + w, y + h // 2, bg, "right of cell " .. i)
    colour_at(p1, x + w // 2, y - 1, bg, "above cell " .. i)
    local on_p2 = i == 1 and colours[5] or bg
    colour_at(p2, x + w // 2, y + h // 2, on_p2, "page 2 cell " .. i)
  end
  colour_at(p1, 0, 0, bg, "page corner")
  colour_at(p1, g.page_width - 1, g.page_height - 1, bg, "opposite corner")
end)

T.case("files decoded on worker threads land in the order they were added", function()
  local image = require "image"
  local dir = T.tmpdir()
  local book = lookbook.new { columns = 4, rows = 3, dpi = 40, page = "square", caption_lines = 0, fit = "fill" }
  local colours = {}
  for i = 1, 24 do
    colours[i] = { (i * 40) % 256, (i * 90) % 256, (255 - i * 10) % 256 }
    -- sizes differ so the decodes take different times and finish out of order
    local w = (i % 3 == 0) and 600 or 30
    book:add(png.write(string.format("%s/c%02d.png", dir, i), w, w * 4 // 3, colours[i]))
  end
  T.eq(book:count(), 24)
  local pages = book:save(dir .. "/order.png")
  T.eq(#pages, 2)
  local cells = book:geometry().templates[1]
  for i = 1, 24 do
    local pg = image.load(pages[(i - 1) // 12 + 1])
    local c = cells[(i - 1) % 12 + 1]
    colour_at(pg, c[1] + c[3] // 2, c[2] + c[4] // 2, colours[i], "image " .. i)
  end
end)

T.case("a file corrupt behind a valid header is left out and reported by the next call", function()
  local dir = T.tmpdir()
  local good = fixtures(dir, 3)
  local whole = png.encode(200, 200, { 10, 20, 30 })
  local broken = dir .. "/truncated.png"
  T.write_file(broken, whole:sub(1, #whole // 2)) -- header intact, pixel data cut short
  local book = lookbook.new { columns = 2, rows = 2, dpi = 72 }
  book:add(good[1])
  book:add(broken) -- accepted: only its header has been read so far
  book:add(good[2])
  local err = T.raises(function() book:save(dir .. "/b.pdf") end, "ImageDecodeError")
  T.eq(err.file, broken, "the error names the file left out")
  T.ok(tostring(err):find("truncated.png", 1, true), tostring(err))
  T.eq(book:count(), 2, "the others are in")
  T.eq(pdfinfo(book:save(dir .. "/b.pdf")[1]).pages, 1, "saving again works")
end)

local function peak_rss_kb()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local status = f:read("a")
  f:close()
  return tonumber(status:match("VmHWM:%s*(%d+)"))
end

T.case("memory does not grow with the number of images: cells wait in the spool, not in RAM", function()
  if not peak_rss_kb() then T.skip("no /proc/self/status here") end
  local maps = io.open("/proc/self/maps", "r")
  local sanitized = maps and maps:read("a"):find("libasan", 1, true)
  if maps then maps:close() end
  if sanitized then T.skip("AddressSanitizer keeps freed memory in quarantine: peak RSS says nothing here") end
  local image = require "image"
  local dir = T.tmpdir()
  local book = lookbook.new { columns = 4, rows = 4, dpi = 200 }
  local g = book:geometry()
  local img = image.new(g.cell_width, g.cell_height, { 200, 100, 50 }) -- already cell-sized
  for i = 1, 32 do book:add(img, { caption = "look " .. i }) end
  book:save(dir .. "/a.pdf")
  book:save(dir .. "/a.png")
  collectgarbage()
  local before = peak_rss_kb()
  for i = 33, 320 do book:add(img, { caption = "look " .. i }) end
  book:save(dir .. "/b.pdf")
  book:save(dir .. "/b.png")
  local grew = peak_rss_kb() - before
  local cell_kb = g.cell_width * g.cell_height * 3 // 1024
  -- kept in memory, 288 more cells would add 288 x cell_kb (about 110 MB at 200 dpi)
  T.ok(grew < 288 * cell_kb // 4, string.format("peak RSS grew by %d KB for 288 more images of %d KB each", grew, cell_kb))
  T.eq(book:pages(), 20)
end, { timeout = 120 })

local function find_chromium()
  for _, name in ipairs({ "chromium", "chromium-browser" }) do
    local r = T.run({ "sh", "-c", "command -v " .. name })
    if r.code == 0 then return (r.stdout:gsub("%s+$", "")) end
  end
end

T.case("the HTML lookbook loads in headless Chromium with every image resolved", function()
  local chromium = find_chromium()
  if not chromium then
    T.skip("Chromium is not installed and could not be (make deps tries the Debian package `chromium`)")
  end
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 6, 60, 80)
  local book = lookbook.new { title = "Resort <27>", subtitle = "web", layout = "hero", dpi = 72, parameters = true }
  book:section("Linen & silk")
  for i, p in ipairs(inputs) do
    book:add(p, { caption = { "Look " .. i, "seed " .. i }, meta = { seed = i, prompt = "linen \"suit\" <b>", mode = "match_base" } })
  end
  book:section("Denim")
  book:add(inputs[1], { caption = "again" })
  local out = book:save(dir .. "/web.html")
  T.eq(out, { dir .. "/web/index.html" })
  local html = T.read_file(out[1])
  T.match(html, "<h2>Linen &amp; silk</h2>", "section heading, escaped")
  T.match(html, "<dt>prompt</dt><dd>linen &quot;suit&quot; &lt;b&gt;</dd>", "meta shown, escaped")
  -- A copy with a probe script, in the same folder so relative URLs resolve the same way.
  local probe = [[<script>window.addEventListener("load", function () {
  var imgs = document.images, ok = 0, broken = [];
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; else broken.push(imgs[i].getAttribute("src"));
  }
  var pre = document.createElement("pre"); pre.id = "probe";
  pre.textContent = "images=" + imgs.length + " loaded=" + ok + " broken=" + broken.join(",") + ";";
  document.body.appendChild(pre);
});</script></body>]]
  T.write_file(dir .. "/web/probe.html", (html:gsub("</body>", function() return probe end)))
  local profile = T.tmpdir()
  local r = T.run({ chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--user-data-dir=" .. profile, "--virtual-time-budget=5000", "--dump-dom",
    "file://" .. dir .. "/web/probe.html" })
  if r.code ~= 0 and r.stdout == "" then
    error("chromium failed (" .. tostring(r.code) .. "): " .. r.stderr:sub(1, 2000))
  end
  local images, loaded, broken = r.stdout:match("images=(%d+) loaded=(%d+) broken=([^;]*);")
  T.ok(images, "the probe ran (stdout: " .. r.stdout:sub(1, 300) .. ")")
  T.eq(tonumber(images), 7, "images in the page")
  T.eq(tonumber(loaded), 7, "images loaded")
  T.eq(broken, "", "broken images")
end, { timeout = 120 })

T.case("an HTML lookbook never writes through a link planted where its folder goes", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 2)
  os.execute("mkdir " .. T.shell_quote(dir .. "/elsewhere") .. " " .. T.shell_quote(dir .. "/real"))
  os.execute("mkdir " .. T.shell_quote(dir .. "/real/images"))
  -- `book` beside book.html points elsewhere; in a real folder, `images` does
  os.execute("ln -s " .. T.shell_quote(dir .. "/elsewhere") .. " " .. T.shell_quote(dir .. "/book"))
  local book = lookbook.new { dpi = 72 }
  for _, p in ipairs(inputs) do book:add(p) end
  local err = T.raises(function() book:save(dir .. "/book.html") end, "SaveError")
  T.match(err.message, "symbolic link", err.message)
  os.execute("rm -r " .. T.shell_quote(dir .. "/real/images"))
  os.execute("ln -s " .. T.shell_quote(dir .. "/elsewhere") .. " " .. T.shell_quote(dir .. "/real/images"))
  err = T.raises(function() book:save(dir .. "/real.html") end, "SaveError")
  T.match(err.message, "images is a symbolic link", err.message)
  local p = io.popen("ls -A " .. T.shell_quote(dir .. "/elsewhere"))
  T.eq(p:read("a"), "", "nothing was written where the links point")
  p:close()
  book:close()
end)
