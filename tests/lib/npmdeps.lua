-- npmdeps.lua — the node packages the tests use, as `make deps` installed them into
-- tests/npm/node_modules from tests/npm/package.json (pinned) and its lockfile. Tests never
-- install anything: a package that is missing or not the pinned version makes the caller
-- skip, saying to run `make deps`.
local T = require "testing"

local M = {}

M.DIR = T.root .. "/tests/npm"

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- The version tests/npm/package.json pins for `name` (an exact version, never a range).
function M.pinned(name)
  local manifest = assert(read(M.DIR .. "/package.json"), "tests/npm/package.json is missing")
  local deps = manifest:match('"dependencies"%s*:%s*(%b{})')
  local v = deps and deps:match('"' .. name:gsub("%p", "%%%0") .. '"%s*:%s*"([^"]+)"')
  assert(v and v:match("^%d+%.%d+%.%d+$"), "tests/npm/package.json pins no exact version of " .. name)
  return v
end

--- node_modules holding `name` at its pinned version; or nil and why not.
function M.modules(name)
  local want = M.pinned(name)
  if not os.execute("command -v node >/dev/null 2>&1") then return nil, "node is not installed" end
  local modules = M.DIR .. "/node_modules"
  local installed = read(modules .. "/" .. name .. "/package.json")
  local have = installed and installed:match('"version"%s*:%s*"([^"]+)"')
  if not have then return nil, name .. " is not installed: run `make deps` (it needs node, npm and the npm registry)" end
  if have ~= want then
    return nil, ("%s %s is installed but tests/npm pins %s: run `make deps`"):format(name, have, want)
  end
  return modules
end

return M
