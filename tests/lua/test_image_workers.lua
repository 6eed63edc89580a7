-- test_image_workers.lua — image codecs on the worker pool and the pixel cache: other
-- tasks run while an image converts; results are the same with and without the pool;
-- decoded pixels are dropped under the cache budget (and uncounted once dropped), so
-- holding many images costs their bytes, not their pixels; a run that ends while a
-- conversion is still on a worker ends cleanly.
local T = require "testing"
local image = require "image"

-- Runs a Lua chunk in a child atelier; returns its stdout, failing the case on an error.
local function child(src, args, env)
  local dir = T.tmpdir()
  T.write_file(dir .. "/c.lua", src)
  local argv = { T.atelier }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  argv[#argv + 1] = dir .. "/c.lua"
  local r = T.run(argv, { env = env, cwd = dir })
  return r
end

T.case("another task keeps running while an image converts on a worker", function()
  local r = child([[
    local image, atelier = require "image", require "atelier"
    local w = image.configure{ workers = 2 }.workers -- one CPU would default to the loop thread
    -- a 2400x2400 PNG with detail: seconds of WebP encoding on the loop thread before
    local src = image.new(2400, 2400, { 30, 90, 150 })
    src:resize{ width = 2400, height = 2400, fit = "fill" }
    local png = src:encode("png", { effort = 1 })
    local img = image.load(png)
    local ticks, done = 0, false
    local ticker = atelier.spawn(function()
      while not done do
        ticks = ticks + 1
        atelier.sleep(0.01)
      end
    end)
    atelier.sleep(0.02) -- the ticker is running
    local before = ticks
    local t0 = atelier.now()
    local webp = img:encode("webp", { lossless = true, effort = 9 })
    local took = atelier.now() - t0
    local during = ticks - before
    done = true
    atelier.gather(ticker)
    assert(image.load(webp).width == 2400)
    print(string.format("%d %d %.3f", w, during, took))
  ]])
  T.eq(r.code, 0, r.stderr)
  local workers, during, took = r.stdout:match("(%d+) (%d+) ([%d.]+)")
  workers, during, took = tonumber(workers), tonumber(during), tonumber(took)
  T.eq(workers, 2, "a pool of two: " .. r.stdout)
  T.ok(took > 0.05, "the conversion took long enough to tell (" .. took .. " s)")
  -- One tick per 10 ms while the encode ran; at least a third of them on a busy machine.
  T.ok(during >= math.max(2, math.floor(took / 0.01 / 3)),
    string.format("the other task ticked %d times during a %.2f s conversion", during, took))
end)

T.case("with workers = 1 the codecs run on the loop thread, as before the pool", function()
  local r = child([[
    local image, atelier = require "image", require "atelier"
    image.configure{ workers = 1 }
    assert(image.configure{}.workers == 1)
    local img = image.load(image.new(1200, 1200, { 1, 2, 3 }):encode("png"))
    local ticks, done = 0, false
    local ticker = atelier.spawn(function()
      while not done do ticks = ticks + 1; atelier.sleep(0.001) end
    end)
    atelier.sleep(0.01)
    local before = ticks
    img:encode("webp", { lossless = true, effort = 9 })
    print(ticks - before)
    done = true
  ]])
  T.eq(r.code, 0, r.stderr)
  T.eq(tonumber(r.stdout:match("%d+")), 0, "nothing else runs while the loop thread encodes")
end)

T.case("saves, encodes, resizes and pixels give the same results on the pool and off it", function()
  local src = [[
    local image = require "image"
    image.configure{ workers = tonumber(arg[1]) }
    local base = image.new(300, 200, { 200, 100, 50 })
    base:crop{ x = 10, y = 10, width = 250, height = 150 }
    local png = base:encode("png")
    local out = {}
    for _, f in ipairs { "png", "jpeg", "webp" } do
      local im = image.load(png)
      out[#out + 1] = #im:encode(f, { quality = 80 })
      im:resize{ width = 120, height = 90, fit = "crop" }
      out[#out + 1] = im.width .. "x" .. im.height
      out[#out + 1] = table.concat({ im:pixel(60, 45) }, ",")
      local dir = os.getenv("OUT")
      out[#out + 1] = im:save(dir .. "/x." .. f)
      out[#out + 1] = #im:data_uri()
    end
    print(table.concat(out, " "))
  ]]
  local dir = T.tmpdir()
  local a = child(src, nil, { OUT = dir })
  T.eq(a.code, 0, a.stderr)
  -- the same chunk with workers = 1 (the loop thread) and 3
  T.write_file(dir .. "/w.lua", src)
  local r0 = T.run({ T.atelier, dir .. "/w.lua", "1" }, { env = { OUT = dir } })
  local r3 = T.run({ T.atelier, dir .. "/w.lua", "3" }, { env = { OUT = dir } })
  T.eq(r0.code, 0, r0.stderr)
  T.eq(r3.code, 0, r3.stderr)
  T.eq(r3.stdout, r0.stdout, "identical results with 3 workers and on the loop thread")
end)

T.case("decoded pixels are dropped under the cache budget and uncounted once dropped", function()
  -- 300 images of 1000x1000 (4 MB of pixels each, 1.2 GB in all) held in a table, each
  -- decoded once by :pixel. Under --max-memory 400M this only works when pixels are
  -- dropped and their bytes stop counting; peak RSS shows they were really freed.
  local r = child([[
    local image = require "image"
    image.configure{ cache = "16M" }
    local sanitized = io.open("/proc/self/maps"):read("a"):find("libasan", 1, true)
    local noisy = image.new(1000, 1000, { 90, 60, 30 })
    local png = noisy:encode("png")
    local held = {}
    for i = 1, 300 do
      local im = image.load(png)
      local r = im:pixel(i, i)
      assert(r == 90)
      held[i] = im
    end
    local c = image.configure{}
    assert(c.cached <= 16 * 1024 * 1024, "cache over budget: " .. c.cached)
    -- the pixels come back on demand
    assert(select(2, held[1]:pixel(5, 5)) == 60)
    print(string.format("%s %d %d", sanitized and "asan" or io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)"),
      c.cached, #held))
  ]], { "--max-memory", "400M" })
  T.eq(r.code, 0, r.stderr)
  local hwm, cached, n = r.stdout:match("(%S+) (%d+) (%d+)")
  T.eq(tonumber(n), 300)
  T.ok(tonumber(cached) <= 16 * 1024 * 1024, "cache within its budget: " .. tostring(cached))
  if hwm == "asan" then T.skip("AddressSanitizer keeps freed memory in quarantine: peak RSS says nothing here") end
  T.ok(tonumber(hwm) < 200 * 1024, "peak RSS " .. hwm .. " kB holding 300 images of 4 MB pixels")
end)

T.case("resizing an image that was never decoded does not hold its full-size pixels", function()
  -- A 6000x6000 JPEG resized to a thumbnail: decoded through DCT scaling (1/8), so the
  -- 144 MB of full-size pixels never exist.
  local r = child([[
    local image = require "image"
    local sanitized = io.open("/proc/self/maps"):read("a"):find("libasan", 1, true)
    local jpg = image.new(6000, 6000, { 10, 20, 30 }):encode("jpeg", { quality = 50 })
    collectgarbage()
    collectgarbage()
    local f = io.open("/proc/self/clear_refs", "w") -- "5": the peak starts again from here
    f:write("5")
    f:close()
    local base = tonumber(io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)"))
    local im = image.load(jpg)
    im:resize{ width = 200 }
    assert(im.width == 200 and im.height == 200)
    local hwm = tonumber(io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)"))
    print(sanitized and "asan" or tostring(hwm - base))
  ]])
  T.eq(r.code, 0, r.stderr)
  if r.stdout:match("asan") then T.skip("AddressSanitizer: RSS says nothing here") end
  -- the peak since image.new's own 144 MB were freed: a full-size decode would add as much
  T.ok(tonumber(r.stdout:match("%-?%d+")) < 60 * 1024, "the resize raised peak RSS by " .. r.stdout .. " kB")
end)

T.case("a run that ends while a conversion is on a worker ends cleanly", function()
  local r = child([[
    local image, atelier = require "image", require "atelier"
    local img = image.load(image.new(2000, 2000, { 1, 2, 3 }):encode("png", { effort = 1 }))
    atelier.spawn(function() img:encode("webp", { lossless = true, effort = 9 }) end)
    atelier.spawn(function() img:save(os.getenv("OUT") .. "/late.webp") end)
    atelier.sleep(0.01)
    error("stop now")
  ]], nil, { OUT = T.tmpdir() })
  T.eq(r.code, 1, "the main task's error ends the run")
  T.match(r.stderr, "stop now")
  T.ok(not r.stderr:match("leak") and not r.stderr:match("Sanitizer"), r.stderr)
end)

T.case("image.configure checks its settings", function()
  -- wrong values are BadOption tables naming the setting (the error policy)
  T.raises(function() image.configure{ workers = 0 } end, "BadOption: image.configure: workers: expected an integer from 1 to 64")
  T.raises(function() image.configure{ workers = 1.5 } end, "workers: expected an integer")
  T.raises(function() image.configure{ cache = "lots" } end, "cache: expected a number of bytes")
  T.raises(function() image.configure{ cahce = 1 } end, "unknown option 'cahce'")
  local c = image.configure{ cache = "32M" }
  T.eq(c.cache, 32 * 1024 * 1024)
  T.eq(image.configure{ cache = 67108864 }.cache, 64 * 1024 * 1024)
end)

local function progressive_book(workers, book, n)
  -- A progressive JPEG keeps every DCT coefficient while it decodes (about 48 MB for
  -- 4096x4096), thumbnail or not; two decoding at once on two threads hold twice that.
  -- The book's decodes run on the worker pool: `workers` sizes it (nil: the default).
  local r = child([[
    local image, lookbook = require "image", require "lookbook"
    local sanitized = io.open("/proc/self/maps"):read("a"):find("libasan", 1, true)
    local f = io.open(os.getenv("OUT") .. "/p.jpg", "wb")
    f:write(image.new(4096, 4096, { 90, 120, 150 }):encode("jpeg", { progressive = true, quality = 80 }))
    f:close()
    collectgarbage()
    collectgarbage()
    local clear = io.open("/proc/self/clear_refs", "w")
    clear:write("5")
    clear:close()
    local base = tonumber(io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)"))
    local book = lookbook.new { ]] .. book .. [[ }
    for _ = 1, ]] .. n .. [[ do book:add(os.getenv("OUT") .. "/p.jpg") end
    book:save(os.getenv("OUT") .. "/book.pdf")
    local hwm = tonumber(io.open("/proc/self/status"):read("a"):match("VmHWM:%s*(%d+)"))
    local cpus = tonumber(io.popen("nproc"):read("l"))
    print(string.format("%s %d", sanitized and "asan" or tostring(hwm - base), cpus))
  ]], nil, { OUT = T.tmpdir(), ATELIER_WORKERS = workers and tostring(workers) or nil })
  T.eq(r.code, 0, r.stderr)
  local grew, cpus = r.stdout:match("(%S+) (%d+)")
  if grew == "asan" then T.skip("AddressSanitizer: RSS says nothing here") end
  if not workers and tonumber(cpus) < 2 then T.skip("one CPU: the lookbook decodes on the script's thread anyway") end
  T.ok(tonumber(grew) < 80 * 1024, "decoding " .. n .. " progressive 4096x4096 JPEGs raised peak RSS by " .. grew .. " kB")
end

T.case("a lookbook of large progressive JPEGs decodes them one at a time", function()
  progressive_book(nil, "columns = 2, rows = 2, dpi = 72", 6)
end, { timeout = 120 })

-- Each decode may run on another of the pool's threads, each with its own malloc
-- arena: those must not each keep a decode's buffers (peak RSS grew by 116 MB with 8
-- threads before the pool fixed glibc's mmap threshold, 59 MB since).
T.case("a lookbook of large progressive JPEGs on a pool of 8 holds no more", function()
  progressive_book(8, [[columns = 4, rows = 4, cell = "880:1176", dpi = 150, page = "A4"]], 16)
end, { timeout = 120 })
