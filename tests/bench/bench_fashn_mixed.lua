-- bench_fashn_mixed.lua — a batch mixing seven FASHN models with clearly different
-- processing times (background-remove ~4 s ... image-to-video ~62 s on the contract's
-- clock, scaled by BENCH_TIME_SCALE, default 0.54) against fashn-emu with the API's limits
-- (6 unfinished predictions, 50 status requests per 10 s, 50 submits per minute), run by
-- atelier and, in the same run, by the official TypeScript SDK (npm `fashn` 0.11.1) on the
-- models it types. Each client gets its own fresh emulator.
--
-- The jobs are written the way a user lists a studio's pipeline: the model-create
-- explorations first, then the try-ons, edits, reframes, cut-outs and last the video clips
-- (grouped by model, in that order); atelier submits them all and gathers the results,
-- told the emulator's time scale, then learning it from scratch, then with fashn.map (each
-- job a task calling fashn.run, at most 6 tasks at once: the tasks take the jobs in the
-- written order, so that row cannot beat the in-order schedule below).
--
-- The ideal (printed with the table): every job holds one of the C = 6 slots from its
-- acceptance to its completion for d_i seconds, the duration the emulator planned for it
-- (its /_emu/predictions "seconds": queue + processing, scaled; the same inputs always get
-- the same duration, so atelier's run gives them for both clients). No schedule beats
--   LB = max(max d_i, sum d_i / C),
-- which is what wall/ideal is measured against (a lower bound: the best possible schedule
-- may be a little above it). Also printed: LPT, the makespan of starting the longest job
-- first whenever a slot frees (the best schedule a client knowing every duration gets by a
-- simple rule), and in-order, the makespan of starting them in the written order (what a
-- client that keeps the user's order reaches at best). Submits are not the bound here: 48
-- jobs fit in the 50-per-minute window.
--
-- For each client: wall / LB, status requests per job (server-side), 429s (server-side:
-- answered 429 by the emulator's limits, all self-inflicted since nothing else uses it),
-- jobs failed, and the mean delay between a prediction finishing on the emulator
-- (finished_at, CLOCK_MONOTONIC) and the client noticing it (atelier.now; node's hrtime:
-- both CLOCK_MONOTONIC).
-- Env: BENCH_JOBS (48: the mix below, scaled), BENCH_TIME_SCALE (0.54), BENCH_SKIP_SDK=1,
-- BENCH_SKIP_LEARNING=1, BENCH_SKIP_MAP=1 (leave those rows out), BENCH_VERBOSE=1 (each
-- job's times, the client's and the server's, on stderr).
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../lib/?.lua;" .. package.path
local T = require "testing"
local E = require "emu"
local PNG = require "pngfixture"
local SDK = require "sdk"
local cjson = require "cjson"
local B = require "benchstats"
local server_side, why = B.server_side, B.why

local N = tonumber(os.getenv("BENCH_JOBS") or "") or 48
local SCALE = tonumber(os.getenv("BENCH_TIME_SCALE") or "") or 0.54
local C = 6

-- The mix for 48 jobs, in the written order; `sdk` = typed by SDK 0.11.1 (tryon-max and
-- edit are not: they are left out of its row).
local MIX = {
  { model = "model-create", n = 12, sdk = true },
  { model = "tryon-max", n = 4 },
  { model = "tryon-v1.6", n = 8, sdk = true },
  { model = "edit", n = 6 },
  { model = "reframe", n = 6, sdk = true },
  { model = "background-remove", n = 8, sdk = true },
  { model = "image-to-video", n = 4, sdk = true },
}

-- Small PNGs, one per job and image field (a colour of their own, so the emulator's
-- per-input durations differ): a 2:3 person-like image for model_image/image (taller than
-- wide: tryon-v1.6 refuses a wide one; not 4:5: reframe refuses an image already at its
-- target ratio), a square one for garments.
local dir = T.tmpdir()
local function png(name, w, h, i, salt)
  local path = string.format("%s/%s-%02d.png", dir, name, i)
  T.write_file(path, PNG.encode(w, h, { (i * 37 + salt) % 256, (i * 91 + salt * 3) % 256, (i * 53 + 7) % 256 }))
  return path
end

-- The jobs: { model, inputs (image fields as local paths), sdk = bool }.
local jobs = {}
for _, m in ipairs(MIX) do
  local n = math.max(1, math.floor(m.n * N / 48 + 0.5))
  for _ = 1, n do
    local i = #jobs + 1
    local person, garment = png("person", 32, 48, i, 11), png("garment", 32, 32, i, 29)
    local inputs
    if m.model == "model-create" then
      inputs = { prompt = "bench look " .. i, seed = i }
    elseif m.model == "tryon-max" then
      inputs = { model_image = person, product_image = garment, seed = i }
    elseif m.model == "tryon-v1.6" then
      inputs = { model_image = person, garment_image = garment, category = "tops", seed = i }
    elseif m.model == "edit" then
      inputs = { image = person, prompt = "add a scarf " .. i, seed = i }
    elseif m.model == "reframe" then
      inputs = { image = person, aspect_ratio = "4:5", seed = i }
    elseif m.model == "background-remove" then
      inputs = { image = person }
    elseif m.model == "image-to-video" then
      inputs = { image = person, prompt = "turns slowly " .. i, duration = 5, resolution = "480p" }
    end
    jobs[i] = { model = m.model, inputs = inputs, sdk = m.sdk or false }
  end
end
N = #jobs
T.write_file(dir .. "/jobs.json", cjson.encode(jobs))

-- The recipe a user writes: submit every job in order, gather the results.
local RECIPE = [[
local fashn, atelier, cjson = require "fashn", require "atelier", require "cjson"
local jobs = cjson.decode(io.open(arg[1]):read("a"))
local scale, how = tonumber(arg[2]), arg[3]
if scale then fashn.configure{ time_scale = scale } end
for _, j in ipairs(jobs) do
  if j.model ~= "model-create" then j.inputs.model = j.model end
end
local t0 = atelier.now()
local results, queued = {}, {}
local sampling = os.getenv("BENCH_VERBOSE") ~= nil
if sampling then -- the status requests sent, every half second
  atelier.spawn(function()
    while sampling do
      local st = fashn.stats()
      io.stderr:write(string.format("t %.1f status %d running %d\n", atelier.now() - t0, st.status_requests, st.running))
      atelier.sleep(0.5)
    end
  end)
end
if how == "map" then -- each job in its own task, at most the client's concurrency at once
  results = fashn.map(jobs, function(j, i)
    queued[i] = atelier.now() -- r.timing counts from here
    return fashn.run(j.inputs, { raise = false })
  end)
else -- submit them all, gather the results
  local list = {}
  for i, j in ipairs(jobs) do
    queued[i] = atelier.now()
    list[i] = fashn.submit(j.inputs)
  end
  results = fashn.gather(list, { raise = false })
end
local wall = atelier.now() - t0
sampling = false
local ids, noticed, failed, why = {}, {}, 0, {}
for i, r in ipairs(results) do
  if r.error then
    failed = failed + 1
    why[r.error.name] = (why[r.error.name] or 0) + 1
  else
    ids[i] = r.id
    noticed[r.id] = queued[i] + r.timing.noticed
    if os.getenv("BENCH_VERBOSE") then
      io.stderr:write(string.format("%2d %-18s %s queued %.2f submitted %.2f accepted %.2f noticed %.2f done %.2f\n",
        i, jobs[i].model, r.id, queued[i] - t0, queued[i] - t0 + r.timing.submitted, queued[i] - t0 + r.timing.accepted,
        queued[i] - t0 + r.timing.noticed, queued[i] - t0 + r.timing.done))
    end
  end
end
print(cjson.encode{ wall = wall, ids = ids, noticed = noticed, failed = failed, why = why, t0 = t0 })
]]


-- The mean of noticed[id] - finished_at over the predictions both know.
local function notice_delay(noticed, preds)
  local sum, k = 0, 0
  for id, t in pairs(noticed) do
    local p = preds[id]
    if p and p.finished_at then
      sum, k = sum + (t - p.finished_at), k + 1
    end
  end
  return k > 0 and sum / k or nil
end

local function run_atelier(told, how)
  local emu <close> = E.start{ ["time-scale"] = SCALE }
  T.write_file(dir .. "/batch.lua", RECIPE)
  local argv = { T.atelier, "-q", "--base-url", emu.url, dir .. "/batch.lua", dir .. "/jobs.json",
    told and tostring(SCALE) or "-", how or "gather" }
  local r = T.run(argv, { env = { FASHN_API_KEY = E.KEY }, cwd = dir })
  if r.code ~= 0 then error("atelier failed: " .. r.stderr) end
  local out = cjson.decode(r.stdout:match("[^\n]+"))
  out.server = server_side(emu)
  out.delay = notice_delay(out.noticed, out.server.preds)
  out.n = N
  if os.getenv("BENCH_VERBOSE") then -- each job: the client's times, then the server's
    io.stderr:write(r.stderr)
    for i = 1, N do
      local p = out.ids[i] and out.server.preds[out.ids[i]]
      if p then
        io.stderr:write(string.format("%2d server seconds %.2f finished %.2f\n", i, p.seconds,
          (p.finished_at or 0) - out.t0))
      end
    end
  end
  return out
end

local function run_sdk(modules, subset)
  local emu <close> = E.start{ ["time-scale"] = SCALE }
  local list = {}
  for _, i in ipairs(subset) do list[#list + 1] = jobs[i] end
  T.write_file(dir .. "/sdk_jobs.json", cjson.encode(list))
  local r = T.run({ "node", here .. "/sdk_batch.js" }, { env = { NODE_PATH = modules, FASHN_BASE_URL = emu.url,
    JOBS_FILE = dir .. "/sdk_jobs.json" } })
  if r.code ~= 0 then error("the SDK batch failed: " .. r.stderr:sub(1, 500)) end
  local out = cjson.decode(r.stdout:match("[^\n]+"))
  out.server = server_side(emu)
  out.delay = notice_delay(out.noticed or {}, out.server.preds)
  out.n = #subset
  return out
end

-- The schedules over durations d (seconds) with C slots: the lower bound, longest first,
-- and in the given order (list scheduling: each job takes the slot that frees first).
local function list_schedule(d)
  local slot = {}
  for s = 1, C do slot[s] = 0 end
  for _, x in ipairs(d) do
    local best = 1
    for s = 2, C do if slot[s] < slot[best] then best = s end end
    slot[best] = slot[best] + x
  end
  local last = 0
  for s = 1, C do last = math.max(last, slot[s]) end
  return last
end

local function ideals(d)
  local sum, max = 0, 0
  for _, x in ipairs(d) do sum, max = sum + x, math.max(max, x) end
  local sorted = table.move(d, 1, #d, 1, {})
  table.sort(sorted, function(a, b) return a > b end)
  return { lb = math.max(max, sum / C), lpt = list_schedule(sorted), fifo = list_schedule(d), sum = sum,
    max = max }
end


local counts = {}
for _, j in ipairs(jobs) do counts[j.model] = (counts[j.model] or 0) + 1 end
local mixline = {}
for _, m in ipairs(MIX) do mixline[#mixline + 1] = string.format("%d %s", counts[m.model] or 0, m.model) end
print(string.format("%d jobs (%s), time scale %g, %d at a time", N, table.concat(mixline, ", "), SCALE, C))

local rows = {}
local first = run_atelier(true)
rows[#rows + 1] = { "atelier", first }
-- The planned duration of every job, from the run where atelier bought them all.
local d, per_model = {}, {}
for i = 1, N do
  local p = first.ids[i] and first.server.preds[first.ids[i]]
  d[i] = p and p.seconds
  if not d[i] then error("no planned duration for job " .. i .. " (" .. jobs[i].model .. ")") end
  local pm = per_model[jobs[i].model] or { sum = 0, n = 0 }
  pm.sum, pm.n = pm.sum + d[i], pm.n + 1
  per_model[jobs[i].model] = pm
end
local parts = {}
for _, m in ipairs(MIX) do
  local pm = per_model[m.model]
  if pm then parts[#parts + 1] = string.format("%s %.1f", m.model, pm.sum / pm.n) end
end
print("mean planned seconds: " .. table.concat(parts, ", "))
local ideal = ideals(d)
first.ideal = ideal
if os.getenv("BENCH_SKIP_LEARNING") ~= "1" then
  rows[#rows + 1] = { "atelier (learning)", run_atelier(false) }
  rows[#rows][2].ideal = ideal
end
if os.getenv("BENCH_SKIP_MAP") ~= "1" then
  rows[#rows + 1] = { "atelier, fashn.map", run_atelier(true, "map") }
  rows[#rows][2].ideal = ideal
end

if os.getenv("BENCH_SKIP_SDK") ~= "1" then
  local modules, err = SDK.install()
  if modules then
    local subset, ds = {}, {}
    for i, j in ipairs(jobs) do
      if j.sdk then subset[#subset + 1] = i; ds[#ds + 1] = d[i] end
    end
    local r = run_sdk(modules, subset)
    r.ideal = ideals(ds)
    rows[#rows + 1] = { "fashn SDK " .. SDK.VERSION .. " *", r }
  else
    print("skipping the SDK: " .. err)
  end
end

print(string.format("%-20s %5s %8s %8s %8s %8s %10s %14s %6s %7s %9s  %s", "client", "jobs", "wall s", "LB s",
  "LPT s", "order s", "wall/LB", "status req/job", "429s", "failed", "notice s", "failures"))
for _, row in ipairs(rows) do
  local name, r = row[1], row[2]
  local id = r.ideal
  print(string.format("%-20s %5d %8.1f %8.1f %8.1f %8.1f %10.3f %14.2f %6d %7d %9s  %s", name, r.n, r.wall, id.lb,
    id.lpt, id.fifo, r.wall / id.lb, r.server.status / r.n, r.server.n429, r.failed,
    r.delay and string.format("%.3f", r.delay) or "-", why(r.why)))
end
print("LB = max(longest job, sum of durations / 6); LPT = longest first; order = as written.")
print("* the SDK runs the jobs of the models 0.11.1 types (not tryon-max, edit), against their own ideal.")
