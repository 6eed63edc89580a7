-- test_image.lua — the `image` module: loading from paths, bytes and data: URIs, saving
-- and encoding in every format, original bytes kept, resize/crop, metadata, errors.
local T = require "testing"
local image = require "image"

local function near_colour(img, x, y, want, tol, what)
  local r, g, b, a = img:pixel(x, y)
  T.near(r, want[1], tol, what .. " red")
  T.near(g, want[2], tol, what .. " green")
  T.near(b, want[3], tol, what .. " blue")
  T.near(a, want[4] or 255, tol, what .. " alpha")
end

T.case("an image saved in each format loads back with its size, format and colour", function()
  local dir = T.tmpdir()
  local img = image.new(40, 30, { 200, 100, 50 })
  for _, ext in ipairs { "png", "jpg", "jpeg", "webp" } do
    local path = dir .. "/a." .. ext
    T.eq(img:save(path), path, "save returns the path")
    local back = image.load(path)
    T.eq({ back.width, back.height }, { 40, 30 }, ext .. " size")
    T.eq(back.format, ext == "png" and "png" or ext == "webp" and "webp" or "jpeg", ext .. " format")
    near_colour(back, 20, 15, { 200, 100, 50 }, ext == "png" and 0 or 4, ext)
  end
end)

T.case("every format converts to every other", function()
  local dir = T.tmpdir()
  local formats = { png = "png", jpg = "jpeg", webp = "webp" }
  for from in pairs(formats) do
    image.new(16, 12, { 10, 120, 240 }):save(dir .. "/src." .. from)
    for to, name in pairs(formats) do
      local img = image.load(dir .. "/src." .. from)
      img:save(dir .. "/dst." .. to)
      local back = image.load(dir .. "/dst." .. to)
      T.eq(back.format, name, from .. " -> " .. to)
      near_colour(back, 8, 6, { 10, 120, 240 }, 6, from .. " -> " .. to)
    end
  end
end)

T.case("saving in the format an image arrived in writes its original bytes", function()
  local dir = T.tmpdir()
  image.new(20, 20, { 1, 2, 3 }):save(dir .. "/orig.jpg", { quality = 37 })
  local original = T.read_file(dir .. "/orig.jpg")
  local img = image.load(dir .. "/orig.jpg")
  img:save(dir .. "/copy.jpg")
  T.eq(T.read_file(dir .. "/copy.jpg") == original, true, "same bytes")
  T.eq(img:encode() == original, true, "encode() without a format gives the original bytes")
  T.ok(img:encode("jpeg", { quality = 90 }) ~= original, "an explicit quality re-encodes")
  T.ok(image.load(original):encode("png"):sub(2, 4) == "PNG", "bytes load and convert")
end)

T.case("metadata is embedded in every format and read back", function()
  local dir = T.tmpdir()
  local meta = { model = "model-create", prompt = "linen suit, rooftop & sun", seed = 7,
                 inputs = { aspect_ratio = "3:4", num_images = 2, resolution = "1k" } }
  for _, ext in ipairs { "png", "jpg", "webp" } do
    local path = dir .. "/m." .. ext
    image.new(8, 8, { 0, 0, 0 }):save(path, { meta = meta })
    T.eq(image.load(path):meta(), meta, ext .. " metadata")
    -- converting keeps it; the original-bytes path keeps it too
    image.load(path):save(dir .. "/m2.png")
    T.eq(image.load(dir .. "/m2.png"):meta(), meta, ext .. " -> png keeps metadata")
    image.load(path):save(dir .. "/m3." .. ext)
    T.eq(image.load(dir .. "/m3." .. ext):meta(), meta, ext .. " copy keeps metadata")
  end
  T.eq(image.new(2, 2):meta(), nil, "a new image has none")
end)

T.case("set_meta replaces metadata without re-encoding and summarises data: URIs", function()
  local dir = T.tmpdir()
  image.new(8, 8, { 9, 9, 9 }):save(dir .. "/a.jpg", { quality = 50 })
  local img = image.load(dir .. "/a.jpg")
  local big = "data:image/jpeg;base64," .. string.rep("QUJD", 5000)
  img:set_meta { prompt = "p", inputs = { face_reference = big, seed = 1 } }
  img:save(dir .. "/b.jpg")
  local m = image.load(dir .. "/b.jpg"):meta()
  T.eq(m.prompt, "p")
  T.eq(m.inputs.seed, 1)
  T.match(m.inputs.face_reference, "^data:image/jpeg;base64,%.%.%. %(20023 characters, not kept%)$")
  -- the pixels were not re-encoded: everything from the scan on is the same
  local a, b = T.read_file(dir .. "/a.jpg"), T.read_file(dir .. "/b.jpg")
  T.eq(a:sub(a:find("\xFF\xDA", 1, true)), b:sub(b:find("\xFF\xDA", 1, true)), "scan data")
  T.raises(function() img:set_meta { f = print } end, "a function cannot be kept in metadata")
end)

T.case("resize gives the requested sizes and keeps the aspect where promised", function()
  local function sized(opts)
    local img = image.new(300, 200, { 50, 60, 70 })
    local r = img:resize(opts)
    T.ok(r == img, "resize returns the image")
    return { img.width, img.height }
  end
  T.eq(sized { width = 150 }, { 150, 100 }, "width only")
  T.eq(sized { height = 50 }, { 75, 50 }, "height only")
  T.eq(sized { width = 100, height = 100 }, { 100, 67 }, "fit is the default")
  T.eq(sized { width = 100, height = 100, fit = "fill" }, { 100, 100 }, "fill")
  T.eq(sized { width = 100, height = 100, fit = "crop" }, { 100, 100 }, "crop")
  T.eq(sized { width = 600 }, { 600, 400 }, "enlarging")
  local img = image.new(300, 200, { 50, 60, 70 }):resize { width = 31, height = 17, fit = "crop" }
  near_colour(img, 30, 16, { 50, 60, 70 }, 0, "flat colour survives")
  T.raises(function() image.new(4, 4):resize {} end, "give width, height or both")
  T.raises(function() image.new(4, 4):resize { width = 0 } end, "img:resize: width: expected an integer from 1 to 65535, got 0")
  T.raises(function() image.new(4, 4):resize { width = 2, fit = "stretch" } end, "fit: expected \"fit\", \"fill\" or \"crop\", got \"stretch\"")
end)

T.case("crop takes a rectangle and refuses one outside the image", function()
  local img = image.new(50, 40, { 1, 1, 1 })
  img:crop { x = 10, y = 5, width = 20, height = 30 }
  T.eq({ img.width, img.height }, { 20, 30 })
  T.raises(function() img:crop { x = 15, width = 10 } end, "not inside the 20x30 image")
  local modified = tostring(img)
  T.match(modified, "^image 20x30 png, modified")
end)

T.case("data: URIs decode and are produced", function()
  local img = image.new(3, 2, { 255, 0, 0, 128 })
  local uri = img:data_uri { format = "png" }
  T.match(uri, "^data:image/png;base64,")
  local back = image.decode(uri)
  T.eq({ back.width, back.height, back.format }, { 3, 2, "png" })
  near_colour(back, 2, 1, { 255, 0, 0, 128 }, 0, "decoded")
  T.eq(image.load(uri).width, 3, "image.load accepts data: URIs too")
  local e = T.raises(function() image.decode("data:image/png;base64,iVBOR!") end, "ImageDecodeError")
  T.match(e.message, "invalid base64 character '!' %(0x21%) at offset 27")
  e = T.raises(function() image.decode("data:text/plain;base64,aGk=") end, "ImageDecodeError")
  T.match(e.message, "holds text/plain, not an image")
  T.raises(function() image.decode("data:image/png;base64,abc_expired") end, "expired")
  T.raises(function() image.decode("/tmp/x.png") end, "expects a data: URI")
end)

T.case("unreadable, corrupt, truncated and oversized files fail with clear errors", function()
  local dir = T.tmpdir()
  local e = T.raises(function() image.load(dir .. "/missing.png") end, "FileError")
  T.match(e.message, "missing%.png: No such file")
  T.write_file(dir .. "/text.png", "hello, not an image")
  e = T.raises(function() image.load(dir .. "/text.png") end, "ImageDecodeError")
  T.match(e.message, "text%.png: not a PNG, JPEG or WebP")
  image.new(64, 64, { 5, 5, 5 }):save(dir .. "/full.png")
  local full = T.read_file(dir .. "/full.png")
  T.write_file(dir .. "/cut.png", full:sub(1, #full // 2))
  local cut = image.load(dir .. "/cut.png") -- the header is fine: pixels are decoded lazily
  e = T.raises(function() cut:resize { width = 10 } end, "ImageDecodeError")
  T.match(e.message, "cannot decode .*cut%.png: truncated PNG")
  -- a header claiming 50000x50000 (a decompression bomb) is refused at once
  local bomb = full:sub(1, 16) .. string.pack(">I4I4", 50000, 50000) .. full:sub(25)
  e = T.raises(function() image.load(bomb) end, "ImageDecodeError")
  T.match(e.message, "image is 50000x50000 %(2%.5 Gpx%), more than the 100 Mpx limit")
  T.raises(function() image.new(8, 8):save(dir .. "/x.gif") end, "cannot tell the format")
  -- a missing folder is created (test_output_folders.lua); one under a file cannot be
  T.write_file(dir .. "/afile", "x")
  T.raises(function() image.new(8, 8):save(dir .. "/afile/x.png") end, "FileError")
  T.raises(function() image.new(8, 8):encode("tiff") end, "unknown image format 'tiff'")
end)

T.case("probe answers without decoding and returns nil, message on failure", function()
  local dir = T.tmpdir()
  image.new(30, 20, { 1, 2, 3, 4 }):save(dir .. "/p.webp", { lossless = true, meta = { seed = 3 } })
  local info = image.probe(dir .. "/p.webp")
  T.eq(info.format, "webp")
  T.eq({ info.width, info.height, info.has_alpha }, { 30, 20, true })
  T.eq(info.meta, { seed = 3 })
  local none, msg = image.probe(dir .. "/nope.webp")
  T.eq(none, nil)
  T.match(msg, "nope%.webp")
end)

T.case("encoding options change the output", function()
  local img = image.new(64, 64, { 90, 160, 30 })
  local q10, q95 = img:encode("jpeg", { quality = 10 }), img:encode("jpeg", { quality = 95 })
  T.ok(#q10 < #q95, "lower quality is smaller")
  local lossless = image.load(img:encode("webp", { lossless = true }))
  near_colour(lossless, 3, 3, { 90, 160, 30 }, 0, "lossless WebP is exact")
  T.ok(image.probe(img:encode("jpeg", { progressive = true })).progressive, "progressive JPEG")
  T.raises(function() img:encode("jpeg", { quality = 0 }) end, "img:encode: quality: expected an integer from 1 to 100, got 0")
end)

T.case("copy is independent of the original", function()
  local a = image.new(10, 10, { 1, 1, 1 })
  local b = a:copy():resize { width = 5 }
  T.eq({ a.width, b.width }, { 10, 5 })
  T.eq(image.load(a).width, 10, "image.load(img) copies too")
end)

T.case("atelier --info prints the format, size and generation parameters", function()
  local dir = T.tmpdir()
  image.new(12, 8, { 1, 2, 3 }):save(dir .. "/look.webp", {
    meta = { model = "model-create", prompt = "linen suit\nrooftop", seed = 7,
             inputs = { aspect_ratio = "3:4", face_reference_mode = "match_base" } } })
  image.new(4, 4, { 1, 2, 3, 0 }):save(dir .. "/plain.png")
  local r = T.run { T.atelier, "--info", dir .. "/look.webp", dir .. "/plain.png" }
  T.eq(r.code, 0, "exit status: " .. r.stderr)
  T.match(r.stdout, "look%.webp: webp 12x8, %d+ bytes\n  model: model%-create\n  prompt: linen suit\\nrooftop\n  seed: 7\n")
  T.match(r.stdout, "  inputs%.aspect_ratio: 3:4\n  inputs%.face_reference_mode: match_base\n")
  T.match(r.stdout, "plain%.png: png 4x4, %d+ bytes, alpha\n  %(no generation metadata%)\n")
  r = T.run { T.atelier, "--info", dir .. "/missing.jpg" }
  T.eq(r.code, 1)
  T.match(r.stderr, "missing%.jpg: No such file")
  r = T.run { T.atelier, "--info" }
  T.eq(r.code, 2)
end)

T.case("palette, 16-bit, grey and CMYK files decode to the right colours", function()
  local dir = (T.root or ".") .. "/tests/fuzz/corpus/"
  local cases = {
    { "png/palette", { 255, 0, 0 }, { 0, 0, 255 } },
    { "png/rgb16", { 255, 255, 255 }, { 0, 0, 0 } },
    { "jpeg/gray", { 255, 255, 255 }, { 0, 0, 0 } },
    { "jpeg/cmyk", { 255, 0, 0 }, { 0, 0, 255 } }, -- Adobe-style inverted CMYK
  }
  for _, c in ipairs(cases) do
    local img = image.load(dir .. c[1])
    near_colour(img, 0, 0, c[2], 8, c[1] .. " first pixel")
    near_colour(img, img.width - 1, img.height - 1, c[3], 8, c[1] .. " last pixel")
  end
end)

T.case("pixels count towards garbage collection: a loop over many decoded images stays small", function()
  -- 300 images of 1000x1000 (4 MB of pixels each) made and dropped in turn: 1.2 GB if
  -- the collector only saw their 100-byte userdata, a few images' worth when it sees
  -- the pixels. Run in a child so the runner's own heap does not blur the figure.
  local r = T.run({ T.atelier, "-e", [[
    local image = require "image"
    local maps = io.open("/proc/self/maps"):read("a")
    if maps:find("libasan", 1, true) then print("asan") return end
    local uri = image.new(400, 300, { 10, 20, 30 }):data_uri{ format = "png" }
    for i = 1, 300 do
      local im = image.new(1000, 1000, { i % 256, 0, 0 })
      local again = image.decode(uri)
      again:resize{ width = 1000 }
      assert(im.width == 1000)
    end
    print(io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)"))
  ]] })
  T.eq(r.code, 0, r.stderr)
  if r.stdout:match("asan") then T.skip("AddressSanitizer keeps freed memory in quarantine: peak RSS says nothing here") end
  local kb = tonumber(r.stdout:match("%d+"))
  T.ok(kb and kb < 250 * 1024, "peak RSS " .. tostring(kb) .. " kB for 300 dropped 4 MB images")
end)

T.case("image.load refuses a FIFO or a device at once instead of hanging or filling memory", function()
  local dir = T.tmpdir()
  os.execute("mkfifo " .. T.shell_quote(dir .. "/fifo"))
  -- in a child with a timeout: the old behaviour was to block forever on the FIFO
  T.write_file(dir .. "/r.lua", [[
    local image = require 'image'
    for _, p in ipairs { arg[1], '/dev/zero' } do
      local ok, err = pcall(image.load, p)
      print(ok and 'LOADED' or (err.name .. ': ' .. err.message))
    end
  ]])
  local r = T.run({ "timeout", "20", T.atelier, dir .. "/r.lua", dir .. "/fifo" })
  T.eq(r.code, 0, "finished: " .. r.stderr)
  T.match(r.stdout, "^FileError: cannot read [^\n]*/fifo: it is a FIFO %(named pipe%), not a regular file\n", r.stdout)
  T.match(r.stdout, "\nFileError: cannot read /dev/zero: it is a character device, not a regular file\n$", r.stdout)
end)
