-- test_lookbook_html.lua — the web lookbook as a client opens it, in headless Chromium
-- (puppeteer-core from npm driving Debian's chromium) at 390, 1280 and 1920 px: no
-- horizontal overflow, every picture at least 90 % of its cell's width, right-sized
-- pictures (a wider one on a wide screen) linking to the full-resolution file, the cover
-- and sections as in the PDF, parameters hidden unless asked for and never internal ids,
-- the footer the book sets, and the print stylesheet giving the PDF's pages in order.
-- Skipped, saying why, without chromium, node or npm.
local T = require "testing"
local lookbook = require "lookbook"
local png = require "pngfixture"
local pup = require "puppeteer"
local cjson = require "cjson"

local function open(index, widths, print_to)
  local out = pup.run("html_check.js", "file://" .. pup.abs(index), widths, print_to)
  local views = {}
  for line in out:gmatch("[^\n]+") do
    local v = cjson.decode(line)
    views[v.width] = v
  end
  return views
end

T.case("a lookbook web page fills phone to wide screens, links full-resolution files, prints as the PDF", function()
  local dir = T.tmpdir()
  local files = {}
  for i = 1, 7 do
    files[i] = png.write(string.format("%s/look-%d.png", dir, i), 900, 1200, { (i * 37) % 256, 120, (i * 53) % 256 })
  end
  local book = lookbook.new { title = "Maison Ardent — SS27", subtitle = "Casting", columns = 4, rows = 2,
    cover = { season = "SS27", hero = files[1] }, contact = "press@ardent.example", footer = "All rights reserved" }
  book:section("match_base")
  for i = 1, 5 do
    book:add(files[i], { caption = { "Look " .. i, "seed " .. i },
      meta = { seed = i, prediction = "pred-internal-" .. i, prediction_id = "x-" .. i } })
  end
  book:section("match_reference")
  for i = 6, 7 do book:add(files[i], { caption = "Look " .. i }) end
  local index = book:save(dir .. "/web.html")[1]
  local pdf = book:save(dir .. "/book.pdf")[1]
  local views = open(index, "390,1280,1920", dir .. "/printed.pdf")
  for _, w in ipairs { 390, 1280, 1920 } do
    local v = views[w]
    T.ok(v, "a view at " .. w .. " px")
    T.ok(v.scrollWidth <= v.innerWidth, string.format("%d px: no horizontal overflow (%d)", w, v.scrollWidth))
    T.eq(#v.figures, 7)
    for i, f in ipairs(v.figures) do
      T.ok(f.loaded, string.format("%d px: image %d loaded", w, i))
      T.ok(f.img >= 0.9 * f.cell, string.format("%d px: image %d is %.0f px in a %.0f px cell", w, i, f.img, f.cell))
      T.ok(f.href and f.href:match("^full/.*%.png$"), "links its full-resolution file: " .. tostring(f.href))
      local full = io.open(dir .. "/web/" .. f.href, "rb")
      T.ok(full, "the full-resolution file is there")
      if full then
        T.eq(#full:read("a"), #T.read_file(files[i]), "byte for byte the source")
        full:close()
      end
      if w == 1920 then
        T.ok(f.natural >= f.img * 0.9, string.format("1920 px: a picture wide enough (%d px for %.0f)", f.natural, f.img))
      end
    end
    T.ok(v.cover, "the cover shows")
    T.eq(v.sections, { "Match base", "Match reference" }, "sections labelled as in the PDF")
    T.eq(v.details, 0, "parameters hidden unless asked for")
    T.ok(not v.text:find("pred-internal", 1, true), "no internal id anywhere")
    T.match(v.footer, "press@ardent%.example · All rights reserved", "the footer the book sets")
  end
  T.ok(views[390].figures[1].cell < views[1920].figures[1].cell / 2, "cells grow with the screen")
  local pages = function(path)
    local r = T.run { "pdfinfo", path }
    return tonumber(r.stdout:match("Pages:%s+(%d+)"))
  end
  T.eq(pages(dir .. "/printed.pdf"), pages(pdf), "printing the web page gives the PDF's pages")
  local first = T.run { "pdftotext", "-f", "2", "-l", "2", dir .. "/printed.pdf", "-" }.stdout
  T.ok(first:find("Look 1", 1, true) and first:find("Match base", 1, true) and not first:find("Look 6", 1, true),
    "printed page 2 is the PDF's page 2: " .. first)
end, { timeout = 180 })

T.case("parameters when asked for, without internal ids; line-sheet fields always", function()
  local dir = T.tmpdir()
  local f = png.write(dir .. "/a.png", 90, 120, { 10, 20, 30 })
  local book = lookbook.new { parameters = true, fields = { { "sku", "Style no." } } }
  book:add(f, { caption = "A", meta = { seed = 7, prediction = "pred-x", job_id = "j-1", sku = "SS27-001" } })
  local views = open(book:save(dir .. "/p.html")[1], "390,1280,1920")
  for _, w in ipairs { 390, 1280, 1920 } do
    T.ok(views[w].scrollWidth <= views[w].innerWidth, w .. " px: the fields table does not overflow")
  end
  local v = views[1280]
  T.eq(v.details, 1, "a parameters box")
  T.ok(v.text:find("SS27-001", 1, true), "the field shows")
  local html = T.read_file(dir .. "/p/index.html")
  T.ok(html:find("<dt>seed</dt>", 1, true), "parameters listed")
  T.ok(not html:find("pred-x", 1, true) and not html:find("j-1", 1, true), "never internal ids")
end, { timeout = 120 })
