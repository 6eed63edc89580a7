-- line_sheet.lua — a line sheet a buyer orders from: twelve styles from a spreadsheet
-- (line_sheet/styles.csv: names in English and Japanese, style numbers, colourways,
-- sizes, fabric, wholesale and retail prices, notes, and a prompt per style). Each
-- style's picture is generated from its prompt, then laid out with its fields under it:
-- a cover, a header with the season, delivery window and order cut-off, a footer with
-- the terms and the contact. 12 images: 12 credits with a key.
--   bin/atelier examples/line_sheet.lua [outdir]
--   -> outdir/line_sheet.pdf and outdir/line_sheet/index.html (+ images/)
-- Without generating anything, the same from the command line once the images exist:
--   atelier -m lookbook --line-sheet --season SS27 styles.csv -o line_sheet.pdf
local fashn = require "fashn"
local recipe = require "recipe"
local lookbook = require "lookbook"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local out = arg[1] or "out"

local styles = recipe.csv(here .. "/line_sheet/styles.csv")
print(string.format("line sheet: %d styles, up to %d credits", #styles,
  recipe.cost((function()
    local l = {}
    for i, s in ipairs(styles) do l[i] = { prompt = s.prompt, aspect_ratio = "3:4" } end
    return l
  end)())))

local jobs = {}
for i, s in ipairs(styles) do jobs[i] = fashn.submit { prompt = s.prompt, aspect_ratio = "3:4", seed = 27 } end
local results = fashn.gather(jobs, { raise = false })

-- the picture of each style goes into its record; the prompt is not for buyers
local items, failed = { header = {} }, {}
for _, col in ipairs(styles.header) do
  if col ~= "prompt" then table.insert(items.header, col) end
end
table.insert(items.header, "image")
for i, s in ipairs(styles) do
  if results[i].error then
    failed[#failed + 1] = s.sku .. ": " .. tostring(results[i].error)
  else
    s.image = string.format("%s/styles/%s.png", out, s.sku)
    results[i].images[1]:save(s.image)
    s.prompt = nil
    items[#items + 1] = s
  end
end

local book = lookbook.line_sheet {
  items = items, header = items.header, name = "name", subname = "name_ja",
  title = "Maison Ardent — SS27", subtitle = "Line sheet · wholesale",
  season = "Spring–Summer 2027", delivery = "15 Jan – 28 Feb 2027", order_by = "1 Oct 2026",
  terms = "Prices ex-works, EUR, excl. VAT · minimum order € 1,500 · payment 30 days",
  contact = "Maison Ardent · 12 rue des Archives, Paris · sales@ardent.example",
  cover = { date = "Paris, September 2026", hero = items[1] and items[1].image },
}
book:save(out .. "/line_sheet.pdf")
book:save(out .. "/line_sheet.html")
print(string.format("%s/line_sheet.pdf, %s/line_sheet/index.html: %d styles on %d pages", out, out, book:count(),
  book:pages()))
for _, f in ipairs(failed) do print("left out: " .. f) end
