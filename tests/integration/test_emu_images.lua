-- test_emu_images.lua — fashn-emu's pictures: the contract's pixel size for every aspect
-- ratio x resolution, PNG or JPEG as asked, deterministic bytes, and ImageLoadError for
-- input images that cannot be fetched or decoded (never contacting another host).
local T = require "testing"
local E = require "emu"

local ASPECTS = {
  ["21:9"] = { 1568, 672 }, ["16:9"] = { 1360, 768 }, ["9:16"] = { 760, 1360 }, ["4:3"] = { 1176, 880 },
  ["3:4"] = { 880, 1176 }, ["3:2"] = { 1176, 784 }, ["2:3"] = { 832, 1248 }, ["4:5"] = { 912, 1144 },
  ["5:4"] = { 1144, 912 }, ["1:1"] = { 1024, 1024 },
}
local RES = { ["1k"] = 1, ["2k"] = 2, ["4k"] = 4 }

local function fast(extra)
  local f = { ["time-scale"] = 0.001, ["run-limit"] = 0, ["status-limit"] = 0, ["credits-limit"] = 0,
    ["concurrency-limit"] = 0 }
  for k, v in pairs(extra or {}) do f[k] = v end
  return E.start(f)
end

-- Runs inputs to the end; returns the final status response.
local function finish(emu, inputs)
  local r = emu:run(inputs)
  assert(r.status == 200, "run: " .. tostring(r.status) .. " " .. r.body)
  return emu:wait(r.json.id, { timeout = 120 })
end

local function first_image(emu, inputs)
  local final = finish(emu, inputs)
  T.eq(final.json.status, "completed", final.body)
  return emu:download(final.json.output[1])
end

T.case("every aspect ratio at 1k, 2k and 4k is the contract's exact PNG size", function()
  local emu <close> = fast()
  local jobs = {}
  for aspect in pairs(ASPECTS) do
    for res in pairs(RES) do
      local r = emu:run{ prompt = "size check", aspect_ratio = aspect, resolution = res }
      T.eq(r.status, 200, r.body)
      jobs[#jobs + 1] = { id = r.json.id, aspect = aspect, res = res }
    end
  end
  T.eq(#jobs, 30)
  for _, j in ipairs(jobs) do
    local final = emu:wait(j.id, { timeout = 120 })
    T.eq(final.json.status, "completed", final.body)
    local d = emu:download(final.json.output[1])
    T.eq(d.headers["content-type"], "image/png")
    local want = ASPECTS[j.aspect]
    T.eq({ E.png_size(d.body) }, { want[1] * RES[j.res], want[2] * RES[j.res] }, j.aspect .. " at " .. j.res)
  end
end, { timeout = 300 })

T.case("output_format jpeg serves image/jpeg of the right size", function()
  local emu <close> = fast()
  for _, c in ipairs{ { "21:9", "1k" }, { "4:5", "2k" }, { "9:16", "4k" } } do
    local final = finish(emu, { prompt = "jpeg", aspect_ratio = c[1], resolution = c[2], output_format = "jpeg" })
    T.match(final.json.output[1], "/output_0%.jpg$", "URL extension")
    local d = emu:download(final.json.output[1])
    T.eq(d.headers["content-type"], "image/jpeg")
    local want = ASPECTS[c[1]]
    T.eq({ E.jpeg_size(d.body) }, { want[1] * RES[c[2]], want[2] * RES[c[2]] }, c[1] .. " " .. c[2])
  end
end, { timeout = 120 })

T.case("the same inputs and seed give byte-identical images, across servers too", function()
  local a <close> = fast()
  local b <close> = fast()
  local inputs = { prompt = "determinism in a wool coat", seed = 1234, aspect_ratio = "4:5" }
  local one = first_image(a, inputs).body
  local two = first_image(a, inputs).body
  local three = first_image(b, inputs).body
  T.ok(#one > 1000, "an image")
  T.ok(one == two, "same server, same bytes")
  T.ok(one == three, "another server, same bytes")
end)

T.case("another seed, prompt or image index gives another image", function()
  local emu <close> = fast()
  local base = first_image(emu, { prompt = "red dress", seed = 1 }).body
  T.ok(first_image(emu, { prompt = "red dress", seed = 2 }).body ~= base, "seed changes the image")
  T.ok(first_image(emu, { prompt = "blue suit", seed = 1 }).body ~= base, "prompt changes the image")
  local final = finish(emu, { prompt = "red dress", seed = 1, num_images = 2 })
  local i1, i2 = emu:download(final.json.output[1]).body, emu:download(final.json.output[2]).body
  T.ok(i1 ~= i2, "the second image differs")
end)

T.case("image_reference by loopback URL sets the output's aspect ratio", function()
  local emu <close> = fast()
  local wide = finish(emu, { prompt = "wide source", aspect_ratio = "16:9" })
  local d = first_image(emu, { prompt = "posed like it", image_reference = wide.json.output[1] })
  T.eq({ E.png_size(d.body) }, { 1360, 768 }, "16:9 from the reference")
  d = first_image(emu, { prompt = "posed like it", image_reference = wide.json.output[1], aspect_ratio = "1:1" })
  T.eq({ E.png_size(d.body) }, { 1024, 1024 }, "an explicit aspect_ratio wins")
end)

-- Each: an input image that cannot be loaded, and a word the failure message contains.
local UNLOADABLE = {
  { "http://example.com/model.png", "loopback" },
  { "http://192.168.1.10/model.png", "loopback" },
  { "%s/cdn/no-such-id/output_0.png", "404" },
  { "%s/_emu/stats", "Content-Type" },
  { "http://127.0.0.1:1/closed.png", "127.0.0.1" },
  { "data:image/png;base64,@@@@", "base64" },
  { "data:image/png;base64,aGVsbG8gd29ybGQ=", "" },
  { "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==", "" },
}

T.case("unloadable input images fail the prediction with ImageLoadError, free of charge", function()
  local emu <close> = fast{ credits = 1000 }
  for i, c in ipairs(UNLOADABLE) do
    local url = c[1]:gsub("%%s", emu.url)
    for _, field in ipairs{ "image_reference", "face_reference" } do
      local final = finish(emu, { prompt = "x", [field] = url })
      local what = "case " .. i .. " " .. field .. ": " .. final.body
      T.eq(final.json.status, "failed", what)
      T.eq(final.json.error.name, "ImageLoadError", what)
      T.ok(final.json.error.message:find(field, 1, true), "message names the field: " .. what)
      T.ok(final.json.error.message:find(c[2], 1, true), "message says why: " .. what)
      T.eq(final.headers["x-fashn-credits-used"], nil, "no credits header on failure")
    end
  end
  local st = emu:stats()
  T.eq(st.predictions.failed, 2 * #UNLOADABLE)
  T.eq(st.credits_charged, 0)
  T.eq(emu:credits().json.credits.total, 1000, "failed predictions are refunded")
end, { timeout = 120 })

T.case("outputs of a return_base64 prediction are not on the CDN", function()
  local emu <close> = fast()
  local final = finish(emu, { prompt = "private", return_base64 = true })
  T.match(final.json.output[1], "^data:image/png;base64,")
  T.eq(emu:download(emu.url .. "/cdn/" .. final.json.id .. "/output_0.png").status, 404)
end)

T.case("a 4k render does not hold up other requests: they answer while it is processing", function()
  -- Processing is due after ~25 ms here, but four 16 MP renders take far longer; a server
  -- that rendered on the request path could not answer "processing" meanwhile.
  local emu <close> = fast()
  local r = emu:run{ prompt = "big", resolution = "4k", num_images = 4, aspect_ratio = "21:9" }
  local seen_processing = false
  for _ = 1, 2000 do
    local s = emu:status(r.json.id)
    T.eq(emu:credits().status, 200)
    if s.json.status == "processing" then seen_processing = true end
    if s.json.status == "completed" then break end
  end
  T.ok(seen_processing, "answered while rendering")
  T.eq(emu:stats().predictions.completed, 1)
end, { timeout = 120 })
