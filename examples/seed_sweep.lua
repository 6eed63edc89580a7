-- seed_sweep.lua — one prompt, eight seeds, side by side: a one-row labelled grid
-- (recipe.grid) plus every look saved on its own. Same prompt + same seed = same image,
-- so a sweep is how you find the seeds worth keeping. 8 credits with a key.
--   bin/atelier examples/seed_sweep.lua [outdir]
--   -> outdir/seed_sweep.png (the grid) and outdir/seed_sweep/seed-N.jpg
local recipe = require "recipe"

local out = arg[1] or "out"

local report = recipe.grid {
  base = { prompt = "model in a camel trench coat, city street, overcast", aspect_ratio = "3:4" },
  x = { seed = { 1, 2, 3, 4, 5, 6, 7, 8 } },
  out = out .. "/seed_sweep.png",
  cell_width = 240,
}

for _, cell in ipairs(report.cells) do
  if cell.image then cell.image:save(string.format("%s/seed_sweep/seed-%d.jpg", out, cell.inputs.seed)) end
end
print(string.format("%s: %d looks, %d failed, %d credits", report.files[1], #report.cells, report.failed,
  report.credits))
