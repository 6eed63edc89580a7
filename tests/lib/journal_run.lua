-- journal_run.lua — what the journal tests share: a recipe run as its own bin/atelier
-- process against a fashn-emu (in the background, so a test can kill it at a chosen
-- moment, or to completion), and the journal's state read the way a user would, from
-- `atelier --journal-report`.
local T = require "testing"
local proc = require "proc"

local M = {}

--- A working directory for a recipe: dir, the recipe file, the journal path, out/.
function M.workspace(recipe_source)
  local dir = T.tmpdir()
  T.write_file(dir .. "/recipe.lua", recipe_source)
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out"))
  return { dir = dir, recipe = dir .. "/recipe.lua", journal = dir .. "/.atelier/journal.db", out = dir .. "/out" }
end

local function argv_for(emu, ws, opts)
  local argv = { T.atelier, "--base-url", emu.url }
  for _, a in ipairs(opts.args or {}) do argv[#argv + 1] = a end
  argv[#argv + 1] = ws.recipe
  for _, a in ipairs(opts.script_args or {}) do argv[#argv + 1] = a end
  local env = { FASHN_API_KEY = opts.key or emu.key }
  for k, v in pairs(opts.env or {}) do env[k] = v end
  return argv, env
end

--- Starts the recipe in the background (proc.spawn); opts.args (before the script),
--- opts.script_args, opts.env, opts.key.
function M.start(emu, ws, opts)
  opts = opts or {}
  local argv, env = argv_for(emu, ws, opts)
  return proc.spawn(argv, { cwd = ws.dir, env = env })
end

--- Runs the recipe to the end; returns { code, stdout, stderr }.
function M.run(emu, ws, opts)
  local p = M.start(emu, ws, opts)
  local code = p:wait(opts and opts.timeout or 120)
  return { code = code, stdout = p:stdout(), stderr = p:stderr() }
end

--- The report of the journal at path: { text = ..., counts = { completed = n, ... } }
--- (states missing from the report count 0).
function M.report(path)
  local r = T.run({ T.atelier, "--journal-report", "--journal", path })
  local counts = setmetatable({}, { __index = function() return 0 end })
  for state, n in r.stdout:gmatch("\n  (%a+) +(%d+)") do counts[state] = tonumber(n) end
  return { code = r.code, text = r.stdout, err = r.stderr, counts = counts }
end

--- Polls the journal's report until pred(counts, report) is true (at most timeout s);
--- returns the last report and whether pred held.
function M.wait_journal(path, pred, timeout)
  local last
  local ok = proc.wait_until(function()
    last = M.report(path)
    return last.code == 0 and pred(last.counts, last) and true or false
  end, timeout or 60)
  return last, ok
end

--- Fails with the process's output unless it exited with code (default 0).
function M.check(r, code, what)
  code = code or 0
  if r.code ~= code then
    error(string.format("%s: atelier exited %s (expected %s)\nstdout:\n%s\nstderr:\n%s", what or "run",
      tostring(r.code), code, r.stdout, r.stderr), 2)
  end
end

--- Every file of the object store (relative names "ab/cdef...").
function M.objects(ws)
  local p = io.popen("cd " .. T.shell_quote(ws.dir .. "/.atelier/objects") .. " 2>/dev/null && find . -type f | sort")
  local out = {}
  for line in p:lines() do out[#out + 1] = line:sub(3) end
  p:close()
  return out
end

return M
