-- tasks.lua — helpers over atelier's tasks: run a function over many items with a
-- bounded number running at once, keeping results in input order.
local atelier = require "atelier"

local M = {}

--- map(items, fn, opts) -> results
--- Calls fn(item, index) for every item of the list, at most opts.concurrency (default 6)
--- at a time, each in its own task. Returns the results in input order (results.n is
--- the count). If any call raises, the others already started finish, no new ones
--- start, and the first error (in input order) is raised.
function M.map(items, fn, opts)
  assert(type(items) == "table", "map: items must be a list")
  assert(type(fn) == "function", "map: fn must be a function")
  local concurrency = opts and opts.concurrency or 6
  if math.type(concurrency) ~= "integer" or concurrency < 1 then
    error("map: concurrency must be an integer >= 1, got " .. tostring(concurrency), 2)
  end
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
