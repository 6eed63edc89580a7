-- puppeteer.lua — puppeteer-core from npm, which `make deps` installs from tests/npm, to
-- drive Debian's chromium from the browser tests; without chromium, node or the package
-- the caller skips, saying why.
local npm = require "npmdeps"
local T = require "testing"

local M = {}

M.VERSION = npm.pinned("puppeteer-core")

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

--- The chromium binary, or nil.
function M.chromium()
  for _, name in ipairs { "chromium", "chromium-browser" } do
    local ok, out = sh("command -v " .. name)
    if ok then return (out:gsub("%s+$", "")) end
  end
end

--- node_modules holding puppeteer-core@VERSION (installed by `make deps`), or nil and why.
function M.install() return npm.modules("puppeteer-core") end

local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  return os.getenv("PWD") .. "/" .. path
end
M.abs = abs

--- Runs tests/lib/SCRIPT with node as `node SCRIPT node_modules chromium ARGS...`, skipping
--- the calling case (saying why) without chromium or puppeteer-core; fails the case when
--- the script fails. Returns its stdout.
function M.run(script, ...)
  local chromium = M.chromium()
  if not chromium then T.skip("chromium is not installed (make deps tries the Debian package `chromium`)") end
  local modules, why = M.install()
  if not modules then T.skip(why) end
  local r = T.run { "node", abs(T.root .. "/tests/lib/" .. script), abs(modules), chromium, ... }
  T.eq(r.code, 0, script .. ": " .. r.stderr:sub(1, 2000))
  return r.stdout
end

return M
