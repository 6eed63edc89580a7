-- demo.lua — what `make demo` runs: a seed sweep. Eight looks of one prompt, submitted at
-- once; atelier keeps at most 6 predictions in flight (the account's limit), polls them
-- within the status budget, downloads each image as it finishes and saves it under out/
-- with the inputs embedded. Without FASHN_API_KEY it runs on the embedded emulator (no
-- credits, placeholder images); with a key it runs for real: 8 credits.
local fashn = require "fashn"
local atelier = require "atelier"

local prompt = "tall model in a linen suit, golden hour, rooftop"
local out = arg and arg[1] or "out"

local t0 = atelier.now()
local jobs = {}
for seed = 1, 8 do
  jobs[#jobs + 1] = fashn.submit{ prompt = prompt, seed = seed, aspect_ratio = "3:4" }
end

for i, result in ipairs(fashn.gather(jobs)) do
  local img = result.images[1]
  local path = string.format("%s/look-seed%d.jpg", out, result.inputs.seed)
  img:save(path, { quality = 92 })
  print(string.format("%s  %dx%d  %d credit%s  %.1f s  (prediction %s)", path, img.width, img.height,
    result.credits, result.credits == 1 and "" or "s", result.elapsed, result.id))
end

local s = fashn.stats()
print(string.format("%d looks in %.1f s, %d status requests, %d credits", #jobs, atelier.now() - t0,
  s.status_requests, s.credits_spent))
