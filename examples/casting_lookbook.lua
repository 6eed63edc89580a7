-- casting_lookbook.lua — a casting lookbook a studio can send: looks from a prompt
-- template (wildcards/looks.txt) x seeds x face_reference_mode for one face, a section
-- per mode, each image captioned with its look and seed, saved as a PDF and a web page.
-- The cost is printed before anything is bought; failed jobs are left out and listed.
-- 16 images with a face reference: 64 credits with a key.
--   bin/atelier examples/casting_lookbook.lua [outdir]
--   -> outdir/casting.pdf and outdir/casting/index.html (+ images/)
local fashn = require "fashn"
local recipe = require "recipe"
local lookbook = require "lookbook"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local out = arg[1] or "out"

-- __looks__ reads wildcards/looks.txt beside this script; each line is a template too
local looks = recipe.expand("model wearing a __looks__, editorial, full length")
local jobs_inputs = recipe.product({
  prompt = looks,
  seed = { 101, 102 },
  face_reference_mode = { "match_base", "match_reference" },
  face_reference = here .. "/references/face.jpg",
  aspect_ratio = "3:4",
}, { order = { "face_reference_mode", "prompt", "seed" } })

local credits = recipe.cost(jobs_inputs)
print(string.format("casting: %d looks x 2 seeds x 2 modes = %d images, up to %d credits", #looks, #jobs_inputs,
  credits))

local jobs = {}
for i, inputs in ipairs(jobs_inputs) do jobs[i] = fashn.submit(inputs) end
local results = fashn.gather(jobs, { raise = false })

-- a cover (title, subtitle, season, the first look as its hero), then body pages with a
-- running header and a footer carrying the contact; sections read "Match base"
local hero = nil
for _, r in ipairs(results) do
  if not r.error then hero = out .. "/cover-hero.png"; r.images[1]:save(hero); break end
end
local book = lookbook.new { title = "Casting", subtitle = "tailoring and slip dresses · one face, two modes",
  layout = "grid", columns = 4, rows = 2, cell = "3:4", caption_lines = 2,
  cover = { season = "SS27", date = os.date("!%d %B %Y"), hero = hero },
  contact = "Atelier Studio · casting@atelier.example · +33 1 23 45 67 89" }
local section, failed = nil, {}
for i, r in ipairs(results) do
  local inputs = jobs_inputs[i]
  if inputs.face_reference_mode ~= section then
    section = inputs.face_reference_mode
    book:section(section)
  end
  if r.error then
    failed[#failed + 1] = string.format("%s / %s / seed %d: %s", inputs.prompt, inputs.face_reference_mode,
      inputs.seed, tostring(r.error))
  else
    -- saved first: the web page links each picture to this full-resolution file
    local file = string.format("%s/looks/%02d-%s-seed%d.png", out, i, inputs.face_reference_mode, inputs.seed)
    r.images[1]:save(file)
    book:add(file, {
      caption = { inputs.prompt:match("wearing an? (.-),") or inputs.prompt, "seed " .. inputs.seed },
      meta = { prompt = inputs.prompt, seed = inputs.seed, face_reference_mode = inputs.face_reference_mode },
    })
  end
end
book:save(out .. "/casting.pdf")
book:save(out .. "/casting.html")
print(string.format("%s/casting.pdf, %s/casting/index.html: %d images on %d pages", out, out, book:count(), book:pages()))
for _, f in ipairs(failed) do print("left out: " .. f) end
