-- puppeteer.lua — puppeteer-core from npm, which `make deps` installs from tests/npm, to
-- drive Debian's chromium from the browser tests; without chromium, node or the package
-- the caller skips, saying why.
local npm = require "npmdeps"

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

return M
