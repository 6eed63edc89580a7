-- sdk.lua — the official TypeScript SDK (npm `fashn`), installed once into tests/.cache
-- for the tests and benchmarks that use it as an outside client of fashn-emu. npm is
-- the only registry it may come from; without node/npm the callers skip, saying why.
local T = require "testing"

local M = {}

M.VERSION = "0.11.1" -- the version the conformance test checks and the bench measures

-- Runs a shell command; returns whether it succeeded and its output (stdout + stderr).
local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

--- The node_modules directory holding fashn@VERSION, installing it on first use; or
--- nil and why it is not there.
function M.install()
  local cache = T.root .. "/tests/.cache/npm-fashn-" .. M.VERSION
  local marker = cache .. "/node_modules/fashn/package.json"
  if io.open(marker) then return cache .. "/node_modules" end
  if not sh("command -v node && command -v npm") then return nil, "node/npm are not installed" end
  os.execute("mkdir -p " .. T.shell_quote(cache))
  T.write_file(cache .. "/package.json", '{ "private": true }\n')
  local ok, out = sh("cd " .. T.shell_quote(cache) .. " && timeout 300 npm install --no-audit --no-fund "
    .. "--no-save --loglevel=error fashn@" .. M.VERSION)
  if not ok or not io.open(marker) then
    return nil, "npm could not install fashn@" .. M.VERSION .. " (registry unreachable?): " .. out:sub(1, 300)
  end
  return cache .. "/node_modules"
end

return M
