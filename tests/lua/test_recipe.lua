-- test_recipe.lua — recipe.product, recipe.expand (templates, picks, wildcards), cost.
local recipe = require "recipe"
local T = require "testing"

T.case("product crosses list values in a stable order, last axis fastest", function()
  local items = recipe.product{
    prompt = "linen suit",
    seed = { 1, 2, 3 },
    face_reference_mode = { "match_base", "match_reference" },
  }
  T.eq(#items, 6)
  -- axes sorted by name: face_reference_mode (slow), seed (fast)
  T.eq(items[1], { prompt = "linen suit", face_reference_mode = "match_base", seed = 1 })
  T.eq(items[2], { prompt = "linen suit", face_reference_mode = "match_base", seed = 2 })
  T.eq(items[4], { prompt = "linen suit", face_reference_mode = "match_reference", seed = 1 })
  T.eq(items[6], { prompt = "linen suit", face_reference_mode = "match_reference", seed = 3 })
end)

T.case("product honours an explicit axis order", function()
  local items = recipe.product({ seed = { 1, 2 }, aspect_ratio = { "3:4", "1:1" } }, { order = { "seed" } })
  T.eq(items[1], { seed = 1, aspect_ratio = "3:4" })
  T.eq(items[2], { seed = 1, aspect_ratio = "1:1" })
  T.eq(items[3], { seed = 2, aspect_ratio = "3:4" })
end)

T.case("product of constants only is one item; an empty axis gives none", function()
  T.eq(recipe.product{ prompt = "x", seed = 3 }, { { prompt = "x", seed = 3 } })
  T.eq(recipe.product{ prompt = "x", seed = {} }, {})
end)

T.case("product items are fresh tables", function()
  local items = recipe.product{ prompt = "x", seed = { 1, 2 } }
  items[1].prompt = "changed"
  T.eq(items[2].prompt, "x")
end)

T.case("expand lists every combination of alternatives in order", function()
  T.eq(recipe.expand("a model in a {linen|silk} {suit|dress}"), {
    "a model in a linen suit", "a model in a linen dress",
    "a model in a silk suit", "a model in a silk dress",
  })
end)

T.case("expand handles nesting, empty options and text without groups", function()
  T.eq(recipe.expand("{red|{dark|light} blue} coat"), { "red coat", "dark blue coat", "light blue coat" })
  T.eq(recipe.expand("coat{| with belt}"), { "coat", "coat with belt" })
  T.eq(recipe.expand("plain prompt"), { "plain prompt" })
end)

T.case("expand picks k of n with $$, in template order, with a custom separator", function()
  T.eq(recipe.expand("{2$$a|b|c}"), { "a, b", "a, c", "b, c" })
  T.eq(recipe.expand("{2$$ and $$a|b|c}"), { "a and b", "a and c", "b and c" })
  T.eq(recipe.expand("{1-2$$a|b}"), { "a", "b", "a, b" })
end)

T.case("expand escapes braces, bars and underscores with a backslash", function()
  T.eq(recipe.expand("\\{literal\\} a\\|b \\_\\_x\\_\\_"), { "{literal} a|b __x__" })
end)

T.case("expand reads __name__ wildcards beside the script or from a directory", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/wc/colors"))
  T.write_file(dir .. "/wc/places.txt", "# places to shoot\nrooftop\n\n{beach|dune} at dusk\r\n")
  T.write_file(dir .. "/wc/colors/warm.txt", "ochre\nrust\n")
  local got = recipe.expand("model in __colors/warm__, __places__", { wildcards = dir .. "/wc" })
  T.eq(got, {
    "model in ochre, rooftop", "model in ochre, beach at dusk", "model in ochre, dune at dusk",
    "model in rust, rooftop", "model in rust, beach at dusk", "model in rust, dune at dusk",
  })
end)

T.case("a missing wildcard file is an error naming where it looked", function()
  local dir = T.tmpdir()
  local err = T.raises(function() recipe.expand("__nowhere__", { wildcards = dir }) end, "nowhere")
  T.ok(tostring(err):find(dir .. "/nowhere.txt", 1, true), "names the path: " .. tostring(err))
end)

T.case("a wildcard that refers back to itself is refused", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/loop.txt", "again __loop__\n")
  T.raises(function() recipe.expand("__loop__", { wildcards = dir }) end, "refers back to itself")
end)

T.case("wildcard names cannot leave the wildcards directory", function()
  T.raises(function() recipe.expand("__colors/../../etc/passwd__", { wildcards = "/tmp" }) end, "must not leave")
end)

T.case("unbalanced braces are errors naming the character", function()
  T.raises(function() recipe.expand("a {b|c") end, "unbalanced '{' at character 3")
  T.raises(function() recipe.expand("a b}c") end, "unbalanced '}' at character 4")
  T.raises(function() recipe.expand("{3$$a|b}") end, "picks 3 of only 2")
  T.raises(function() recipe.expand(42) end, "bad argument #1 to 'recipe.expand' %(string expected, got number%)")
end)

T.case("expand refuses to list more than max combinations", function()
  local big = string.rep("{a|b|c|d|e|f|g|h|i|j}", 5) -- 100000
  T.raises(function() recipe.expand(big) end, "more than max")
  T.eq(recipe.count(big), 100000)
  T.eq(#recipe.expand("{a|b|c}{d|e}", { max = 6 }), 6)
end)

T.case("expand draws n distinct prompts reproducibly from a seed", function()
  local tpl = string.rep("{a|b|c|d|e|f|g|h|i|j}", 5)
  local one = recipe.expand(tpl, { n = 8, seed = 7 })
  local again = recipe.expand(tpl, { n = 8, seed = 7 })
  local other = recipe.expand(tpl, { n = 8, seed = 8 })
  T.eq(#one, 8)
  T.eq(one, again, "same seed, same draw")
  T.ok(not T.deep_equal(one, other), "another seed, another draw")
  local seen = {}
  for _, s in ipairs(one) do
    T.ok(not seen[s], "distinct: " .. s)
    seen[s] = true
    T.eq(#s, 5)
  end
end)

T.case("asking for more random prompts than exist returns them all", function()
  local got = recipe.expand("{a|b}{c|d}", { n = 10, seed = 1 })
  table.sort(got)
  T.eq(got, { "ac", "ad", "bc", "bd" })
end)

T.case("cost prices as the API does: per image by mode and resolution, +3 with face_reference", function()
  local list = recipe.product{ prompt = "x", seed = { 1, 2, 3 } }
  T.eq(recipe.cost(list), 3)
  list[1].num_images = 4
  list[2].face_reference = "faces/anna.jpg"
  local credits, images = recipe.cost(list)
  T.eq(credits, 4 + 4 + 1)
  T.eq(images, 6)
  T.eq(recipe.cost{ prompt = "single", num_images = 2 }, 2)
  T.raises(function() recipe.cost{ { prompt = "x", num_images = 9 } } end, "num_images")
  T.eq(recipe.cost{ prompt = "x", generation_mode = "quality", resolution = "4k", num_images = 2 }, 10)
  T.eq(recipe.cost{ prompt = "x", resolution = "2k" }, 3, "no mode: balanced at 2k")
  local err = T.raises(function() recipe.cost{ prompt = "x", face_refrence = "faces/anna.jpg" } end, "InvalidInput")
  T.eq(err.field, "face_refrence", "a typo is refused, not priced as if the face were absent")
end)

T.case("wildcard names may hold underscores, as wildcard collections usually do", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/hair_colour.txt", "auburn\nblack\n")
  T.eq(recipe.expand("__hair_colour__ hair", { wildcards = dir }), { "auburn hair", "black hair" })
  T.eq(recipe.expand("snake__case", { wildcards = dir }), { "snake__case" }, "a lone __ is text")
end)

T.case("configure sets where wildcards are found; opts.wildcards wins; false goes back to the script's", function()
  local a, b = T.tmpdir(), T.tmpdir()
  T.write_file(a .. "/fabric.txt", "linen\n")
  T.write_file(b .. "/fabric.txt", "silk\nwool\n")
  recipe.configure { wildcards = a }
  T.eq(recipe.expand("__fabric__"), { "linen" })
  T.eq(recipe.expand("__fabric__", { wildcards = b }), { "silk", "wool" })
  recipe.configure { wildcards = { T.tmpdir(), b } }
  T.eq(recipe.expand("__fabric__"), { "silk", "wool" }, "the first directory that has the file")
  recipe.configure { wildcards = false }
  local err = T.raises(function() recipe.expand("__fabric__") end, "no file for wildcard")
  T.match(tostring(err), "/wildcards/fabric%.txt", "looked beside the script")
  T.raises(function() recipe.configure { wildcard = a } end, "unknown setting wildcard %(known: wildcards%)")
  T.raises(function() recipe.configure { wildcards = 3 } end, "wildcards: expected a directory or a list")
  T.raises(function() recipe.configure { wildcards = { a, 4 } } end, "wildcards%[2%]: expected a directory name")
  T.raises(function() recipe.configure "dir" end, "bad argument #1 to 'recipe.configure' %(table expected, got string%)")
end)

T.case("by default wildcards are read from wildcards/ beside the script, whatever the working directory", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/book/wildcards"))
  T.write_file(dir .. "/book/wildcards/places.txt", "rooftop\nbeach\n")
  T.write_file(dir .. "/book/sweep.lua", 'print(table.concat(require("recipe").expand("at the __places__"), ";"))')
  local r = T.run({ T.atelier, dir .. "/book/sweep.lua" }, { cwd = T.tmpdir() })
  T.eq(r.code, 0, "exit status (stderr: " .. r.stderr .. ")")
  T.eq(r.stdout, "at the rooftop;at the beach\n")
end)

T.case("expand, count and product refuse options they do not know or cannot use", function()
  T.raises(function() recipe.expand("a", { count = 3 }) end, "unknown option count %(known: n, seed, max, wildcards%)")
  T.raises(function() recipe.expand("a", { n = 2, seed = 1.5 }) end, "seed must be an integer")
  T.raises(function() recipe.expand("a", { max = 0 }) end, "max must be an integer >= 1")
  T.raises(function() recipe.expand("a", { n = -1 }) end, "n must be an integer >= 0")
  T.raises(function() recipe.expand("a", "n=3") end, "bad argument #2 to 'recipe.expand' %(table expected, got string%)")
  T.raises(function() recipe.count("a", { n = 1, bogus = true }) end, "recipe.count: unknown option bogus")
  T.raises(function() recipe.product({ seed = { 1 } }, { order = "seed" }) end, "order must be a list")
  T.raises(function() recipe.product({ seed = { 1 } }, { order = { "prompt" } }) end, "order names prompt")
  T.raises(function() recipe.product "seed" end, "bad argument #1 to 'recipe.product' %(table expected, got string%)")
end)

T.case("recipe errors are atelier error tables naming the caller's line", function()
  local err = T.raises(function() recipe.product({ [1.5] = { 1 } }) end, "BadOption")
  T.match(err.where or "", "test_recipe%.lua:%d+:", "where points at the call")
  T.match(T.raises(function() recipe.product(42) end), "^[^:]*test_recipe%.lua:%d+: bad argument #1")
  local terr = T.raises(function() recipe.expand("{a") end, "TemplateError")
  T.match(terr.message, "unbalanced", "message")
end)
