-- hello.lua — one image: the smallest recipe. Submit one Model Create job, wait for it,
-- save the image. Without FASHN_API_KEY it runs on the embedded emulator (a placeholder
-- image, no credits); with a key it costs 1 credit.
--   bin/atelier examples/hello.lua [outdir]      -> outdir/hello.png (default out/)
local fashn = require "fashn"

local out = arg[1] or "out"

local result = fashn.run {
  prompt = "tall model in a linen suit, golden hour, rooftop",
  aspect_ratio = "3:4",
  seed = 7,
}
local img = result.images[1]
img:save(out .. "/hello.png") -- the prompt, seed and inputs are embedded in the file
print(string.format("%s/hello.png  %dx%d  %d credit(s)  prediction %s", out, img.width, img.height,
  result.credits, result.id))
