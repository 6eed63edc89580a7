-- recipe_run.lua — runs a small recipe in its own bin/atelier process against a fashn-emu
-- (tests/lib/emu.lua), the way a user would: FASHN_API_KEY + --base-url, its own working
-- directory. The recipe reports with emit{...}: one JSON line per call on stdout, which
-- run() decodes into r.events. The emulator's time scale is passed to fashn.configure so
-- polls follow the emulated clock.
local T = require "testing"
local cjson = require "cjson"

local M = {}

M.PRELUDE = [[
local fashn = require "fashn"
local cjson = require "cjson"
local atelier = require "atelier"
local function emit(t) io.stdout:write("@@", cjson.encode(t), "\n") io.stdout:flush() end
local function errinfo(e)
  if type(e) ~= "table" then return { name = "LuaError", message = tostring(e) } end
  return { name = e.name, message = e.message, id = e.id, http_status = e.http_status,
    retryable = e.retryable, field = e.field, text = tostring(e) }
end
]]

--- Runs body (Lua source, after PRELUDE) against emu. opts: scale (emulator time scale,
--- default 0.02), args (extra command-line options), env (extra environment), key (the
--- FASHN_API_KEY to use; default the emulator's), url (instead of emu.url), configure
--- (Lua source of extra fashn.configure fields), name (the script's file name, default
--- "recipe.lua"; another one lets the script require the shipped `recipe` module, which
--- a script named recipe.lua would shadow). Returns T.run's table plus events.
function M.run(emu, body, opts)
  opts = opts or {}
  local dir = opts.dir or T.tmpdir()
  local path = dir .. "/" .. (opts.name or "recipe.lua")
  local conf = string.format("fashn.configure{ time_scale = %s%s }\n", opts.scale or 0.02,
    opts.configure and (", " .. opts.configure) or "")
  T.write_file(path, M.PRELUDE .. conf .. body)
  local argv = { T.atelier }
  for _, a in ipairs(opts.args or {}) do argv[#argv + 1] = a end
  if opts.url ~= false and (opts.url or emu) then
    argv[#argv + 1] = "--base-url"
    argv[#argv + 1] = opts.url or emu.url
  end
  argv[#argv + 1] = path
  local env = { FASHN_API_KEY = opts.key or (emu and emu.key) or "" }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  local r = T.run(argv, { env = env, cwd = dir })
  r.dir = dir
  r.events = {}
  for line in r.stdout:gmatch("@@([^\n]*)") do r.events[#r.events + 1] = cjson.decode(line) end
  return r
end

--- Fails with the process's output when it did not exit with `code` (default 0).
function M.check_exit(r, code)
  code = code or 0
  if r.code ~= code then
    error(string.format("atelier exited %s (expected %s)\nstdout:\n%s\nstderr:\n%s", tostring(r.code),
      code, r.stdout, r.stderr), 2)
  end
end

return M
