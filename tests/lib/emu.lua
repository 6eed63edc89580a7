-- emu.lua — the shared way tests run fashn-emu: start bin/fashn-emu (env FASHN_EMU_BIN)
-- on 127.0.0.1 with --port 0 and the given flags, read its "listening" line, talk to it
-- over real HTTP with the curl command-line tool, and stop it — also when a test fails
-- (use `local emu <close> = E.start{...}`; anything left running is stopped when the
-- run ends, and --exit-with-parent covers a crashed runner).
--
--   local E = require "emu"
--   local emu <close> = E.start{ ["time-scale"] = 0.01, credits = 10 }
--   local r = emu:run{ prompt = "linen suit", seed = 7 }     -- r.status, r.json, r.headers
--   local final = emu:wait(r.json.id)                         -- polls until terminal
--   local png = emu:download(final.json.output[1]).body
--   print(emu.url, emu.port, emu:stats().run_accepted)
local T = require "testing"
local cjson = require "cjson"

local M = {}
M.KEY = "test-key"

local live = setmetatable({}, { __mode = "k" })

local Emu = {}
Emu.__index = Emu

local function flag_args(flags)
  local out = {}
  local keys = {}
  for k in pairs(flags or {}) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys) -- a stable command line
  for _, k in ipairs(keys) do
    local v = flags[k]
    if v == true then
      out[#out + 1] = "--" .. k
    elseif v ~= false and v ~= nil then
      out[#out + 1] = "--" .. k
      out[#out + 1] = tostring(v)
    end
  end
  for _, v in ipairs(flags or {}) do out[#out + 1] = v end -- raw arguments
  return out
end

--- Starts fashn-emu. flags: { ["time-scale"] = 0.01, ["api-key"] = "k", verbose = true,
--- ... } (names as in `fashn-emu --help`, without the dashes); array items are passed as
--- raw arguments. Raises when it does not come up, with its stderr. With --tls-cert the
--- URL is https://; set emu.cacert to the CA file so emu:request trusts it.
function M.start(flags)
  local bin = T.emu_bin
  local dir = T.tmpdir()
  local log = dir .. "/fashn-emu.log"
  local argv = { T.shell_quote(bin), "--port", "0", "--exit-with-parent" }
  for _, a in ipairs(flag_args(flags)) do argv[#argv + 1] = T.shell_quote(a) end
  -- `echo $$` then exec: the first line is the pid of what becomes fashn-emu.
  local cmd = "echo $$; exec " .. table.concat(argv, " ") .. " 2>" .. T.shell_quote(log)
  local pipe = assert(io.popen(cmd, "r"))
  local pid = tonumber(pipe:read("l") or "")
  local line = pipe:read("l")
  local url, port = (line or ""):match("^fashn%-emu listening on (https?://127%.0%.0%.1:(%d+))$")
  if not url then
    pipe:close()
    local f = io.open(log, "rb")
    local err = f and f:read("a") or ""
    if f then f:close() end
    error(string.format("fashn-emu did not start (%s): %s %s", bin, tostring(line), err), 2)
  end
  local self = setmetatable({ url = url, port = tonumber(port), pid = pid, pipe = pipe, log = log, dir = dir,
    key = (flags and flags["api-key"]) or M.KEY, seq = 0 }, Emu)
  live[self] = true
  return self
end

--- Stops it (SIGTERM) and waits for it to exit; returns true when it exited cleanly.
--- Idempotent.
function Emu:stop()
  if not self.pipe then return self.exit_ok end
  os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
  local ok, how, code = self.pipe:close()
  self.pipe = nil
  live[self] = nil
  self.exit_ok = ok == true or (how == "exit" and code == 0)
  return self.exit_ok
end
Emu.__close = Emu.stop
Emu.__gc = Emu.stop

--- What it printed on stderr so far.
function Emu:stderr() return T.read_file(self.log) end

local function parse_headers(text)
  local headers, status = {}, nil
  -- curl -D writes every response (e.g. a 100 Continue first); keep the last one.
  for line in text:gmatch("[^\r\n]+") do
    local code = line:match("^HTTP/[%d.]+ (%d%d%d)")
    if code then
      headers, status = {}, tonumber(code)
    else
      local k, v = line:match("^([^:]+):%s*(.-)%s*$")
      if k then headers[k:lower()] = v end
    end
  end
  return headers, status
end

--- One HTTP request. opts: body (string, or a table sent as JSON), key (bearer token;
--- false = no Authorization header; default: the emulator's key), headers ({name=value}),
--- query ({name=value}), url (absolute, instead of self.url .. path).
--- Returns { status = number (nil when no answer), headers = {lowercase=value},
--- body = string, json = decoded body or nil, curl_exit = curl's exit code }.
function Emu:request(method, path, opts)
  opts = opts or {}
  self.seq = self.seq + 1
  local base = self.dir .. "/req" .. self.seq
  local url = opts.url or (self.url .. path)
  if opts.query then
    local q = {}
    for k, v in pairs(opts.query) do
      q[#q + 1] = k .. "=" .. tostring(v):gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", c:byte()) end)
    end
    url = url .. "?" .. table.concat(q, "&")
  end
  local argv = { "curl", "-sS", "--max-time", "120", "-X", method, "-D", base .. ".h", "-o", base .. ".b",
    "-w", "%{http_code}" }
  if self.cacert then argv[#argv + 1] = "--cacert"; argv[#argv + 1] = self.cacert end
  local key = opts.key
  if key == nil then key = self.key end
  if key then argv[#argv + 1] = "-H"; argv[#argv + 1] = "Authorization: Bearer " .. key end
  for k, v in pairs(opts.headers or {}) do argv[#argv + 1] = "-H"; argv[#argv + 1] = k .. ": " .. v end
  if opts.body ~= nil then
    local body = type(opts.body) == "table" and cjson.encode(opts.body) or opts.body
    T.write_file(base .. ".in", body)
    argv[#argv + 1] = "-H"; argv[#argv + 1] = "Content-Type: application/json"
    argv[#argv + 1] = "--data-binary"; argv[#argv + 1] = "@" .. base .. ".in"
  end
  argv[#argv + 1] = url
  local quoted = {}
  for i, a in ipairs(argv) do quoted[i] = T.shell_quote(a) end
  local p = io.popen(table.concat(quoted, " ") .. " 2>" .. T.shell_quote(base .. ".err"))
  local code = p:read("a")
  local _, _, exit = p:close()
  local rf = io.open(base .. ".h", "rb")
  local htext = rf and rf:read("a") or ""
  if rf then rf:close() end
  local bf = io.open(base .. ".b", "rb")
  local body = bf and bf:read("a") or ""
  if bf then bf:close() end
  os.remove(base .. ".h"); os.remove(base .. ".b"); os.remove(base .. ".in"); os.remove(base .. ".err")
  local headers, status = parse_headers(htext)
  status = status or tonumber(code)
  if status == 0 then status = nil end
  local ok, json = pcall(cjson.decode, body)
  return { status = status, headers = headers, body = body, json = ok and json or nil, curl_exit = exit }
end

--- POST /v1/run with model_name "model-create" (or opts.model_name) and these inputs.
--- opts as for request (plus webhook_url).
function Emu:run(inputs, opts)
  opts = opts or {}
  local o = { key = opts.key, headers = opts.headers, body = opts.body }
  if o.body == nil then o.body = { model_name = opts.model_name or "model-create", inputs = inputs } end
  if opts.webhook_url then o.query = { webhook_url = opts.webhook_url } end
  return self:request("POST", "/v1/run", o)
end

function Emu:status(id, opts) return self:request("GET", "/v1/status/" .. id, opts) end

function Emu:credits(opts) return self:request("GET", "/v1/credits", opts) end

--- GET an output URL (absolute).
function Emu:download(url) return self:request("GET", "", { url = url, key = false }) end

--- The counters of GET /_emu/stats, decoded.
function Emu:stats()
  local r = self:request("GET", "/_emu/stats", { key = false })
  assert(r.status == 200 and r.json, "GET /_emu/stats failed: " .. tostring(r.status) .. " " .. r.body)
  return r.json
end

--- Every prediction the emulator keeps (GET /_emu/predictions), oldest first: each
--- { id, model, prompt, seed, num_images, base64, status, cost, charged, fault, error }, and
--- per image input that was loaded, under its field's name, { bytes, width, height, format, sent_as =
--- "url" or "data", url }.
function Emu:predictions()
  local r = self:request("GET", "/_emu/predictions", { key = false })
  assert(r.status == 200 and r.json, "GET /_emu/predictions failed: " .. tostring(r.status) .. " " .. r.body)
  return r.json.predictions
end

local TERMINAL = { completed = true, failed = true, canceled = true, time_out = true }

--- Polls GET /v1/status/{id} until the status is terminal (yielding between polls);
--- returns the last response and the list of statuses seen. opts.timeout (s, default
--- 30), opts.interval (s, default 0.01).
function Emu:wait(id, opts)
  opts = opts or {}
  local atelier = require "atelier"
  local deadline = atelier.now() + (opts.timeout or 30)
  local seen = {}
  while true do
    local r = self:status(id)
    assert(r.status == 200 and r.json, "status " .. id .. ": " .. tostring(r.status) .. " " .. r.body)
    if seen[#seen] ~= r.json.status then seen[#seen + 1] = r.json.status end
    if TERMINAL[r.json.status] then return r, seen end
    if atelier.now() > deadline then error("prediction " .. id .. " still " .. r.json.status, 2) end
    atelier.sleep(opts.interval or 0.01)
  end
end

--- Width and height of PNG bytes (from IHDR), or nil.
function M.png_size(s)
  if type(s) ~= "string" or #s < 24 or s:sub(1, 8) ~= "\137PNG\r\n\26\n" or s:sub(13, 16) ~= "IHDR" then
    return nil
  end
  local w, h = string.unpack(">I4I4", s, 17)
  return w, h
end

--- Width and height of JPEG bytes (from the first SOF marker), or nil.
function M.jpeg_size(s)
  if type(s) ~= "string" or s:sub(1, 2) ~= "\255\216" then return nil end
  local i = 3
  while i + 8 <= #s do
    if s:byte(i) ~= 0xFF then return nil end
    local m = s:byte(i + 1)
    if m == 0xFF then
      i = i + 1
    elseif m == 0xD8 or m == 0x01 or (m >= 0xD0 and m <= 0xD7) then
      i = i + 2
    else
      local len = string.unpack(">I2", s, i + 2)
      if (m >= 0xC0 and m <= 0xCF) and m ~= 0xC4 and m ~= 0xC8 and m ~= 0xCC then
        local h, w = string.unpack(">I2I2", s, i + 5)
        return w, h
      end
      i = i + 2 + len
    end
  end
  return nil
end

-- Whatever a test left running is stopped when the run ends.
local cleanup = T.cleanup
T.cleanup = function()
  for e in pairs(live) do e:stop() end
  cleanup()
end

return M
