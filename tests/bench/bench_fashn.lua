-- bench_fashn.lua — a 48-job batch against fashn-emu with the contract's limits
-- (6 unfinished predictions, 50 status requests per 10 s, 50 submits per minute) and the
-- processing time scaled (BENCH_TIME_SCALE, default 0.54: 12 s -> 6.48 s), run by atelier and,
-- in the same run, by the official TypeScript SDK (npm `fashn`, installed by `make deps`
-- from tests/npm) used the obvious way. Each client gets its own fresh emulator. For each:
-- wall time against the ideal ceil(N/6) x T, status requests per job (server-side),
-- 429s (server-side), jobs failed, and the mean delay between a prediction finishing and
-- the client noticing. atelier runs twice: told the emulator's time scale, and learning
-- it from scratch (what it does against a server it knows nothing about).
-- Env: BENCH_JOBS (48), BENCH_TIME_SCALE (0.54), BENCH_SKIP_SDK=1. The default keeps the
-- processing time off whole seconds: fashn-emu's times are exact, and a whole number would
-- line up with the SDK's fixed 1 s polling and hide the half second it loses on average
-- against the real service, whose times vary.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../lib/?.lua;" .. package.path
local T = require "testing"
local E = require "emu"
local cjson = require "cjson"
local B = require "benchstats"
local server_side, why = B.server_side, B.why

local N = tonumber(os.getenv("BENCH_JOBS") or "") or 48
local SCALE = tonumber(os.getenv("BENCH_TIME_SCALE") or "") or 0.54
local T_PROC = 12 * SCALE -- fashn-emu: 2 s queued + 10 s processing at 1k, scaled
local IDEAL = math.ceil(N / 6) * T_PROC
local SDK = require "sdk"
local SDK_VERSION = SDK.VERSION

local install_sdk = SDK.install


local RECIPE = [[
local fashn = require "fashn"
local atelier = require "atelier"
local cjson = require "cjson"
local n, t_proc, scale = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3])
if scale then fashn.configure{ time_scale = scale } end
local t0 = atelier.now()
local jobs = {}
for i = 1, n do jobs[i] = fashn.submit{ prompt = "bench look " .. i, seed = i } end
local results = fashn.gather(jobs, { raise = false })
local wall = atelier.now() - t0
local failed, sum, k, why = 0, 0, 0, {}
for _, r in ipairs(results) do
  if r.error then
    failed = failed + 1
    why[r.error.name] = (why[r.error.name] or 0) + 1
  else
    sum = sum + (r.timing.noticed - r.timing.accepted - t_proc)
    k = k + 1
  end
end
print(cjson.encode{ wall = wall, failed = failed, why = why, delay = k > 0 and sum / k or nil,
  client_429 = fashn.stats().http_429 })
]]

local function run_atelier(told)
  local emu <close> = E.start{ ["time-scale"] = SCALE }
  local dir = T.tmpdir()
  T.write_file(dir .. "/batch.lua", RECIPE)
  local argv = { T.atelier, "-q", "--base-url", emu.url, dir .. "/batch.lua", tostring(N), tostring(T_PROC) }
  if told then argv[#argv + 1] = tostring(SCALE) end
  local r = T.run(argv, { env = { FASHN_API_KEY = "bench-key" }, cwd = dir })
  if r.code ~= 0 then error("atelier failed: " .. r.stderr) end
  local out = cjson.decode(r.stdout:match("[^\n]+"))
  out.server = server_side(emu)
  return out
end

local function run_sdk(modules)
  local emu <close> = E.start{ ["time-scale"] = SCALE }
  local r = T.run({ "node", here .. "/sdk_batch.js" }, { env = { NODE_PATH = modules, FASHN_BASE_URL = emu.url,
    N = tostring(N), T_PROC = tostring(T_PROC) } })
  if r.code ~= 0 then error("the SDK batch failed: " .. r.stderr:sub(1, 500)) end
  local out = cjson.decode(r.stdout:match("[^\n]+"))
  out.server = server_side(emu)
  return out
end


print(string.format("%d jobs, 6 at a time, processing %.1f s (time scale %g): ideal ceil(%d/6) x %.1f = %.1f s",
  N, T_PROC, SCALE, N, T_PROC, IDEAL))
local rows = {}
rows[#rows + 1] = { "atelier", run_atelier(true) }
rows[#rows + 1] = { "atelier (learning)", run_atelier(false) }
if os.getenv("BENCH_SKIP_SDK") ~= "1" then
  local modules, err = install_sdk()
  if modules then rows[#rows + 1] = { "fashn SDK " .. SDK_VERSION, run_sdk(modules) }
  else print("skipping the SDK: " .. err) end
end

print(string.format("%-20s %8s %10s %14s %7s %7s %11s  %s", "client", "wall s", "wall/ideal",
  "status req/job", "429s", "failed", "notice s", "failures"))
for _, row in ipairs(rows) do
  local name, r = row[1], row[2]
  print(string.format("%-20s %8.1f %10.3f %14.2f %7d %7d %11s  %s", name, r.wall, r.wall / IDEAL,
    r.server.status / N, r.server.n429, r.failed, r.delay and string.format("%.3f", r.delay) or "-", why(r.why)))
end
