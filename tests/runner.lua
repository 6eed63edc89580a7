-- runner.lua — runs Lua test files inside bin/atelier. Each case runs as a task with a
-- time limit; prints "ok", "FAIL" or "skip" per case and, last, the RESULT line that
-- tests/run adds up. Usage: atelier tests/runner.lua FILE_OR_DIR... (env TEST_FILTER
-- keeps only cases whose "file: name" contains it).
local atelier = require "atelier"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local testing = require "testing"

local function list_files(path)
  local out = {}
  local p = io.popen("find " .. testing.shell_quote(path) .. " -name 'test_*.lua' -type f 2>/dev/null | sort")
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

local files = {}
for _, a in ipairs(arg) do
  for _, f in ipairs(list_files(a)) do files[#files + 1] = f end
end

local filter = os.getenv("TEST_FILTER")
local passed, failed, skipped = 0, 0, 0

local function finished(t)
  local s = t:status()
  return s == "done" or s == "failed"
end

local function run_case(file, c)
  local label = file:gsub("^.*/", "") .. ": " .. c.name
  if filter and not label:find(filter, 1, true) then return end
  local started = atelier.now()
  local t = atelier.spawn(c.fn)
  while not finished(t) and atelier.now() - started < c.timeout do atelier.sleep(0.005) end
  local took = string.format("(%.2fs)", atelier.now() - started)
  if not finished(t) then
    failed = failed + 1
    print(string.format("FAIL %s %s\n    timed out after %ss", label, took, c.timeout))
    return
  end
  local ok, err = t:result()
  if ok then
    passed = passed + 1
    print(string.format("ok   %s %s", label, took))
  elseif type(err) == "table" and err.skip then
    skipped = skipped + 1
    print(string.format("skip %s: %s", label, err.skip))
  else
    failed = failed + 1
    print(string.format("FAIL %s %s\n    %s", label, took, (t:traceback() or tostring(err)):gsub("\n", "\n    ")))
  end
  io.stdout:flush()
end

for _, file in ipairs(files) do
  for i = #testing.cases, 1, -1 do testing.cases[i] = nil end
  local chunk, err = loadfile(file)
  if not chunk then
    failed = failed + 1
    print("FAIL " .. file .. ": cannot load: " .. err)
  else
    local ok, lerr = pcall(chunk)
    if not ok then
      failed = failed + 1
      print("FAIL " .. file .. ": error while loading: " .. tostring(lerr))
    else
      local cases = { table.unpack(testing.cases) }
      for _, c in ipairs(cases) do run_case(file, c) end
    end
  end
end

testing.cleanup()
print(string.format("RESULT passed=%d failed=%d skipped=%d", passed, failed, skipped))
io.stdout:flush()
os.exit(failed == 0 and 0 or 1)
