-- test_lookbook_pages.lua — lookbook pages as a reader sees them: text set with Pango
-- (wrapped, cut only after its last line, fallback fonts for Japanese, the family by
-- name), every piece of text inside the box reserved for it (book:inspect), the grid right
-- under the running header with no empty band above it, a cover page, section labels
-- that read as words, and the PDF's text and fonts as poppler sees them.
local T = require "testing"
local lookbook = require "lookbook"
local png = require "pngfixture"

local fixtures = png.fixtures

local function run(argv)
  local r = T.run(argv)
  T.eq(r.code, 0, table.concat(argv, " ") .. ": " .. r.stderr)
  return r.stdout
end

local EPS = 0.75 -- pixels: glyph outlines are not snapped to the pixel grid

-- Every text's lines and ink lie inside its box; returns the texts by kind.
local function check_boxes(info)
  local by = {}
  for _, t in ipairs(info.texts) do
    by[t.what] = by[t.what] or {}
    table.insert(by[t.what], t)
    local b, g, ink = t.box, t.logical, t.ink
    local where = string.format("%s on page %d", t.what, t.page)
    T.ok(g.x >= b.x - EPS and g.x + g.w <= b.x + b.w + EPS, where .. ": lines within the box's width")
    T.ok(g.h <= b.h + EPS, where .. ": lines within the box's height")
    if ink.w > 0 then
      T.ok(ink.x >= b.x - 2 * EPS and ink.x + ink.w <= b.x + b.w + 2 * EPS,
        string.format("%s: ink %.1f..%.1f inside %.1f..%.1f across", where, ink.x, ink.x + ink.w, b.x, b.x + b.w))
      T.ok(ink.y >= b.y - 2 * EPS and ink.y + ink.h <= b.y + b.h + 2 * EPS,
        string.format("%s: ink %.1f..%.1f inside %.1f..%.1f down", where, ink.y, ink.y + ink.h, b.y, b.y + b.h))
    end
    T.ok(b.x >= 0 and b.y >= 0 and b.x + b.w <= info.page_width and b.y + b.h <= info.page_height,
      where .. ": box on the page")
  end
  return by
end

local TITLE = "Maison Ardent — SS27"
local JP = "麻のテーラードジャケット"

T.case("a long title and captions in two scripts: whole in the PDF, wrapped, inside their boxes", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 6)
  local book = lookbook.new { title = TITLE, subtitle = "Collection preview · for buyers", columns = 3,
    caption_lines = 2, contact = "Maison Ardent · press@ardent.example" }
  book:section("match_base")
  for i, p in ipairs(inputs) do
    local caption = i == 1 and JP or i == 2
        and "an unusually long caption that describes the look in words wrapping onto a second line and then"
        .. " running on far past it, so that it has to end with an ellipsis" or ("Look " .. i)
    book:add(p, { caption = caption })
  end
  local info = book:inspect()
  local by = check_boxes(info)
  T.eq(#by.title, 1, "a running title on the one page")
  T.eq(by.title[1].ellipsized, false, "the title is not cut")
  local long = by.caption[2]
  T.eq(long.lines, 2, "the long caption wraps onto two lines")
  T.eq(long.ellipsized, true, "and is cut only after the second")
  T.eq(by.caption[1].lines, 1, "the Japanese caption fits one line")
  T.eq(by.section[1].ellipsized, false)

  -- the grid starts right under the header: no band of empty page above it
  local header_bottom = info.header.y + info.header.h
  T.ok(info.grid.y >= header_bottom, "grid below the header")
  T.ok(info.grid.y - header_bottom <= 0.05 * info.page_height,
    string.format("grid top %d right under the header (%d)", info.grid.y, header_bottom))
  T.ok(info.header.y < 0.08 * info.page_height, "the header sits in the top margin")

  local pdf = book:save(dir .. "/book.pdf")[1]
  local text = run { "pdftotext", "-enc", "UTF-8", pdf, "-" }
  T.ok(text:find(TITLE, 1, true), "pdftotext shows the whole title: " .. text)
  T.ok(text:find(JP, 1, true), "and the Japanese caption")
  T.ok(text:find("Match base", 1, true), "the section reads as words, not match_base")
  T.ok(not text:find("match_base", 1, true), "no raw API value")
  local fonts = run { "pdffonts", pdf }
  T.match(fonts, "EBGaramond", "the default family is EB Garamond")
  T.match(fonts, "CJK", "a CJK font fills in for the Japanese (no empty boxes)")
  for line in fonts:gmatch("[^\n]+") do
    if line:match("^%u%u%u%u%u%u%+") then T.match(line, " yes yes ", "embedded and subset: " .. line) end
  end
end)

T.case("font picks the family by name", function()
  local dir = T.tmpdir()
  local book = lookbook.new { title = "Sans", font = "DejaVu Sans" }
  book:add(fixtures(dir, 1)[1], { caption = "one" })
  local fonts = run { "pdffonts", book:save(dir .. "/f.pdf")[1] }
  T.match(fonts, "DejaVuSans", "DejaVu Sans as asked")
  T.ok(not fonts:find("Garamond"), "and not the default")
end)

T.case("a cover page comes first; body pages carry the header, the footer and their numbers", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 5, 60, 80)
  local book = lookbook.new { title = TITLE, subtitle = "Lookbook", columns = 2, rows = 2,
    cover = { season = "Spring–Summer 2027", date = "30 November 2026", hero = inputs[1], logo = inputs[2] },
    contact = "Maison Ardent · 12 rue des Archives, Paris · press@ardent.example" }
  for _, p in ipairs(inputs) do book:add(p, { caption = "look" }) end
  T.eq(book:pages(), 3, "cover + two body pages")
  local info = book:inspect()
  local by = check_boxes(info)
  T.eq(by["cover title"][1].page, 1, "the cover is page 1")
  T.eq(by["cover title"][1].ellipsized, false)
  for _, t in ipairs(by.title) do T.ok(t.page > 1, "the running title is on body pages only") end
  T.eq(#by["page number"], 2, "body pages are numbered")
  local pdf = book:save(dir .. "/c.pdf")[1]
  local text = run { "pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", pdf, "-" }
  T.ok(text:find(TITLE, 1, true) and text:find("Spring–Summer 2027", 1, true), "the cover's text: " .. text)
  local body = run { "pdftotext", "-enc", "UTF-8", "-f", "3", "-l", "3", pdf, "-" }
  T.ok(body:find("3%s*/%s*3"), "page numbers count the cover: " .. body)
end)

T.case("pages of every size and orientation keep their text inside its boxes", function()
  local dir = T.tmpdir()
  local inputs = fixtures(dir, 3)
  for _, size in ipairs { "A4", "A3", "Letter", "Tabloid" } do
    for _, orientation in ipairs { "portrait", "landscape" } do
      local book = lookbook.new { title = TITLE, page = size, orientation = orientation, dpi = 72,
        contact = "press@ardent.example", header_note = "Delivery Jan 15 – Feb 28 · order by Oct 1" }
      book:section("linen")
      for _, p in ipairs(inputs) do book:add(p, { caption = { "Look", "seed 1" } }) end
      local info = book:inspect()
      check_boxes(info)
      T.ok(info.grid.y - (info.header.y + info.header.h) <= 0.05 * info.page_height, size .. " grid under the header")
    end
  end
end)

T.case("section labels: words by default, a table or a function, or the value as given", function()
  local dir = T.tmpdir()
  local p = fixtures(dir, 1)[1]
  T.eq(lookbook.label("match_reference"), "Match reference")
  T.eq(lookbook.label("Linen & wool"), "Linen & wool")
  local cases = {
    { nil, "match_base", "Match base" },
    { { match_base = "Same face" }, "match_base", "Same face" },
    { function(v) return v:upper() end, "match_base", "MATCH_BASE" },
    { false, "match_base", "match_base" },
  }
  for i, c in ipairs(cases) do
    local book = lookbook.new { section_labels = c[1] }
    book:section(c[2])
    book:add(p)
    local text = run { "pdftotext", "-enc", "UTF-8", book:save(dir .. "/s" .. i .. ".pdf")[1], "-" }
    T.ok(text:find(c[3], 1, true), string.format("case %d shows %q: %s", i, c[3], text))
  end
end)

T.case("a font that is not installed is refused by name; generic names are fontconfig's", function()
  local ok, err = pcall(lookbook.new, { font = "Helvetca Neue Nonexistent" })
  T.ok(not ok and err.name == "BadOption", "refused")
  T.match(err.message, 'font: no family "Helvetca Neue Nonexistent" is installed')
  T.ok(lookbook.new { font = "sans-serif" }, "a generic family is fine")
end)

T.case("a cover image that cannot be read is refused, naming it", function()
  local ok, err = pcall(lookbook.new, { title = "x", cover = { hero = "/nonexistent/hero.jpg" } })
  T.ok(not ok, "refused")
  T.match(err.message, "hero: .*/nonexistent/hero%.jpg")
  ok, err = pcall(lookbook.new, { cover = { season = {} } })
  T.ok(not ok and err.message:find("cover.season: expected a string", 1, true), "a wrong type is named")
end)
