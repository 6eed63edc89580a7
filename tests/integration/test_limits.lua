-- test_limits.lua — resource limits with clear errors: an output larger than
-- max_output_bytes is refused unread (the error names its size and the limit) and stays
-- fetchable by id; an output or a reference whose header declares too many pixels is
-- refused before any pixel exists; a request body over the limit is refused before it is
-- sent, whether its references came as data: URIs, files or image objects; the local
-- queue refuses job 10001 (or max_queued + 1) with QueueFull instead of growing.
-- The emulator's --output-file serves chosen bytes as every output.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"
local png = require "pngfixture"
local cjson = require "cjson"

local function start(flags)
  flags["time-scale"] = flags["time-scale"] or 0.02
  return E.start(flags)
end

-- One job, reported; opts.inputs (Lua source) replaces the default inputs.
local function one(inputs)
  return string.format([[
    local ok, r = pcall(fashn.run, %s, { raise = false })
    if not ok then emit{ raised = errinfo(r), stats = fashn.stats() } return end
    emit{ status = r.status, name = r.error and r.error.name, message = r.error and r.error.message,
      id = r.id, n = #r.images, width = r.images[1] and r.images[1].width, stats = fashn.stats() }
  ]], inputs or '{ prompt = "limits", seed = 1 }')
end

local function row_state(dir)
  local p = io.popen("sqlite3 " .. T.shell_quote(dir .. "/.atelier/journal.db") .. " 'SELECT state FROM jobs'")
  local s = p:read("a")
  p:close()
  return (s:gsub("%s+$", ""))
end

T.case("an output over max_output_bytes is refused unread, naming both sizes; a rerun with room fetches it by id", function()
  local dir = T.tmpdir()
  local bytes = png.encode(300, 300, { 90, 60, 30 }) -- stored, not compressed: ~270 KB
  T.write_file(dir .. "/big.png", bytes)
  local emu <close> = start{ ["output-file"] = dir .. "/big.png" }
  local r = R.run(emu, one(), { dir = dir, configure = "max_output_bytes = 100000", args = { "-q" } })
  R.check_exit(r)
  local ev = r.events[1]
  T.eq(ev.name, "OutputTooLarge")
  T.match(ev.message, "is " .. #bytes .. " bytes, more than the 100000%-byte limit",
    "the size the server announced and the limit")
  T.match(ev.message, "max_output_bytes")
  T.eq(row_state(dir), "submitted", "the journal keeps the id: the image is paid for")
  local again = R.run(emu, one(), { dir = dir, args = { "-q" } })
  R.check_exit(again)
  T.eq(again.events[1].status, "completed", tostring(again.events[1].message))
  T.eq(again.events[1].id, ev.id, "the same prediction")
  T.eq(again.events[1].width, 300)
  T.eq(emu:stats().run_accepted, 1, "bought once")
end)

T.case("base64 outputs over max_output_bytes are refused too, in the data: URI or in the status answer", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/mid.png", png.encode(300, 300, { 1, 2, 3 }))   -- ~270 KB: the URI fits the answer
  T.write_file(dir .. "/big.png", png.encode(820, 820, { 1, 2, 3 }))   -- ~2 MB: the answer itself is too big
  for _, case in ipairs { { "mid.png", "more than the 100000%-byte limit" },
                          { "big.png", "the status answer of prediction .- is refused: the response is %d+ bytes" } } do
    local emu <close> = start{ ["output-file"] = dir .. "/" .. case[1] }
    -- Refused once, never asked again: the count at the failure and half a second later.
    local r = R.run(emu, one('{ prompt = "limits", return_base64 = true }') .. [[
      local before = fashn.stats().status_requests
      atelier.sleep(0.5)
      emit{ before = before, after = fashn.stats().status_requests }
    ]],
      { configure = "max_output_bytes = 100000", args = { "-q" } })
    R.check_exit(r)
    T.eq(r.events[1].name, "OutputTooLarge", case[1])
    T.match(r.events[1].message, case[2], case[1])
    T.eq(r.events[2].after, r.events[2].before, case[1] .. ": not asked again (it will not get smaller)")
  end
end)

T.case("an output whose header declares too many pixels is refused before any pixel is decoded", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/bomb.png", png.declare_size(png.encode(8, 8, { 1, 2, 3 }), 30000, 30000))
  local emu <close> = start{ ["output-file"] = dir .. "/bomb.png" }
  local r = R.run(emu, one('{ prompt = "limits", num_images = 2 }'), { args = { "-q" } })
  R.check_exit(r)
  T.eq(r.events[1].name, "OutputTooLarge")
  T.match(r.events[1].message, "30000x30000 %(900 Mpx%), more than the 100 Mpx limit")
  T.eq(r.events[1].n, 0, "no image object for it")
end)

T.case("a failed download of a charged prediction counts against --max-credits", function()
  -- The first job completes at the API (1 credit) and its output is refused here; the
  -- second would take the run to 2 credits. It used to be sent (the cap forgot the first).
  local dir = T.tmpdir()
  T.write_file(dir .. "/bomb.png", png.declare_size(png.encode(8, 8, { 1, 2, 3 }), 30000, 30000))
  local emu <close> = start{ ["output-file"] = dir .. "/bomb.png" }
  local r = R.run(emu, [[
    local a = fashn.submit{ prompt = "first", seed = 1 }
    local b = fashn.submit{ prompt = "second", seed = 2 }
    local rs = fashn.gather({ a, b }, { raise = false })
    emit{ rs[1].error.name, rs[2].error.name }
  ]], { args = { "-q", "--max-credits", "1", "--no-rehearse", "--concurrency", "1" } })
  R.check_exit(r)
  T.eq(r.events[1], { "OutputTooLarge", "CreditLimitExceeded" })
  T.eq(emu:stats().run_accepted, 1, "the second was not bought")
end)

T.case("a reference whose header declares too many pixels is refused before anything is sent", function()
  local dir = T.tmpdir()
  local bomb = png.declare_size(png.encode(8, 8, { 1, 2, 3 }), 30000, 30000)
  T.write_file(dir .. "/face.png", bomb)
  local emu <close> = start{}
  local r = R.run(emu, [[
    local ok, e = pcall(fashn.submit, { prompt = "x", face_reference = "face.png" })
    emit{ ok = ok, e = errinfo(e) }
    local image = require "image"
    local ok2, e2 = pcall(image.load, "face.png")
    emit{ ok = ok2, e = errinfo(e2) }
  ]], { dir = dir, args = { "-q" } })
  R.check_exit(r)
  T.eq(r.events[1].ok, false)
  T.eq(r.events[1].e.name, "InvalidInput")
  T.eq(r.events[1].e.field, "face_reference")
  T.match(r.events[1].e.message, "30000x30000 %(900 Mpx%), more than the 100 Mpx limit")
  T.eq(r.events[2].ok, false, "nor can it become an image object")
  T.eq(r.events[2].e.name, "ImageDecodeError")
  local s = emu:stats()
  T.eq(s.run_accepted, 0)
  T.eq(s.run_refused, {}, "nothing was sent")
end)

T.case("request bodies over 16 MiB are refused before sending: two data: URIs that fit one by one", function()
  local emu <close> = start{}
  local r = R.run(emu, [[
    local uri = "data:image/png;base64," .. string.rep("A", 9 * 1024 * 1024)
    local ok, e = pcall(fashn.submit, { prompt = "x", face_reference = uri, image_reference = uri .. "AAAA" })
    emit{ ok = ok, e = errinfo(e) }
  ]], { args = { "-q" } })
  R.check_exit(r)
  local e = r.events[1].e
  T.eq(r.events[1].ok, false)
  T.eq(e.name, "InvalidInput")
  T.eq(e.field, "image_reference", "the larger one")
  T.match(e.message, "the request would be %d+ bytes %(face_reference 9437206, image_reference 9437210%); at most 16777216")
  local s = emu:stats()
  T.eq(s.run_accepted, 0)
  T.eq(s.run_refused, {}, "nothing was sent")
end)

T.case("a reference file over the 64 MiB read limit is refused naming it, before anything is sent", function()
  local dir = T.tmpdir()
  local f = assert(io.open(dir .. "/huge.png", "wb"))
  f:write(png.encode(8, 8, { 1, 2, 3 }))
  f:close()
  os.execute("truncate -s 70M " .. T.shell_quote(dir .. "/huge.png"))
  local emu <close> = start{}
  local r = R.run(emu, [[
    local ok, e = pcall(fashn.submit, { prompt = "x", image_reference = "huge.png" })
    emit{ ok = ok, e = errinfo(e) }
  ]], { dir = dir, args = { "-q" } })
  R.check_exit(r)
  T.eq(r.events[1].e.name, "InvalidInput")
  T.eq(r.events[1].e.field, "image_reference")
  T.match(r.events[1].e.message, "huge%.png")
  T.match(r.events[1].e.message, "67108864", "the limit")
  T.eq(emu:stats().run_refused, {}, "nothing was sent")
end)

T.case("an image object larger than the API takes is sent resized to 2000 px, as a file would be", function()
  local emu <close> = start{}
  local r = R.run(emu, [[
    local image = require "image"
    local wide = image.new(2600, 1300, { 200, 120, 90 })
    local webp = image.load(image.new(600, 800, { 20, 40, 60 }):encode("webp"))
    local a = fashn.run{ prompt = "object", seed = 1, face_reference = wide }
    local b = fashn.run{ prompt = "object", seed = 2, image_reference = webp }
    emit{ a.status, b.status }
  ]], { args = { "-q" } })
  R.check_exit(r)
  T.eq(r.events[1], { "completed", "completed" })
  local preds = emu:predictions()
  table.sort(preds, function(x, y) return x.seed < y.seed end)
  local face, ref = preds[1].face_reference, preds[2].image_reference
  T.eq({ face.width, face.height, face.format }, { 2000, 1000, "jpeg" }, "the face arrived at 2000 px, JPEG")
  T.eq({ ref.width, ref.height, ref.format }, { 600, 800, "jpeg" }, "the WebP arrived as a JPEG the API takes")
end)

T.case("the local queue takes max_queued jobs (10000 by default) and refuses one more with QueueFull", function()
  local emu <close> = start{}
  local r = R.run(emu, [[
    emit{ default = fashn.settings().max_queued }
    fashn.configure{ max_queued = 3 }
    local jobs = {}
    for i = 1, 3 do jobs[i] = fashn.submit{ prompt = "queued " .. i, seed = i } end
    local ok, e = pcall(fashn.submit, { prompt = "one too many", seed = 4 })
    emit{ ok = ok, e = errinfo(e), queued = fashn.stats().queued }
    fashn.gather(jobs)
    local later = fashn.run{ prompt = "one too many", seed = 4 }
    emit{ later = later.status }
  ]], { args = { "-q", "--concurrency", "1" } })
  R.check_exit(r)
  T.eq(r.events[1].default, 10000)
  local ev = r.events[2]
  T.eq(ev.ok, false)
  T.eq(ev.e.name, "QueueFull")
  T.match(ev.e.message, "3 jobs are already waiting")
  T.match(ev.e.message, "max_queued")
  T.eq(ev.queued, 3, "nothing more was queued")
  T.eq(r.events[3].later, "completed", "once the queue drains it takes jobs again")
  T.eq(emu:stats().run_accepted, 4)
end)
