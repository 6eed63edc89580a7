-- test_output_folders.lua — every writer creates the folders its output needs (img:save,
-- book:save as PDF, pages and HTML, recipe.grid{out=}), inside --out under --sandbox
-- too, and a path whose folder cannot exist is refused before anything is spent.
local T = require "testing"

-- Runs `code` as a recipe (embedded emulator, no key) from `dir`; `extra` goes before
-- the script.
local function run(dir, code, extra)
  T.write_file(dir .. "/r.lua", code)
  local argv = { "timeout", "60", T.atelier }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  argv[#argv + 1] = dir .. "/r.lua"
  return T.run(argv, { cwd = dir })
end

local WRITERS = [[
  local fashn = require "fashn"
  local lookbook = require "lookbook"
  local recipe = require "recipe"
  local img = fashn.run { prompt = "look", seed = 1 }.images[1]
  img:save("a/b/c.png")
  local book = lookbook.new {}
  book:add(img)
  book:save("p/q/book.pdf")
  book:save("r/s/page.png")
  book:save("h/i/book.html")
  recipe.grid { base = { prompt = "look" }, x = { seed = { 1, 2 } }, out = "g/h/grid.png" }
  print("saved")
]]

local PROMISED = { "a/b/c.png", "p/q/book.pdf", "r/s/page-1.png", "h/i/book/index.html",
                   "h/i/book/images/001.jpg", "g/h/grid.png" }

T.case("writers create missing folders (img:save, book:save, recipe.grid)", function()
  local dir = T.tmpdir()
  local r = run(dir, "local ok, err = pcall(function()\n" .. WRITERS .. "\nend)\nif not ok then print(err) os.exit(1) end")
  T.eq(r.code, 0, r.stdout .. r.stderr)
  T.match(r.stdout, "saved")
  for _, p in ipairs(PROMISED) do T.ok(io.open(dir .. "/" .. p), "wrote " .. p) end
end)

T.case("under --sandbox the folders are created inside --out", function()
  local dir = T.tmpdir()
  local r = run(dir, WRITERS, { "--sandbox", "--max-credits", "10", "--out", dir .. "/out" })
  T.eq(r.code, 0, r.stdout .. r.stderr)
  for _, p in ipairs(PROMISED) do T.ok(io.open(dir .. "/out/" .. p), "wrote out/" .. p) end
  T.ok(not io.open(dir .. "/a/b/c.png"), "nothing beside the recipe")
end)

T.case("a folder that cannot be created is refused before anything is spent", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/afile", "a file, not a folder\n")
  local r = run(dir, [[
    local fashn = require "fashn"
    local recipe = require "recipe"
    for _, out in ipairs { "afile/sub/g.png", "/proc/atelier-nope/g.png" } do
      local ok, err = pcall(recipe.grid, { base = { prompt = "look" }, x = { seed = { 1, 2 } }, out = out })
      print(ok and "ALLOWED" or ("REFUSED " .. tostring(err)))
    end
    print("jobs " .. fashn.stats().jobs)
    local img = fashn.run { prompt = "look", seed = 1 }.images[1]
    local ok, err = pcall(img.save, img, "afile/x/y.png")
    print(ok and "ALLOWED" or ("REFUSED " .. tostring(err)))
    local book = require("lookbook").new {}
    book:add(img)
    ok, err = pcall(book.save, book, "afile/book.pdf")
    print(ok and "ALLOWED" or ("REFUSED " .. tostring(err)))
  ]])
  T.eq(r.code, 0, r.stdout .. r.stderr)
  local lines = {}
  for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
  T.match(lines[1], "^REFUSED .*FileError.*cannot write beside .*afile/sub/g%.png.*not a folder.*nothing was submitted", lines[1])
  T.match(lines[2], "^REFUSED .*FileError.*nothing was submitted", lines[2])
  T.eq(lines[3], "jobs 0", "nothing was submitted for the refused grids")
  T.match(lines[4], "^REFUSED .*afile", lines[4])
  T.match(lines[5], "^REFUSED .*afile", lines[5])
  T.eq(T.read_file(dir .. "/afile"), "a file, not a folder\n")
end)

T.case("under --sandbox a folder outside --out or through a link is not created", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out") .. " " .. T.shell_quote(dir .. "/elsewhere"))
  os.execute("ln -s " .. T.shell_quote(dir .. "/elsewhere") .. " " .. T.shell_quote(dir .. "/out/link"))
  local r = run(dir, [[
    local recipe = require "recipe"
    for _, out in ipairs { "link/new/g.png", "../escape/g.png" } do
      local ok, err = pcall(recipe.grid, { base = { prompt = "look" }, x = { seed = { 1, 2 } }, out = out })
      print(ok and "ALLOWED" or ("REFUSED " .. tostring(err)))
    end
  ]], { "--sandbox", "--max-credits", "10", "--out", dir .. "/out" })
  T.eq(r.code, 0, r.stdout .. r.stderr)
  T.match(r.stdout, "^REFUSED [^\n]*SandboxViolation[^\n]*\nREFUSED [^\n]*SandboxViolation", r.stdout)
  T.ok(not io.open(dir .. "/elsewhere/new"), "no folder made through the link")
  T.ok(not io.open(dir .. "/escape"), "no folder made outside --out")
end)
