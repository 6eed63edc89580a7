-- test_emu_models.lua — fashn-emu serves every FASHN model, not only model-create: each
-- runs to completion with its output size, format and price; bad inputs are 400s naming
-- the field; the placeholder pictures show what the model did (the product on the
-- model's torso, the input centred on the reframed canvas, a cut-out on transparency);
-- image-to-video is a browser-playable H.264 MP4 made from its input (ffprobe, ffmpeg); reframe's and tryon-v1.6's own failures
-- fire on their documented conditions; an output of the emulator chains into the next
-- model without a download.
local T = require "testing"
local E = require "emu"
local image = require "image"

local function fast(extra)
  local f = { ["time-scale"] = 0.001, ["run-limit"] = 0, ["status-limit"] = 0, ["credits-limit"] = 0,
    ["concurrency-limit"] = 0 }
  for k, v in pairs(extra or {}) do f[k] = v end
  return E.start(f)
end

-- Solid-colour inputs as data: URIs.
local BLUE, RED, GREEN = { 40, 60, 200, 255 }, { 220, 30, 40, 255 }, { 40, 160, 60, 255 }
local function solid(w, h, colour) return image.new(w, h, colour):data_uri{ format = "png" } end
local PORTRAIT = solid(400, 600, BLUE) -- 2:3, a standing model
local PRODUCT = solid(300, 300, RED)
local WIDE = solid(600, 400, GREEN)

-- Runs one job of model to the end: the final status response (completed or failed).
local function finish(emu, model, inputs)
  local r = emu:run(inputs, { model_name = model })
  assert(r.status == 200, model .. ": run answered " .. tostring(r.status) .. " " .. r.body)
  return emu:wait(r.json.id, { timeout = 60 })
end

-- The decoded output n (1-based) of a completed job, its bytes and Content-Type.
local function output(emu, final, n)
  local d = emu:download(final.json.output[n or 1])
  T.eq(d.status, 200, "download")
  return d.body, d.headers["content-type"]
end

local function size_of(bytes)
  local w, h = E.png_size(bytes)
  if w then return w, h, "png" end
  w, h = E.jpeg_size(bytes)
  if w then return w, h, "jpeg" end
  return nil
end

-- Each: model, inputs, outputs, width, height, format, credits.
local RUNS = {
  { "tryon-max", { model_image = PORTRAIT, product_image = PRODUCT }, 1, 832, 1248, "png", 2 },
  { "tryon-max", { model_image = PORTRAIT, product_image = PRODUCT, resolution = "2k" }, 1, 1664, 2496, "png", 3 },
  { "tryon-v1.6", { model_image = PORTRAIT, garment_image = PRODUCT, num_samples = 2 }, 2, 864, 1296, "png", 2 },
  { "tryon-v1.6", { model_image = "saved:anna", garment_image = PRODUCT, output_format = "jpeg" }, 1, 864, 1296,
    "jpeg", 1 },
  { "product-to-model", { product_image = PRODUCT }, 1, 1024, 1024, "png", 1 },
  { "product-to-model", { product_image = PRODUCT, face_reference = PORTRAIT, image_prompt = WIDE }, 1, 1176, 784,
    "png", 4 },
  { "face-to-model", { face_image = PRODUCT }, 1, 832, 1248, "jpeg", 1 },
  { "face-to-model", { face_image = PRODUCT, aspect_ratio = "4:5", output_format = "png" }, 1, 912, 1144, "png", 1 },
  { "model-swap", { model_image = PORTRAIT, face_reference = PRODUCT, num_images = 2 }, 2, 832, 1248, "png", 8 },
  { "edit", { image = PORTRAIT, prompt = "add a straw hat", generation_mode = "quality" }, 1, 832, 1248, "png", 3 },
  { "edit", { image = WIDE, prompt = "square it", aspect_ratio = "1:1" }, 1, 1024, 1024, "png", 1 },
  { "reframe", { image = PORTRAIT, aspect_ratio = "16:9" }, 1, 1360, 768, "png", 1 },
  { "reframe", { image = PORTRAIT, target_aspect_ratio = "1:1", mode = "aspect_ratio" }, 1, 1024, 1024, "png", 1 },
  { "background-remove", { image = PORTRAIT }, 1, 832, 1248, "png", 1 },
  { "background-remove", { image = WIDE, output_format = "jpeg" }, 1, 1176, 784, "png", 1 },
  { "packshot", { product_image = PRODUCT, image_context = WIDE }, 1, 1024, 1024, "png", 1 },
  { "background-change", { image = PORTRAIT, prompt = "a beach at dusk" }, 1, 832, 1248, "png", 1 },
}

T.case("every model completes with its output size, format and price", function()
  local emu <close> = fast()
  local spent = 0
  for i, c in ipairs(RUNS) do
    local model, inputs, n, w, h, format, credits = table.unpack(c)
    local what = "run " .. i .. " (" .. model .. ")"
    local final = finish(emu, model, inputs)
    T.eq(final.json.status, "completed", what .. ": " .. final.body)
    T.eq(final.headers["x-fashn-credits-used"], tostring(credits), what .. " credits")
    spent = spent + credits
    T.eq(#final.json.output, n, what .. " outputs")
    for k = 1, n do
      T.match(final.json.output[k], format == "png" and "%.png$" or "%.jpg$", what .. " URL")
      local bytes, ctype = output(emu, final, k)
      T.eq(ctype, "image/" .. format, what .. " Content-Type")
      T.eq({ size_of(bytes) }, { w, h, format }, what .. " size")
    end
  end
  T.eq(emu:credits().json.credits.total, 100000 - spent, "the balance paid for every run")
end, { timeout = 120 })

-- Each: model, inputs, the word the 400 message must contain.
local INVALID = {
  { "tryon-max", { model_image = PORTRAIT }, "product_image" },
  { "tryon-max", { model_image = PORTRAIT, product_image = PRODUCT, generation_mode = "fast" }, "generation_mode" },
  { "tryon-max", { model_image = "faces/anna.jpg", product_image = PRODUCT }, "model_image" },
  { "tryon-v1.6", { model_image = PORTRAIT }, "garment_image" },
  { "tryon-v1.6", { model_image = PORTRAIT, garment_image = PRODUCT, category = "hats" }, "category" },
  { "tryon-v1.6", { model_image = PORTRAIT, garment_image = PRODUCT, num_samples = 5 }, "num_samples" },
  { "tryon-v1.6", { model_image = PORTRAIT, garment_image = "saved:anna" }, "garment_image" },
  { "product-to-model", { product_image = PRODUCT, model_image = PORTRAIT, image_prompt = WIDE }, "model_image" },
  { "face-to-model", { face_image = PRODUCT, aspect_ratio = "16:9" }, "aspect_ratio" },
  { "model-swap", { prompt = "x" }, "model_image" },
  { "edit", { image = PORTRAIT }, "prompt" },
  { "edit", { image = PORTRAIT, prompt = "  " }, "prompt" },
  { "reframe", { image = PORTRAIT }, "aspect_ratio" },
  { "reframe", { image = PORTRAIT, aspect_ratio = "2:1" }, "aspect_ratio" },
  { "background-remove", { image = 7 }, "image" },
  { "image-to-video", { image = PORTRAIT, duration = 7 }, "duration" },
  { "image-to-video", { image = PORTRAIT, resolution = "4k" }, "resolution" },
  { "image-to-video", { image = PORTRAIT, end_image = WIDE, resolution = "720p" }, "end_image" },
  { "packshot", { product_image = PRODUCT, seed = -1 }, "seed" },
  { "background-change", { image = PORTRAIT }, "prompt" },
  { "model-variation", { model_image = PORTRAIT }, "retired" },
  { "tryon-v9", { model_image = PORTRAIT }, "model_name" },
}

T.case("invalid inputs of every model are 400 BadRequest naming the field, and create nothing", function()
  local emu <close> = fast()
  for i, c in ipairs(INVALID) do
    local r = emu:run(c[2], { model_name = c[1] })
    local what = "case " .. i .. " (" .. c[1] .. ", " .. c[3] .. ")"
    T.eq(r.status, 400, what .. ": " .. r.body)
    T.eq(r.json and r.json.error, "BadRequest", what)
    T.ok(r.json.message:find(c[3], 1, true), what .. ": message names it: " .. r.json.message)
  end
  T.eq(emu:stats().run_accepted, 0, "no prediction was created")
end)

T.case("unknown inputs are ignored by every model, as a server does", function()
  local emu <close> = fast()
  local final = finish(emu, "background-remove", { image = PORTRAIT, some_future_input = { a = 1 }, seed = 7 })
  T.eq(final.json.status, "completed", final.body)
  final = finish(emu, "tryon-v1.6", { model_image = PORTRAIT, garment_image = PRODUCT, passthrough = { x = 1 } })
  T.eq(final.json.status, "completed", final.body)
end)

-- How many of a 5 x 5 grid of points inside the box are within tol of colour.
local function share_near(img, x, y, w, h, colour, tol)
  local hits = 0
  for i = 1, 5 do
    for j = 1, 5 do
      local r, g, b = img:pixel(math.floor(x + w * i / 6), math.floor(y + h * j / 6))
      if math.abs(r - colour[1]) <= tol and math.abs(g - colour[2]) <= tol and math.abs(b - colour[3]) <= tol then
        hits = hits + 1
      end
    end
  end
  return hits / 25
end

T.case("try-on puts the product's colour on the model's torso", function()
  local emu <close> = fast()
  for _, c in ipairs{ { "tryon-max", { model_image = PORTRAIT, product_image = PRODUCT } },
    { "tryon-v1.6", { model_image = PORTRAIT, garment_image = PRODUCT } } } do
    local img = image.load((output(emu, (finish(emu, c[1], c[2])))))
    local w, h = img.width, img.height
    -- The torso: the middle third across, from a quarter to a half down.
    local torso = share_near(img, w * 0.4, h * 0.26, w * 0.2, h * 0.2, RED, 40)
    T.ok(torso >= 0.6, c[1] .. ": the torso shows the product's red (" .. torso .. ")")
    -- Elsewhere the model image is still there.
    local r, g, b = img:pixel(w // 10, h * 7 // 10)
    T.near(r, BLUE[1], 40, c[1] .. " model image red"); T.near(b, BLUE[3], 40, c[1] .. " model image blue")
  end
  -- Without the product's colour the same spot is not red: the check can fail.
  local img = image.load((output(emu, (finish(emu, "tryon-max", { model_image = PORTRAIT, product_image = WIDE })))))
  T.ok(share_near(img, img.width * 0.4, img.height * 0.26, img.width * 0.2, img.height * 0.2, RED, 40) < 0.2,
    "a green product gives no red torso")
end)

T.case("reframe centres the input on a canvas of the new ratio", function()
  local emu <close> = fast()
  local img = image.load((output(emu, (finish(emu, "reframe", { image = PORTRAIT, aspect_ratio = "16:9" })))))
  T.eq({ img.width, img.height }, { 1360, 768 })
  -- 2:3 in 16:9 fills the middle 512 of 1360 columns (424 to 936) with the input ...
  local middle = share_near(img, 440, 80, 480, 560, BLUE, 20)
  T.ok(middle >= 0.6, "the middle is the input (" .. middle .. ")")
  -- ... and the sides are the new canvas, not the input.
  for _, x in ipairs{ 20, 940 } do
    local side = share_near(img, x, 80, 400, 560, BLUE, 20)
    T.ok(side <= 0.2, "the side from " .. x .. " is new canvas (" .. side .. ")")
  end
end)

T.case("background-remove cuts a figure out on transparency (always PNG)", function()
  local emu <close> = fast()
  local bytes, ctype = output(emu, (finish(emu, "background-remove", { image = PORTRAIT })))
  T.eq(ctype, "image/png")
  local img = image.load(bytes)
  local w, h = img.width, img.height
  for _, p in ipairs{ { 2, 2 }, { w - 3, 2 }, { 2, h - 3 }, { w - 3, h - 3 } } do
    local _, _, _, a = img:pixel(p[1], p[2])
    T.eq(a, 0, "corner " .. p[1] .. "," .. p[2] .. " is transparent")
  end
  local r, g, b, a = img:pixel(w // 2, h // 2 + h // 10)
  T.eq(a, 255, "the figure is opaque")
  T.near(r, BLUE[1], 30, "the figure keeps the input's pixels"); T.near(b, BLUE[3], 30, "blue")
end)

local function have(cmd)
  local ok = os.execute("command -v " .. cmd .. " >/dev/null 2>&1")
  return ok == true
end

-- ffprobe's view of an MP4 file: its video stream's fields and the container's duration.
local function probe(path)
  local r = T.run({ "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
    "stream=codec_type,codec_name,codec_tag_string,profile,pix_fmt,width,height,nb_read_frames:format=duration",
    "-of", "default=nw=1", path })
  T.eq(r.code, 0, "ffprobe accepts it: " .. r.stderr)
  local f = {}
  for k, v in r.stdout:gmatch("([%w_]+)=([^\n]*)") do f[k] = v end
  return f
end

-- The RGB of the pixel at (x, y) of frame n (1-based) of the clip at path, decoded by ffmpeg.
local function frame_pixel(path, n, x, y)
  local png = T.tmpdir() .. "/frame.png"
  local r = T.run({ "ffmpeg", "-v", "error", "-y", "-i", path, "-vf", "select=eq(n\\," .. (n - 1) .. ")",
    "-vframes", "1", png })
  T.eq(r.code, 0, "ffmpeg decodes frame " .. n .. ": " .. r.stderr)
  local img = image.load(png)
  return img:pixel(x, y)
end

T.case("image-to-video serves a short H.264 MP4 made from its input, which ffprobe reads", function()
  local emu <close> = fast()
  local final = finish(emu, "image-to-video", { image = PORTRAIT, prompt = "a slow turn" })
  T.eq(final.json.status, "completed", final.body)
  T.eq(final.headers["x-fashn-credits-used"], "6", "5 s at 1080p")
  T.match(final.json.output[1], "/output_0%.mp4$")
  local bytes, ctype = output(emu, final)
  T.eq(ctype, "video/mp4")
  T.eq(bytes:sub(5, 12), "ftypisom", "an ISO-BMFF file")
  local inline = finish(emu, "image-to-video", { image = PORTRAIT, duration = 10, resolution = "480p",
    return_base64 = true })
  T.eq(inline.headers["x-fashn-credits-used"], "2", "10 s at 480p")
  T.match(inline.json.output[1], "^data:video/mp4;base64,")
  if not have("ffprobe") then T.skip("ffprobe is not installed (apt-get install ffmpeg)") end
  local path = T.tmpdir() .. "/clip.mp4"
  T.write_file(path, bytes)
  local f = probe(path)
  T.eq(f.codec_type, "video")
  T.eq(f.codec_name, "h264", "H.264, what browsers play")
  T.eq(f.codec_tag_string, "avc1", "an 'avc1' sample entry")
  T.ok(f.profile == "Constrained Baseline" or f.profile == "Baseline", "the baseline profile: " .. tostring(f.profile))
  T.eq(f.pix_fmt, "yuv420p")
  T.eq({ f.width, f.height }, { "320", "480" }, "2:3 at 480 px on the long side")
  T.eq(f.nb_read_frames, "24", "2 s at 12 frames a second")
  T.near(tonumber(f.duration), 2, 0.01, "2 s")
  -- Every frame decodes (ffmpeg reads the whole clip without an error).
  local dec = T.run({ "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-" })
  T.eq(dec.code, 0, "ffmpeg decodes every frame: " .. dec.stderr)
  T.eq(dec.stderr, "", "without complaint")
  -- Made from the input: its middle is the input's blue, on the first frame and the last.
  for _, n in ipairs { 1, 24 } do
    local r, g, b = frame_pixel(path, n, 160, 240)
    T.near(r, BLUE[1], 12, "frame " .. n .. ": red"); T.near(g, BLUE[2], 12, "green"); T.near(b, BLUE[3], 12, "blue")
  end
  -- duration 10: twice as long.
  local long = T.tmpdir() .. "/long.mp4"
  T.write_file(long .. ".b64", inline.json.output[1]:match("^data:video/mp4;base64,(.+)$"))
  T.eq(T.run({ "sh", "-c", 'base64 -d "$1.b64" >"$1"', "sh", long }).code, 0, "base64 -d")
  f = probe(long)
  T.eq(f.nb_read_frames, "48", "4 s at 12 frames a second")
  T.near(tonumber(f.duration), 4, 0.01, "4 s")
end, { timeout = 60 })

T.case("reframe fails with InputValidationError when the image already has the ratio (2 % tolerance)", function()
  local emu <close> = fast()
  local before = emu:credits().json.credits.total
  for _, c in ipairs{ { PORTRAIT, "2:3" }, { solid(400, 590, BLUE), "2:3" }, { WIDE, "3:2" },
    { solid(500, 500, BLUE), "1:1" } } do
    local final = finish(emu, "reframe", { image = c[1], aspect_ratio = c[2] })
    T.eq(final.json.status, "failed", c[2])
    T.eq(final.json.error.name, "InputValidationError", c[2])
    T.match(final.json.error.message, "already")
  end
  T.eq(emu:credits().json.credits.total, before, "failures cost nothing")
  -- 3 % away is a reframe.
  local final = finish(emu, "reframe", { image = solid(400, 582, BLUE), aspect_ratio = "2:3" })
  T.eq(final.json.status, "completed", final.body)
end)

T.case("tryon-v1.6 fails with PoseError when the model image is wider than tall", function()
  local emu <close> = fast()
  local final = finish(emu, "tryon-v1.6", { model_image = WIDE, garment_image = PRODUCT })
  T.eq(final.json.status, "failed")
  T.eq(final.json.error.name, "PoseError")
  T.match(final.json.error.message, "model_image")
  T.eq(finish(emu, "tryon-v1.6", { model_image = solid(400, 400, BLUE), garment_image = WIDE }).json.status,
    "completed", "a square image has a pose")
  T.eq(finish(emu, "tryon-max", { model_image = WIDE, product_image = PRODUCT }).json.status, "completed",
    "tryon-max has no such rule")
end)

T.case("an output of the emulator chains into the next model from its store, without a download", function()
  local emu <close> = fast()
  local hero = finish(emu, "model-create", { prompt = "house model", aspect_ratio = "4:5" })
  local tried = finish(emu, "tryon-max", { model_image = hero.json.output[1], product_image = PRODUCT })
  T.eq(tried.json.status, "completed", tried.body)
  local framed = finish(emu, "reframe", { image = tried.json.output[1], aspect_ratio = "9:16" })
  T.eq(framed.json.status, "completed", framed.body)
  local cut = finish(emu, "background-remove", { image = framed.json.output[1] })
  T.eq(cut.json.status, "completed", cut.body)
  T.eq(emu:stats().downloads, 0, "nothing went through the CDN")
  local preds = emu:predictions()
  T.eq(preds[2].model, "tryon-max")
  T.eq({ preds[2].model_image.width, preds[2].model_image.height }, { 912, 1144 }, "the hero arrived whole")
  T.eq({ E.png_size((output(emu, tried))) }, { 912, 1144 }, "try-on keeps the model image's 4:5")
  -- An output id the emulator does not have is an ImageLoadError, as a dead URL is.
  local gone = finish(emu, "edit", { image = emu.url .. "/cdn/nope-u1/output_0.png", prompt = "x" })
  T.eq(gone.json.status, "failed")
  T.eq(gone.json.error.name, "ImageLoadError")
end)

T.case("edit writes its prompt on the image: same prompt, same bytes; another prompt, other pixels", function()
  local emu <close> = fast()
  local function edited(prompt)
    return (output(emu, (finish(emu, "edit", { image = PORTRAIT, prompt = prompt, seed = 3 }))))
  end
  local a, again, b = edited("add a straw hat"), edited("add a straw hat"), edited("remove the belt")
  T.ok(a == again, "deterministic")
  T.ok(a ~= b, "the prompt shows")
  -- The words sit in a box in the lower part of the image; above it the input is untouched.
  local ia, ib = image.load(a), image.load(b)
  local differ, same = 0, 0
  for x = 40, ia.width - 40, 8 do
    for _, f in ipairs{ 0.665, 0.67, 0.675, 0.68, 0.40 } do
      local y = math.floor(ia.height * f)
      local r1, g1, b1 = ia:pixel(x, y)
      local r2, g2, b2 = ib:pixel(x, y)
      local d = r1 ~= r2 or g1 ~= g2 or b1 ~= b2
      if y > ia.height // 2 and d then differ = differ + 1 end
      if y < ia.height // 2 and not d then same = same + 1 end
    end
  end
  T.ok(differ > 10, "the text box differs (" .. differ .. " points)")
  T.ok(same > 80, "the rest is the same (" .. same .. " points)")
end)
