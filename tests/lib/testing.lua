-- testing.lua — the assertions and helpers Lua test files use. A test file registers
-- cases with `case(name, fn, opts)`; tests/runner.lua runs each one as a task.
local M = {}

local cases = {}
M.cases = cases

--- Registers a test case. opts.timeout: seconds before the runner gives up (default 60).
function M.case(name, fn, opts)
  assert(type(name) == "string" and type(fn) == "function", "case(name, fn)")
  cases[#cases + 1] = { name = name, fn = fn, timeout = opts and opts.timeout or 60 }
end

local function fail(msg, level)
  error(msg, (level or 1) + 2)
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

local function deep_equal(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deep_equal(v, b[k], seen) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.deep_equal = deep_equal

local function describe(v, depth)
  depth = depth or 0
  if type(v) ~= "table" or depth > 2 then return show(v) end
  local parts = {}
  for k, x in pairs(v) do
    parts[#parts + 1] = "[" .. show(k) .. "]=" .. describe(x, depth + 1)
    if #parts > 12 then parts[#parts + 1] = "..." break end
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end
M.describe = describe

--- Fails unless actual equals expected (deep for tables).
function M.eq(actual, expected, what)
  if not deep_equal(actual, expected) then
    fail(string.format("%s: got %s, expected %s", what or "value", describe(actual), describe(expected)))
  end
end

--- Fails unless cond is truthy.
function M.ok(cond, what)
  if not cond then fail(what or "expected a true value") end
  return cond
end

--- Fails unless |a - b| <= tol.
function M.near(a, b, tol, what)
  if type(a) ~= "number" or math.abs(a - b) > tol then
    fail(string.format("%s: got %s, expected %s ± %s", what or "value", show(a), show(b), show(tol)))
  end
end

--- Fails unless s (a string) matches the Lua pattern.
function M.match(s, pattern, what)
  if type(s) ~= "string" or not s:find(pattern) then
    fail(string.format("%s: %s does not match %q", what or "string", show(s), pattern))
  end
end

--- Calls fn and fails unless it raises. `expect` is matched against the error's name
--- (for atelier error tables) or its text (a Lua pattern). Returns the error.
function M.raises(fn, expect, what)
  local ok, err = pcall(fn)
  if ok then fail((what or "call") .. ": expected an error, none was raised") end
  if expect then
    local name = type(err) == "table" and err.name
    local text = tostring(err)
    if name ~= expect and not text:find(expect) then
      fail(string.format("%s: raised %s, expected %q", what or "call", show(text), expect))
    end
  end
  return err
end

--- Ends the running case as skipped, with a reason the runner prints.
function M.skip(reason)
  error({ skip = reason or "skipped" }, 0)
end

-- Where things are.
M.root = os.getenv("ATELIER_ROOT") or "."
M.atelier = os.getenv("ATELIER_BIN") or (M.root .. "/bin/atelier")
M.emu_bin = os.getenv("FASHN_EMU_BIN") or (M.root .. "/bin/fashn-emu")

--- Quotes a string for /bin/sh.
function M.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local tmp_dirs = {}
--- A fresh empty directory, removed when the run ends.
function M.tmpdir()
  local p = io.popen("mktemp -d /tmp/atelier-test.XXXXXX")
  local dir = p:read("l")
  p:close()
  tmp_dirs[#tmp_dirs + 1] = dir
  return dir
end

function M.cleanup()
  for _, d in ipairs(tmp_dirs) do os.execute("rm -rf " .. M.shell_quote(d)) end
end

function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

function M.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

--- Runs a command (a list: program and arguments) to completion; returns
--- { code = exit status, stdout = ..., stderr = ... }. opts.stdin: text fed to it;
--- opts.env: { NAME = value } added to its environment; opts.cwd: where it runs.
--- Blocks the whole process: meant for CLI tests, not for concurrency.
function M.run(argv, opts)
  opts = opts or {}
  local dir = M.tmpdir()
  local parts = {}
  if opts.cwd then parts[#parts + 1] = "cd " .. M.shell_quote(opts.cwd) .. " &&" end
  if opts.env then
    parts[#parts + 1] = "env"
    for k, v in pairs(opts.env) do parts[#parts + 1] = M.shell_quote(k .. "=" .. v) end
  end
  for _, a in ipairs(argv) do parts[#parts + 1] = M.shell_quote(a) end
  local stdin = "/dev/null"
  if opts.stdin then
    stdin = dir .. "/stdin"
    M.write_file(stdin, opts.stdin)
  end
  local cmd = table.concat(parts, " ") .. " <" .. stdin .. " >" .. dir .. "/out 2>" .. dir .. "/err"
  local _, _, code = os.execute(cmd)
  return { code = code, stdout = M.read_file(dir .. "/out"), stderr = M.read_file(dir .. "/err") }
end

-- The names of the shipped examples (examples/*.lua), sorted.
function M.examples()
  local p = io.popen("ls " .. M.shell_quote(M.root .. "/examples") .. "/*.lua 2>/dev/null")
  local names = {}
  for line in p:lines() do names[#names + 1] = line:match("([^/]+)$") end
  p:close()
  table.sort(names)
  return names
end

return M
