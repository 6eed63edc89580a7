-- test_json_walker.lua — the one Lua-to-JSON walker (bindings/ljson.h) as scripts meet it
-- through image metadata and fashn inputs: the list rule, integral floats, sorted keys,
-- refusals naming the field.
local T = require "testing"
local image = require "image"
local fashn = require "fashn"

local function round_trip(t)
  local img = image.new(2, 2, { 1, 2, 3 })
  img:set_meta(t)
  return image.load(img:encode("png")):meta()
end

T.case("a table is a list when its keys are exactly 1..n; the empty table is an object", function()
  local back = round_trip{
    list = { "a", "b", "c" }, empty = {}, mixed = { 1, 2, x = 3 }, sparse = { [1] = "a", [3] = "c" },
    zero = { [0] = "z", [1] = "a" }, nested = { { 1 }, { 2, { 3 } } },
  }
  T.eq(back.list, { "a", "b", "c" })
  T.eq(back.empty, {})
  T.eq(back.mixed, { ["1"] = 1, ["2"] = 2, x = 3 }, "a list with a name is an object")
  T.eq(back.sparse, { ["1"] = "a", ["3"] = "c" }, "a list with a hole is an object")
  T.eq(back.zero, { ["0"] = "z", ["1"] = "a" })
  T.eq(back.nested, { { 1 }, { 2, { 3 } } })
end)

T.case("integral floats are integers, other numbers keep their value, NaN is refused", function()
  local back = round_trip{ seed = 7.0, scale = 0.5, big = 2^60 }
  T.eq(math.type(back.seed), "integer")
  T.eq(back.seed, 7)
  T.eq(back.scale, 0.5)
  T.eq(back.big, 2^60)
  local err = T.raises(function() round_trip{ bad = 0 / 0 } end, "BadOption")
  T.eq(err.field, "bad")
end)

T.case("the same table in any insertion order makes the same bytes", function()
  local a, b = {}, {}
  for i = 1, 40 do a["k" .. i] = i end
  for i = 40, 1, -1 do b["k" .. i] = i end
  local img = image.new(2, 2, { 1, 2, 3 })
  T.eq(img:encode("png", { meta = a }), img:encode("png", { meta = b }))
end)

T.case("inputs refuse what the API cannot take, naming the field", function()
  T.eq(fashn.check{ prompt = "x", seed = 7.0, num_images = 2.0 }, true)
  local err = T.raises(function() fashn.check{ prompt = "x", extra = { f = print } } end, "InvalidInput")
  T.eq(err.field, "extra")
  err = T.raises(function() fashn.check{ prompt = "x", [1] = "y" } end, "InvalidInput")
  T.match(err.message, "keys must be strings")
end)
