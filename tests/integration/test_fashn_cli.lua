-- test_fashn_cli.lua — the API options of bin/atelier: --max-credits buys all or nothing
-- (a rehearsal first) and, as the backstop, refuses at each submit what would go past the
-- cap (jobs in flight count), --dry-run sends nothing and prints the plan, --concurrency, -q; the embedded emulator when no key is set; and the API key
-- never appears in any output, error or file.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

local BATCH = [[
  local jobs = {}
  for i = 1, N do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = i, num_images = IMAGES } end
  local out = {}
  for i, res in ipairs(fashn.gather(jobs, { raise = false })) do
    out[i] = res.error and res.error.name or res.status
  end
  emit{ out = out, stats = fashn.stats() }
]]
local function batch(n, images) return (BATCH:gsub("N", tostring(n)):gsub("IMAGES", tostring(images or 1))) end

T.case("--max-credits below the plan's total buys nothing: no request to /v1/run, exit 3, both numbers", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = R.run(emu, batch(5, 2), { args = { "--max-credits", "5" } })
  R.check_exit(r, 3)
  T.eq(#r.events, 0, "the recipe never ran for real:\n" .. r.stdout)
  T.match(r.stderr, "planned 10 credits > %-%-max%-credits 5: nothing was bought")
  local s = emu:stats()
  T.eq({ s.run_accepted, s.status_requests, s.credits_charged }, { 0, 0, 0 }, "nothing reached the server")
  -- at the total: the run completes
  r = R.run(emu, batch(5, 2), { args = { "--max-credits", "10" } })
  R.check_exit(r)
  T.eq(r.events[1].out, { "completed", "completed", "completed", "completed", "completed" })
  T.eq(emu:stats().credits_charged, 10)
end)

T.case("--max-credits --no-rehearse: jobs past the cap are refused locally, counting jobs in flight", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = R.run(emu, batch(5, 2), { args = { "--max-credits", "5", "--no-rehearse" } })
  R.check_exit(r)
  local out = r.events[1].out
  T.eq(out, { "completed", "completed", "CreditLimitExceeded", "CreditLimitExceeded", "CreditLimitExceeded" },
    "2 jobs of 2 credits fit in 5; the third would make 6")
  local s = emu:stats()
  T.eq(s.credits_charged, 4, "spent no more than the cap")
  T.eq(s.run_accepted, 2, "the refused jobs were never sent")
end)

T.case("--max-credits waits for jobs in flight rather than refusing what may still fit", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["fail-rate"] = 1, ["fail-names"] = "ContentModerationError" }
  -- every prediction fails (costs nothing), so each later job fits once the one before ends
  local r = R.run(emu, batch(3, 1), { args = { "--max-credits", "1", "--no-rehearse" } })
  R.check_exit(r)
  T.eq(r.events[1].out, { "ContentModerationError", "ContentModerationError", "ContentModerationError" })
  T.eq(emu:stats().run_accepted, 3)
end)

T.case("--dry-run: every job completes with placeholder images, the plan lists each and the total, nothing sent", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = R.run(emu, batch(3, 2) .. [[
    local ok, e = pcall(fashn.submit, { prompt = "x", seed = -4 })
    emit{ bad = e.name }
  ]], { args = { "--dry-run" } })
  R.check_exit(r)
  T.eq(r.events[1].out, { "completed", "completed", "completed" })
  T.eq(r.events[2].bad, "InvalidInput", "a bad input still raises")
  T.match(r.stderr, "\n1  model%-create  look 1  1     %-     %-           1k   2       2\n", "one row per job:\n" .. r.stderr)
  T.match(r.stderr, "total: 3 jobs, 6 images, 6 credits", "the total")
  T.ok(not r.stderr:find("completed", 1, true), "no per-job lines:\n" .. r.stderr)
  local s = emu:stats()
  T.eq({ s.run_accepted, s.status_requests, s.credits_requests }, { 0, 0, 0 }, "nothing reached the server")
end)

T.case("--dry-run with --max-credits rehearses everything and says a real run would buy nothing (exit 3)", function()
  local r = R.run(nil, batch(3, 2), { url = false, args = { "--dry-run", "--max-credits", "4" } })
  R.check_exit(r, 3)
  T.eq(r.events[1].out, { "completed", "completed", "completed" })
  T.match(r.stderr, "total: 3 jobs, 6 images, 6 credits")
  T.match(r.stderr, "%-%-max%-credits 4: over the cap: a real run would buy nothing")
end)

T.case("no FASHN_API_KEY: the embedded emulator, with one line saying images are emulated", function()
  local dir = T.tmpdir()
  local r = R.run(nil, [[
    local res = fashn.run{ prompt = "hello", seed = 1 }
    res.images[1]:save("hello.png")
    emit{ status = res.status, backend = fashn.stats().backend, w = res.images[1].width }
  ]], { url = false, key = "", dir = dir, scale = 0.02, env = { ATELIER_EMU_TIME_SCALE = "0.02" } })
  R.check_exit(r)
  T.eq(r.events[1], { status = "completed", backend = "emulator", w = 1024 })
  local _, n = r.stderr:gsub("images are emulated, credits too", "")
  T.eq(n, 1, "one notice line:\n" .. r.stderr)
  T.match(r.stderr, "time x0%.02%)", "the time scale from ATELIER_EMU_TIME_SCALE")
  T.ok(io.open(dir .. "/hello.png") ~= nil, "the image was saved")
  local bad = R.run(nil, "local ok, e = pcall(fashn.submit, { prompt = 'x' }) emit{ e = errinfo(e) }",
    { url = false, key = "", env = { ATELIER_EMU_TIME_SCALE = "fast" } })
  R.check_exit(bad)
  T.eq(bad.events[1].e.name, "ConfigurationError")
  T.match(bad.events[1].e.message, "ATELIER_EMU_TIME_SCALE")
end)

T.case("-q keeps stderr silent; without it, plain log lines (not a terminal)", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local loud = R.run(emu, batch(2))
  R.check_exit(loud)
  T.match(loud.stderr, "atelier: submitted prediction", "log lines")
  T.match(loud.stderr, "atelier: completed .* 1 credit", "completion lines")
  T.match(loud.stderr, "2 jobs: 2 done, 0 failed, 2 credits spent", "a summary")
  T.ok(not loud.stderr:find("\r", 1, true), "no carriage returns off a terminal")
  local quiet = R.run(emu, batch(2), { args = { "-q" } })
  R.check_exit(quiet)
  T.eq(quiet.stderr, "", "-q")
end)

T.case("bad option values are usage errors", function()
  for _, args in ipairs{ { "--concurrency", "0", "-e", "" }, { "--concurrency", "x", "-e", "" },
    { "--max-credits", "-1", "-e", "" }, { "-e", "", "--base-url" } } do
    local argv = { T.atelier }
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local r = T.run(argv)
    T.eq(r.code, 2, table.concat(args, " "))
    T.match(r.stderr, "Try 'atelier %-%-help'", "usage hint")
  end
end)

T.case("a base URL that is not https (or loopback http) is refused before any request", function()
  local r = R.run(nil, "local ok, e = pcall(fashn.submit, { prompt = 'x' }) emit{ e = errinfo(e) }",
    { url = "http://example.invalid", key = "k" })
  R.check_exit(r)
  T.eq(r.events[1].e.name, "ConfigurationError")
  T.match(r.events[1].e.message, "plain http is only allowed to a loopback address")
end)

T.case("the API key appears in no output, error or file", function()
  local KEY = "sk-test-5EcReT-k3y-0123456789abcdef"
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["api-key"] = KEY, ["http-500-rate"] = 0.3,
    ["drop-rate"] = 0.2, ["fault-seed"] = 3, ["fail-rate"] = 0.3 }
  local r = R.run(emu, batch(6) .. [[
    emit{ credits = fashn.credits().total }
    local ok, e = pcall(fashn.run, { prompt = "x", seed = 99 })
    emit{ err = not ok and tostring(e) or "none", settings = fashn.settings() }
    for i, res in ipairs(fashn.gather({ fashn.submit{ prompt = "y" } }, { raise = false })) do
      if res.images[1] then res.images[1]:save("saved.png") end
    end
    error(setmetatable({}, { __tostring = function() return "final error" end }))
  ]], { key = KEY })
  T.eq(r.code, 1, "the recipe ends with an error on purpose")
  local wrong = R.run(emu, batch(1), { key = KEY .. "-wrong", args = { "--dry-run" } })
  -- The refused key gets an emulator of its own, without faults. The faulty one above rolls
  -- its faults from one sequence shared by every request it serves, and the first recipe's
  -- polls (how many depends on timing) advance it: sent there, this submit met a dropped
  -- connection or a bare 503 in most runs and was rightly reported SubmitOutcomeUnknown.
  local strict <close> = E.start{ ["time-scale"] = 0.02, ["api-key"] = KEY }
  local refused = R.run(strict, batch(1), { key = "sk-other-" .. KEY })
  local st = strict:stats()
  T.eq({ st.run_refused, st.run_accepted, (next(st.faults)) }, { { UnauthorizedAccess = 1 }, 0, nil },
    "one submit, answered with a clean 401:\n" .. refused.stdout .. refused.stderr)
  local everything = r.stdout .. r.stderr .. wrong.stdout .. wrong.stderr .. refused.stdout .. refused.stderr
  local p = io.popen("cat " .. T.shell_quote(r.dir) .. "/* 2>/dev/null")
  everything = everything .. p:read("a")
  p:close()
  T.ok(#everything > 500, "there is output to search")
  T.ok(not everything:find(KEY, 1, true), "the key appears nowhere")
  T.ok(not everything:find("5EcReT", 1, true), "not even a part of it")
  T.match(refused.stdout, "UnauthorizedAccess", "a refused key is reported by name")
end)

T.case("--max-credits also bounds resubmissions after unknown outcomes (retry_unknown)", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["drop-rate"] = 0.5, ["fault-endpoints"] = "run",
    ["fault-seed"] = 11 }
  local r = R.run(emu, [[
    local jobs = {}
    for i = 1, 8 do jobs[i] = fashn.submit({ prompt = "look " .. i, seed = i }, { retry_unknown = true }) end
    local out = {}
    for i, res in ipairs(fashn.gather(jobs, { raise = false })) do out[i] = res.error and res.error.name or res.status end
    emit{ out = out, stats = fashn.stats() }
  ]], { args = { "--max-credits", "6", "--no-rehearse" } })
  R.check_exit(r)
  -- Exact, whatever the faults do: a job that goes out holds its credit until it ends, and
  -- it ends completed or unknown, which both count as spent. So six go out, the last two
  -- are refused, and a resend never fits (without the cap retry_unknown would resend).
  local ev = r.events[1]
  local ended = {}
  for _, o in ipairs(ev.out) do ended[o] = (ended[o] or 0) + 1 end
  T.eq((ended.completed or 0) + (ended.SubmitOutcomeUnknown or 0), 6, "six jobs went out: " .. T.describe(ev.out))
  T.eq(ended.CreditLimitExceeded, 2, "the last two were refused: " .. T.describe(ev.out))
  T.eq(ev.stats.credits_spent, 6, "the cap filled exactly, possible charges counted")
  T.eq(ev.stats.run_requests, 6, "one request per job: no resend fitted under the cap")
  local s = emu:stats()
  T.eq(s.run_accepted + (s.faults.drop_before or 0), 6,
    "the server saw those six, each accepted or dropped before it was read: " .. T.describe(s.faults))
  -- fashn-emu charges a prediction when it completes, so credits_charged read right away can
  -- still be lower than run_accepted, which is what it will charge
  T.ok(s.credits_charged <= s.run_accepted, "charged " .. s.credits_charged .. " of " .. s.run_accepted .. " accepted")
end)
