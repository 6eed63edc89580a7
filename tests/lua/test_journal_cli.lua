-- test_journal_cli.lua — the journal's command-line options: --journal-report reads a
-- journal and exits, and cannot be mistaken for (or swallow) a script.
local T = require "testing"

local function atelier(args, opts)
  local argv = { T.atelier }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return T.run(argv, opts)
end

T.case("--journal-report without a journal says there is none and exits 1", function()
  local dir = T.tmpdir()
  local r = atelier({ "--journal-report", "--journal", dir .. "/nothing/journal.db" })
  T.eq(r.code, 1)
  T.match(r.stderr, "no journal at .*nothing/journal%.db", "names the path")
  T.eq(r.stdout, "")
end)

T.case("--journal-report with a script is a usage error", function()
  local r = atelier({ "--journal-report", "recipe.lua" })
  T.eq(r.code, 2)
  T.match(r.stderr, "takes no script")
end)

T.case("--journal needs a file name", function()
  local r = atelier({ "--journal" })
  T.eq(r.code, 2)
  T.match(r.stderr, "needs a file name")
end)

T.case("a script that submits nothing leaves no journal behind", function()
  local dir = T.tmpdir()
  local r = atelier({ "-e", "print('hi')" }, { cwd = dir })
  T.eq(r.code, 0)
  T.eq(r.stdout, "hi\n")
  local p = io.popen("ls -A " .. T.shell_quote(dir))
  local listing = p:read("a")
  p:close()
  T.eq(listing, "", "the working directory stays empty")
end)

T.case("--help lists the journal options", function()
  local r = atelier({ "--help" })
  T.eq(r.code, 0)
  for _, opt in ipairs { "--journal PATH", "--fresh", "--retry-unknown", "--journal-report" } do
    T.ok(r.stdout:find(opt, 1, true), "help mentions " .. opt)
  end
end)
