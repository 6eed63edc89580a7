-- test_examples.lua — every examples/*.lua runs, on the embedded emulator (no key, a
-- fast emulated clock), into a fresh directory given as arg[1], and writes the files it
-- promises: images that decode, PDFs poppler can read, web pages whose images exist.
-- So no example rots. An example missing from PROMISES fails too: say what it writes.
local T = require "testing"
local image = require "image"

local function numbered(fmt, list)
  local out = {}
  for i, v in ipairs(list) do out[i] = string.format(fmt, v) end
  return out
end

local function concat(...)
  local out = {}
  for _, list in ipairs { ... } do
    for _, v in ipairs(list) do out[#out + 1] = v end
  end
  return out
end

-- What each example writes (paths under its output directory).
local PROMISES = {
  ["demo.lua"] = { images = numbered("look-seed%d.jpg", { 1, 2, 3, 4, 5, 6, 7, 8 }) },
  ["hello.lua"] = { images = { "hello.png" } },
  ["seed_sweep.lua"] = {
    images = concat({ "seed_sweep.png" }, numbered("seed_sweep/seed-%d.jpg", { 1, 2, 3, 4, 5, 6, 7, 8 })),
    wide = { "seed_sweep.png", 8 * 240 },
  },
  ["face_modes.lua"] = { images = { "face_modes.png" }, wide = { "face_modes.png", 3 * 256 } },
  ["pose_from_reference.lua"] = {
    images = concat({ "pose_from_reference.png" },
      numbered("pose_from_reference/look-%s.png", { "1-seed-21", "1-seed-22", "2-seed-21", "2-seed-22", "3-seed-21",
        "3-seed-22" })),
    wide = { "pose_from_reference.png", 3 * 240 },
  },
  ["casting_lookbook.lua"] = { pdfs = { { "casting.pdf", 2 } }, html = { "casting/index.html" } },
  ["studio_pipeline.lua"] = {
    images = concat({ "house.png" }, numbered("looks/%s.png", { "AT-C-0141", "AT-D-0217", "AT-S-0309" }),
      numbered("cutouts/%s.png", { "AT-C-0141", "AT-D-0217", "AT-S-0309" })),
    alpha = numbered("cutouts/%s.png", { "AT-C-0141", "AT-D-0217", "AT-S-0309" }),
    pdfs = { { "studio.pdf", 2 } },
    html = { "studio/index.html" },
    says = { "studio: 1 house model + 3 garments x (try-on, reframe, cut-out): 16 credits" },
  },
}

local function list_examples()
  local p = io.popen("ls " .. T.shell_quote(T.root .. "/examples") .. "/*.lua 2>/dev/null")
  local names = {}
  for line in p:lines() do names[#names + 1] = line:match("([^/]+)$") end
  p:close()
  table.sort(names)
  return names
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function check_image(path)
  T.ok(exists(path), "written: " .. path)
  local img = image.load(path)
  img:pixel(0, 0) -- decodes the whole image
  T.ok(img.width > 0 and img.height > 0, "decodes: " .. path)
  return img
end

T.case("every example says what it writes, and opens with a comment saying what it shows", function()
  local names = list_examples()
  T.ok(#names >= 6, "examples found: " .. #names)
  for _, name in ipairs(names) do
    T.ok(PROMISES[name], name .. " is listed in PROMISES (say what it writes)")
    local first = T.read_file(T.root .. "/examples/" .. name):match("^[^\n]*")
    T.match(first, "^%-%- " .. name:gsub("%p", "%%%0") .. " — %S", name .. " opens with '-- " .. name .. " — ...'")
  end
  for name in pairs(PROMISES) do T.ok(exists(T.root .. "/examples/" .. name), "promised example exists: " .. name) end
end)

for _, name in ipairs(list_examples()) do
  T.case("examples/" .. name .. " runs on the embedded emulator and writes what it promises", function()
    local promise = PROMISES[name]
    if not promise then error(name .. " has no entry in PROMISES") end
    local dir = T.tmpdir()
    local out = dir .. "/out"
    local script = T.root .. "/examples/" .. name
    if script:sub(1, 1) ~= "/" then script = os.getenv("PWD") .. "/" .. script end
    local r = T.run({ T.atelier, "-q", script, out }, { cwd = dir, env = { ATELIER_EMU_TIME_SCALE = "0.01" } })
    T.eq(r.code, 0, name .. " exit status\nstdout:\n" .. r.stdout .. "\nstderr:\n" .. r.stderr)
    for _, f in ipairs(promise.images or {}) do check_image(out .. "/" .. f) end
    if promise.wide then
      local img = image.load(out .. "/" .. promise.wide[1])
      T.ok(img.width > promise.wide[2], promise.wide[1] .. " holds its cells: " .. img.width .. " px wide")
    end
    for _, f in ipairs(promise.alpha or {}) do
      T.ok(image.probe(out .. "/" .. f).has_alpha, f .. " keeps its alpha channel")
    end
    for _, line in ipairs(promise.says or {}) do T.ok(r.stdout:find(line, 1, true), "prints: " .. line .. "\n" .. r.stdout) end
    for _, p in ipairs(promise.pdfs or {}) do
      local info = T.run({ "pdfinfo", out .. "/" .. p[1] })
      T.eq(info.code, 0, "pdfinfo " .. p[1] .. ": " .. info.stderr)
      T.eq(tonumber(info.stdout:match("Pages:%s+(%d+)")), p[2], "pages of " .. p[1])
    end
    for _, h in ipairs(promise.html or {}) do
      local page = out .. "/" .. h
      T.ok(exists(page), "written: " .. page)
      local base = page:match("^(.*)/[^/]*$")
      local n = 0
      for src in T.read_file(page):gmatch('src="([^"]+)"') do
        check_image(base .. "/" .. src)
        n = n + 1
      end
      T.ok(n > 0, h .. " shows images")
    end
    T.ok(not r.stdout:find("left out:", 1, true), "no job failed: " .. r.stdout)
  end, { timeout = 120 })
end
