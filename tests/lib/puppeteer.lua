-- puppeteer.lua — puppeteer-core from npm, installed once into tests/.cache, to drive
-- Debian's chromium from the HTML lookbook test. npm is the only registry it may come
-- from; without chromium, node or npm (or the registry) the caller skips, saying why.
local T = require "testing"

local M = {}

M.VERSION = "24.43.1"

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

--- node_modules holding puppeteer-core@VERSION (installed on first use), or nil and why.
function M.install()
  local cache = T.root .. "/tests/.cache/npm-puppeteer-core-" .. M.VERSION
  local marker = cache .. "/node_modules/puppeteer-core/package.json"
  local f = io.open(marker)
  if f then
    f:close()
    return cache .. "/node_modules"
  end
  if not sh("command -v node && command -v npm") then return nil, "node/npm are not installed" end
  os.execute("mkdir -p " .. T.shell_quote(cache))
  T.write_file(cache .. "/package.json", '{ "private": true }\n')
  local ok, out = sh("cd " .. T.shell_quote(cache) .. " && PUPPETEER_SKIP_DOWNLOAD=1 timeout 300 npm install "
    .. "--no-audit --no-fund --no-save --loglevel=error puppeteer-core@" .. M.VERSION)
  f = io.open(marker)
  if not ok or not f then
    return nil, "npm could not install puppeteer-core@" .. M.VERSION .. " (registry unreachable?): " .. out:sub(1, 300)
  end
  f:close()
  return cache .. "/node_modules"
end

return M
