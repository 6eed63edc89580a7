-- face_modes.lua — the same face, two face_reference_modes: match_base keeps the
-- generated look and borrows the face, match_reference follows the reference more
-- closely. A labelled grid: seeds along x, modes along y. face_reference costs 4 credits
-- an image (24 with a key) and only works at resolution 1k.
--   bin/atelier examples/face_modes.lua [outdir]      -> outdir/face_modes.png
local recipe = require "recipe"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local out = arg[1] or "out"

local report = recipe.grid {
  base = {
    prompt = "model in an oversized knit sweater, studio, soft light",
    face_reference = here .. "/references/face.jpg", -- a local file: atelier sends it as a data: URI
    aspect_ratio = "4:5",
  },
  x = { seed = { 11, 12, 13 } },
  y = { face_reference_mode = { "match_base", "match_reference" } },
  out = out .. "/face_modes.png",
  cell_width = 256,
}
print(string.format("%s: %d cells, %d credits spent%s", report.files[1], #report.cells, report.credits,
  report.failed > 0 and (", " .. report.failed .. " failed") or ""))
