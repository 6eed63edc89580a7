-- pose_from_reference.lua — image_reference guides composition and pose: three outfits
-- (a prompt template) in the pose of references/pose.jpg. With no aspect_ratio the output
-- takes the reference's (2:3 here). A grid with the outfits along x and two seeds along
-- y, and each look saved on its own. 6 credits with a key.
--   bin/atelier examples/pose_from_reference.lua [outdir]
--   -> outdir/pose_from_reference.png and outdir/pose_from_reference/look-N-seed-S.png
local recipe = require "recipe"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local out = arg[1] or "out"

local outfits = { "linen suit", "silk slip dress", "denim jacket" }
local prompts = recipe.expand("full-length model in a {linen suit|silk slip dress|denim jacket}, white studio")

local report = recipe.grid {
  base = { image_reference = here .. "/references/pose.jpg" },
  x = { prompt = prompts, labels = outfits, name = "outfit" },
  y = { seed = { 21, 22 } },
  title = "Pose from a reference",
  cell = "2:3",
  out = out .. "/pose_from_reference.png",
  cell_width = 240,
}
for _, cell in ipairs(report.cells) do
  if cell.image then
    cell.image:save(string.format("%s/pose_from_reference/look-%d-seed-%d.png", out, cell.x, cell.inputs.seed))
  end
end
print(string.format("%s: %d looks, %d credits", report.files[1], #report.cells, report.credits))
