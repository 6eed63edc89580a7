-- test_sandbox.lua — `atelier --sandbox`: every escape a shared recipe might try is
-- refused, and what a recipe legitimately does (write under --out, read beside itself)
-- still works.
local T = require "testing"

-- Runs `code` as a recipe in a fresh directory under --sandbox --out <dir>/out.
local function sandboxed(code, extra)
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/recipe") .. " " .. T.shell_quote(dir .. "/secret"))
  T.write_file(dir .. "/secret/data.txt", "top secret\n")
  T.write_file(dir .. "/recipe/notes.txt", "beside the recipe\n")
  T.write_file(dir .. "/recipe/r.lua", code)
  local argv = { T.atelier, "--sandbox", "--max-credits", "10", "--out", dir .. "/out" }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = (a:gsub("{dir}", dir)) end
  argv[#argv + 1] = dir .. "/recipe/r.lua"
  local r = T.run(argv, { env = { FASHN_API_KEY_SHADOW = "x" } })
  r.dir = dir
  return r
end

local function refused(code, pattern)
  local r = sandboxed("local ok, err = pcall(function() " .. code .. " end)\n" ..
                      "print(ok and 'ALLOWED' or ('REFUSED ' .. tostring(err)))\n")
  T.eq(r.code, 0, "the recipe itself ran: " .. r.stderr)
  T.match(r.stdout, "^REFUSED", "refused: " .. code .. " -> " .. r.stdout)
  if pattern then T.match(r.stdout, pattern, "reason for " .. code) end
end

T.case("no processes: os.execute and io.popen are gone", function()
  refused("os.execute('touch /tmp/pwned')")
  refused("io.popen('id')")
end)

T.case("no C code: package.loadlib, C searchers and cpath are gone", function()
  refused("package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', '*')")
  refused("package.cpath = '/tmp/?.so'; require 'evil'")
end)

T.case("no debug library and no binary chunks", function()
  refused("debug.getregistry()")
  refused("require 'debug'")
  refused("assert(load(string.dump(function() end)))()", "binary")
end)

T.case("writes outside --out are refused, with .. and absolute paths", function()
  refused("assert(io.open('/tmp/escape.txt', 'w'))", "SandboxViolation")
  refused("assert(io.open('../escape.txt', 'w'))", "confined to the %-%-out directory")
  refused("assert(io.open('sub/../../escape.txt', 'w'))", "SandboxViolation")
  refused("assert(os.remove('../secret/data.txt'))", "SandboxViolation")
  refused("assert(os.rename('a', '/tmp/b'))", "SandboxViolation")
  refused("io.output('/tmp/escape2.txt')", "SandboxViolation")
end)

T.case("a symlink inside --out cannot lead a write or read outside", function()
  local r = sandboxed([[
    local ok, err = pcall(function() assert(io.open('link/x.txt', 'w')) end)
    print(ok and 'ALLOWED' or 'REFUSED ' .. tostring(err))
    ok, err = pcall(function() assert(io.open('link/data.txt', 'r')) end)
    print(ok and 'ALLOWED' or 'REFUSED ' .. tostring(err))
  ]], {})
  -- the first run created --out; now plant the link and run again
  os.execute("ln -s " .. T.shell_quote(r.dir .. "/secret") .. " " .. T.shell_quote(r.dir .. "/out/link"))
  local again = T.run({ T.atelier, "--sandbox", "--max-credits", "10", "--out", r.dir .. "/out", r.dir .. "/recipe/r.lua" })
  T.eq(again.code, 0, again.stderr)
  local first, second = again.stdout:match("^(.-)\n(.-)\n$")
  T.match(first, "^REFUSED.*SandboxViolation", "write through symlink")
  T.match(second, "^REFUSED.*SandboxViolation", "read through symlink")
end)

T.case("reads outside the script's directory, --out and --allow-read are refused", function()
  refused("assert(io.open('/etc/passwd'))", "reads are confined")
  refused("for l in io.lines('/etc/hostname') do end", "SandboxViolation")
  refused("dofile('/etc/passwd')", "SandboxViolation")
  refused("loadfile('/etc/passwd')", "SandboxViolation")
end)

T.case("the environment is hidden (test_sandbox_promise.lua: --allow-env)", function()
  local r = sandboxed("print(os.getenv('FASHN_API_KEY_SHADOW'), os.getenv('HOME'))")
  T.eq(r.stdout, "nil\tnil\n")
end)

T.case("a sandboxed recipe writes under --out, reads beside itself and where allowed", function()
  local r = sandboxed([[
    local here = arg[0]:match('^(.*)/')
    local f = assert(io.open('one.txt', 'w')) -- relative: inside --out
    f:write('saved') f:close()
    print(assert(io.open(here .. '/notes.txt')):read('l'))
    print(assert(io.open('one.txt')):read('a'))
    print(assert(io.open(arg[1] or here .. '/../secret/data.txt')):read('l'))
  ]], { "--allow-read", "{dir}/secret" })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "beside the recipe\nsaved\ntop secret\n")
  T.eq(T.read_file(r.dir .. "/out/one.txt"), "saved")
end)

T.case("require of shipped Lua modules still works in the sandbox", function()
  local r = sandboxed("print(type(require('recipe').product), type(require('cjson').encode))")
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "function\tfunction\n")
end)

T.case("--sandbox needs --out and a credit cap, and --out needs --sandbox", function()
  local r = T.run({ T.atelier, "--sandbox", "--max-credits", "5", "-e", "print(1)" })
  T.eq(r.code, 2)
  T.match(r.stderr, "needs %-%-out", "explains")
  r = T.run({ T.atelier, "--sandbox", "--out", T.tmpdir() .. "/o", "-e", "print(1)" })
  T.eq(r.code, 2)
  T.match(r.stderr, "needs %-%-max%-credits", "a cap is required")
  r = T.run({ T.atelier, "--out", "/tmp/x", "-e", "print(1)" })
  T.eq(r.code, 2)
end)

T.case("a sandboxed recipe cannot point the API key elsewhere or lift the credit cap", function()
  refused("require('fashn').configure{ base_url = 'https://collector.example' }", "SandboxViolation")
  refused("require('fashn').configure{ api_key = 'someone-elses' }", "SandboxViolation")
  refused("require('fashn').configure{ cacert = 'their-ca.pem' }", "SandboxViolation")
  refused("require('fashn').configure{ max_credits = false }", "can lower max_credits")
  refused("require('fashn').configure{ max_credits = 11 }", "above the %-%-max%-credits cap")
  local r = sandboxed("require('fashn').configure{ max_credits = 3 } print('lowered')")
  T.eq(r.stdout, "lowered\n", r.stderr)
end)

T.case("a sandboxed recipe cannot send a file outside its allowed places as a reference", function()
  -- --dry-run: validated and priced, nothing sent; the read itself must be refused
  local r = sandboxed([[
    local fashn = require 'fashn'
    local ok, err = pcall(fashn.submit, { prompt = 'x', face_reference = '/etc/ssl/certs/ca-certificates.crt' })
    print(ok and 'ALLOWED' or 'REFUSED ' .. tostring(err))
  ]], { "--dry-run" })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^REFUSED.*SandboxViolation", "refused: " .. r.stdout)
end)

T.case("a dangling symlink planted in --out cannot lead a write outside it", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out") .. " " .. T.shell_quote(dir .. "/elsewhere"))
  T.write_file(dir .. "/elsewhere/victim.txt", "original\n")
  -- one link to a file that does not exist yet, one to a file that does
  os.execute("ln -s " .. T.shell_quote(dir .. "/elsewhere/new.txt") .. " " .. T.shell_quote(dir .. "/out/dangling"))
  os.execute("ln -s " .. T.shell_quote(dir .. "/elsewhere/victim.txt") .. " " .. T.shell_quote(dir .. "/out/victim"))
  T.write_file(dir .. "/r.lua", [[
    for _, name in ipairs { 'dangling', 'victim', './dangling' } do
      local ok, err = pcall(function() local f = assert(io.open(name, 'w')) f:write('pwned') f:close() end)
      print(ok and 'ALLOWED' or 'REFUSED ' .. tostring(err))
    end
    local ok, err = pcall(io.output, 'dangling')
    print(ok and 'ALLOWED' or 'REFUSED ' .. tostring(err))
  ]])
  local r = T.run({ "timeout", "20", T.atelier, "--sandbox", "--max-credits", "1", "--out", dir .. "/out", dir .. "/r.lua" })
  T.eq(r.code, 0, r.stderr)
  for line in r.stdout:gmatch("[^\n]+") do T.match(line, "^REFUSED.*symbolic link", line) end
  T.eq(select(2, r.stdout:gsub("\n", "")), 4, r.stdout)
  T.ok(not io.open(dir .. "/elsewhere/new.txt"), "no file was created through the dangling link")
  T.eq(T.read_file(dir .. "/elsewhere/victim.txt"), "original\n", "the linked file is untouched")
end)

T.case("a hard link planted in --out cannot carry a write to the file it shares", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out") .. " " .. T.shell_quote(dir .. "/elsewhere"))
  T.write_file(dir .. "/elsewhere/victim.txt", "original\n")
  os.execute("ln " .. T.shell_quote(dir .. "/elsewhere/victim.txt") .. " " .. T.shell_quote(dir .. "/out/shared.txt"))
  T.write_file(dir .. "/r.lua", [[
    for _, mode in ipairs { 'w', 'a', 'r+' } do
      print(io.open('shared.txt', mode))
    end
    print(io.open('shared.txt', 'r'):read('l')) -- reading it is fine
  ]])
  local r = T.run({ "timeout", "20", T.atelier, "--sandbox", "--max-credits", "1", "--out", dir .. "/out", dir .. "/r.lua" })
  T.eq(r.code, 0, r.stderr)
  local _, refused = r.stdout:gsub("nil\t[^\n]*other hard links", "")
  T.eq(refused, 3, r.stdout)
  T.match(r.stdout, "\noriginal\n$", r.stdout)
  T.eq(T.read_file(dir .. "/elsewhere/victim.txt"), "original\n", "the other file is untouched")
end)
