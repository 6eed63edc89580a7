-- proc.lua — background processes for tests that must act while a program runs: send
-- it signals (Ctrl-C, SIGKILL) at chosen moments, read what it printed so far, wait for
-- its exit status. Waiting yields the test's task (atelier.sleep), so the loop keeps
-- running. Only for tests: it shells out to /bin/sh.
local atelier = require "atelier"
local T = require "testing"

local M = {}

local Proc = {}
Proc.__index = Proc

local live = {} -- spawned and not yet seen to end: killed when the run ends

--- spawn(argv, opts) -> proc. opts.cwd, opts.env ({NAME = value}), opts.stdin (text).
--- stdout and stderr go to files read with proc:stdout() / proc:stderr().
function M.spawn(argv, opts)
  opts = opts or {}
  local dir = T.tmpdir()
  local self = setmetatable({ dir = dir, out = dir .. "/out", err = dir .. "/err" }, Proc)
  local parts = {}
  if opts.env then
    parts[#parts + 1] = "env"
    for k, v in pairs(opts.env) do parts[#parts + 1] = T.shell_quote(k .. "=" .. v) end
  end
  for _, a in ipairs(argv) do parts[#parts + 1] = T.shell_quote(a) end
  local stdin = "/dev/null"
  if opts.stdin then
    stdin = dir .. "/in"
    T.write_file(stdin, opts.stdin)
  end
  -- The program's own pid (for signals) and its exit status (written when it ends).
  local cmd = table.concat(parts, " ") .. " <" .. stdin .. " >" .. self.out .. " 2>" .. self.err
  local script = (opts.cwd and ("cd " .. T.shell_quote(opts.cwd) .. " || exit 1; ") or "")
    .. cmd .. " & echo $! >" .. dir .. "/pid; wait $!; echo $? >" .. dir .. "/rc.tmp; mv " .. dir
    .. "/rc.tmp " .. dir .. "/rc"
  os.execute("sh -c " .. T.shell_quote(script) .. " >/dev/null 2>&1 &")
  local deadline = atelier.now() + 10
  while atelier.now() < deadline do
    local f = io.open(dir .. "/pid")
    local pid = f and f:read("n")
    if f then f:close() end
    if pid then
      self.pid = math.tointeger(pid)
      live[self] = true
      return self
    end
    atelier.sleep(0.01)
  end
  error("proc.spawn: the process did not start")
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

function Proc:stdout() return slurp(self.out) end
function Proc:stderr() return slurp(self.err) end

--- The exit status once it has ended (128 + n when killed by signal n), else nil.
function Proc:status()
  local rc = slurp(self.dir .. "/rc")
  return math.tointeger(tonumber(rc))
end

--- Sends a signal by name ("INT", "KILL", ...).
function Proc:kill(sig)
  os.execute("kill -" .. sig .. " " .. self.pid .. " 2>/dev/null")
end

--- Waits until pred() is true (checked every 10 ms) or timeout seconds pass; returns
--- whether it became true.
function M.wait_until(pred, timeout)
  local deadline = atelier.now() + (timeout or 30)
  while atelier.now() < deadline do
    if pred() then return true end
    atelier.sleep(0.01)
  end
  return pred() and true or false
end

--- Waits for the exit status (nil after timeout seconds).
function Proc:wait(timeout)
  M.wait_until(function() return self:status() ~= nil end, timeout or 60)
  return self:status()
end

--- Waits until its stdout (or stderr with which = "stderr") contains text (plain).
function Proc:wait_output(text, timeout, which)
  return M.wait_until(function()
    local s = which == "stderr" and self:stderr() or self:stdout()
    return s:find(text, 1, true) ~= nil
  end, timeout)
end

-- A test that fails half way leaves no program running behind it.
local cleanup = T.cleanup
T.cleanup = function()
  for p in pairs(live) do
    if p:status() == nil then p:kill("KILL") end
  end
  cleanup()
end

return M
