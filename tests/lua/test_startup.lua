-- test_startup.lua — atelier starts without its heavy libraries and loads each when it
-- is first used (runtime/lazy/): a fresh process running Lua, or requiring every shipped
-- module, has none of libcurl, cairo, Pango (and GLib, HarfBuzz, FreeType, fontconfig
-- under it), SQLite, libmicrohttpd, libcrypto or the image codecs (libpng, libturbojpeg,
-- libwebp, libwebpmux) mapped; making a lookbook maps cairo and Pango, a job on the
-- embedded emulator maps libcurl and libmicrohttpd. Read from the process's own /proc/self/maps,
-- so nothing here depends on timing.
--
-- And a library this machine lacks is found missing where it is first needed, as a named
-- error naming the library and what it is needed for, not as an abort at start or at the
-- first call: ATELIER_LAZY_HIDE (runtime/lazy/lazy.h) makes atelier treat a library as
-- missing.
local T = require "testing"

local HEAVY = { "libcurl", "libcairo", "libfontconfig", "libsqlite3", "libmicrohttpd", "libcrypto", "libpng16",
  "libturbojpeg", "libwebp", "libwebpmux", "libpango-1.0", "libpangocairo-1.0", "libpangoft2-1.0", "libglib-2.0",
  "libgobject-2.0", "libharfbuzz", "libfreetype", "libopenh264" }
local PRINT_MAPS = '\nlocal f = assert(io.open("/proc/self/maps")) io.write(f:read("a")) f:close()\n'

-- The heavy libraries mapped in a fresh `atelier -e CODE` once CODE has run, as a set.
local function mapped_after(code, env)
  local r = T.run({ T.atelier, "-e", code .. PRINT_MAPS }, { env = env, cwd = T.tmpdir() })
  T.eq(r.code, 0, "exit status (stderr: " .. r.stderr .. ")")
  local set = {}
  for _, lib in ipairs(HEAVY) do
    if r.stdout:find("/" .. lib:gsub("%p", "%%%0") .. "[%.%-]") then set[lib] = true end
  end
  return set
end

-- A build made with `make LAZY=0` links them all at start, on purpose (the Makefile says
-- so to tests/run); the binary itself is not asked, so a library linked back in by
-- mistake fails here rather than being skipped.
local function linked_at_start()
  return os.getenv("ATELIER_LAZY") == "0"
end

T.case("Lua alone, and requiring every shipped module, maps none of the heavy libraries", function()
  if linked_at_start() then T.skip("built with LAZY=0") end
  T.eq(mapped_after("print(1)"), {}, "after print(1)")
  T.eq(mapped_after('require "fashn" require "image" require "lookbook" require "page" require "tasks" ' ..
    'require "recipe" require "cjson"'), {}, "after requiring the modules")
end)

T.case("a lookbook maps cairo and fontconfig when it draws, not before", function()
  if linked_at_start() then T.skip("built with LAZY=0") end
  local dir = T.tmpdir()
  local m = mapped_after(string.format([[
    local image, lookbook = require "image", require "lookbook"
    image.new(30, 40, {200, 100, 50}):save(%q)
    local book = lookbook.new { columns = 2, rows = 2, dpi = 72, title = "Lazy" }
    book:add(%q)
    book:save(%q)]], dir .. "/in.png", dir .. "/in.png", dir .. "/book.pdf"))
  T.ok(m.libcairo and m.libfontconfig, "cairo and fontconfig mapped after saving a book")
  T.ok(m["libpango-1.0"] and m["libpangocairo-1.0"], "Pango mapped for the book's title")
  T.ok(not m.libcurl and not m.libmicrohttpd, "no HTTP for a lookbook")
end)

T.case("a job on the embedded emulator maps libcurl and libmicrohttpd", function()
  if linked_at_start() then T.skip("built with LAZY=0") end
  local m = mapped_after([[
    local r = require("fashn").run { prompt = "linen suit", aspect_ratio = "3:4", seed = 7 }
    assert(#r.images == 1)]], { ATELIER_EMU_TIME_SCALE = "0.01" })
  T.ok(m.libcurl and m.libmicrohttpd, "libcurl and libmicrohttpd mapped after a job")
end)

-- `code` run under ATELIER_LAZY_HIDE=hide, in a fresh folder holding x.png and x.webp
-- (made by an atelier that hides nothing): the process's result, its stdout saying what
-- the code raised as "name|message".
local function raised_with_hidden(hide, code)
  local dir = T.tmpdir()
  local made = T.run({ T.atelier, "-e", 'local image = require "image" local im = image.new(30, 40, {200, 100, 50}) ' ..
    'im:save("x.png") im:save("x.webp")' }, { cwd = dir })
  T.eq(made.code, 0, "making the inputs (stderr: " .. made.stderr .. ")")
  return T.run({ T.atelier, "-e", 'local image = require "image" local ok, e = pcall(function() ' .. code ..
    ' end) io.write(ok and "no error" or type(e) == "table" and (e.name .. "|" .. e.message) or tostring(e))' },
    { env = { ATELIER_LAZY_HIDE = hide, ATELIER_EMU_TIME_SCALE = "0.01" }, cwd = dir })
end

local RUN_JOB = 'require("fashn").run { prompt = "linen suit", aspect_ratio = "3:4", seed = 7 }'
local MISSING = {
  { "libsqlite3.so", RUN_JOB, "JournalError", "SQLite %(needed for the journal%) cannot be loaded: " ..
    "cannot load libsqlite3%.so[.%d]*: hidden by ATELIER_LAZY_HIDE" },
  { "libcrypto.so", RUN_JOB, "InvalidInput", "cannot hash the job key: libcrypto %(needed for SHA%-256%) cannot be loaded" },
  { "libmicrohttpd.so", RUN_JOB, "ConfigurationError", "libmicrohttpd %(needed for the emulator%) cannot be loaded" },
  { "libcurl.so", RUN_JOB, "ConfigurationError", "libcurl %(needed for HTTP requests%) cannot be loaded" },
  { "libcairo.so", 'require("lookbook").new { columns = 2, rows = 2, title = "t" }', "SystemError",
    "lookbook%.new: cairo %(needed for lookbook pages%) cannot be loaded: cannot load libcairo%.so" },
  { "libpangocairo-1.0.so", 'require("lookbook").new { columns = 2, rows = 2, title = "t" }', "SystemError",
    "Pango %(pangocairo%) %(needed for lookbook pages%) cannot be loaded" },
  { "libpng16.so", 'image.load("x.png"):resize(1, 1)', "ImageDecodeError",
    "x%.png: libpng %(needed for PNG images%) cannot be loaded" },
  { "libturbojpeg.so", 'image.load("x.png"):save("y.jpg")', "ImageEncodeError",
    "libturbojpeg %(needed for JPEG images%) cannot be loaded" },
  { "libwebpmux.so", 'local b = require("lookbook").new { columns = 2, rows = 2 } b:add("x.webp") b:save("b.pdf")',
    "ImageDecodeError", "book:add: x%.webp: libwebpmux %(needed for WebP images%) cannot be loaded" },
  -- the embedded emulator still serves; only its clips fail, as a failed (unbilled) job
  { "libopenh264.so", 'require("fashn").run { model = "image-to-video", image = "x.png" }', "InternalServerError",
    "libopenh264 %(needed for image%-to%-video clips%) cannot be loaded" },
}

T.case("a library that cannot be loaded is a named error where it is first needed, not an abort", function()
  if linked_at_start() then T.skip("built with LAZY=0") end
  for _, c in ipairs(MISSING) do
    local hide, code, name, message = c[1], c[2], c[3], c[4]
    local r = raised_with_hidden(hide, code)
    T.eq(r.code, 0, hide .. " hidden: exit status (stderr: " .. r.stderr .. ")")
    local got_name, got_message = r.stdout:match("^(%w+)|(.*)$")
    T.eq(got_name, name, hide .. " hidden: the error's name (got: " .. r.stdout .. ")")
    T.match(got_message or "", message, hide .. " hidden: the message")
  end
end)

T.case("the commands say which library is missing and exit 1", function()
  if linked_at_start() then T.skip("built with LAZY=0") end
  local dir = T.tmpdir()
  local r = T.run({ T.atelier, "--journal-report", "--journal", dir .. "/j.db" },
    { env = { ATELIER_LAZY_HIDE = "libsqlite3.so" } })
  T.eq(r.code, 1, "atelier --journal-report without SQLite")
  T.match(r.stderr, "SQLite %(needed for the journal%) cannot be loaded", "its message")
  r = T.run({ T.emu_bin, "--port", "0" }, { env = { ATELIER_LAZY_HIDE = "libmicrohttpd.so" } })
  T.eq(r.code, 1, "fashn-emu without libmicrohttpd")
  T.match(r.stderr, "libmicrohttpd %(needed for the emulator%) cannot be loaded", "its message")
  r = T.run({ T.emu_bin, "--port", "0" }, { env = { ATELIER_LAZY_HIDE = "libcurl.so" } })
  T.eq(r.code, 1, "fashn-emu without libcurl")
  T.match(r.stderr, "libcurl %(needed for HTTP requests%) cannot be loaded", "its message")
end)
