-- test_tasks_map.lua — tasks.map: bounded concurrency, order, errors.
local atelier = require "atelier"
local tasks = require "tasks"
local T = require "testing"

T.case("map keeps input order and never exceeds its concurrency", function()
  local running, peak = 0, 0
  local items = {}
  for i = 1, 20 do items[i] = i end
  local out = tasks.map(items, function(x)
    running = running + 1
    peak = math.max(peak, running)
    atelier.sleep(0.005 * (x % 3))
    running = running - 1
    return x * x
  end, { concurrency = 4 })
  T.eq(out.n, 20)
  for i = 1, 20 do T.eq(out[i], i * i) end
  T.eq(peak, 4, "peak concurrency")
end)

T.case("map raises the first error and starts nothing after it", function()
  local started = 0
  local items = {}
  for i = 1, 10 do items[i] = i end
  local err = T.raises(function()
    tasks.map(items, function(x)
      started = started + 1
      atelier.sleep(0.01)
      if x == 2 then error("item two is broken") end
      return x
    end, { concurrency = 2 })
  end, "item two is broken")
  -- items 1 and 2 start together (concurrency 2) and 2 raised; 3 and 4 may have started
  -- before it did, nothing after
  T.ok(started >= 2 and started <= 4, "stopped early, started " .. started)
  T.ok(err, "error value")
end)

T.case("map of an empty list returns an empty result", function()
  T.eq(tasks.map({}, function() error("never") end), { n = 0 })
end)

T.case("map rejects a bad concurrency", function()
  T.raises(function() tasks.map({ 1 }, print, { concurrency = 0 }) end, "concurrency")
end)
