-- test_startup.lua — atelier starts without its heavy libraries and loads each when it
-- is first used (runtime/lazy/): a fresh process running Lua, or requiring every shipped
-- module, has none of libcurl, cairo, Pango (and GLib, HarfBuzz, FreeType, fontconfig
-- under it), SQLite, libmicrohttpd, libcrypto or the image codecs (libpng, libturbojpeg,
-- libwebp, libwebpmux) mapped; making a lookbook maps cairo and Pango, a job on the
-- embedded emulator maps libcurl and libmicrohttpd. Read from the process's own /proc/self/maps,
-- so nothing here depends on timing.
local T = require "testing"

local HEAVY = { "libcurl", "libcairo", "libfontconfig", "libsqlite3", "libmicrohttpd", "libcrypto", "libpng16",
  "libturbojpeg", "libwebp", "libwebpmux", "libpango-1.0", "libpangocairo-1.0", "libpangoft2-1.0", "libglib-2.0",
  "libgobject-2.0", "libharfbuzz", "libfreetype" }
local PRINT_MAPS = '\nlocal f = assert(io.open("/proc/self/maps")) io.write(f:read("a")) f:close()\n'

-- The heavy libraries mapped in a fresh `atelier -e CODE` once CODE has run, as a set.
local function mapped_after(code, env)
  local r = T.run({ T.atelier, "-e", code .. PRINT_MAPS }, { env = env })
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
