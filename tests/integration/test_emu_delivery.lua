-- test_emu_delivery.lua — how fashn-emu hands results over besides CDN URLs: base64 data
-- URIs and their expiry, webhooks (loopback only), and ids forgotten after retention.
local T = require "testing"
local E = require "emu"
local atelier = require "atelier"
local cjson = require "cjson"

local function fast(extra)
  local f = { ["time-scale"] = 0.001, ["run-limit"] = 0, ["status-limit"] = 0, ["credits-limit"] = 0,
    ["concurrency-limit"] = 0 }
  for k, v in pairs(extra or {}) do f[k] = v end
  return E.start(f)
end

local function decode_base64(s)
  local dir = T.tmpdir()
  T.write_file(dir .. "/in", s)
  local r = T.run({ "base64", "-d", dir .. "/in" })
  assert(r.code == 0, "base64 -d: " .. r.stderr)
  return r.stdout
end

T.case("return_base64 outputs are data URIs of the image (png and jpeg)", function()
  local emu <close> = fast()
  local r = emu:run{ prompt = "inline", return_base64 = true, num_images = 2, aspect_ratio = "3:2" }
  local final = emu:wait(r.json.id)
  T.eq(#final.json.output, 2)
  for _, uri in ipairs(final.json.output) do
    local payload = uri:match("^data:image/png;base64,(.+)$")
    T.ok(payload, "a PNG data URI: " .. uri:sub(1, 40))
    T.eq({ E.png_size(decode_base64(payload)) }, { 1176, 784 })
  end
  T.eq(final.headers["x-fashn-credits-used"], "2")
  final = emu:wait(emu:run{ prompt = "inline", return_base64 = true, output_format = "jpeg" }.json.id)
  local payload = final.json.output[1]:match("^data:image/jpeg;base64,(.+)$")
  T.ok(payload, "a JPEG data URI")
  T.eq({ E.jpeg_size(decode_base64(payload)) }, { 1024, 1024 })
end)

T.case("base64 outputs expire after --base64-ttl and read <base64>_expired", function()
  local emu <close> = fast{ ["base64-ttl"] = 0.5 }
  local final = emu:wait(emu:run{ prompt = "short lived", return_base64 = true, num_images = 2 }.json.id)
  T.match(final.json.output[1], "^data:image/png;base64,")
  atelier.sleep(0.6)
  local later = emu:status(final.json.id)
  T.eq(later.json.status, "completed")
  T.eq(later.json.output, { "<base64>_expired", "<base64>_expired" })
end)

T.case("the base64 expiry is 60 minutes scaled by --time-scale", function()
  -- 3600 s x 0.0002 = 0.72 s; processing is 12 s x 0.0002 = 2.4 ms.
  local emu <close> = fast{ ["time-scale"] = 0.0002 }
  local final = emu:wait(emu:run{ prompt = "scaled", return_base64 = true }.json.id)
  T.match(final.json.output[1], "^data:image/png;base64,", "fresh")
  atelier.sleep(0.9)
  T.eq(emu:status(final.json.id).json.output, { "<base64>_expired" })
end)

local function inbox(emu)
  local r = emu:request("GET", "/_emu/inbox", { key = false })
  T.eq(r.status, 200)
  return r.json.received
end

local function wait_inbox(emu, n)
  for _ = 1, 500 do
    local got = inbox(emu)
    if #got >= n then return got end
    atelier.sleep(0.01)
  end
  error("no webhook arrived")
end

T.case("webhook_url receives a POST of the final status body", function()
  local emu <close> = fast()
  local hook = emu.url .. "/_emu/inbox"
  local r = emu:run({ prompt = "call me", num_images = 2 }, { webhook_url = hook })
  T.eq(r.status, 200, r.body)
  local final = emu:wait(r.json.id)
  local got = wait_inbox(emu, 1)
  T.eq(#got, 1, "one delivery")
  local body = cjson.decode(got[1])
  T.eq(body, final.json, "the body is the final status")
  T.eq(emu:stats().webhooks_sent, 1)
end)

T.case("a failed prediction's webhook carries the error", function()
  local emu <close> = fast{ ["fail-rate"] = 1, ["fail-names"] = "ThirdPartyError" }
  local r = emu:run({ prompt = "doomed" }, { webhook_url = emu.url .. "/_emu/inbox" })
  emu:wait(r.json.id)
  local body = cjson.decode(wait_inbox(emu, 1)[1])
  T.eq(body.status, "failed")
  T.eq(body.error.name, "ThirdPartyError")
  T.eq(body.output, cjson.null)
end)

T.case("a webhook_url outside loopback is refused with 400 and nothing is created", function()
  local emu <close> = fast()
  for _, url in ipairs{ "http://example.com/hook", "http://10.1.2.3/hook", "ftp://127.0.0.1/x", "not a url" } do
    local r = emu:run({ prompt = "x" }, { webhook_url = url })
    T.eq(r.status, 400, url)
    T.eq(r.json.error, "BadRequest")
    T.ok(r.json.message:find("webhook_url", 1, true), r.json.message)
  end
  T.eq(emu:stats().run_accepted, 0)
end)

T.case("a webhook that cannot be delivered is counted, the prediction is unaffected", function()
  local emu <close> = fast()
  local r = emu:run({ prompt = "x" }, { webhook_url = "http://127.0.0.1:1/hook" })
  T.eq(emu:wait(r.json.id).json.status, "completed")
  for _ = 1, 500 do
    if emu:stats().webhooks_failed == 1 then break end
    atelier.sleep(0.01)
  end
  T.eq(emu:stats().webhooks_failed, 1)
end)

T.case("after --retention a prediction id and its outputs are 404", function()
  local emu <close> = fast{ retention = 0.3 }
  local final = emu:wait(emu:run{ prompt = "fleeting" }.json.id)
  T.eq(emu:download(final.json.output[1]).status, 200)
  atelier.sleep(0.8)
  local s = emu:status(final.json.id)
  T.eq(s.status, 404)
  T.eq(s.json.error, "NotFound")
  T.eq(emu:download(final.json.output[1]).status, 404)
end)
