-- test_tasks.lua — the task scheduler as scripts see it: spawn, gather, sleep, errors,
-- and waits that cross the script's own coroutines.
local atelier = require "atelier"
local T = require "testing"

T.case("ten tasks sleeping 0.5 s each finish together in well under 1 s", function()
  local t0 = atelier.now()
  local tasks = {}
  for i = 1, 10 do
    tasks[i] = atelier.spawn(function() atelier.sleep(0.5) return i end)
  end
  local results = atelier.gather(tasks)
  local took = atelier.now() - t0
  T.eq(results.n, 10, "result count")
  for i = 1, 10 do T.eq(results[i], i, "result " .. i) end
  T.ok(took >= 0.5, "slept at least 0.5 s, took " .. took)
  T.ok(took < 1.0, "concurrent sleeps took " .. took .. " s")
end)

T.case("gather with several arguments returns one result per task, in order", function()
  local slow = atelier.spawn(function() atelier.sleep(0.05) return "slow" end)
  local fast = atelier.spawn(function() return "fast", "ignored" end)
  local a, b = atelier.gather(slow, fast)
  T.eq(a, "slow")
  T.eq(b, "fast")
end)

T.case("task:wait returns every result of a task", function()
  local t = atelier.spawn(function(x, y) atelier.sleep(0.01) return x + y, x * y end, 3, 4)
  local s, p = t:wait()
  T.eq(s, 7)
  T.eq(p, 12)
  T.eq(t:status(), "done")
end)

T.case("sleeping tasks wake in deadline order", function()
  local order = {}
  local ts = {}
  for _, d in ipairs({ 0.03, 0.01, 0.02 }) do
    ts[#ts + 1] = atelier.spawn(function() atelier.sleep(d) order[#order + 1] = d end)
  end
  atelier.gather(ts)
  T.eq(order, { 0.01, 0.02, 0.03 })
end)

T.case("an error in a task reaches the task that gathers it", function()
  local bad = atelier.spawn(function() atelier.sleep(0.01) error("broken look") end)
  local good = atelier.spawn(function() return 1 end)
  local err = T.raises(function() atelier.gather(good, bad) end, "broken look")
  T.match(tostring(err), "test_tasks.lua:%d+: broken look", "error keeps file:line")
  T.eq(bad:status(), "failed")
  T.match(bad:traceback(), "stack traceback", "a traceback is kept")
end)

T.case("an error table raised in a task arrives unchanged", function()
  local t = atelier.spawn(function() error(atelier.error{ name = "BadRequest", message = "no prompt" }) end)
  local err = T.raises(function() t:wait() end, "BadRequest")
  T.eq(err.message, "no prompt")
  T.eq(tostring(err), "BadRequest: no prompt")
end)

T.case("task:result reports without waiting", function()
  local t = atelier.spawn(function() atelier.sleep(0.02) return "x" end)
  T.eq(t:result(), nil, "unfinished")
  atelier.sleep(0.05)
  T.eq({ t:result() }, { true, "x" })
end)

T.case("a wait inside the script's own coroutine waits for the whole task", function()
  local gen = coroutine.wrap(function()
    for i = 1, 3 do
      atelier.sleep(0.01)
      coroutine.yield(i)
    end
  end)
  local got = {}
  for _ = 1, 3 do got[#got + 1] = gen() end
  T.eq(got, { 1, 2, 3 })
  local co = coroutine.create(function(a)
    atelier.sleep(0.01)
    local b = coroutine.yield(a + 1)
    atelier.sleep(0.01)
    return b * 2
  end)
  T.eq({ coroutine.resume(co, 1) }, { true, 2 })
  T.eq({ coroutine.resume(co, 5) }, { true, 10 })
  T.eq(coroutine.status(co), "dead")
end)

T.case("other tasks run while one waits inside a nested coroutine", function()
  local ticks = 0
  local ticker = atelier.spawn(function()
    for _ = 1, 5 do atelier.sleep(0.01) ticks = ticks + 1 end
  end)
  local co = coroutine.wrap(function() atelier.sleep(0.1) return "woke" end)
  T.eq(co(), "woke")
  T.eq(ticks, 5, "the ticker kept running")
  atelier.gather(ticker)
end)

T.case("errors inside a wrapped coroutine propagate like Lua's", function()
  local co = coroutine.wrap(function() atelier.sleep(0.01) error("inner") end)
  T.raises(co, "inner")
  local c2 = coroutine.create(function() error({ code = 7 }) end)
  local ok, e = coroutine.resume(c2)
  T.eq(ok, false)
  T.eq(e.code, 7)
end)

T.case("a task's coroutine cannot be resumed by hand", function()
  local co
  local t = atelier.spawn(function() co = coroutine.running() atelier.sleep(0.05) end)
  atelier.sleep(0.01)
  T.eq(coroutine.status(co), "suspended")
  local ok, msg = coroutine.resume(co)
  T.eq(ok, false)
  T.match(msg, "task", "message names tasks")
  t:wait()
end)

T.case("a bare coroutine.yield in a task lets the others run", function()
  local seen = {}
  local a = atelier.spawn(function()
    for i = 1, 3 do seen[#seen + 1] = "a" .. i coroutine.yield() end
  end)
  local b = atelier.spawn(function()
    for i = 1, 3 do seen[#seen + 1] = "b" .. i coroutine.yield() end
  end)
  atelier.gather(a, b)
  T.eq(seen, { "a1", "b1", "a2", "b2", "a3", "b3" })
end)

T.case("waiting where no task can wait is a clear error", function()
  local ok, err = pcall(table.sort, { 3, 2, 1 }, function(x, y)
    atelier.sleep(0)
    return x < y
  end)
  T.eq(ok, false)
  T.match(tostring(err), "cannot wait here", "error explains")
end)

T.case("a task cannot gather itself", function()
  local me
  local t = atelier.spawn(function()
    me = atelier.running()
    return pcall(atelier.gather, me)
  end)
  local ok, err = t:wait()
  T.eq(ok, false)
  T.match(err, "cannot gather itself")
end)

T.case("sleep rejects negative and non-finite durations", function()
  T.raises(function() atelier.sleep(-1) end, "seconds")
  T.raises(function() atelier.sleep(math.huge) end, "seconds")
  T.raises(function() atelier.sleep("soon") end, "number")
end)

T.case("gather rejects lists holding something other than tasks", function()
  T.raises(function() atelier.gather({ 1 }) end, "bad argument #1 to '[%w.]*gather' %(list of tasks expected, item 1 is a number%)")
end)

T.case("a thousand tasks are scheduled without trouble", function()
  local ts = {}
  for i = 1, 1000 do ts[i] = atelier.spawn(function() atelier.sleep(0.001 * (i % 7)) return i end) end
  local r = atelier.gather(ts)
  local sum = 0
  for i = 1, r.n do sum = sum + r[i] end
  T.eq(sum, 500500)
end)
