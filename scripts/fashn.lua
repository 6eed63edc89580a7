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
local cjson = require "cjson"

local M = {}

local has_image, image = pcall(require, "image")
if not has_image then image = nil end

-- Raise an error table from the caller's point of view (adds `where` like error(msg, 2)).
local function raise(err, level)
  if type(err) == "table" and err.where == nil then
    local info = debug.getinfo((level or 1) + 2, "Sl")
    if info and info.currentline and info.currentline > 0 then
      err.where = info.short_src .. ":" .. info.currentline .. ": "
    end
  end
  error(err, 0)
end

local function call(level, fn, ...)
  local ok, a = pcall(fn, ...)
  if not ok then raise(a, level + 1) end
  return a
end

-- ---- images --------------------------------------------------------------------------

-- What a saved file says about how it was made: the inputs, with data: URIs shortened.
local function metadata(result)
  local inputs = {}
  for k, v in pairs(result.inputs or {}) do
    if type(v) == "string" and #v > 256 and v:sub(1, 5) == "data:" then
      v = v:sub(1, v:find(",", 1, true) or 32) .. "... (" .. #v .. " bytes)"
    end
    if type(v) ~= "function" and type(v) ~= "userdata" then inputs[k] = v end
  end
  return cjson.encode({ model = "model-create", id = result.id, prompt = inputs.prompt,
    seed = inputs.seed, inputs = inputs })
end

-- Stand-in image object until the image module is linked: bytes verbatim, sizes from
-- the PNG / JPEG header, :save writes the bytes when the formats match.
local Fallback = {}
Fallback.__index = Fallback
local function header_size(s)
  if s:sub(1, 8) == "\137PNG\r\n\26\n" then return string.unpack(">I4I4", s, 17) end
  if s:sub(1, 2) == "\255\216" then
    local i = 3
    while i + 8 <= #s do
      local m = s:byte(i + 1)
      if s:byte(i) ~= 0xFF then return nil end
      if m == 0xFF then i = i + 1
      elseif m == 0xD8 or m == 0x01 or (m >= 0xD0 and m <= 0xD7) then i = i + 2
      else
        if m >= 0xC0 and m <= 0xCF and m ~= 0xC4 and m ~= 0xC8 and m ~= 0xCC then
          local h, w = string.unpack(">I2I2", s, i + 5)
          return w, h
        end
        i = i + 2 + string.unpack(">I2", s, i + 2)
      end
    end
  end
end
function Fallback:bytes() return self._bytes end
function Fallback:meta() return self._meta and cjson.decode(self._meta) end
function Fallback:save(path, opts)
  local ext = path:match("%.(%w+)$")
  ext = ext and ext:lower()
  if ext == "jpg" then ext = "jpeg" end
  local want = (opts and opts.format) or ext or self.format
  if want ~= self.format then
    error(string.format("saving a %s image as %s needs the image module", self.format, tostring(want)), 2)
  end
  local f = assert(io.open(path, "wb"))
  f:write(self._bytes)
  f:close()
  return path
end
Fallback.__tostring = function(self)
  return string.format("image %dx%d %s", self.width or 0, self.height or 0, self.format)
end

local function make_image(out, meta)
  if image and image.from_output then return image.from_output(out.bytes, out.format, meta) end
  local w, h = header_size(out.bytes)
  return setmetatable({ _bytes = out.bytes, _meta = meta, format = out.format, width = w, height = h,
    source = out.source }, Fallback)
end

-- ---- results --------------------------------------------------------------------------

local function to_result(raw)
  if raw.result then return raw.result end
  local r = { id = raw.id, status = raw.status, credits = raw.credits, elapsed = raw.elapsed,
    inputs = raw.inputs, cached = false, dry_run = raw.dry_run or nil, error = raw.error, images = {} }
  if raw.outputs and #raw.outputs > 0 then
    local meta = metadata(r)
    for i, out in ipairs(raw.outputs) do r.images[i] = make_image(out, meta) end
  end
  raw.outputs = nil -- the images own the bytes now
  raw.result = r
  return r
end

local Job = core.job_methods

--- job:wait(opts) -> result. Yields until the job ends. A failed prediction raises its
--- error unless opts.raise == false, in which case result.error holds it.
function Job:wait(opts)
  local r = to_result(self:_wait())
  if r.error and not (opts and opts.raise == false) then raise(r.error, 1) end
  return r
end

--- job:done() -> true once the job has ended (never waits).
function Job:done() return self:result() ~= nil end

-- ---- the API ---------------------------------------------------------------------------

--- fashn.submit(inputs, opts) -> job. Checks every input locally first (raises
--- InvalidInput naming the field), reads local reference files, queues the job and
--- returns at once. opts: retry_unknown (resubmit when a submit's outcome is unknown:
--- may spend twice), timeout (seconds before giving up on it).
function M.submit(inputs, opts)
  local job = call(1, core.submit, inputs, opts)
  return job
end

--- fashn.run(inputs, opts) -> result: submit + wait (opts also take raise = false).
function M.run(inputs, opts)
  local job = call(1, core.submit, inputs, opts)
  local r = to_result(job:_wait())
  if r.error and not (opts and opts.raise == false) then raise(r.error, 1) end
  return r
end

--- fashn.gather(jobs, opts) -> results in the order of jobs (results.n = count). Waits for
--- all, then raises the first failure in order unless opts.raise == false.
function M.gather(jobs, opts)
  assert(type(jobs) == "table", "fashn.gather: expected a list of jobs")
  local results, first = { n = #jobs }, nil
  for i, job in ipairs(jobs) do
    local r = to_result(job:_wait())
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
  local concurrency = (opts and opts.concurrency) or core.settings().concurrency
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
  call(1, core.configure, settings)
end

--- fashn.cost(inputs_or_list) -> credits the job(s) would spend (checks them too).
function M.cost(x)
  assert(type(x) == "table", "fashn.cost: expected inputs or a list of inputs")
  if x.prompt ~= nil or #x == 0 then
    local n = call(1, core.check, x)
    return n
  end
  local total = 0
  for _, inputs in ipairs(x) do total = total + call(1, core.check, inputs) end
  return total
end

--- fashn.check(inputs) -> true; raises InvalidInput naming the field (sends nothing).
function M.check(inputs)
  call(1, core.check, inputs)
  return true
end

M.stats = core.stats
M.settings = core.settings

return M
