-- test_fashn_failures.lua — predictions that end "failed": each error name reaches the
-- script as an error table (name, message, id, retryable); names the contract calls worth
-- a retry are resubmitted once (failed predictions cost nothing) and only then raised;
-- wait{raise = false} returns the failure instead of raising.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

local NAMES = { "ImageLoadError", "ContentModerationError", "InputValidationError", "ThirdPartyError",
  "UnavailableError", "PipelineError", "PoseError", "LoRALoadError", "3rdPartyProviderError",
  "InternalServerError", "SomeFutureError" }
local WORTH_A_RETRY = { ThirdPartyError = true, UnavailableError = true, PipelineError = true,
  InternalServerError = true }

for _, name in ipairs(NAMES) do
  T.case("a prediction failing with " .. name .. " raises " .. name, function()
    local emu <close> = E.start{ ["time-scale"] = 0.02, ["fail-rate"] = 1, ["fail-names"] = name }
    local r = R.run(emu, [[
      local job = fashn.submit{ prompt = "x", seed = 1 }
      local ok, e = pcall(job.wait, job)
      local res = job:wait{ raise = false }
      emit{ ok = ok, e = errinfo(e), status = res.status, images = #res.images, same = res.error == e,
        credits = res.credits, job_status = job:status() }
    ]])
    R.check_exit(r)
    local ev = r.events[1]
    T.eq(ev.ok, false, "wait raised")
    T.eq(ev.e.name, name:gsub("^3rd", "3rd"), "error name")
    T.ok(type(ev.e.id) == "string" and #ev.e.id > 0, "the error carries the prediction id")
    T.match(ev.e.text, name, "tostring names it")
    T.eq(ev.e.retryable, WORTH_A_RETRY[name] == true, "retryable")
    T.eq({ ev.status, ev.images, ev.same, ev.credits, ev.job_status }, { "failed", 0, true, 0, "failed" },
      "raise = false returns the same failure")
    local s = emu:stats()
    T.eq(s.run_accepted, WORTH_A_RETRY[name] and 2 or 1, "resubmitted once only when worth it")
    T.eq(s.credits_balance, 100000, "failed predictions cost nothing")
  end)
end

T.case("gather waits for every job, then raises the first failure in order (or returns all)", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["fail-rate"] = 0.5, ["fail-names"] = "ContentModerationError",
    ["fault-seed"] = 3 }
  local r = R.run(emu, [[
    local jobs = {}
    for i = 1, 8 do jobs[i] = fashn.submit{ prompt = "look", seed = i } end
    local ok, e = pcall(fashn.gather, jobs)
    local all = fashn.gather(jobs, { raise = false })
    local first_failed, statuses = nil, {}
    for i, res in ipairs(all) do
      statuses[i] = res.status
      if res.error and not first_failed then first_failed = i end
    end
    emit{ ok = ok, id = e and e.id, first_id = first_failed and all[first_failed].id, statuses = statuses,
      n = all.n }
  ]])
  R.check_exit(r)
  local ev = r.events[1]
  local failed, done = 0, 0
  for _, st in ipairs(ev.statuses) do
    if st == "failed" then failed = failed + 1 elseif st == "completed" then done = done + 1 end
  end
  T.ok(failed > 0 and done > 0, "this seed gives both outcomes: " .. T.describe(ev.statuses))
  T.eq(failed + done, 8, "every job ended")
  T.eq(ev.ok, false, "gather raised")
  T.eq(ev.id, ev.first_id, "the first failure in order")
  T.eq(ev.n, 8)
end)
