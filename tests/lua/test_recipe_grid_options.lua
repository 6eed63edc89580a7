-- test_recipe_grid_options.lua — recipe.grid refuses a bad spec before anything is
-- submitted: each error names the field and what is allowed; inputs are checked cell by
-- cell (InvalidInput naming the cell); labels of axis values read well.
local T = require "testing"
local recipe = require "recipe"
local fashn = require "fashn"
local grid = require "recipe.grid"
local image = require "image"

local function spec(dir, extra)
  local s = { base = { prompt = "look" }, x = { seed = { 1, 2 } }, out = dir .. "/g.png" }
  for k, v in pairs(extra) do
    if v == "nil" then s[k] = nil else s[k] = v end
  end
  return s
end

T.case("every bad grid option is refused naming the field and the allowed values", function()
  local dir = T.tmpdir()
  local bad = {
    { { colour = "red" }, "colour", "unknown option %(known: base, x, y, z, out" },
    { { x = "nil" }, "x", "x: required" },
    { { x = { 1, 2 } }, "x", "x: keys must be input names" },
    { { x = { seed = { 1 }, aspect_ratio = { "1:1" } } }, "x", "one input per axis, got both aspect_ratio and seed" },
    { { x = { labels = { "a" } } }, "x", "names no input to vary" },
    { { x = { seed = {} } }, "x.seed", "expected a non%-empty list of values" },
    { { x = { seed = 3 } }, "x.seed", "expected a non%-empty list of values, got a number" },
    { { x = { seed = { 1, {} } } }, "x.seed[2]", "expected a string, number, boolean or image, got a table" },
    { { x = { seed = { 1, 2 }, labels = { "a" } } }, "x.labels", "expected a list of 2 strings, one per value" },
    { { x = { seed = { 1 }, name = 4 } }, "x.name", "expected a string" },
    { { y = { seed = { 3, 4 } } }, "y", "seed already varies along x" },
    { { z = { seed = { 3, 4 } } }, "z", "seed already varies along x" },
    { { x = { seed = (function() local t = {} for i = 1, 33 do t[i] = i end return t end)() } }, "x.seed", "at most 32 values" },
    { { base = "look" }, "base", "expected a table of inputs" },
    { { out = "nil" }, "out", "expected a file name ending in .png, .jpg, .webp or .pdf" },
    { { out = dir .. "/g.html" }, "out", "unknown format %(use .png, .jpg, .jpeg, .webp or .pdf; a grid is one page" },
    { { out = dir .. "/g" }, "out", "unknown format" },
    { { cell_width = 8 }, "cell_width", "expected an integer from 16 to 4096, got 8" },
    { { cell_width = 100.5 }, "cell_width", "expected an integer from 16 to 4096" },
    { { dpi = 10 }, "dpi", "from 36 to 1200" },
    { { quality = 101 }, "quality", "from 1 to 100" },
    { { fit = "cover" }, "fit", "expected \"fit\" %(whole image%) or \"fill\"" },
    { { captions = "yes" }, "captions", "expected true" },
    { { caption = "x" }, "caption", "expected a function%(cell%)" },
    { { announce = -1 }, "announce", "expected true, false or a number of credits" },
    { { timeout = 0 }, "timeout", "expected seconds > 0" },
    { { title = 3 }, "title", "expected a string" },
    { { base = { prompt = "look", num_images = 2 } }, "base.num_images", "a grid cell shows one image: expected 1" },
  }
  for _, case in ipairs(bad) do
    local err = T.raises(function() recipe.grid(spec(dir, case[1])) end, "BadOption", T.describe(case[1]))
    T.eq(err.field, case[2], "field for " .. T.describe(case[1]))
    T.match(tostring(err), "recipe.grid: ", "says who")
    T.match(tostring(err), case[3], "message for " .. T.describe(case[1]))
  end
  T.raises(function() recipe.grid("grid.png") end, "bad argument #1 to 'recipe.grid' %(table expected, got string%)")
  T.eq(fashn.stats().jobs, 0, "nothing was submitted")
end)

T.case("a cell's inputs are checked before any is submitted, the error naming the cell and field", function()
  local dir = T.tmpdir()
  local err = T.raises(function()
    recipe.grid(spec(dir, { x = { aspect_ratio = { "3:4", "7:5" } }, y = { seed = { 1, 2 } } }))
  end, "InvalidInput")
  T.eq(err.field, "aspect_ratio")
  T.match(err.message, "recipe.grid: cell aspect_ratio 7:5, seed 1: aspect_ratio")
  -- a reference file is read before anything is sent, not when its cell's turn comes
  image.new(8, 8, { 1, 2, 3 }):save(dir .. "/face.png")
  err = T.raises(function()
    recipe.grid(spec(dir, { base = { prompt = "p", face_reference_mode = "match_base" },
      x = { face_reference = { dir .. "/face.png", dir .. "/missing.png" } } }))
  end, "InvalidInput")
  T.eq(err.field, "face_reference")
  T.match(err.message, "cell face_reference missing%.png: face_reference: .*missing%.png")
  err = T.raises(function() recipe.grid(spec(dir, { base = { seed = 1 } })) end, "InvalidInput")
  T.eq(err.field, "prompt")
  -- an axis named by a typo would buy identical images: refused, naming the field it meant
  err = T.raises(function() recipe.grid(spec(dir, { x = { seeds = { 1, 2 } } })) end, "InvalidInput")
  T.eq(err.field, "seeds")
  T.match(err.message, 'did you mean "seed"')
  err = T.raises(function() recipe.grid(spec(dir, { base = { prompt = "p", aspect_ration = "3:4" } })) end,
    "InvalidInput")
  T.eq(err.field, "aspect_ration")
  T.eq(fashn.stats().jobs, 0, "nothing was submitted")
end)

T.case("an output whose folder cannot be created is refused before anything is spent", function()
  -- a missing folder is created (test_output_folders.lua); one under a file cannot be
  local dir = T.tmpdir()
  T.write_file(dir .. "/afile", "x")
  local err = T.raises(function() recipe.grid(spec(dir .. "/afile/sub", {})) end, "FileError")
  T.match(tostring(err), "cannot write beside .*/afile/sub/g.png")
  T.match(tostring(err), "nothing was submitted")
  T.eq(fashn.stats().jobs, 0)
end)

T.case("axis values are labelled by what reads well", function()
  T.eq(grid.label_of(7), "7")
  T.eq(grid.label_of(7.0), "7")
  T.eq(grid.label_of(0.5), "0.5")
  T.eq(grid.label_of(true), "true")
  T.eq(grid.label_of("match_base"), "match_base")
  T.eq(grid.label_of("faces/anna.jpg"), "anna.jpg")
  T.eq(grid.label_of("https://cdn.example.com/refs/pose-3.png?sig=abc"), "pose-3.png")
  T.eq(grid.label_of("data:image/png;base64,AAAA"), "data: image/png")
  T.eq(grid.label_of("a model in linen / silk"), "a model in linen / silk", "prompts stay whole")
end)

T.case("the writability probe never writes through a link planted under its name", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/victim.txt", "precious\n")
  os.execute("ln -s " .. T.shell_quote(dir .. "/victim.txt") .. " " .. T.shell_quote(dir .. "/g.png.atelier-probe"))
  os.execute("ln -s " .. T.shell_quote(dir .. "/new.txt") .. " " .. T.shell_quote(dir .. "/h.png.atelier-probe"))
  T.write_file(dir .. "/r.lua", [[
    local recipe = require "recipe"
    local atelier = require "atelier"
    print(atelier.writable(arg[1] .. "/h.png"))
    print(atelier.writable("/proc/atelier-nonexistent/h.png") == nil)
    recipe.grid { base = { prompt = "look" }, x = { seed = { 1, 2 } }, out = arg[1] .. "/g.png" }
  ]])
  -- a dry run probes inside its rehearsal folder (where its writes go): writable there
  local r = T.run({ "timeout", "20", T.atelier, "--dry-run", dir .. "/r.lua", dir },
    { env = { FASHN_API_KEY = "test-key" }, cwd = dir })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^true\nfalse\n", r.stdout)
  T.eq(T.read_file(dir .. "/victim.txt"), "precious\n", "the linked file is untouched")
  T.ok(not io.open(dir .. "/new.txt"), "nothing was created through the dangling link")
  -- and a real run (the embedded emulator) probes where it writes
  r = T.run({ "timeout", "20", T.atelier, dir .. "/r.lua", dir }, { cwd = dir, env = { ATELIER_EMU_TIME_SCALE = "0.01" } })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^true\ntrue\n", r.stdout)
  T.eq(T.read_file(dir .. "/victim.txt"), "precious\n", "the linked file is untouched")
  T.ok(not io.open(dir .. "/new.txt"), "nothing was created through the dangling link")
end)
