-- tasks.lua — helpers over atelier's tasks: run a function over many items with a
-- bounded number running at once, keeping results in input order.
local atelier = require "atelier"

local M = {}

--- _check_concurrency(n, fname, level): raises a BadOption table (field "concurrency") at
--- `level` (as error(msg, level) counts from the caller of check_concurrency) unless n is
--- an integer >= 1. For modules that pass a concurrency on to map.
function M._check_concurrency(n, fname, level)
  local i = type(n) == "number" and math.tointeger(n) -- 2.0 is 2, as everywhere
  if not i or i < 1 then
    local e = atelier.error({ name = "BadOption",
      message = fname .. ": concurrency: expected an integer >= 1, got " .. tostring(n) }, level + 1)
    e.field = "concurrency"
    error(e, 0)
  end
  return i
end

--- map(items, fn, opts) -> results
--- Calls fn(item, index) for every item of the list, at most opts.concurrency (default 6)
--- at a time, each in its own task. Returns the results in input order (results.n is
--- the count). If any call raises, the others already started finish, no new ones
--- start, and the first error (in input order) is raised.
function M.map(items, fn, opts)
  atelier.checkarg(items, 1, "tasks.map", "table")
  atelier.checkarg(fn, 2, "tasks.map", "function")
  atelier.checkarg(opts, 3, "tasks.map", "table", "nil")
  local concurrency = M._check_concurrency(opts and opts.concurrency or 6, "tasks.map", 2)
  local n = #items
  local results = { n = n }
  local next_index, failed = 1, false
  local function worker()
    while not failed and next_index <= n do
      local i = next_index
      next_index = i + 1
      local ok, res = pcall(fn, items[i], i)
      if not ok then
        failed = true
        error(res, 0)
      end
      results[i] = res
    end
  end
  local workers = {}
  for w = 1, math.min(concurrency, n) do workers[w] = atelier.spawn(worker) end
  -- Wait for every worker before raising, so none is left running unobserved.
  local first_err
  for _, w in ipairs(workers) do
    local ok, err = pcall(w.wait, w)
    if not ok and first_err == nil then first_err = err end
  end
  if first_err ~= nil then error(first_err, 0) end
  return results
end

return M
