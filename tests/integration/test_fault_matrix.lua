-- test_fault_matrix.lua — the fault matrix (issue 9): for every fault the service and the
-- network can produce, a 100-job recipe runs against a fashn-emu injecting that fault at
-- 20%, and every job must end either completed with its images saved, or failed with
-- the error name that fault calls for; nothing may be lost, nothing bought twice, and
-- the journal must agree with what happened. The last case prints the table:
--
--   fault | ok | failed as expected | lost (must be 0) | duplicated (must be 0) | paid, unobtainable
--
-- How each job is judged, from three witnesses:
--   the recipe   each job's status, error name, and the files it saved (which must decode);
--   fashn-emu    GET /_emu/predictions: every prediction it created for the job's prompt,
--                which were charged (completed) and which failed (failures cost nothing);
--   the journal  its SQLite file, read with the sqlite3 tool: the job's row state, its
--                prediction id, its stored outputs (each must exist and decode).
-- ok          completed, every image saved and stored, the row `completed`.
-- expected    failed with a name the fault calls for, the row in the state that name
--             means (journal.h: unknown for SubmitOutcomeUnknown; submitted, same id, for
--             "we stopped looking"; failed otherwise).
-- lost        anything else: no named error, an unexpected name, a paid image not saved,
--             a row that disagrees, a stored output missing or not decoding.
-- duplicated  more than one prediction for a job that was not a failed one (a failed
--             prediction is free, and resubmitting it once is the documented policy).
-- paid, unobtainable: jobs that failed as expected although the emulator did charge for
--             them, where no client could get the image: SubmitOutcomeUnknown (the
--             prediction was created but its id never arrived; the API has no idempotency
--             key and no way to list predictions, so atelier reports the job rather than
--             buying it twice) and OutputExpired (the API no longer has the image). Counted
--             apart so the table shows the price of those limits of the API honestly.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"
local cjson = require "cjson"
local image = require "image"
local png = require "pngfixture"

-- 100 jobs per row is what the issue asks; tests/run's asan phase runs fewer
-- (FAULT_MATRIX_JOBS), since the sanitizers look at the same code paths either way.
local N = tonumber(os.getenv("FAULT_MATRIX_JOBS")) or 100
local RATE = 0.2
local SCALE = 0.01 -- a plain prediction: (2 + 10) s x 0.01 = 0.12 s

-- Flags every row's emulator gets: no rate windows (the 429 rows inject theirs), the
-- contract's concurrency limit.
local BASE_FLAGS = { ["time-scale"] = SCALE, ["run-limit"] = 0, ["status-limit"] = 0, ["fault-seed"] = 9 }

-- The client paces for the emulator, not the real API's windows: faults, not pacing,
-- are what each row measures.
local CONFIGURE = "poll = { rate = 400, limit = 4000, window = 10 }, run = { limit = 4000, window = 1 }"

local PREDICTION_ERRORS = { "ImageLoadError", "ContentModerationError", "InputValidationError", "ThirdPartyError",
  "UnavailableError", "PipelineError", "PoseError", "LoRALoadError", "3rdPartyProviderError",
  "InternalServerError" }

local ROWS = {
  { fault = "429 RateLimitExceeded", flags = { ["http-429-rate"] = RATE } },
  { fault = "429 ConcurrencyLimitExceeded",
    flags = { ["http-429-rate"] = RATE, ["http-429-name"] = "ConcurrencyLimitExceeded" } },
  -- Retrying does not help: the first refusal fails its job, and the queued ones are not
  -- sent at all (each fails with the same name, nothing bought).
  { fault = "429 OutOfCredits", flags = { ["http-429-rate"] = RATE, ["http-429-name"] = "OutOfCredits" },
    expect = { OutOfCredits = true } },
  -- 500 with the API's error body: resent. 503 from a load balancer (HTML): the submit's
  -- outcome is unknown. Status polls and downloads: retried.
  { fault = "500/503", flags = { ["http-500-rate"] = RATE }, expect = { SubmitOutcomeUnknown = true } },
  { fault = "dropped before the body", flags = { ["drop-rate"] = RATE, ["drop-when"] = "before" },
    expect = { SubmitOutcomeUnknown = true } },
  { fault = "dropped after the body", flags = { ["drop-rate"] = RATE, ["drop-when"] = "after" },
    expect = { SubmitOutcomeUnknown = true } },
  -- Answers 4 s late against 1 s timeouts on every endpoint (a submit that times out
  -- went out: unknown outcome).
  { fault = "slower than the timeouts", flags = { ["slow-ms"] = 4000, ["slow-rate"] = RATE },
    configure = "request_timeout = 1, download_timeout = 1", expect = { SubmitOutcomeUnknown = true } },
  { fault = "malformed JSON", flags = { ["malformed-rate"] = RATE, ["malformed-kind"] = "garbage" },
    expect = { SubmitOutcomeUnknown = true } },
  { fault = "truncated JSON", flags = { ["malformed-rate"] = RATE, ["malformed-kind"] = "truncated" },
    expect = { SubmitOutcomeUnknown = true } },
  { fault = "truncated downloads", flags = { ["truncate-rate"] = RATE } },
  -- Stuck predictions hold a slot at the server for ever: the emulator's concurrency
  -- limit is lifted so the healthy 80% are not refused because of them, and the client
  -- runs 12 at once so the wait for the stuck ones to time out overlaps.
  { fault = "stuck predictions", flags = { ["stuck-rate"] = RATE, ["concurrency-limit"] = 0 },
    timeout = 6, concurrency = 12, expect = { PollingTimeout = true } },
  { fault = "expired base64", flags = { ["expired-rate"] = RATE }, base64 = true,
    expect = { OutputExpired = true } },
}
for _, name in ipairs(PREDICTION_ERRORS) do
  ROWS[#ROWS + 1] = { fault = "failed: " .. name, flags = { ["fail-rate"] = RATE, ["fail-names"] = name },
    expect = { [name] = true } }
end

-- The journal row state each way of failing leaves (journal.h, fashn_journal.c).
local function expected_row_state(name)
  if name == "SubmitOutcomeUnknown" then return "unknown" end
  if name == "PollingTimeout" or name == "StatusUnavailable" or name == "OutputDownloadFailed"
    or name == "BadResponse" then
    return "submitted"
  end
  return "failed"
end

-- The jobs: mostly one JPEG each; every 5th has 2 images and every 10th 4 (outputs that
-- arrive one by one); every 3rd asks for base64 outputs (the images ride in the status
-- answer); every 25th sends a face_reference file (an upload, 4 credits an image).
local function shape(i, all_base64)
  return { num_images = i % 10 == 0 and 4 or i % 5 == 0 and 2 or 1, base64 = all_base64 or i % 3 == 0,
    face = i % 25 == 0 }
end

local RECIPE = [[
local n, all_base64, timeout = %d, %s, %s
os.execute("mkdir -p out")
local jobs = {}
for i = 1, n do
  local inputs = { prompt = "fault matrix job " .. i, seed = i, output_format = "jpeg",
    num_images = i %% 10 == 0 and 4 or i %% 5 == 0 and 2 or 1 }
  if all_base64 or i %% 3 == 0 then inputs.return_base64 = true end
  if i %% 25 == 0 then inputs.face_reference = "face.png" end
  jobs[i] = fashn.submit(inputs, { timeout = timeout })
end
local out = {}
for i, r in ipairs(fashn.gather(jobs, { raise = false })) do
  local saved = {}
  if r.status == "completed" then
    for k, img in ipairs(r.images) do
      saved[k] = ("out/job-%%03d-%%d.jpg"):format(i, k)
      img:save(saved[k])
    end
  end
  out[i] = { status = r.status, id = r.id, name = r.error and r.error.name, credits = r.credits,
    message = r.error and r.error.message, saved = saved }
end
emit{ jobs = out, stats = fashn.stats() }
]]

-- The journal's rows, by job number (from the prompt), with their stored outputs.
local function journal_rows(dir)
  local db = dir .. "/.atelier/journal.db"
  local function query(sql)
    local p = io.popen("sqlite3 -json " .. T.shell_quote(db) .. " " .. T.shell_quote(sql) .. " 2>&1")
    local text = p:read("a")
    p:close()
    if text:match("^%s*$") then return {} end
    local ok, rows = pcall(cjson.decode, text)
    assert(ok, "sqlite3 said: " .. text)
    return rows
  end
  local rows = {}
  for _, r in ipairs(query("SELECT id, inputs, state, prediction_id, error_name, credits FROM jobs")) do
    local n = tonumber(cjson.decode(r.inputs).prompt:match("job (%d+)$"))
    r.outputs = {}
    rows[r.id] = r
    rows[n] = r
  end
  for _, o in ipairs(query("SELECT job_id, idx, sha256 FROM outputs ORDER BY job_id, idx")) do
    local r = rows[o.job_id]
    r.outputs[#r.outputs + 1] = dir .. "/.atelier/objects/" .. o.sha256:sub(1, 2) .. "/" .. o.sha256:sub(3)
  end
  return rows
end

-- True when the file exists and its pixels decode.
local function decodes(path)
  local ok, img = pcall(image.load, path)
  return ok and pcall(img.pixel, img, 0, 0)
end

local results = {}

local function run_row(row)
  local flags = {}
  for k, v in pairs(BASE_FLAGS) do flags[k] = v end
  for k, v in pairs(row.flags) do flags[k] = v end
  local emu <close> = E.start(flags)
  local recipe = RECIPE:format(N, tostring(row.base64 == true), tostring(row.timeout or "nil"))
  local dir = T.tmpdir()
  png.write(dir .. "/face.png", 48, 64, { 180, 140, 110 })
  local r = R.run(emu, recipe, { dir = dir, scale = SCALE, args = { "-q", "--concurrency", tostring(row.concurrency or 6) },
    configure = CONFIGURE .. (row.configure and (", " .. row.configure) or ""),
    name = "matrix.lua" })
  -- the recipe ends normally whatever the jobs did
  R.check_exit(r)
  local ev = r.events[1]
  local preds = emu:predictions()
  local by_job = {}
  for _, p in ipairs(preds) do
    local n = tonumber(p.prompt:match("^fault matrix job (%d+)$"))
    by_job[n] = by_job[n] or {}
    table.insert(by_job[n], p)
  end
  local rows = journal_rows(r.dir)
  local res = { fault = row.fault, ok = 0, expected = 0, lost = 0, duplicated = 0, unrecoverable = 0, why = {} }
  local function lost(i, why)
    res.lost = res.lost + 1
    if #res.why < 8 then res.why[#res.why + 1] = ("job %d: %s"):format(i, why) end
  end
  for i = 1, N do
    local job, jr, want = ev.jobs[i], rows[i], shape(i, row.base64)
    local mine = by_job[i] or {}
    local live, charged, cost = 0, 0, nil
    for _, p in ipairs(mine) do
      if p.status ~= "failed" then live = live + 1 end
      if p.charged then charged, cost = charged + 1, p.cost end
    end
    if live > 1 then
      res.duplicated = res.duplicated + 1
      if #res.why < 8 then res.why[#res.why + 1] = ("job %d: %d predictions that did not fail"):format(i, live) end
    end
    if job.status == "completed" then
      local whole = #job.saved == want.num_images
      for _, f in ipairs(job.saved) do whole = whole and decodes(r.dir .. "/" .. f) end
      local stored = jr and #jr.outputs == want.num_images
      for _, f in ipairs(jr and jr.outputs or {}) do stored = stored and decodes(f) end
      if not whole then
        lost(i, ("completed but %d of its %d images were saved whole"):format(#job.saved, want.num_images))
      elseif not jr or jr.state ~= "completed" or jr.prediction_id ~= job.id then
        lost(i, "completed but its journal row says " .. (jr and jr.state or "nothing"))
      elseif not stored then
        lost(i, ("completed but %d stored outputs, not %d that decode"):format(#jr.outputs, want.num_images))
      elseif charged ~= 1 or job.credits ~= cost or jr.credits ~= cost then
        lost(i, ("completed: charged %d times, %s credits, the result says %s and the row %s"):format(charged,
          tostring(cost), tostring(job.credits), tostring(jr.credits)))
      else
        res.ok = res.ok + 1
      end
    elseif not job.name then
      lost(i, "neither completed nor failed with a named error (status " .. tostring(job.status) .. ")")
    elseif not (row.expect or {})[job.name] then
      lost(i, "failed with " .. job.name .. ", not a name this fault calls for: " .. tostring(job.message))
    elseif charged > 0 and job.name ~= "SubmitOutcomeUnknown" and job.name ~= "OutputExpired" then
      lost(i, "failed with " .. job.name .. " although its prediction was charged")
    elseif not jr or jr.state ~= expected_row_state(job.name) then
      lost(i, ("failed with %s but its journal row says %s"):format(job.name, jr and jr.state or "nothing"))
    elseif jr.state == "submitted" and jr.prediction_id ~= job.id then
      lost(i, "its journal row lost the prediction id")
    else
      res.expected = res.expected + 1
      if charged > 0 then res.unrecoverable = res.unrecoverable + 1 end
    end
  end
  -- A row whose fault never fired would prove nothing: the emulator counts each one it
  -- injected (429s, 500/503s, drops, slow and malformed answers, truncated downloads,
  -- failed, stuck and expired predictions).
  local st = emu:stats()
  res.injected = 0
  for _, n in pairs(st.faults or {}) do res.injected = res.injected + n end
  res.accepted, res.charged = #preds, 0
  for _, p in ipairs(preds) do if p.charged then res.charged = res.charged + 1 end end
  results[#results + 1] = res
  T.eq(res.lost, 0, row.fault .. ": lost jobs (" .. table.concat(res.why, "; ") .. ")")
  T.eq(res.duplicated, 0, row.fault .. ": duplicated jobs (" .. table.concat(res.why, "; ") .. ")")
  T.eq(res.ok + res.expected, N, row.fault .. ": every job accounted for")
  T.ok(res.ok > 0, row.fault .. ": some jobs completed")
  T.ok(res.injected > 0, row.fault .. ": the fault was injected at least once")
  return res
end

for _, row in ipairs(ROWS) do
  T.case(("%s at %d%%: %d jobs end completed and saved or failed as expected, none lost or bought twice")
    :format(row.fault, RATE * 100, N), function() run_row(row) end, { timeout = 300 })
end

T.case("the fault table", function()
  local w = 30
  local lines = { ("%-" .. w .. "s | %8s | %4s | %18s | %4s | %10s | %s"):format("fault", "injected", "ok",
    "failed as expected", "lost", "duplicated", "paid, unobtainable") }
  lines[#lines + 1] = string.rep("-", #lines[1])
  for _, res in ipairs(results) do
    lines[#lines + 1] = ("%-" .. w .. "s | %8d | %4d | %18d | %4d | %10d | %d"):format(res.fault, res.injected,
      res.ok, res.expected, res.lost, res.duplicated, res.unrecoverable)
  end
  print(table.concat(lines, "\n"))
  T.eq(#results, #ROWS, "every row ran")
end)
