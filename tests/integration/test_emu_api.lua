-- test_emu_api.lua — fashn-emu speaks the contract of runtime/api/API.md over real HTTP:
-- run, status progression, outputs, credits and their header, auth, input validation, 404s.
local T = require "testing"
local E = require "emu"
local cjson = require "cjson"

-- Fast predictions and no rate limits, unless a case says otherwise.
local function fast(extra)
  local f = { ["time-scale"] = 0.01, ["run-limit"] = 0, ["status-limit"] = 0, ["credits-limit"] = 0,
    ["concurrency-limit"] = 0 }
  for k, v in pairs(extra or {}) do f[k] = v end
  return E.start(f)
end

local function refused(r, status, name, field)
  T.eq(r.status, status, "HTTP status (body " .. r.body .. ")")
  T.ok(r.json, "an error body in JSON: " .. r.body)
  T.eq(r.json.error, name, "error name")
  T.eq(type(r.json.message), "string", "error message")
  if field then T.ok(r.json.message:find(field, 1, true), "message names " .. field .. ": " .. r.json.message) end
end

T.case("a prediction runs starting -> in_queue -> processing -> completed", function()
  local emu <close> = fast{ ["time-scale"] = 0.5 }
  local r = emu:run{ prompt = "tall model in a linen suit" }
  T.eq(r.status, 200)
  T.eq(r.headers["content-type"], "application/json")
  T.eq(type(r.json.id), "string")
  T.eq(r.json.error, cjson.null, "error is null")
  local final, seen = emu:wait(r.json.id, { interval = 0.02 })
  T.eq(seen, { "starting", "in_queue", "processing", "completed" }, "statuses in order")
  T.eq(final.json.error, cjson.null)
end, { timeout = 60 })

T.case("a completed status lists one CDN URL per image serving the right PNG", function()
  local emu <close> = fast()
  local r = emu:run{ prompt = "resort wear", aspect_ratio = "3:4", num_images = 2 }
  local final = emu:wait(r.json.id)
  T.eq(final.json.status, "completed")
  T.eq(#final.json.output, 2, "two outputs")
  for i, url in ipairs(final.json.output) do
    T.eq(url, emu.url .. "/cdn/" .. r.json.id .. "/output_" .. (i - 1) .. ".png", "output URL " .. i)
    local d = emu:download(url)
    T.eq(d.status, 200)
    T.eq(d.headers["content-type"], "image/png")
    T.eq(tonumber(d.headers["content-length"]), #d.body, "Content-Length")
    T.eq({ E.png_size(d.body) }, { 880, 1176 }, "3:4 at 1k")
  end
  T.eq(emu:stats().downloads, 2)
end)

T.case("a pending status has a null output and no credits header", function()
  local emu <close> = fast{ ["time-scale"] = 100 }
  local r = emu:run{ prompt = "slow" }
  local s = emu:status(r.json.id)
  T.eq(s.status, 200)
  T.eq(s.json.output, cjson.null)
  T.eq(s.json.error, cjson.null)
  T.eq(s.headers["x-fashn-credits-used"], nil)
  T.ok(s.body:find('"output":null', 1, true), "output is written as null: " .. s.body)
end)

T.case("credits: num_images x 1, header on the completed status, balance goes down", function()
  local emu <close> = fast{ credits = 100 }
  local r = emu:run{ prompt = "three looks", num_images = 3 }
  local final = emu:wait(r.json.id)
  T.eq(final.headers["x-fashn-credits-used"], "3")
  T.eq(emu:status(r.json.id).headers["x-fashn-credits-used"], "3", "again on a later poll")
  local c = emu:credits()
  T.eq(c.status, 200)
  T.eq(c.json.credits.total, 97)
  T.eq(c.json.credits.subscription + c.json.credits.on_demand, 97, "total = subscription + on_demand")
  local st = emu:stats()
  T.eq(st.credits_charged, 3)
  T.eq(st.predictions.completed, 1)
end)

T.case("credits: face_reference costs 4 per image", function()
  local emu <close> = fast{ credits = 100 }
  local base = emu:wait(emu:run{ prompt = "face source" }.json.id)
  local r = emu:run{ prompt = "with a face", num_images = 2, face_reference = base.json.output[1],
    face_reference_mode = "match_base" }
  T.eq(r.status, 200, r.body)
  local final = emu:wait(r.json.id)
  T.eq(final.json.status, "completed", final.body)
  T.eq(final.headers["x-fashn-credits-used"], "8")
  T.eq(emu:credits().json.credits.total, 100 - 1 - 8)
  T.eq(emu:stats().credits_charged, 9)
end)

T.case("credits: generation_mode x resolution as the API charges now, face_reference +3, x num_images", function()
  local emu <close> = fast{ credits = 1000 }
  local face = emu:wait(emu:run{ prompt = "face source" }.json.id).json.output[1]
  local cases = {
    { { prompt = "a", resolution = "2k" }, 3 },                                   -- no mode: balanced at 2k
    { { prompt = "b", resolution = "4k" }, 4 },                                   -- balanced at 4k
    { { prompt = "c", generation_mode = "fast", resolution = "4k" }, 3 },
    { { prompt = "d", generation_mode = "quality", resolution = "4k", num_images = 2 }, 10 },
    { { prompt = "e", generation_mode = "balanced" }, 2 },
    { { prompt = "f", face_reference = face, resolution = "2k" }, 6 },            -- 2k allowed with a face
    { { prompt = "g", face_reference = face, generation_mode = "quality", num_images = 3 }, 18 },
  }
  local charged = 1
  for i, case in ipairs(cases) do
    local r = emu:run(case[1])
    T.eq(r.status, 200, "case " .. i .. ": " .. r.body)
    local final = emu:wait(r.json.id)
    T.eq(final.headers["x-fashn-credits-used"], tostring(case[2]), "case " .. i .. " charged")
    charged = charged + case[2]
  end
  T.eq(emu:stats().credits_charged, charged)
end)

T.case("auth: missing, malformed or empty bearer tokens are 401 UnauthorizedAccess everywhere", function()
  local emu <close> = fast()
  local id = emu:run{ prompt = "x" }.json.id
  for _, case in ipairs{ { key = false }, { headers = { Authorization = "Basic dXNlcjpwYXNz" }, key = false },
    { headers = { Authorization = "Bearer " }, key = false }, { headers = { Authorization = "Bearer" }, key = false } } do
    refused(emu:run({ prompt = "x" }, case), 401, "UnauthorizedAccess")
    refused(emu:status(id, case), 401, "UnauthorizedAccess")
    refused(emu:credits(case), 401, "UnauthorizedAccess")
  end
  T.eq(emu:run({ prompt = "any token works without --api-key" }, { key = "whatever" }).status, 200)
  T.eq(emu:stats().run_refused.UnauthorizedAccess, 4)
end)

T.case("auth: with --api-key only that key is accepted, and it is never echoed", function()
  local emu <close> = fast{ ["api-key"] = "sk-right" }
  local r = emu:run({ prompt = "x" }, { key = "sk-wrong" })
  refused(r, 401, "UnauthorizedAccess")
  T.ok(not r.body:find("sk-", 1, true), "no key in the answer: " .. r.body)
  refused(emu:credits{ key = "sk-righ" }, 401, "UnauthorizedAccess")
  refused(emu:credits{ key = "sk-rightt" }, 401, "UnauthorizedAccess")
  T.eq(emu:run({ prompt = "x" }, { key = "sk-right" }).status, 200)
  T.eq(emu:credits{ key = "sk-right" }.status, 200)
  T.ok(not emu:stderr():find("sk-right"), "no key on stderr")
end)

-- Each: inputs (or a raw body) and the word the 400 message must contain.
local INVALID = {
  { { aspect_ratio = "1:1" }, "prompt" },
  { { prompt = "" }, "prompt" },
  { { prompt = 7 }, "prompt" },
  { { prompt = "x", aspect_ratio = "2:1" }, "aspect_ratio" },
  { { prompt = "x", aspect_ratio = 1 }, "aspect_ratio" },
  { { prompt = "x", resolution = "8k" }, "resolution" },
  { { prompt = "x", resolution = "1K" }, "resolution" },
  { { prompt = "x", seed = -1 }, "seed" },
  { { prompt = "x", seed = 4294967296 }, "seed" },
  { { prompt = "x", seed = 1.5 }, "seed" },
  { { prompt = "x", seed = "7" }, "seed" },
  { { prompt = "x", num_images = 0 }, "num_images" },
  { { prompt = "x", num_images = 5 }, "num_images" },
  { { prompt = "x", num_images = 2.5 }, "num_images" },
  { { prompt = "x", output_format = "webp" }, "output_format" },
  { { prompt = "x", return_base64 = "yes" }, "return_base64" },
  { { prompt = "x", face_reference_mode = "match_face" }, "face_reference_mode" },
  { { prompt = "x", face_reference = 42 }, "face_reference" },
  { { prompt = "x", face_reference = "ftp://127.0.0.1/a.png" }, "face_reference" },
  { { prompt = "x", face_reference = "faces/anna.jpg" }, "face_reference" },
  { { prompt = "x", image_reference = "data:text/plain;base64,aGk=" }, "image_reference" },
  { { prompt = "x", image_reference = "data:image/png,rawbytes" }, "image_reference" },
  { { prompt = "x", face_reference = "http://127.0.0.1/f.png", resolution = "4k" }, "face_reference" },
  { { raw = '{"model_name":"model-create"}' }, "inputs" },
  { { raw = '{"model_name":"model-create","inputs":[1]}' }, "inputs" },
  { { raw = '{"inputs":{"prompt":"x"}}' }, "model_name" },
  { { raw = '{"model_name":"tryon-v9","inputs":{"prompt":"x"}}' }, "model_name" },
  { { raw = '{"model_name":"model-variation","inputs":{"model_image":"http://127.0.0.1/m.png"}}' }, "model_name" },
  { { raw = '{"model_name":"tryon-v1.6","inputs":{"prompt":"x"}}' }, "model_image" },
  { { raw = '{"model_name":7,"inputs":{"prompt":"x"}}' }, "model_name" },
  { { raw = '{"model_name":"model-create","inputs":{"prompt":"x"}' }, "JSON" },
  { { raw = '{"model_name":"model-create","inputs":{"prompt":"x",}}' }, "JSON" },
  { { raw = "" }, "JSON" },
  { { raw = "[]" }, "object" },
  { { raw = '{"model_name":"model-create","inputs":{"prompt":"x"}} trailing' }, "JSON" },
  { { raw = string.rep("[", 200) .. string.rep("]", 200) }, "JSON" },
}

T.case("every invalid input is 400 BadRequest naming the field, and creates nothing", function()
  local emu <close> = fast()
  for i, c in ipairs(INVALID) do
    local inputs, field = c[1], c[2]
    local r
    if inputs.raw then r = emu:run(nil, { body = inputs.raw })
    else r = emu:run(inputs) end
    local ok, err = pcall(refused, r, 400, "BadRequest", field)
    if not ok then error("case " .. i .. " (" .. field .. "): " .. tostring(err), 0) end
  end
  local st = emu:stats()
  T.eq(st.run_accepted, 0, "no prediction was created")
  T.eq(st.run_refused.BadRequest, #INVALID)
  T.eq(emu:credits().json.credits.total, 100000, "nothing was charged")
end)

T.case("valid edge values, nulls and unknown inputs are accepted", function()
  local emu <close> = fast()
  local accepted = {
    { prompt = "x", seed = 0 }, { prompt = "x", seed = 4294967295 }, { prompt = "x", seed = 7.0 },
    { prompt = "x", num_images = 4, resolution = "2k", output_format = "jpeg", return_base64 = false },
    { prompt = "x", generation_mode = "quality", lora_url = "http://127.0.0.1/x", some_future_input = { a = 1 } },
    { prompt = "x", aspect_ratio = cjson.null, seed = cjson.null, face_reference = cjson.null },
    { prompt = "x", face_reference_mode = "match_reference", resolution = "4k" },
  }
  for i, inputs in ipairs(accepted) do
    local r = emu:run(inputs)
    T.eq(r.status, 200, "case " .. i .. ": " .. r.body)
  end
  T.eq(emu:stats().run_accepted, #accepted)
end)

T.case("unknown prediction ids are 404 NotFound", function()
  local emu <close> = fast()
  refused(emu:status("123a87r9-4129-4bb3-be18-9c9fb5bd7fc1-u1"), 404, "NotFound")
  refused(emu:status(string.rep("a", 300)), 404, "NotFound")
  refused(emu:status(""), 404, "NotFound")
  refused(emu:download(emu.url .. "/cdn/nope/output_0.png"), 404, "NotFound")
  refused(emu:request("GET", "/v2/whatever"), 404, "NotFound")
  refused(emu:request("GET", "/v1/run"), 405, "MethodNotAllowed")
end)

T.case("a CDN URL with the wrong index or extension is 404", function()
  local emu <close> = fast()
  local r = emu:run{ prompt = "x" }
  local url = emu:wait(r.json.id).json.output[1]
  T.eq(emu:download(url).status, 200)
  T.eq(emu:download((url:gsub("output_0", "output_1"))).status, 404)
  T.eq(emu:download((url:gsub("%.png$", ".jpg"))).status, 404)
  T.eq(emu:download(url .. "x").status, 404)
end)

T.case("/v1/credits reports the balance in the contract's shape", function()
  local emu <close> = fast{ credits = 42 }
  local c = emu:credits()
  T.eq(c.status, 200)
  T.eq(c.json, { credits = { total = 42, subscription = 0, on_demand = 42 } })
end)
