-- studio_pipeline.lua — a studio's chain of models: a house model from model-create with
-- a face reference, each garment of a small catalog (catalog.csv) tried on her with
-- tryon-max, each look reframed to 4:5 for a product page and cut out with
-- background-remove for line sheets, all in a lookbook captioned with style and SKU.
-- Outputs go from step to step as the API's own URLs (nothing re-uploaded), and with the
-- journal a rerun (or a run killed half way and started again) buys no step twice.
-- The cost of every step is printed before anything is bought: 3 garments here make
-- 4 (the house model, 1k with a face) + 3 x 2 (try-ons) + 3 x 1 (reframes) + 3 x 1
-- (cut-outs) = 16 credits with a key.
--   bin/atelier examples/studio_pipeline.lua [outdir]
--   -> outdir/house.png, outdir/looks/<sku>.png, outdir/cutouts/<sku>.png,
--      outdir/studio.pdf and outdir/studio/index.html
local fashn = require "fashn"
local lookbook = require "lookbook"
local recipe = require "recipe"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local out = arg[1] or "out"

local catalog = recipe.csv(here .. "/catalog.csv") -- records keyed by the header row
local face = here .. "/references/face.jpg"

-- The steps as input tables. Later steps take earlier outputs; for the price any image
-- stands in for them (fashn.cost reads no image).
local HOUSE = { prompt = "studio house model, natural light, neutral stance, full length", seed = 2026,
  face_reference = face, aspect_ratio = "3:4", resolution = "1k" }
local STAND_IN = face -- any image stands in for an earlier output when pricing
local steps = { HOUSE }
for _, g in ipairs(catalog) do
  steps[#steps + 1] = { model = "tryon-max", model_image = STAND_IN, product_image = here .. "/" .. g.image }
  steps[#steps + 1] = { model = "reframe", image = STAND_IN, aspect_ratio = "4:5" }
  steps[#steps + 1] = { model = "background-remove", image = STAND_IN }
end
print(string.format("studio: 1 house model + %d garments x (try-on, reframe, cut-out): %d credits", #catalog,
  fashn.cost(steps)))

-- 1. the house model
local house = fashn.run(HOUSE).images[1]
house:save(out .. "/house.png")

-- 2-4. per garment, in parallel: try-on, reframe to 4:5, cut-out
local looks = fashn.map(catalog, function(g)
  local look = fashn.run { model = "tryon-max", model_image = house, product_image = here .. "/" .. g.image }
  local framed = fashn.run { model = "reframe", image = look.images[1], aspect_ratio = "4:5" }
  local cut = fashn.run { model = "background-remove", image = framed.images[1] }
  framed.images[1]:save(out .. "/looks/" .. g.sku .. ".png")
  cut.images[1]:save(out .. "/cutouts/" .. g.sku .. ".png") -- a PNG that keeps its alpha
  return { garment = g, framed = framed.images[1], cut = cut.images[1] }
end)

local book = lookbook.new { title = "Studio", subtitle = "one house model · " .. #catalog .. " styles",
  layout = "grid", columns = 3, rows = 2, cell = "4:5", caption_lines = 2 }
book:section("Looks")
for _, l in ipairs(looks) do
  book:add(l.framed, { caption = { l.garment.style, l.garment.sku .. " · " .. l.garment.colour },
    meta = { sku = l.garment.sku, category = l.garment.category } })
end
book:section("Cut-outs")
for _, l in ipairs(looks) do
  book:add(l.cut, { caption = { l.garment.style, l.garment.sku } })
end
book:save(out .. "/studio.pdf")
book:save(out .. "/studio.html")
print(string.format("%s/studio.pdf, %s/studio/index.html: %d images on %d pages", out, out, book:count(), book:pages()))
