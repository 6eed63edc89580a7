-- bench_convert.lua — a recipe that saves every output of a 48-job batch (4 images each)
-- as WebP while the batch runs, against fashn-emu, with the codecs on the loop
-- thread alone (workers = 1, what atelier did before its worker pool) and with the
-- default pool (one thread per CPU), in the same run. For each: wall time, peak RSS, and
-- the mean delay between a prediction finishing on the emulator (its finished_at, on the
-- same monotonic clock as atelier.now) and atelier noticing it. The emulator runs as its
-- own process on the same CPUs, on the embedded one's clock (time scale 0.05) with the
-- API's limits on that clock (rate windows scaled too, as the embedded emulator and its
-- client scale them: runtime/fashn/backend.c), so a late render is not counted as a
-- late notice. Without the scaled windows the status budget (50 requests per 10 real
-- seconds) would set the pace of 0.6 s jobs, a budget the real service never makes
-- binding at its own pace.
-- What it serves: FASHN draws its pictures on its own servers, so the client's machine
-- never pays for them; fashn-emu draws and PNG-encodes every output on the client's
-- CPUs (about 35 ms each, three quarters of it zlib and libpng), which on a 2-CPU
-- machine takes the second CPU from the pool in the one-worker run and from the
-- conversions in the pooled one. So by default one output is drawn by fashn-emu first
-- and then served as every output (--output-file): the client downloads, decodes and
-- converts the same picture at the same size as before, and the emulator only answers
-- HTTP. BENCH_EMU_RENDER=1 has it draw every output again, as the bench did before.
-- Then the same recipe saving the delivered PNGs (no conversion), as the floor.
-- Goals (issue "Images at scale"): default-pool wall <= 0.65x the one-worker wall, peak
-- RSS <= 150 MB, notice delay <= 0.2 s.
-- The three recipes take turns for BENCH_ROUNDS rounds; each row reports its best wall
-- (the round least disturbed by whatever else the machine runs) and every round's, the
-- highest peak RSS, the mean and worst notice delay over the rounds, and the CPU time
-- of its best round (all threads): the work itself, whatever the load.
-- Env: BENCH_JOBS (48), BENCH_IMAGES (4), BENCH_EMU_SCALE (0.05, the embedded default),
-- BENCH_EMU_RENDER (unset: pre-rendered outputs; 1: drawn by the emulator as it runs),
-- BENCH_ROUNDS (3).
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../lib/?.lua;" .. package.path
local T = require "testing"
local E = require "emu"
local cjson = require "cjson"

local N = tonumber(os.getenv("BENCH_JOBS") or "") or 48
local IMAGES = tonumber(os.getenv("BENCH_IMAGES") or "") or 4
local SCALE = tonumber(os.getenv("BENCH_EMU_SCALE") or "") or 0.05
local LIVE_RENDER = os.getenv("BENCH_EMU_RENDER") == "1"
local ROUNDS = tonumber(os.getenv("BENCH_ROUNDS") or "") or 3
local TICKS = tonumber(io.popen("getconf CLK_TCK"):read("l") or "") or 100

local RECIPE = [[
local fashn, atelier, image, cjson = require "fashn", require "atelier", require "image", require "cjson"
local n, k, workers, ext, out, scale = tonumber(arg[1]), tonumber(arg[2]), arg[3], arg[4], arg[5], tonumber(arg[6])
-- told the emulator's clock, and the API's rate windows on that clock, as the embedded
-- emulator's client is (runtime/fashn/backend.c, backend_apply)
fashn.configure{ time_scale = scale, run = { window = 60.5 * scale },
  poll = { window = 10.5 * scale, rate = 4.5 / scale, min_interval = math.max(0.1 * scale, 0.005),
    max_interval = math.max(0.8 * scale, 0.02) } }
if workers ~= "default" then image.configure{ workers = tonumber(workers) } end
local t0 = atelier.now()
local tasks, queued = {}, {}
for i = 1, n do
  queued[i] = atelier.now() -- r.timing counts from here (the job's queueing)
  local job = fashn.submit{ prompt = "bench look " .. i, seed = i, num_images = k }
  tasks[i] = atelier.spawn(function()
    local r = job:wait()
    for j, img in ipairs(r.images) do img:save(string.format("%s/%03d-%d.%s", out, i, j, ext)) end
    return r
  end)
end
local results = atelier.gather(tasks)
local wall = atelier.now() - t0
local noticed, failed = {}, 0
for i, r in ipairs(results) do
  if r.error then failed = failed + 1 else noticed[r.id] = queued[i] + r.timing.noticed end
end
local hwm = io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)")
-- CPU time of the whole process, every thread (utime + stime, in clock ticks)
local stat = io.open("/proc/self/stat"):read("a"):match("%) (.*)")
local f = {}
for v in stat:gmatch("%S+") do f[#f + 1] = v end
print(cjson.encode{ wall = wall, noticed = noticed, failed = failed, cpu_ticks = tonumber(f[12]) + tonumber(f[13]),
  rss_mb = tonumber(hwm) / 1024, workers = image.configure{}.workers })
]]

-- One output as fashn-emu draws it for this recipe's jobs (model-create, 1:1 at 1024x1024),
-- its bytes as delivered: what the emulator then serves as every output.
local PRERENDER = [[
local fashn, image = require "fashn", require "image"
local r = fashn.run{ prompt = "bench look 1", seed = 1, num_images = 1 }
local f = assert(io.open(arg[1], "wb"))
f:write(r.images[1]:bytes())
f:close()
print(r.images[1].width .. "x" .. r.images[1].height)
]]

local function prerender()
  local emu <close> = E.start{ ["time-scale"] = 0.01 }
  local dir = T.tmpdir()
  T.write_file(dir .. "/prerender.lua", PRERENDER)
  local r = T.run({ T.atelier, "-q", "--base-url", emu.url, dir .. "/prerender.lua", dir .. "/output.png" },
    { env = { FASHN_API_KEY = E.KEY }, cwd = dir })
  if r.code ~= 0 then error("pre-rendering an output failed: " .. r.stderr) end
  return dir .. "/output.png", r.stdout:match("%d+x%d+")
end

local OUTPUT, SIZE
if not LIVE_RENDER then OUTPUT, SIZE = prerender() end

local function run(workers, ext)
  -- the whole service on the scaled clock, its rate windows included, as the embedded
  -- emulator runs it (runtime/fashn/backend.c)
  local emu <close> = E.start{ ["time-scale"] = SCALE, ["output-file"] = OUTPUT, ["run-window"] = 60 * SCALE,
    ["status-window"] = 10 * SCALE, ["credits-window"] = 10 * SCALE }
  local dir = T.tmpdir()
  T.write_file(dir .. "/convert.lua", RECIPE)
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out"))
  local r = T.run({ T.atelier, "-q", "--base-url", emu.url, dir .. "/convert.lua", tostring(N), tostring(IMAGES),
    workers, ext, dir .. "/out", tostring(SCALE) }, { env = { FASHN_API_KEY = E.KEY }, cwd = dir })
  if r.code ~= 0 then error("the recipe failed: " .. r.stderr) end
  local res = cjson.decode(r.stdout:match("[^\n]+"))
  os.execute("rm -rf " .. T.shell_quote(dir .. "/out"))
  local sum, m = 0, 0
  for _, p in ipairs(emu:predictions()) do
    local seen = res.noticed[p.id]
    if seen and p.finished_at then
      sum = sum + (seen - p.finished_at)
      m = m + 1
    end
  end
  res.delay = m > 0 and sum / m or nil
  return res
end

print(string.format("%d jobs x %d images, fashn-emu at time scale %g (a job takes %.2f s); %s", N, IMAGES,
  SCALE, 12 * SCALE, LIVE_RENDER and "every output drawn by fashn-emu as it runs"
    or ("every output a %s picture fashn-emu drew before the runs (--output-file)"):format(SIZE)))
local rows = {
  { name = "webp, 1 worker (loop)", workers = "1", ext = "webp", runs = {} },
  { name = "webp, default pool", workers = "default", ext = "webp", runs = {} },
  { name = "png as delivered", workers = "default", ext = "png", runs = {} },
}
for _ = 1, ROUNDS do
  for _, row in ipairs(rows) do row.runs[#row.runs + 1] = run(row.workers, row.ext) end
end
for _, row in ipairs(rows) do
  local walls, dsum, dn = {}, 0, 0
  row.rss, row.worst, row.failed = 0, 0, 0
  for _, r in ipairs(row.runs) do
    walls[#walls + 1] = string.format("%.1f", r.wall)
    if not row.best or r.wall < row.best.wall then row.best = r end
    row.rss = math.max(row.rss, r.rss_mb)
    if r.delay then dsum, dn, row.worst = dsum + r.delay, dn + 1, math.max(row.worst, r.delay) end
    row.failed = row.failed + r.failed
  end
  row.walls = table.concat(walls, " ")
  row.delay = dn > 0 and dsum / dn or -1
end
print(string.format("%-22s %7s %6s %-18s %7s %7s %7s %6s %6s", "recipe", "workers", "best s", "every round s",
  "peak MB", "cpu s", "notice", "worst", "failed"))
for _, row in ipairs(rows) do
  print(string.format("%-22s %7d %6.2f %-18s %7.1f %7.1f %7.3f %6.3f %6d", row.name, row.best.workers, row.best.wall,
    row.walls, row.rss, row.best.cpu_ticks / TICKS, row.delay, row.worst, row.failed))
end
local one, pool = rows[1], rows[2]
local pairs_ = {}
for i = 1, ROUNDS do pairs_[i] = string.format("%.2f", pool.runs[i].wall / one.runs[i].wall) end
print(string.format("wall, default pool / one worker: %.2fx best against best (goal <= 0.65x); round by round: %s",
  pool.best.wall / one.best.wall, table.concat(pairs_, " ")))
print(string.format("peak RSS with the pool: %.1f MB (goal <= 150 MB)", pool.rss))
print(string.format("notice delay while converting: %.3f s with the pool (worst round %.3f), %.3f s on the loop thread (goal <= 0.2 s)",
  pool.delay, pool.worst, one.delay))
-- The PNG row, with no conversion at all, is the floor set by polling within the API's
-- limits; what conversions add to it is atelier's own delay.
print(string.format("added by the conversions (over the PNG row's %.3f s): %+.3f s with the pool, %+.3f s on the loop thread",
  rows[3].delay, pool.delay - rows[3].delay, one.delay - rows[3].delay))
T.cleanup()
