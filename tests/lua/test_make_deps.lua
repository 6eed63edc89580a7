-- test_make_deps.lua — `make deps` (and `make bench`'s bench-deps) find node and npm as
-- commands, wherever they came from, and ask Debian for them only when one is missing;
-- the node packages the tests use are installed there with `npm ci` from tests/npm's
-- lockfile, and never by a test. Runs the targets with a PATH of stand-ins: dpkg-query
-- knows no package, apt-get, sudo and npm only write down what they were asked, so
-- nothing is installed.
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

local function read(path)
  local f = io.open(path)
  local s = f and f:read("a") or ""
  if f then f:close() end
  return s
end

-- Runs `make TARGET ARGS...` with only the commands make's recipes use, plus node and npm
-- stand-ins when `with_node`; returns the apt-get calls and the npm calls it made (one
-- line each; npm's lines start with the directory it ran in).
local function make_with_stand_ins(target, with_node, args)
  local make, shell = which("make"), which("sh")
  if not make or not shell then T.skip("make or sh is not installed") end
  local dir = T.tmpdir()
  local bin = dir .. "/bin"
  os.execute("mkdir -p " .. T.shell_quote(bin))
  for _, tool in ipairs { "grep", "id", "env", "find", "nproc", "cat", "timeout" } do
    local path = which(tool)
    if path then os.execute("ln -s " .. T.shell_quote(path) .. " " .. T.shell_quote(bin .. "/" .. tool)) end
  end
  local apt_log, npm_log = dir .. "/apt-get.log", dir .. "/npm.log"
  script(bin .. "/dpkg-query", "exit 1")
  script(bin .. "/apt-get", 'echo "$*" >> ' .. T.shell_quote(apt_log))
  script(bin .. "/sudo", 'exec "$@"')
  if with_node then
    script(bin .. "/node", "exit 0")
    script(bin .. "/npm", 'echo "$PWD $*" >> ' .. T.shell_quote(npm_log))
  end
  local argv = { make, "-s", "-C", T.root, target, "SHELL=" .. shell }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local r = T.run(argv, { env = { PATH = bin } })
  T.eq(r.code, 0, "make " .. target .. ": " .. r.stderr)
  return read(apt_log), read(npm_log), r.stderr
end

local function asked_for(calls, pkg)
  for line in calls:gmatch("[^\n]+") do
    if line:find("install") and (" " .. line .. " "):find(" " .. pkg:gsub("%p", "%%%0") .. " ") then return true end
  end
  return false
end

-- A copy of tests/npm's manifest and lockfile in a fresh directory (no node_modules).
local function npm_dir()
  local d = T.tmpdir()
  for _, f in ipairs { "package.json", "package-lock.json" } do
    T.write_file(d .. "/" .. f, read(T.root .. "/tests/npm/" .. f))
  end
  return d
end

T.case("make bench does not ask Debian for node or npm when both are commands", function()
  local calls = make_with_stand_ins("bench-deps", true, { "NPM_DIR=" .. npm_dir() })
  T.ok(asked_for(calls, "imagemagick"), "the bench's other peers are installed: " .. calls)
  T.ok(not asked_for(calls, "nodejs"), "nodejs not asked for: " .. calls)
  T.ok(not asked_for(calls, "npm"), "npm not asked for: " .. calls)
end)

T.case("make deps tries Debian's nodejs and npm when there is no node command, and says what is skipped", function()
  local calls, npm, stderr = make_with_stand_ins("deps", false, { "NPM_DIR=" .. npm_dir() })
  T.ok(asked_for(calls, "nodejs"), "nodejs asked for: " .. calls)
  T.ok(asked_for(calls, "npm"), "npm asked for: " .. calls)
  T.eq(npm, "", "no npm to call")
  T.ok(stderr:find("no node/npm; the SDK conformance and browser tests are skipped", 1, true), stderr)
end)

T.case("make deps installs the tests' node packages with npm ci from the lockfile, once", function()
  local dir = npm_dir()
  local _, npm = make_with_stand_ins("deps", true, { "NPM_DIR=" .. dir })
  local where, args = npm:match("^(%S+) ([^\n]*)\n$")
  T.eq(where, dir, "npm ran in the pinned directory: " .. npm)
  T.ok(args and args:match("^ci "), "npm ci, which installs exactly the lockfile: " .. npm)
  -- what npm ci leaves behind: node_modules/.package-lock.json, newer than the lockfile
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/node_modules") .. " && sleep 1 && touch "
    .. T.shell_quote(dir .. "/node_modules/.package-lock.json"))
  local _, again = make_with_stand_ins("deps", true, { "NPM_DIR=" .. dir })
  T.eq(again, "", "installed and up to date: npm is not called again")
end)

T.case("no test or bench installs a node package itself", function()
  local p = io.popen("grep -rlE 'npm (install|ci|i) ' " .. T.shell_quote(T.root .. "/tests") .. " --include='*.lua' --include='*.sh' --include='*.js' 2>/dev/null")
  local found = {}
  for path in p:lines() do
    if not path:match("/node_modules/") and not path:match("test_make_deps%.lua$") then found[#found + 1] = path end
  end
  p:close()
  T.eq(found, {}, "files that run npm: only `make deps` may")
end)
