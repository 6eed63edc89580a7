-- fashn.lua — the FASHN Model Create API for recipes. Thin C primitives live in
-- "fashn.core" (bindings/lfashn.c); this file is the friendly surface:
--
--   local job = fashn.submit{ prompt = "...", seed = 7 }   -- checks locally, queues, returns at once
--   local result = job:wait()                               -- yields; other jobs keep moving
--   result.images[1]:save("out/look.png")
--   fashn.gather(jobs), fashn.run{...}, fashn.map(items, fn), fashn.credits(), fashn.configure{...}
--
-- Errors are atelier error tables: name, message, id, http_status, retryable.
local core = require "fashn.core"
local tasks = require "tasks"
local atelier = require "atelier"
local checkarg = atelier.checkarg
require "image" -- job results are image objects: their metatable must exist

local M = {}

-- Raise an error table from the caller's point of view (adds `where` like error(msg, 2)).
local function raise(err, level)
  if type(err) == "table" and err.where == nil then
    -- the same position error(msg, level) would give; atelier.error needs no debug
    -- library, which --sandbox removes
    err.where = atelier.error({ name = "x" }, (level or 1) + 2).where
  end
  error(err, 0)
end

local function call(level, fn, ...)
  local ok, a = pcall(fn, ...)
  if not ok then raise(a, level + 1) end
  return a
end

-- ---- results --------------------------------------------------------------------------


local Job = core.job_methods

--- job:wait(opts) -> result. Yields until the job ends. A failed prediction raises its
--- error unless opts.raise == false, in which case result.error holds it.
function Job:wait(opts)
  checkarg(self, 1, "wait", "userdata") -- job.wait(x) rather than job:wait()
  checkarg(opts, 1, "wait", "table", "nil")
  local r = self:_wait()
  if r.error and not (opts and opts.raise == false) then raise(r.error, 1) end
  return r
end

--- job:done() -> true once the job has ended (never waits).
function Job:done()
  checkarg(self, 1, "done", "userdata")
  return self:result() ~= nil
end

-- ---- the API ---------------------------------------------------------------------------

--- fashn.submit(inputs, opts) -> job. Checks every input locally first (raises
--- InvalidInput naming the field), reads local reference files, queues the job and
--- returns at once. opts: retry_unknown (resubmit when a submit's outcome is unknown:
--- may spend twice), timeout (seconds before giving up on it).
function M.submit(inputs, opts)
  checkarg(inputs, 1, "fashn.submit", "table")
  checkarg(opts, 2, "fashn.submit", "table", "nil")
  local job = call(1, core.submit, inputs, opts)
  return job
end

--- fashn.run(inputs, opts) -> result: submit + wait (opts also take raise = false).
function M.run(inputs, opts)
  checkarg(inputs, 1, "fashn.run", "table")
  checkarg(opts, 2, "fashn.run", "table", "nil")
  local job = call(1, core.submit, inputs, opts)
  local r = job:_wait()
  if r.error and not (opts and opts.raise == false) then raise(r.error, 1) end
  return r
end

--- fashn.gather(jobs, opts) -> results in the order of jobs (results.n = count). Waits for
--- all, then raises the first failure in order unless opts.raise == false.
function M.gather(jobs, opts)
  checkarg(jobs, 1, "fashn.gather", "table")
  checkarg(opts, 2, "fashn.gather", "table", "nil")
  for i = 1, #jobs do
    if type(jobs[i]) ~= "userdata" then
      atelier.argerror(1, "fashn.gather", "list of jobs expected, item " .. i .. " is a " .. type(jobs[i]))
    end
  end
  local results, first = { n = #jobs }, nil
  for i, job in ipairs(jobs) do
    local r = job:_wait()
    results[i] = r
    if r.error and first == nil then first = r.error end
  end
  if first ~= nil and not (opts and opts.raise == false) then raise(first, 1) end
  return results
end

--- fashn.map(items, fn, opts) -> results: fn(item, i) for every item, each in its own
--- task, at most opts.concurrency (default: the client's concurrency) at a time; results
--- in input order. fn typically calls fashn.run.
function M.map(items, fn, opts)
  checkarg(items, 1, "fashn.map", "table")
  checkarg(fn, 2, "fashn.map", "function")
  checkarg(opts, 3, "fashn.map", "table", "nil")
  local concurrency = (opts and opts.concurrency) or core.settings().concurrency
  tasks._check_concurrency(concurrency, "fashn.map", 2)
  return tasks.map(items, fn, { concurrency = concurrency })
end

--- fashn.credits() -> {total, subscription, on_demand} (GET /v1/credits).
function M.credits()
  local c = call(1, core.credits)
  return c
end

--- fashn.configure{concurrency, poll = {rate, limit, window, min_interval, max_interval},
--- run = {limit, window}, timeout, base_url, api_key, time_scale, retry_unknown,
--- retry_failed, max_credits}
function M.configure(settings)
  checkarg(settings, 1, "fashn.configure", "table")
  call(1, core.configure, settings)
end

--- fashn.cost(inputs_or_list) -> credits the job(s) would spend (checks them too).
function M.cost(x)
  checkarg(x, 1, "fashn.cost", "table")
  if x.prompt ~= nil or x.model ~= nil or #x == 0 then
    local n = call(1, core.check, x)
    return n
  end
  local total = 0
  for _, inputs in ipairs(x) do total = total + call(1, core.check, inputs) end
  return total
end

--- fashn.reserve(list_of_inputs) -> credits: prices the list (jobs the journal holds
--- cost 0) and sets the credits aside under --max-credits (or fashn.configure's
--- max_credits), or raises CreditLimitExceeded (fields needed, committed, cap) and sets
--- nothing aside: a recipe's own all-or-nothing question before it starts. Jobs
--- submitted later draw the reservation down; without a cap it only prices.
function M.reserve(list)
  checkarg(list, 1, "fashn.reserve", "table")
  local credits = call(1, core.reserve, list) -- not a tail call: the caller's line is two levels up
  return credits
end

--- fashn.check(inputs) -> true; raises InvalidInput naming the field (sends nothing).
function M.check(inputs)
  checkarg(inputs, 1, "fashn.check", "table")
  call(1, core.check, inputs)
  return true
end

--- fashn.models() -> every model atelier knows, the default first, each {name, state
--- ("active", "deprecated", "retired"), replacement, output ("image", "video"), seconds
--- (a usual processing time), face_seconds, price, count, fields = {{name, type,
--- required, values, default, min, max}, ...}}: a fresh copy of the descriptions submit
--- checks against.
M.models = core.models
M.stats = core.stats
M.settings = core.settings

return M
