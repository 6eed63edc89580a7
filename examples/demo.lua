-- demo.lua — what `make demo` runs: several looks "generated" at once as tasks on one
-- event loop, finishing in about the time of the slowest. Until the FASHN client lands,
-- the generation is simulated with sleeps; the scheduling is the real thing.
local atelier = require "atelier"
local tasks = require "tasks"

local looks = {
  { prompt = "tall model in a linen suit, golden hour, rooftop", seed = 7 },
  { prompt = "model in a silk slip dress, studio, soft light", seed = 11 },
  { prompt = "model in a denim jacket, street, overcast", seed = 23 },
  { prompt = "model in a wool coat, snow, dusk", seed = 42 },
}

local t0 = atelier.now()
local results = tasks.map(looks, function(look, i)
  atelier.sleep(0.2 + 0.1 * i) -- stands in for submit + poll
  return string.format("look %d (seed %d) ready after %.1f s: %s", i, look.seed, atelier.now() - t0, look.prompt)
end, { concurrency = 6 })

for i = 1, results.n do print(results[i]) end
print(string.format("%d looks in %.1f s (sequentially: %.1f s)", results.n, atelier.now() - t0, 0.2 * 4 + 0.1 * 10))
