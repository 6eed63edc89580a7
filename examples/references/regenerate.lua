-- regenerate.lua — makes the two small reference images the examples use, from the
-- embedded emulator (deterministic: the same prompt and seed give the same bytes), so
-- they are ours to ship: face.jpg (a head cropped from an emulated portrait) and pose.jpg
-- (an emulated full-length figure). Run it only to remake them; the examples read the
-- committed files:  bin/atelier --emulator examples/references/regenerate.lua
local fashn = require "fashn"
local here = arg[0]:match("^(.*)/[^/]*$") or "."

local portrait = fashn.run { prompt = "studio portrait, neutral background", seed = 7, aspect_ratio = "1:1" }
local face = portrait.images[1]:copy()
face:crop { x = 300, y = 60, width = 220, height = 220 }
face:resize { width = 192 }
face:save(here .. "/face.jpg", { quality = 88, meta = false })

local figure = fashn.run { prompt = "full-length pose reference, arms out", seed = 11, aspect_ratio = "2:3" }
local pose = figure.images[1]:copy()
pose:resize { width = 320 }
pose:save(here .. "/pose.jpg", { quality = 85, meta = false })
print(here .. "/face.jpg", here .. "/pose.jpg")
