-- test_hostile_server.lua — what the server says is data, never control: an error
-- message full of terminal escapes reaches no output as control bytes (progress lines,
-- error tables, the uncaught-error traceback, --journal-report); a server that echoes the
-- API key as a prediction id or in its errors gets it printed, journaled and embedded
-- nowhere (and a prediction id holding it is a BadResponse, bought once, never resent);
-- unreadable status answers end the job quickly instead of at the timeout, and a huge
-- status answer says that the answer body was too large.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

-- Terminal control a hostile server would send: retitle, clear, erase, move up and
-- overwrite (a forged summary line), an 8-bit CSI (C1) and a byte that is not UTF-8.
-- (Broken UTF-8 cannot come inside valid JSON: the unit tests cover it.)
local EVIL = "\27]0;pwned\7\27[2J\r\27[1Aatelier: 1 job: 1 done, 0 failed \194\155" .. "31m"

local function no_control(text, what)
  for _, c in ipairs{ "\27", "\7", "\r", "\194\155", "\255" } do
    local at = text:find(c, 1, true)
    T.ok(not at, string.format("%s: byte %q at %s: %q", what, c, tostring(at),
      at and text:sub(math.max(1, at - 40), at + 40) or ""))
  end
end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

T.case("a failed prediction's message full of terminal escapes is printed escaped everywhere", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["fail-rate"] = 1, ["fail-names"] = "ContentModerationError",
    ["fail-message"] = EVIL }
  local r = R.run(emu, [[
    local res = fashn.gather({ fashn.submit{ prompt = "evil", seed = 1 } }, { raise = false })[1]
    print("message:", res.error.message)
    print("tostring:", tostring(res.error))
    emit{ name = res.error.name, message = res.error.message }
    error(res.error) -- uncaught: printed with its traceback
  ]], {})
  T.eq(r.code, 1, "the recipe ends with the error")
  T.eq(r.events[1].name, "ContentModerationError")
  T.match(r.events[1].message, "\\x1B%]0;pwned\\x07\\x1B%[2J\\x0D\\x1B%[1A", "the message keeps the text, escaped")
  T.match(r.stderr, "ContentModerationError", "the uncaught error is printed")
  no_control(r.stdout, "stdout")
  no_control(r.stderr, "stderr")
  local rep = T.run({ T.atelier, "--journal-report" }, { cwd = r.dir })
  T.match(rep.stdout, "ContentModerationError", "the report lists the failure")
  no_control(rep.stdout .. rep.stderr, "--journal-report")
end)

local KEY = "sk-live-Ech0-atelier-SeCrEt-55aa77bb99"
local FRAGMENTS = { KEY, "Ech0-atelier", "SeCrEt-55aa", "55aa77bb99", "sk_live_Ech0" }

local function no_key(text, what)
  for _, f in ipairs(FRAGMENTS) do T.ok(not text:find(f, 1, true), what .. " holds " .. f) end
end

-- stdout, stderr, the journal's bytes and every file the run wrote.
local function everything(r)
  local p = io.popen("cat " .. T.shell_quote(r.dir) .. "/* " .. T.shell_quote(r.dir) .. "/.atelier/* 2>/dev/null")
  local files = p:read("a")
  p:close()
  return r.stdout .. r.stderr .. files
end

T.case("a server that echoes the key in its errors gets it printed, journaled and embedded nowhere", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["api-key"] = KEY, ["echo-key"] = "error",
    ["fail-rate"] = 0.5, ["fault-seed"] = 5, ["fail-message"] = "leaking" }
  local r = R.run(emu, [[
    local jobs = {}
    for i = 1, 6 do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = i } end
    local out = {}
    for i, res in ipairs(fashn.gather(jobs, { raise = false })) do
      out[i] = res.error and res.error.name or res.status
      print(i, res.error and tostring(res.error) or "ok")
      if res.images and res.images[1] then res.images[1]:save("look-" .. i .. ".png") end
    end
    emit{ out = out }
  ]], { key = KEY })
  R.check_exit(r)
  local failed, saved = 0, 0
  for i, o in ipairs(r.events[1].out) do
    if o == "completed" then saved = saved + 1 else failed = failed + 1 end
    if o ~= "completed" then T.match(o, "redacted", "the name the server gave is redacted") end
  end
  T.ok(failed > 0 and saved > 0, "some failed with the key, some completed and were saved")
  T.match(r.stdout, "leaking %(key %[redacted%]%)", "the message is kept, the key is not")
  T.ok(#read_all(r.dir .. "/.atelier/journal.db") > 0, "there is a journal to search")
  T.ok(#read_all(r.dir .. "/look-" .. (function() for i, o in ipairs(r.events[1].out) do
    if o == "completed" then return i end end end)() .. ".png") > 0, "there is a PNG to search")
  no_key(everything(r), "output, journal or image")
  local rep = T.run({ T.atelier, "--journal-report" }, { cwd = r.dir })
  no_key(rep.stdout .. rep.stderr, "--journal-report")
end)

T.case("a prediction id holding the key is a BadResponse: nothing polled, journaled as unknown, never bought again", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["api-key"] = KEY, ["echo-key"] = "id" }
  local job = [[
    local res = fashn.gather({ fashn.submit{ prompt = "echo", seed = 1 } }, { raise = false })[1]
    print(tostring(res.error))
    emit{ name = res.error and res.error.name, message = res.error and res.error.message, id = res.id,
      stats = fashn.stats() }
  ]]
  local r = R.run(emu, job, { key = KEY })
  R.check_exit(r)
  T.eq(r.events[1].name, "BadResponse")
  T.match(r.events[1].message, "holds the API key")
  T.match(r.events[1].message, "may have been created and charged, so it was not resubmitted")
  T.eq(r.events[1].id, nil, "no id kept")
  T.eq(r.events[1].stats.credits_spent, 1, "counted as possibly charged")
  local s = emu:stats()
  T.eq(s.status_requests, 0, "the key never went into a status URL")
  T.eq(s.run_accepted, 1)
  local again = R.run(emu, job, { key = KEY, dir = r.dir })
  R.check_exit(again)
  T.eq(again.events[1].name, "SubmitOutcomeUnknown", "the rerun reports the unknown outcome: " ..
    tostring(again.events[1].message))
  T.eq(emu:stats().run_accepted, 1, "and does not buy it again")
  no_key(everything(r) .. everything(again), "output or journal")
end)

T.case("submit answers with ids the one id rule refuses are BadResponses, not polled", function()
  -- ".." would be polled as GET /v1/status/.. (= /v1/); an id with \u0000 was cut at the NUL.
  local dir = T.tmpdir()
  for _, id in ipairs{ "..", "ab\\u0000cd", "a/b", "" } do
    local body = dir .. "/run.json"
    T.write_file(body, '{"id":"' .. id .. '","error":null}')
    local emu <close> = E.start{ ["time-scale"] = 0.02, ["run-body"] = body }
    local r = R.run(emu, [[
      local res = fashn.gather({ fashn.submit{ prompt = "id", seed = 1 } }, { raise = false })[1]
      emit{ name = res.error and res.error.name, message = res.error and res.error.message }
    ]], {})
    R.check_exit(r)
    T.eq(r.events[1].name, "BadResponse", id)
    T.match(r.events[1].message, "an invalid prediction id", id)
    T.eq(emu:stats().status_requests, 0, id .. ": nothing polled")
  end
end)

T.case("identical unreadable status answers end the job as BadResponse after three, not at the timeout", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/deep.json", string.rep("[", 100000) .. string.rep("]", 100000))
  T.write_file(dir .. "/utf8.json", '{"status":"processing\255\254"}')
  for _, f in ipairs{ "deep.json", "utf8.json" } do
    local emu <close> = E.start{ ["time-scale"] = 0.02, ["status-body"] = dir .. "/" .. f }
    local t0 = os.time()
    local r = R.run(emu, [[
      local res = fashn.gather({ fashn.submit{ prompt = "x", seed = 1 } }, { raise = false })[1]
      emit{ name = res.error and res.error.name, message = res.error and res.error.message, stats = fashn.stats() }
    ]], { configure = "timeout = 900" })
    R.check_exit(r)
    T.eq(r.events[1].name, "BadResponse", f)
    T.match(r.events[1].message, "3 identical unreadable status answers", f)
    T.match(r.events[1].message, "Nothing was charged as far as atelier knows", f)
    T.eq(r.events[1].stats.credits_spent, 0, f)
    T.ok(os.time() - t0 < 30, f .. ": ended in seconds")
  end
end)

T.case("a huge status answer without base64 outputs says the answer body is too large", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/huge.json", '{"status":"processing","pad":"' .. string.rep("x", 3 * 1024 * 1024) .. '"}')
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["status-body"] = dir .. "/huge.json" }
  local r = R.run(emu, [[
    local res = fashn.gather({ fashn.submit{ prompt = "x", seed = 1 } }, { raise = false })[1]
    emit{ name = res.error and res.error.name, message = res.error and res.error.message }
  ]], {})
  R.check_exit(r)
  T.eq(r.events[1].name, "OutputTooLarge")
  T.match(r.events[1].message, "the status answer body of prediction")
  T.ok(not r.events[1].message:find("base64 outputs are larger", 1, true), "no talk of base64 outputs")
end)
