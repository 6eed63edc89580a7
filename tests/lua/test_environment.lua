-- test_environment.lua — what every script can count on: standard libraries, cjson,
-- the shipped modules on package.path.
local T = require "testing"

T.case("the standard libraries and Lua 5.4 are there", function()
  T.eq(_VERSION, "Lua 5.4")
  T.ok(string.pack and utf8.char and math.tointeger and io.open and os.time, "stdlib")
end)

T.case("cjson is preloaded and round-trips a table", function()
  local cjson = require "cjson"
  local t = cjson.decode(cjson.encode({ prompt = "linen suit", seed = 7 }))
  T.eq(t.prompt, "linen suit")
  T.eq(math.tointeger(t.seed), 7)
  local safe = require "cjson.safe"
  T.eq(safe.decode("{bad"), nil)
end)

T.case("package.path includes the shipped scripts directory", function()
  T.match(package.path, "scripts/%?%.lua", "scripts dir on the path")
end)
