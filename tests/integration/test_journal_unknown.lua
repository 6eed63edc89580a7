-- test_journal_unknown.lua — the one window nobody can see into: a submit request that
-- went out and whose prediction id never came back (the process was killed while it
-- waited for the answer, or the connection dropped). The API has no idempotency key and
-- no list of predictions, so the outcome is unknown: the journal reports it and never
-- submits it again unless the user asks (retry_unknown = true, --retry-unknown).
-- The kill is deterministic: the emulator answers POST /v1/run after 3 s, and the test
-- kills atelier once the emulator has accepted the requests.
local T = require "testing"
local E = require "emu"
local J = require "journal_run"

local RECIPE = [[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.05 }
local retry = os.getenv("RETRY_FIRST") and { retry_unknown = true } or nil
local jobs = {
  fashn.submit({ prompt = "first look, wool coat", seed = 11 }, retry),
  fashn.submit{ prompt = "second look, denim", seed = 12, num_images = 2 },
}
for i, r in ipairs(fashn.gather(jobs, { raise = false })) do
  if r.error then print(("look %d: %s: %s"):format(i, r.error.name, r.error.message))
  else print(("look %d: %s cached=%s"):format(i, r.id, tostring(r.cached))) end
end
]]

T.case("a run killed while its submits await an answer leaves them unknown, reported, not resubmitted", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05, ["slow-ms"] = 3000, ["fault-endpoints"] = "run" }
  local ws = J.workspace(RECIPE)
  local p = J.start(emu, ws)
  T.ok(require("proc").wait_until(function() return emu:stats().run_accepted == 2 end, 30),
    "both submits reached the emulator")
  p:kill("KILL") -- their answers are 3 s away: the ids are never recorded
  T.eq(p:wait(10), 137, "killed")

  local rep = J.report(ws.journal)
  T.eq(rep.counts.unknown, 2, "the report of the dead run shows both as unknown")
  T.match(rep.text, "\"first look, wool coat\", seed 11, 1 image, 1 credit")
  T.match(rep.text, "\"second look, denim\", seed 12, 2 images, 2 credits")
  T.match(rep.text, "up to 3", "what may have been spent")
  T.match(rep.text, "%-%-retry%-unknown", "says how to resubmit")

  local r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.match(r.stderr, "2 earlier submissions stopped between sending and recording the prediction id",
    "the rerun says so on stderr")
  T.match(r.stdout, "look 1: SubmitOutcomeUnknown: an earlier run sent this job", "job 1 fails as unknown")
  T.match(r.stdout, "look 2: SubmitOutcomeUnknown: .*%-%-retry%-unknown", "job 2 too, saying what to do")
  T.eq(emu:stats().run_accepted, 2, "nothing was submitted again")

  r = J.run(emu, ws, { env = { RETRY_FIRST = "1" } })
  J.check(r, 0, "rerun with retry_unknown = true for job 1")
  T.match(r.stderr, "submitting again although an earlier submit's outcome is unknown", "warned")
  T.match(r.stdout, "look 1: [%w-]+ cached=false", "job 1 submitted again")
  T.match(r.stdout, "look 2: SubmitOutcomeUnknown", "job 2 still left alone")
  T.eq(emu:stats().run_accepted, 3, "exactly the opted-in job was submitted")

  r = J.run(emu, ws, { args = { "--retry-unknown" } })
  J.check(r, 0, "rerun with --retry-unknown")
  T.match(r.stdout, "look 1: [%w-]+ cached=true", "job 1 comes from the journal")
  T.match(r.stdout, "look 2: [%w-]+ cached=false", "job 2 submitted again")
  T.eq(emu:stats().run_accepted, 4, "one more")
  rep = J.report(ws.journal)
  T.eq({ rep.counts.completed, rep.counts.unknown }, { 2, 0 }, "all settled")
end, { timeout = 120 })

T.case("a submit whose connection dropped is recorded unknown and a rerun sends nothing", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05, ["drop-rate"] = 1, ["fault-endpoints"] = "run" }
  local ws = J.workspace([[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.05 }
local r = fashn.run({ prompt = "velvet suit", seed = 3 }, { raise = false })
print(r.error and (r.error.name .. ": " .. r.error.message) or "completed")
]])
  local r = J.run(emu, ws)
  J.check(r, 0, "first run")
  T.match(r.stdout, "^SubmitOutcomeUnknown", "the transport could not know")
  local faults = emu:stats().faults
  local sent = (faults.drop_before or 0) + (faults.drop_after or 0)
  T.eq(sent, 1, "one request went out")
  T.eq(J.report(ws.journal).counts.unknown, 1, "recorded as unknown")

  r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.match(r.stdout, "^SubmitOutcomeUnknown: an earlier run sent this job", "reported again, from the journal")
  faults = emu:stats().faults
  T.eq((faults.drop_before or 0) + (faults.drop_after or 0), 1, "the rerun sent no request")
end, { timeout = 60 })
