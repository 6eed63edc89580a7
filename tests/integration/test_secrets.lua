-- test_secrets.lua — the API key is in no output and no file: every path that prints
-- (progress on a terminal and in logs, errors, failed predictions, tracebacks, dry runs,
-- the journal report, --info) and everything a run writes (images in every format,
-- lookbooks as PDF and HTML, comparison grids, the journal and its stored images) are
-- searched for the key and for fragments of it.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

local KEY = "sk-live-Q7uX9-atelier-SeCrEt-91c3e5f0d2"
local FRAGMENTS = { KEY, "Q7uX9", "SeCrEt-91c3", "91c3e5f0d2" }

-- A recipe that goes through every printing path it can: jobs that complete, fail and
-- hit transport faults; every image format; a lookbook; a grid; error objects turned to
-- text; a script error at the end (the traceback).
local RECIPE = [[
local image = require "image"
local lookbook = require "lookbook"
local recipe = require "recipe"
local jobs = {}
for i = 1, 6 do jobs[i] = fashn.submit{ prompt = "secret test look " .. i, seed = i } end
local results = fashn.gather(jobs, { raise = false })
local book = lookbook.new{ title = "secrets", columns = 3 }
for i, res in ipairs(results) do
  print(i, res.status, res.error and tostring(res.error) or "ok")
  if res.images and res.images[1] then
    local img = res.images[1]
    img:save("look-" .. i .. ".png")
    img:save("look-" .. i .. ".jpg")
    img:save("look-" .. i .. ".webp")
    book:add(img, { caption = "look " .. i, meta = res.inputs })
  end
end
book:save("book.pdf")
book:save("book.html")
print(cjson.encode(fashn.settings()))
print(cjson.encode(fashn.stats()))
local ok, e = pcall(fashn.run, { prompt = "" })
print("invalid:", tostring(e))
local grid = recipe.grid{ base = { prompt = "grid look" }, x = { seed = { 1, 2 } }, out = "grid.png" }
print("grid:", grid.files[1])
error("the recipe ends with an error on purpose")
]]

local function all_files_under(dir)
  local p = io.popen("find " .. T.shell_quote(dir) .. " -type f")
  local files = {}
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  return files
end

local function assert_clean(text, where)
  for _, frag in ipairs(FRAGMENTS) do
    T.ok(not text:find(frag, 1, true), string.format("%q found in %s", frag, where))
  end
end

T.case("the API key appears in no output and no written file, whatever path prints", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["api-key"] = KEY, ["fail-rate"] = 0.3,
    ["fail-names"] = "ContentModerationError,ImageLoadError", ["http-500-rate"] = 0.2, ["drop-rate"] = 0.1,
    ["fault-seed"] = 5, ["fault-endpoints"] = "status,cdn" }
  local dir = T.tmpdir()
  local outputs = {}
  local function keep(label, r)
    outputs[#outputs + 1] = { label = label .. " stdout", text = r.stdout }
    outputs[#outputs + 1] = { label = label .. " stderr", text = r.stderr }
    return r
  end

  -- 1. the full run, without a terminal (plain log lines)
  local r = keep("run", R.run(emu, RECIPE, { key = KEY, dir = dir, name = "looks.lua" }))
  T.eq(r.code, 1, "the recipe ends with its own error: " .. r.stderr)
  T.match(r.stderr, "stack traceback", "a traceback was printed")
  T.ok(#all_files_under(dir) > 10, "the run wrote files to search")

  -- 2. the same recipe on a terminal (the live progress line), through script(1)
  local tdir = T.tmpdir()
  T.write_file(tdir .. "/looks.lua", R.PRELUDE .. "fashn.configure{ time_scale = 0.02 }\n" .. RECIPE)
  local cmd = table.concat({ T.shell_quote(T.atelier), "--base-url", T.shell_quote(emu.url),
    T.shell_quote(tdir .. "/looks.lua") }, " ")
  local tty = keep("terminal", T.run({ "script", "-qefc", cmd, "/dev/null" },
    { cwd = tdir, env = { FASHN_API_KEY = KEY, TERM = "xterm" } }))
  T.match(tty.stdout, "traceback", "the terminal run printed (through the pty)")

  -- 3. a dry run, a refused key, the journal report, --info on every image written
  keep("dry run", R.run(emu, RECIPE, { key = KEY, args = { "--dry-run" }, name = "looks.lua" }))
  local strict <close> = E.start{ ["time-scale"] = 0.02, ["api-key"] = KEY }
  local refused = keep("refused", R.run(strict, "print(tostring(select(2, pcall(fashn.run, { prompt = 'x' }))))",
    { key = KEY .. "-but-wrong", name = "refused.lua" }))
  T.match(refused.stdout, "UnauthorizedAccess", "a wrong key is reported by name")
  keep("journal report", T.run({ T.atelier, "--journal-report" }, { cwd = dir }))
  local images = {}
  for _, f in ipairs(all_files_under(dir)) do
    if f:match("%.png$") or f:match("%.jpg$") or f:match("%.webp$") then images[#images + 1] = f end
  end
  T.ok(#images >= 3, "images were saved")
  local info = { T.atelier, "--info" }
  for _, f in ipairs(images) do info[#info + 1] = f end
  keep("--info", T.run(info))

  for _, o in ipairs(outputs) do assert_clean(o.text, o.label) end
  for _, d in ipairs({ dir, tdir }) do
    for _, f in ipairs(all_files_under(d)) do assert_clean(T.read_file(f), f) end
  end
end, { timeout = 180 })
