-- test_fashn_faults.lua — what the service and the network can do wrong, injected by
-- fashn-emu: 429s (rate and concurrency), 5xx, dropped connections, malformed JSON,
-- truncated downloads, stuck predictions, a server that is not there. Every job ends
-- completed or failed with the right name, and /_emu/stats proves no job was ever
-- accepted twice unless the script opted in with retry_unknown.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

-- Polls fast (the emulator's clock is scaled and its status limit lifted) so faults, not
-- pacing, are what each test exercises.
local FAST = "poll = { rate = 40, limit = 400, window = 10 }"

-- Submits n jobs, reports each outcome and the client's counters.
local function batch(n, opts)
  return string.format([[
    local jobs = {}
    for i = 1, %d do jobs[i] = fashn.submit({ prompt = "look " .. i, seed = i }, %s) end
    local out = {}
    for i, res in ipairs(fashn.gather(jobs, { raise = false })) do
      out[i] = { status = res.status, name = res.error and res.error.name, id = res.id, n = #res.images,
        retryable = res.error and res.error.retryable, message = res.error and res.error.message }
    end
    emit{ jobs = out, stats = fashn.stats() }
  ]], n, opts or "nil")
end

local function outcomes(ev)
  local count = {}
  for _, j in ipairs(ev.jobs) do
    local k = j.status == "completed" and "completed" or j.name
    count[k] = (count[k] or 0) + 1
  end
  return count
end

local function start(flags)
  flags["time-scale"] = flags["time-scale"] or 0.02
  if flags["status-limit"] == nil then flags["status-limit"] = 0 end
  return E.start(flags)
end

T.case("429 RateLimitExceeded on status: polls pause (Retry-After) and every job completes", function()
  local emu <close> = start{ ["status-limit"] = 8, ["status-window"] = 1 }
  local r = R.run(emu, batch(8), { configure = FAST })
  R.check_exit(r)
  local ev = r.events[1]
  T.eq(outcomes(ev), { completed = 8 })
  T.ok(ev.stats.http_429 > 0, "429s were received (" .. ev.stats.http_429 .. ")")
  T.eq(emu:stats().run_accepted, 8, "each job accepted once")
end)

T.case("429 RateLimitExceeded on run: the refused submissions are resent, none twice", function()
  local emu <close> = start{ ["run-limit"] = 3, ["run-window"] = 1 }
  local r = R.run(emu, batch(8), { configure = FAST .. ", run = { limit = 1000, window = 1 }" })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 8 })
  local s = emu:stats()
  T.ok((s.run_refused.RateLimitExceeded or 0) > 0, "refusals happened: " .. T.describe(s.run_refused))
  T.eq(s.run_accepted, 8, "each job accepted exactly once")
end)

T.case("429 ConcurrencyLimitExceeded: retried until a slot frees; none twice", function()
  local emu <close> = start{ ["concurrency-limit"] = 2 }
  local r = R.run(emu, batch(6), { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 6 })
  local s = emu:stats()
  T.ok((s.run_refused.ConcurrencyLimitExceeded or 0) > 0, "refusals happened: " .. T.describe(s.run_refused))
  T.eq(s.run_accepted, 6)
  -- exactly 2: the limit held, and the refusals above are only given with 2 unfinished
  T.eq(s.peak_concurrency, 2, "the server's limit held and was reached")
end)

T.case("429 OutOfCredits is never retried, and queued jobs are not sent after it", function()
  local emu <close> = start{ credits = 2 }
  local r = R.run(emu, batch(5), { args = { "--concurrency", "1" }, configure = FAST })
  R.check_exit(r)
  local ev = r.events[1]
  T.eq(outcomes(ev), { completed = 2, OutOfCredits = 3 })
  local s = emu:stats()
  T.eq(s.run_refused.OutOfCredits, 1, "one refusal: nothing retried, the rest never sent")
  T.eq(ev.jobs[3].retryable, false, "not retryable")
end)

T.case("5xx on status, credits and downloads: retried; every job completes", function()
  local emu <close> = start{ ["http-500-rate"] = 0.3, ["fault-endpoints"] = "status,cdn,credits", ["fault-seed"] = 5 }
  local r = R.run(emu, batch(8) .. " emit{ credits = fashn.credits().total }", { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 8 })
  T.ok(r.events[1].stats.http_5xx > 0, "5xx answers were received")
  T.eq(type(r.events[2].credits), "number", "credits despite 5xx")
  T.eq(emu:stats().run_accepted, 8)
end)

T.case("5xx on run: a refusal with an error body is resent; an HTML 503 is an unknown outcome", function()
  local emu <close> = start{ ["http-500-rate"] = 0.4, ["fault-endpoints"] = "run", ["fault-seed"] = 2 }
  local r = R.run(emu, batch(10), { configure = FAST })
  R.check_exit(r)
  local ev, s = r.events[1], emu:stats()
  local count = outcomes(ev)
  T.eq((count.completed or 0) + (count.SubmitOutcomeUnknown or 0), 10, "completed or unknown: " .. T.describe(count))
  T.ok((s.run_refused.InternalServerError or 0) > 0 and (count.completed or 0) > 0, "500 refusals were resent")
  T.eq(s.run_accepted, count.completed, "accepted once per completed job, never for an unknown one")
end)

T.case("dropped connections on status and downloads: retried; every job completes once", function()
  local emu <close> = start{ ["drop-rate"] = 0.3, ["fault-endpoints"] = "status,cdn", ["fault-seed"] = 7 }
  local r = R.run(emu, batch(8), { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 8 })
  local s = emu:stats()
  T.ok((s.faults.drop_before or 0) + (s.faults.drop_after or 0) > 0, "drops happened")
  T.eq(s.run_accepted, 8)
end)

T.case("dropped submit connections: reported as SubmitOutcomeUnknown, never resubmitted", function()
  local emu <close> = start{ ["drop-rate"] = 0.5, ["fault-endpoints"] = "run", ["fault-seed"] = 11 }
  local r = R.run(emu, batch(10), { configure = FAST })
  R.check_exit(r)
  local ev, s = r.events[1], emu:stats()
  local count = outcomes(ev)
  T.ok((count.SubmitOutcomeUnknown or 0) > 0, "some outcomes unknown: " .. T.describe(count))
  T.eq((count.completed or 0) + count.SubmitOutcomeUnknown, 10, "nothing else")
  T.eq(ev.stats.run_requests, 10, "one submit request per job: nothing resent")
  T.ok(s.run_accepted >= count.completed and s.run_accepted <= 10, "at most one prediction per job")
  for _, j in ipairs(ev.jobs) do
    if j.name == "SubmitOutcomeUnknown" then
      T.match(j.message, "retry_unknown", "the message says how to opt in")
      T.eq(j.retryable, false)
    end
  end
end)

T.case("retry_unknown = true resubmits after an unknown outcome (the script's choice)", function()
  local emu <close> = start{ ["drop-rate"] = 0.5, ["fault-endpoints"] = "run", ["fault-seed"] = 11 }
  local r = R.run(emu, batch(6, "{ retry_unknown = true }"), { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 6 })
  T.ok(r.events[1].stats.unknown_outcomes > 0, "unknown outcomes happened and were resent")
end)

T.case("an unknown submit outcome is reported, not resubmitted (every answer lost)", function()
  local emu <close> = start{ ["drop-rate"] = 1, ["fault-endpoints"] = "run" }
  local r = R.run(emu, batch(1), { configure = FAST })
  R.check_exit(r)
  local ev = r.events[1]
  T.eq(ev.jobs[1].name, "SubmitOutcomeUnknown")
  T.eq(ev.stats.run_requests, 1, "sent once")
  local s = emu:stats()
  -- the one request reached the server: accepted there (and the answer lost) or dropped
  -- before it was read; never accepted twice, never not at all
  T.eq(s.run_accepted + (s.faults.drop_before or 0), 1, T.describe(s.faults))
end)

T.case("malformed JSON: on status it is retried; on a 200 submit answer it is an unknown outcome", function()
  local emu <close> = start{ ["malformed-rate"] = 0.3, ["fault-endpoints"] = "status", ["fault-seed"] = 4 }
  local r = R.run(emu, batch(8), { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 8 })
  local emu2 <close> = start{ ["malformed-rate"] = 1, ["fault-endpoints"] = "run" }
  local r2 = R.run(emu2, batch(2), { configure = FAST })
  R.check_exit(r2)
  T.eq(outcomes(r2.events[1]), { SubmitOutcomeUnknown = 2 })
  T.eq(emu2:stats().run_accepted, 2, "they were created: exactly why they must not be resent")
  T.eq(r2.events[1].stats.run_requests, 2)
end)

T.case("truncated downloads are fetched again; every image is whole", function()
  local emu <close> = start{ ["truncate-rate"] = 0.5, ["fault-seed"] = 9 }
  local r = R.run(emu, batch(6), { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 6 })
  local s = emu:stats()
  T.ok((s.faults.truncated or 0) > 0 and s.downloads > 6, "truncations happened and were refetched")
end)

T.case("a stuck prediction ends in PollingTimeout after the job's timeout", function()
  local emu <close> = start{ ["stuck-rate"] = 1 }
  local r = R.run(emu, batch(1, "{ timeout = 1 }"), { configure = FAST })
  R.check_exit(r)
  local j = r.events[1].jobs[1]
  T.eq(j.name, "PollingTimeout")
  T.ok(j.id ~= nil, "with the prediction id")
end)

T.case("no server: ConnectionFailed after retries, and the message says nothing was submitted", function()
  local emu = start{}
  local url = emu.url
  emu:stop()
  local r = R.run(nil, batch(1, "{ timeout = 4 }"), { url = url, key = "k", configure = FAST })
  R.check_exit(r)
  local j = r.events[1].jobs[1]
  T.eq(j.name, "ConnectionFailed")
  T.match(j.message, "nothing was submitted")
  T.match(j.message, "attempts", "after retrying")
  T.eq(j.retryable, true)
end)

T.case("a paid image is fetched again after seven dropped downloads in a row (ten attempts)", function()
  -- Fault seed 11 at 70% on the CDN only: the first seven downloads are dropped, the
  -- eighth is not (the dice are a pure function of the seed and the count). Five attempts
  -- used to be all a download got (curl may add one silent retry on a reused
  -- connection): the image was paid for and not saved.
  local emu <close> = start{ ["drop-rate"] = 0.7, ["fault-endpoints"] = "cdn", ["fault-seed"] = 11 }
  local r = R.run(emu, batch(1), { configure = FAST })
  R.check_exit(r)
  T.eq(outcomes(r.events[1]), { completed = 1 })
  local s = emu:stats()
  T.eq((s.faults.drop_before or 0) + (s.faults.drop_after or 0), 7, "seven downloads dropped")
  T.eq(s.downloads, 1, "the eighth brought the image")
  T.ok(r.events[1].stats.downloads > 5, "more than five attempts: " .. r.events[1].stats.downloads)
end, { timeout = 120 })
