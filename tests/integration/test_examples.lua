-- test_examples.lua — every examples/*.lua runs, on the embedded emulator (no key, a
-- fast emulated clock), into a fresh directory given as arg[1], and writes the files it
-- promises: images that decode, PDFs poppler can read, web pages whose images exist.
-- So no example rots. An example missing from PROMISES fails too: say what it writes.
-- Each also runs under --sandbox --out DIR (no shell, writes only inside DIR, reads only
-- beside itself): an example never needs os.execute, its writers create its folders.
-- EXAMPLES_SANDBOXED=0 leaves those runs out (tests/run's valgrind phase: a sandboxed run
-- under --max-credits rehearses the recipe first, so it would cost valgrind twice the time
-- for C the plain runs already cover; the sanitizer phases run them).
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
  ["casting_lookbook.lua"] = { pdfs = { { "casting.pdf", 3 } }, html = { "casting/index.html" },
    layout = { "casting.pdf" }, title = "Casting" },
  ["line_sheet.lua"] = { pdfs = { { "line_sheet.pdf", 3 } }, html = { "line_sheet/index.html" },
    layout = { "line_sheet.pdf" }, title = "Maison Ardent — SS27" },
  ["studio_pipeline.lua"] = {
    images = concat({ "house.png" }, numbered("looks/%s.png", { "AT-C-0141", "AT-D-0217", "AT-S-0309" }),
      numbered("cutouts/%s.png", { "AT-C-0141", "AT-D-0217", "AT-S-0309" })),
    alpha = numbered("cutouts/%s.png", { "AT-C-0141", "AT-D-0217", "AT-S-0309" }),
    pdfs = { { "studio.pdf", 2 } },
    html = { "studio/index.html" },
    says = { "studio: 1 house model + 3 garments x (try-on, reframe, cut-out): 16 credits" },
  },
}

local list_examples = T.examples

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

-- Checks that everything `promise` names was written under out; with a layout report
-- (tests/lib/layout_check.lua, hooked into the run), its PDFs as a person reads them too.
local function check_promise(name, promise, out, r, layout_report)
  T.eq(r.code, 0, name .. " exit status\nstdout:\n" .. r.stdout .. "\nstderr:\n" .. r.stderr)
  for _, pdf in ipairs(layout_report and promise.layout or {}) do
    local rep = exists(layout_report) and T.read_file(layout_report) or ""
    T.match(rep, pdf:gsub("%p", "%%%0") .. " ok %d+ pages", pdf .. ": layout invariants (" .. rep .. ")")
    local text = T.run { "pdftotext", "-enc", "UTF-8", out .. "/" .. pdf, "-" }.stdout
    T.ok(text:find(promise.title, 1, true), pdf .. ": pdftotext shows the whole title " .. promise.title)
    local fonts = T.run { "pdffonts", out .. "/" .. pdf }.stdout
    local n = 0
    for line in fonts:gmatch("[^\n]+") do
      if line:match("^%u%u%u%u%u%u%+") then
        n = n + 1
        T.match(line, " yes yes ", pdf .. ": font embedded and subset: " .. line)
      end
    end
    T.ok(n > 0, pdf .. ": fonts listed by pdffonts")
  end
  for _, f in ipairs(promise.images or {}) do check_image(out .. "/" .. f) end
  for _, f in ipairs(promise.alpha or {}) do
    T.ok(image.probe(out .. "/" .. f).has_alpha, f .. " keeps its alpha channel")
  end
  for _, line in ipairs(promise.says or {}) do T.ok(r.stdout:find(line, 1, true), "prints: " .. line .. "\n" .. r.stdout) end
  if promise.wide then
    local img = image.load(out .. "/" .. promise.wide[1])
    T.ok(img.width > promise.wide[2], promise.wide[1] .. " holds its cells: " .. img.width .. " px wide")
  end
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
end

local function script_path(name)
  local script = T.root .. "/examples/" .. name
  if script:sub(1, 1) ~= "/" then script = os.getenv("PWD") .. "/" .. script end
  return script
end

for _, name in ipairs(list_examples()) do
  T.case("examples/" .. name .. " runs on the embedded emulator and writes what it promises", function()
    local promise = PROMISES[name]
    if not promise then error(name .. " has no entry in PROMISES") end
    local dir = T.tmpdir()
    local out = dir .. "/out"
    -- tests/lib/layout_check.lua checks every PDF lookbook the example saves, by numbers
    local root = T.root:sub(1, 1) == "/" and T.root or (os.getenv("PWD") .. "/" .. T.root)
    local hook = string.format("package.path = %q .. package.path; require 'layout_check'", root .. "/tests/lib/?.lua;")
    local r = T.run({ T.atelier, "-q", "-e", hook, script_path(name), out },
      { cwd = dir, env = { ATELIER_EMU_TIME_SCALE = "0.01", LAYOUT_REPORT = dir .. "/layout.txt" } })
    check_promise(name, promise, out, r, dir .. "/layout.txt")
  end, { timeout = 120 })

  if os.getenv("EXAMPLES_SANDBOXED") == "0" then goto next end
  T.case("examples/" .. name .. " runs under --sandbox --out DIR and writes only there", function()
    local promise = PROMISES[name]
    if not promise then error(name .. " has no entry in PROMISES") end
    T.ok(not T.read_file(script_path(name)):find("os.execute", 1, true), name .. " needs no shell")
    local dir = T.tmpdir()
    local out = dir .. "/sandboxed"
    -- "." is the example's output folder: --out, where a sandboxed recipe runs
    local r = T.run({ T.atelier, "-q", "--sandbox", "--out", out, "--max-credits", "100", script_path(name), "." },
      { cwd = dir, env = { ATELIER_EMU_TIME_SCALE = "0.01" } })
    check_promise(name, promise, out, r)
    local ls = io.popen("ls -A " .. T.shell_quote(dir))
    local entries = ls:read("a")
    ls:close()
    T.eq(entries, "sandboxed\n", "nothing written beside --out")
  end, { timeout = 120 })
  ::next::
end
