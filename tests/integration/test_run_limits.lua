-- test_run_limits.lua — --max-time with jobs in flight: the run stops when the time is
-- up (TimeLimit, exit 1) without waiting for them, their ids stay in the journal, and
-- the rerun collects them by id instead of buying them again.
local T = require "testing"
local E = require "emu"
local J = require "journal_run"

local RECIPE = [[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.2 }
local jobs = {}
for i = 1, 4 do jobs[i] = fashn.submit{ prompt = "look " .. i .. ", tweed", seed = 700 + i } end
for i, r in ipairs(fashn.gather(jobs, { raise = false })) do
  print(("look %d %s"):format(i, r.error and r.error.name or ("cached=" .. tostring(r.cached))))
end
]]

local function count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

T.case("--max-time stops a run with jobs in flight; the rerun resumes them by id", function()
  -- a prediction takes 12 s x 0.2 = 2.4 s: all 4 are accepted and still running at 1 s
  local emu <close> = E.start{ ["time-scale"] = 0.2 }
  local ws = J.workspace(RECIPE)
  local r = J.run(emu, ws, { args = { "--max-time", "1" } })
  J.check(r, 1, "the limited run")
  T.match(r.stderr, "TimeLimit: the run went past %-%-max%-time %(1 s%)")
  T.eq(count(r.stdout, "look"), 0, "nothing finished before the limit")
  local rep = J.report(ws.journal)
  T.eq({ rep.counts.submitted, rep.counts.submitting, rep.counts.completed }, { 4, 0, 0 },
    "the 4 in flight are recorded with their ids: " .. rep.text)
  T.eq(emu:stats().run_accepted, 4)

  r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.eq(count(r.stdout, "cached=false"), 4, "all 4 delivered: " .. r.stdout)
  T.match(r.stderr, "journal: 4 resumed by prediction id", "the rerun says what it resumed")
  T.eq(emu:stats().run_accepted, 4, "collected by id, not bought again")
end, { timeout = 120 })
