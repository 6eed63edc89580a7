-- test_journal_resume.lua — the journal's promise, end to end: a 24-job recipe against
-- fashn-emu, killed with SIGKILL at several moments and started again until it is done,
-- buys each job exactly once and loses no image; a finished recipe run again buys
-- nothing, and an edit buys only what changed.
--
-- About the kill moments. The API has no idempotency key and no way to list
-- predictions, so a kill between "the submit request went out" and "its id is recorded"
-- leaves an outcome nobody can know (test_journal_unknown.lua covers that case on its
-- own). The kills here are placed where no submit request can be on the wire, and each
-- is checked afterwards (no row left `submitting`), so the test is exact, not lucky:
--   1. before any id: the recipe blocks the process right after queueing its jobs
--      (os.execute("sleep") stalls the event loop, so nothing can be sent);
--   2. mid-batch: the first 6 jobs accepted (all 6 slots of the account busy until one
--      finishes, seconds later), 18 never sent;
--   3. during downloads: every job has its id, and a prediction is complete at the
--      server but its images are not yet stored (the emulator's CDN answers slowly).
local T = require "testing"
local E = require "emu"
local J = require "journal_run"
local png = require "pngfixture"

local SCALE = 0.2 -- a plain prediction takes 12 s x 0.2 = 2.4 s

-- 24 looks: every 4th has 2 images, looks 6 and 18 use a face reference file.
-- 16 x 1 + 6 x 2 + 2 x 4 (face_reference: 4 credits an image) = 36 credits, 30 images.
local RECIPE = [[
local fashn = require "fashn"
fashn.configure{ time_scale = tonumber(os.getenv("SCALE")) }
local face = os.getenv("FACE") or "face.png"
local change = tonumber(os.getenv("CHANGE_SEED") or "")
local jobs = {}
for i = 1, 24 do
  local inputs = { prompt = "look " .. i .. ", linen suit, rooftop", seed = 1000 + i, aspect_ratio = "3:4" }
  if i == change then inputs.seed = inputs.seed + 500 end
  if i % 4 == 0 then inputs.num_images = 2 end
  if i == 6 or i == 18 then inputs.face_reference = face end
  jobs[i] = fashn.submit(inputs)
end
print("queued " .. #jobs) io.stdout:flush()
if os.getenv("PAUSE") then os.execute("sleep 60") end -- stalls the loop: nothing is sent
local failed = 0
for i, r in ipairs(fashn.gather(jobs, { raise = false })) do
  if r.error then
    failed = failed + 1
    print(("look %d failed: %s"):format(i, tostring(r.error)))
  else
    for k, img in ipairs(r.images) do img:save(("out/look-%02d-%d.png"):format(i, k)) end
    print(("look %d %s cached=%s credits=%d images=%d"):format(i, r.id, tostring(r.cached), r.credits, #r.images))
  end
end
io.stdout:flush()
if failed > 0 then error(failed .. " looks failed") end
]]
local CREDITS, IMAGES = 36, 30

local function workspace()
  local ws = J.workspace(RECIPE)
  png.write(ws.dir .. "/face.png", 64, 80, { 200, 150, 120 })
  return ws
end

local function env(extra)
  local e = { SCALE = tostring(SCALE) }
  for k, v in pairs(extra or {}) do e[k] = v end
  return e
end

-- Every image the recipe saved exists and decodes at the size the API gives 3:4.
local function check_outputs(ws)
  local image = require "image"
  local n = 0
  for i = 1, 24 do
    for k = 1, (i % 4 == 0) and 2 or 1 do
      local path = string.format("%s/look-%02d-%d.png", ws.out, i, k)
      local ok, img = pcall(image.load, path)
      T.ok(ok, "output " .. path .. " exists and decodes: " .. tostring(img))
      T.eq({ img.width, img.height }, { 880, 1176 }, path .. " size")
      n = n + 1
    end
  end
  return n
end

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

T.case("a 24-job recipe killed before any id, mid-batch and during downloads buys each job once", function()
  local emu <close> = E.start{ ["time-scale"] = SCALE, ["slow-ms"] = 1500, ["fault-endpoints"] = "cdn" }
  local ws = workspace()

  -- 1. before any id: every job queued in the journal, nothing sent
  local p = J.start(emu, ws, { env = env { PAUSE = "1" } })
  T.ok(p:wait_output("queued 24", 30), "run 1 queued its jobs")
  local rep = J.report(ws.journal)
  T.eq(rep.counts.queued, 24, "run 1: every job recorded before anything was sent")
  p:kill("KILL")
  T.eq(p:wait(10), 137, "run 1 killed")
  T.eq(emu:stats().run_accepted, 0, "run 1 sent nothing")

  -- 2. mid-batch: 6 accepted (the account's slots are full until one finishes), 18 not sent
  p = J.start(emu, ws, { env = env() })
  local _, ok = J.wait_journal(ws.journal, function(c)
    return c.submitted == 6 and c.submitting == 0 and c.completed == 0
  end, 60)
  T.ok(ok, "run 2 reached 6 jobs in flight")
  p:kill("KILL")
  T.eq(p:wait(10), 137, "run 2 killed")
  rep = J.report(ws.journal)
  T.eq({ rep.counts.submitted, rep.counts.queued, rep.counts.submitting, rep.counts.unknown }, { 6, 18, 0, 0 },
    "run 2 was killed with 6 ids recorded, 18 never sent and no request on the wire")
  T.eq(emu:stats().run_accepted, 6, "run 2 bought 6")

  -- 3. during downloads: all 24 have ids; a prediction is complete at the server and its
  -- images are still on their way (the CDN answers after 1.5 s)
  p = J.start(emu, ws, { env = env() })
  _, ok = J.wait_journal(ws.journal, function(c)
    if c.queued + c.submitting > 0 or c.submitted == 0 then return false end
    local s = emu:stats()
    return (s.predictions.completed or 0) > c.completed and s.downloads > 0
  end, 90)
  T.ok(ok, "run 3 reached a moment with downloads in flight and every id recorded")
  p:kill("KILL")
  T.eq(p:wait(10), 137, "run 3 killed")
  rep = J.report(ws.journal)
  T.eq(rep.counts.submitting + rep.counts.queued + rep.counts.unknown, 0, "run 3: no request on the wire")
  T.ok(rep.counts.submitted > 0 and rep.counts.completed < 24, "run 3 was killed with jobs unfinished")
  T.eq(emu:stats().run_accepted, 24, "every job bought by the end of run 3, once")

  -- 4. the rest: polled by id, fetched, stored
  local r = J.run(emu, ws, { env = env() })
  J.check(r, 0, "run 4")
  T.eq(count(r.stdout, "\nlook %d+ "), 24, "run 4 reports every look")
  local s = emu:stats()
  T.eq(s.run_accepted, 24, "exactly 24 accepted submissions over the four runs")
  T.eq(s.run_refused, {}, "and no refused ones")
  T.eq(s.credits_charged, CREDITS, "the credits of 24 jobs, once")
  T.eq(check_outputs(ws), IMAGES, "every image saved and decodable")
  rep = J.report(ws.journal)
  T.eq(rep.counts.completed, 24, "the journal has every job completed")
  T.match(rep.text, "credits spent: " .. CREDITS .. "\n", "the report counts the credits once")
  T.match(rep.text, "jobs resumed by prediction id instead of resubmitted: %d+", "resumed jobs are reported")
  T.eq(#J.objects(ws), IMAGES, "one stored object per image")
end, { timeout = 300 })

T.case("a finished recipe run again buys nothing; renaming a reference nothing; one new seed one job", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05 }
  local ws = workspace()
  local e = { SCALE = "0.05" }
  J.check(J.run(emu, ws, { env = e }), 0, "first run")
  local before = emu:stats()
  T.eq(before.run_accepted, 24, "first run")

  local r = J.run(emu, ws, { env = e })
  J.check(r, 0, "second run")
  T.eq(count(r.stdout, "cached=true credits=0"), 24, "every result comes from the journal, at no cost")
  T.match(r.stderr, "journal: 24 jobs served from it, " .. CREDITS .. " credits saved", "and says so")
  local after = emu:stats()
  T.eq(after.run_accepted, before.run_accepted, "no run request")
  T.eq(after.status_requests, before.status_requests, "no status request")
  T.eq(after.downloads, before.downloads, "no download")
  T.eq(check_outputs(ws), IMAGES, "the stored images are saved again and decode")
  T.match(J.report(ws.journal).text, "credits saved by reuse: " .. CREDITS .. " %(24 submissions", "saved credits")

  os.rename(ws.dir .. "/face.png", ws.dir .. "/renamed-face.png")
  r = J.run(emu, ws, { env = { SCALE = "0.05", FACE = "renamed-face.png" } })
  J.check(r, 0, "run with the reference renamed")
  T.eq(emu:stats().run_accepted, 24, "a renamed reference file is the same job")

  r = J.run(emu, ws, { env = { SCALE = "0.05", FACE = "renamed-face.png", CHANGE_SEED = "5" } })
  J.check(r, 0, "run with one seed changed")
  T.eq(emu:stats().run_accepted, 25, "one changed seed buys exactly one job")
  T.eq(count(r.stdout, "cached=true"), 23, "the other 23 come from the journal")
  T.match(r.stdout, "look 5 [%w-]+ cached=false credits=1", "look 5 is new")
end, { timeout = 300 })
