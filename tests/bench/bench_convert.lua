-- bench_convert.lua — a recipe that saves every output of a 48-job batch (4 images each)
-- as WebP while the batch runs, against fashn-emu, with the codecs on the loop
-- thread alone (workers = 1, what atelier did before its worker pool) and with the
-- default pool (one thread per CPU), in the same run. For each: wall time, peak RSS, and
-- the mean delay between a prediction finishing on the emulator (its finished_at, on the
-- same monotonic clock as atelier.now) and atelier noticing it. The emulator runs as its
-- own process on the same CPUs, the embedded one's clock (time scale 0.05) and the API's
-- limits, so its rendering competes with the conversions as it does in-process, but a
-- late render is not counted as a late notice.
-- Then the same recipe saving the delivered PNGs (no conversion), as the floor.
-- Goals (issue "Images at scale"): default-pool wall <= 0.65x the one-worker wall, peak
-- RSS <= 150 MB, notice delay <= 0.2 s.
-- Env: BENCH_JOBS (48), BENCH_IMAGES (4), BENCH_EMU_SCALE (0.05, the embedded default).
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../lib/?.lua;" .. package.path
local T = require "testing"
local E = require "emu"
local cjson = require "cjson"

local N = tonumber(os.getenv("BENCH_JOBS") or "") or 48
local IMAGES = tonumber(os.getenv("BENCH_IMAGES") or "") or 4
local SCALE = tonumber(os.getenv("BENCH_EMU_SCALE") or "") or 0.05

local RECIPE = [[
local fashn, atelier, image, cjson = require "fashn", require "atelier", require "image", require "cjson"
local n, k, workers, ext, out, scale = tonumber(arg[1]), tonumber(arg[2]), arg[3], arg[4], arg[5], tonumber(arg[6])
fashn.configure{ time_scale = scale } -- told the emulator's clock, as with the embedded one
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
print(cjson.encode{ wall = wall, noticed = noticed, failed = failed,
  rss_mb = tonumber(hwm) / 1024, workers = image.configure{}.workers })
]]

local function run(workers, ext)
  local emu <close> = E.start{ ["time-scale"] = SCALE }
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

print(string.format("%d jobs x %d images, fashn-emu at time scale %g (a job takes %.2f s)", N, IMAGES,
  SCALE, 12 * SCALE))
local rows = {
  { "webp, 1 worker (loop)", run("1", "webp") },
  { "webp, default pool", run("default", "webp") },
  { "png as delivered", run("default", "png") },
}
print(string.format("%-24s %8s %8s %10s %10s %7s", "recipe", "workers", "wall s", "peak MB", "notice s", "failed"))
for _, row in ipairs(rows) do
  local r = row[2]
  print(string.format("%-24s %8d %8.2f %10.1f %10.3f %7d", row[1], r.workers, r.wall, r.rss_mb, r.delay or -1,
    r.failed))
end
local one, pool = rows[1][2], rows[2][2]
local ratio = pool.wall / one.wall
print(string.format("wall, default pool / one worker: %.2fx (goal <= 0.65x)", ratio))
print(string.format("peak RSS with the pool: %.1f MB (goal <= 150 MB)", pool.rss_mb))
local floor = rows[3][2].delay or 0
print(string.format("notice delay while converting: %.3f s with the pool, %.3f s on the loop thread (goal <= 0.2 s)",
  pool.delay or -1, one.delay or -1))
-- At short job times the API's status budget (50 per 10 s, which the client keeps to)
-- bounds how soon any finish can be seen, conversions or not: the PNG row measures that
-- floor, and what conversions add to it is atelier's own delay.
print(string.format("added by the conversions (over the PNG row's %.3f s): %+.3f s with the pool, %+.3f s on the loop thread",
  floor, (pool.delay or 0) - floor, (one.delay or 0) - floor))
T.cleanup()
