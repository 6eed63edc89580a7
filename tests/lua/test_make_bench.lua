-- test_make_bench.lua — `make bench` finds node and npm as commands, wherever they came
-- from, and asks Debian for them only when one is missing. Runs the bench-deps target with
-- a PATH of stand-ins: dpkg-query knows no package, apt-get and sudo only write down what
-- they were asked, so nothing is installed.
local T = require "testing"

local function which(cmd)
  local p = io.popen("command -v " .. cmd .. " 2>/dev/null")
  local path = p:read("l")
  p:close()
  return path
end

local function script(path, body)
  T.write_file(path, "#!/bin/sh\n" .. body .. "\n")
  os.execute("chmod +x " .. T.shell_quote(path))
end

-- Runs `make bench-deps` with only the commands make's recipes use, plus node and npm
-- when `with_node`; returns the apt-get calls it made (one line each).
local function bench_deps(with_node)
  local make, shell = which("make"), which("sh")
  if not make or not shell then T.skip("make or sh is not installed") end
  local dir = T.tmpdir()
  local bin = dir .. "/bin"
  os.execute("mkdir -p " .. T.shell_quote(bin))
  for _, tool in ipairs { "grep", "id", "env", "find", "nproc", "cat" } do
    local path = which(tool)
    if path then os.execute("ln -s " .. T.shell_quote(path) .. " " .. T.shell_quote(bin .. "/" .. tool)) end
  end
  local log = dir .. "/apt-get.log"
  script(bin .. "/dpkg-query", "exit 1")
  script(bin .. "/apt-get", 'echo "$*" >> ' .. T.shell_quote(log))
  script(bin .. "/sudo", 'exec "$@"')
  if with_node then
    script(bin .. "/node", "exit 0")
    script(bin .. "/npm", "exit 0")
  end
  local r = T.run({ make, "-s", "-C", T.root, "bench-deps", "SHELL=" .. shell }, { env = { PATH = bin } })
  T.eq(r.code, 0, "make bench-deps: " .. r.stderr)
  local f = io.open(log)
  local calls = f and f:read("a") or ""
  if f then f:close() end
  return calls
end

local function asked_for(calls, pkg)
  for line in calls:gmatch("[^\n]+") do
    if line:find("install") and (" " .. line .. " "):find(" " .. pkg:gsub("%p", "%%%0") .. " ") then return true end
  end
  return false
end

T.case("make bench does not ask Debian for node or npm when both are commands", function()
  local calls = bench_deps(true)
  T.ok(asked_for(calls, "imagemagick"), "the bench's other peers are installed: " .. calls)
  T.ok(not asked_for(calls, "nodejs"), "nodejs not asked for: " .. calls)
  T.ok(not asked_for(calls, "npm"), "npm not asked for: " .. calls)
end)

T.case("make bench tries Debian's nodejs and npm when there is no node command", function()
  local calls = bench_deps(false)
  T.ok(asked_for(calls, "nodejs"), "nodejs asked for: " .. calls)
  T.ok(asked_for(calls, "npm"), "npm asked for: " .. calls)
end)
