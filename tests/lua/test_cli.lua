-- test_cli.lua — bin/atelier as a command: lua-compatible options, exit statuses,
-- error reports with file:line and a traceback.
local T = require "testing"

local function atelier(args, opts)
  local argv = { T.atelier }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return T.run(argv, opts)
end

T.case("-e runs code and prints the Lua version", function()
  local r = atelier({ "-e", "print(_VERSION)" })
  T.eq(r.code, 0)
  T.eq(r.stdout, "Lua 5.4\n")
end)

T.case("arg holds the script and its arguments; ... too", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/args.lua", "print(arg[0], arg[1], arg[2], #arg, select('#', ...), ...)")
  local r = atelier({ dir .. "/args.lua", "one", "two" })
  T.eq(r.code, 0)
  T.eq(r.stdout, dir .. "/args.lua\tone\ttwo\t2\t2\tone\ttwo\n")
end)

T.case("a script error exits 1 naming file:line with a traceback", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/bad.lua", "local x = 1\n\nerror('the look is wrong')\n")
  local r = atelier({ dir .. "/bad.lua" })
  T.eq(r.code, 1)
  T.match(r.stderr, "bad%.lua:3: the look is wrong", "file:line")
  T.match(r.stderr, "stack traceback:", "traceback")
  local _, n = r.stderr:gsub("the look is wrong", "")
  T.eq(n, 1, "the message appears once")
end)

T.case("a syntax error exits 1 with file:line", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/syntax.lua", "local = 3\n")
  local r = atelier({ dir .. "/syntax.lua" })
  T.eq(r.code, 1)
  T.match(r.stderr, "syntax%.lua:1:", "file:line")
end)

T.case("a missing script exits 1 and says so", function()
  local r = atelier({ "/nonexistent/recipe.lua" })
  T.eq(r.code, 1)
  T.match(r.stderr, "cannot open /nonexistent/recipe%.lua", "names the file")
end)

T.case("- reads the script from standard input", function()
  local r = atelier({ "-", "x" }, { stdin = "print('stdin', ...)" })
  T.eq(r.code, 0)
  T.eq(r.stdout, "stdin\tx\n")
end)

T.case("a #! first line is skipped", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/shebang.lua", "#!/usr/bin/env atelier\nprint('ran')\n")
  local r = atelier({ dir .. "/shebang.lua" })
  T.eq(r.code, 0)
  T.eq(r.stdout, "ran\n")
end)

T.case("an unknown option is a usage error (exit 2)", function()
  local r = atelier({ "--no-such-option" })
  T.eq(r.code, 2)
  T.match(r.stderr, "unknown option '%-%-no%-such%-option'", "names the option")
end)

T.case("-e without code is a usage error (exit 2)", function()
  local r = atelier({ "-e" })
  T.eq(r.code, 2)
end)

T.case("-v and --help answer and exit 0", function()
  local v = atelier({ "-v" })
  T.eq(v.code, 0)
  T.match(v.stdout, "^atelier %d+%.%d+%.%d+", "version")
  local h = atelier({ "--help" })
  T.eq(h.code, 0)
  T.match(h.stdout, "usage: atelier", "usage")
end)

T.case("-e chunks run before the script, in order", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/s.lua", "print(X)")
  local r = atelier({ "-e", "X = 1", "-e", "X = X + 1", dir .. "/s.lua" })
  T.eq(r.stdout, "2\n")
end)

T.case("an unobserved failing task makes the run exit 1 and is reported", function()
  local r = atelier({ "-e", "local a = require 'atelier'; a.spawn(function() error('lost look') end)" })
  T.eq(r.code, 1)
  T.match(r.stderr, "nobody gathered it", "reported")
  T.match(r.stderr, "lost look", "message")
end)

T.case("the process waits for spawned tasks after the main chunk returns", function()
  local r = atelier({ "-e", "local a = require 'atelier'; a.spawn(function() a.sleep(0.05) print('late') end)" })
  T.eq(r.code, 0)
  T.eq(r.stdout, "late\n")
end)

T.case("a deadlock is reported instead of hanging", function()
  local r = atelier({ "-e", [[
    local a = require 'atelier'
    local t1, t2
    t1 = a.spawn(function() a.sleep(0.01) a.gather(t2) end)
    t2 = a.spawn(function() a.sleep(0.01) a.gather(t1) end)
  ]] })
  T.eq(r.code, 1)
  T.match(r.stderr, "deadlock", "explained")
end)

T.case("require finds shipped modules from any working directory", function()
  local r = atelier({ "-e", "print(type(require('tasks').map))" }, { cwd = "/" })
  T.eq(r.code, 0)
  T.eq(r.stdout, "function\n")
end)

T.case("a recipe named like a shipped module still requires the real module", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/recipe.lua", "print(type(require('recipe').product))")
  local r = atelier({ dir .. "/recipe.lua" })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "function\n")
end)

T.case("modules beside the script are found by require", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/helpers.lua", "return { answer = 42 }")
  T.write_file(dir .. "/main.lua", "print(require('helpers').answer)")
  local r = atelier({ dir .. "/main.lua" }, { cwd = "/" })
  T.eq(r.stdout, "42\n")
end)

T.case("setting up and loading run protected: a script too large for --max-memory is an error, not a panic", function()
  local dir = T.tmpdir()
  local parts = { "local t = {\n" }
  for i = 1, 60000 do parts[#parts + 1] = string.format("  %q,\n", i .. " some text to fill memory") end
  parts[#parts + 1] = "}\nprint(#t)\n"
  T.write_file(dir .. "/big.lua", table.concat(parts))
  local r = atelier({ "--max-memory", "1M", dir .. "/big.lua" })
  T.eq(r.code, 1, "exit status 1, not a signal: " .. r.stderr)
  T.match(r.stderr, "not enough memory")
  local ok = atelier({ "--max-memory", "64M", dir .. "/big.lua" })
  T.eq(ok.code, 0, ok.stderr)
  T.eq(ok.stdout, "60000\n")
end)

T.case("-m MODULE runs require(MODULE).main with the rest of the line; an integer it returns is the status", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/mymod.lua", [[
local M = {}
function M.main(args)
  print(arg[0], #args, table.concat(args, "|"))
  return tonumber(args[1]) or 0
end
return M
]])
  local path = string.format("package.path = %q .. package.path", dir .. "/?.lua;")
  local r = atelier({ "-e", path, "-m", "mymod", "3", "-q", "--title", "x y" })
  T.eq(r.code, 3, "main's 3 is the exit status; stderr: " .. r.stderr)
  T.eq(r.stdout, "mymod\t4\t3|-q|--title|x y\n", "options after -m MODULE are the module's")
  r = atelier({ "-e", path, "-m", "mymod", "0" })
  T.eq(r.code, 0)
  T.write_file(dir .. "/nomain.lua", "return {}\n")
  r = atelier({ "-e", path, "-m", "nomain" })
  T.eq(r.code, 1)
  T.match(r.stderr, "nomain: this module has no command line")
  r = atelier({ "-m" })
  T.eq(r.code, 2)
  T.match(r.stderr, "'%-m' needs an argument")
end)
