-- test_journal_interrupt.lua — Ctrl-C in the middle of a batch. Once: nothing more is
-- submitted, the jobs in flight finish and are stored, the run says so and exits 130;
-- the rerun buys only the rest. Twice: the run quits at once, and the rerun collects the
-- jobs that were in flight by their ids instead of buying them again.
local T = require "testing"
local E = require "emu"
local J = require "journal_run"

local RECIPE = [[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.2, concurrency = 6 }
local jobs = {}
for i = 1, 12 do jobs[i] = fashn.submit{ prompt = "look " .. i .. ", organza", seed = 300 + i } end
for i, r in ipairs(fashn.gather(jobs, { raise = false })) do
  print(("look %d %s"):format(i, r.error and r.error.name or ("cached=" .. tostring(r.cached))))
end
]]

-- The first 6 are accepted and busy for seconds; the other 6 wait for a slot.
local function first_wave(c) return c.submitted == 6 and c.submitting == 0 and c.completed == 0 end

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

T.case("Ctrl-C once: nothing more is bought, what is in flight is finished and stored", function()
  local emu <close> = E.start{ ["time-scale"] = 0.2 }
  local ws = J.workspace(RECIPE)
  local p = J.start(emu, ws)
  local _, ok = J.wait_journal(ws.journal, first_wave, 60)
  T.ok(ok, "6 jobs in flight")
  p:kill("INT")
  T.eq(p:wait(60), 130, "exit status after an interrupted run")
  T.match(p:stderr(), "interrupted: submitting nothing more; jobs in flight will finish and be saved")
  local out = p:stdout()
  T.eq(count(out, "cached=false"), 6, "the 6 in flight finished: " .. out)
  T.eq(count(out, "Interrupted"), 6, "the 6 waiting were not submitted")
  local err = p:stderr()
  T.eq(count(err, "atelier: not submitted: the run was interrupted"), 6, "said once per job: " .. err)
  T.eq(count(err, "failed:"), 0, "not also as failed: " .. err)
  T.match(err, "atelier: 12 jobs: 6 done, 0 failed, 6 not submitted, 6 credits spent", "the summary counts them apart")
  local rep = J.report(ws.journal)
  T.eq({ rep.counts.completed, rep.counts.queued, rep.counts.submitting }, { 6, 6, 0 },
    "the finished ones are stored, the others never sent")
  T.eq(emu:stats().run_accepted, 6, "bought 6")

  local r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.eq(count(r.stdout, "cached=true"), 6, "the stored 6 come back")
  T.eq(count(r.stdout, "cached=false"), 6, "the other 6 are bought now")
  T.match(r.stderr, "atelier: 12 jobs: 12 done %(6 from the journal%), 0 failed, 6 credits spent",
    "the stored ones count as done")
  T.eq(emu:stats().run_accepted, 12, "12 in all, each once")
end, { timeout = 120 })

T.case("Ctrl-C twice: quits at once; the rerun polls the jobs that were in flight", function()
  local emu <close> = E.start{ ["time-scale"] = 0.2 }
  local ws = J.workspace(RECIPE)
  local p = J.start(emu, ws)
  local _, ok = J.wait_journal(ws.journal, first_wave, 60)
  T.ok(ok, "6 jobs in flight")
  p:kill("INT")
  T.ok(p:wait_output("interrupted:", 10, "stderr"), "the first Ctrl-C was heard")
  p:kill("INT")
  T.eq(p:wait(10), 130, "quits at once")
  T.match(p:stderr(), "interrupted again: quitting now")
  T.eq(count(p:stdout(), "look"), 0, "nothing finished before quitting")
  local rep = J.report(ws.journal)
  T.eq({ rep.counts.submitted, rep.counts.queued, rep.counts.submitting }, { 6, 6, 0 },
    "the ids of the 6 in flight are recorded")

  local r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.eq(count(r.stdout, "cached=false"), 12, "all 12 delivered")
  T.match(r.stderr, "journal: 6 resumed by prediction id", "the rerun says what it resumed")
  T.eq(emu:stats().run_accepted, 12, "the 6 in flight were collected by id, not bought again")
  T.match(J.report(ws.journal).text, "jobs resumed by prediction id instead of resubmitted: 6")
end, { timeout = 120 })
