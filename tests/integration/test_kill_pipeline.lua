-- test_kill_pipeline.lua — examples/studio_pipeline.lua killed with SIGKILL at random
-- instants and run again, against one fashn-emu that keeps its credit counter across the
-- runs. After every kill each output that exists is whole (writes are atomic); at the end
-- the emulator has been paid exactly one pipeline's price (the one the example and
-- --dry-run print), no job was submitted twice, every promised file is there and reads
-- (images decode, the PDF shows every SKU), no temporary of a killed write is left, and
-- one more run buys nothing.
--
-- The instants come from a seeded generator: the seed is printed, and
-- KILL_PIPELINE_SEED=<n> replays the same draw (the timing of a machine is not replayed,
-- so a draw lands near, not exactly on, the same moments). KILL_PIPELINE_KILLS sets how
-- many kills (tests/run uses fewer under the sanitizers). A clean run on a second
-- emulator measures how long the pipeline takes here; the kills are then spread over it:
-- first while jobs are bought (submits, polls, downloads, the journal's writes), then,
-- once everything is bought, while a rerun saves the files and writes the lookbook.
--
-- The one outcome nobody can avoid: a kill after a submit went out and before its
-- prediction id was recorded leaves the job "unknown" (the API has no idempotency key).
-- Then the test does what the README tells a user: it reruns with --retry-unknown, and
-- the emulator may rightly count that job twice. Only those jobs may appear twice, and
-- the extra predictions are bounded by the resends the runs announced and their price is
-- added to the bill; the test prints when it happens. (Here that window is mostly the
-- fsync of the commit that records the id, some 15 ms per submit.)
local T = require "testing"
local E = require "emu"
local J = require "journal_run"
local image = require "image"
local atelier = require "atelier"

local SCALE = 0.02 -- the emulated clock (and the client's polling plan with it)

-- The models' published prices, written out here so the expected total is not read back
-- from atelier or the emulator: model-create at 1k with face_reference 1 + 3, tryon-max 2,
-- reframe 1, background-remove 1, per image, one image each.
local PRICE = { ["model-create"] = 4, ["tryon-max"] = 2, reframe = 1, ["background-remove"] = 1 }

local function abs_root()
  return T.root:sub(1, 1) == "/" and T.root or (os.getenv("PWD") .. "/" .. T.root)
end

-- The catalog's SKUs and style names, read from the example's own CSV.
local function catalog()
  local rows = {}
  local first = true
  for line in io.lines(abs_root() .. "/examples/catalog.csv") do
    if first then
      first = false
    elseif line ~= "" then
      local style, rest
      if line:sub(1, 1) == '"' then
        style, rest = line:match('^"([^"]*)",(.*)$')
      else
        style, rest = line:match("^([^,]*),(.*)$")
      end
      rows[#rows + 1] = { style = style, sku = rest:match("^([^,]*)") }
    end
  end
  return rows
end

-- A generator of its own (splitmix64), so nothing else that draws numbers moves the
-- instants: rng(seed)() -> a number in [0, 1).
local function rng(seed)
  local x = math.tointeger(seed) or 0
  return function()
    x = x + 0x9E3779B97F4A7C15
    local z = x
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    return (z >> 11) / 9007199254740992.0
  end
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function find(dir, pattern)
  local p = io.popen("find " .. T.shell_quote(dir) .. " -name " .. T.shell_quote(pattern) .. " 2>/dev/null | sort")
  local out = {}
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

-- Every output the example promises, relative to its output folder.
local function promised(rows)
  local images = { "house.png" }
  for _, g in ipairs(rows) do
    images[#images + 1] = "looks/" .. g.sku .. ".png"
    images[#images + 1] = "cutouts/" .. g.sku .. ".png"
  end
  return images
end

-- Checks the outputs present in out (all of them with complete = true): an image that
-- is there decodes whole, a PDF that is there reads; a killed write never leaves a
-- half file under a final name. Returns how many were there.
local function check_outputs(out, rows, complete, when)
  local n = 0
  for _, f in ipairs(promised(rows)) do
    local path = out .. "/" .. f
    if exists(path) then
      n = n + 1
      local ok, img = pcall(image.load, path)
      T.ok(ok, when .. ": " .. f .. " decodes: " .. tostring(img))
      if ok then
        local okp, err = pcall(img.pixel, img, img.width - 1, img.height - 1) -- decodes every row
        T.ok(okp, when .. ": " .. f .. " decodes to its last row: " .. tostring(err))
      end
      if f:match("^cutouts/") then
        T.ok(image.probe(path).has_alpha, when .. ": " .. f .. " keeps its alpha channel")
      end
    else
      T.ok(not complete, when .. ": written: " .. f)
    end
  end
  local pdf = out .. "/studio.pdf"
  if exists(pdf) then
    n = n + 1
    local info = T.run { "pdfinfo", pdf }
    T.eq(info.code, 0, when .. ": studio.pdf reads: " .. info.stderr)
    T.eq(tonumber(info.stdout:match("Pages:%s+(%d+)")), 2, when .. ": studio.pdf pages")
    local text = T.run { "pdftotext", "-enc", "UTF-8", pdf, "-" }.stdout
    for _, g in ipairs(rows) do
      T.ok(text:find(g.sku, 1, true), when .. ": studio.pdf shows SKU " .. g.sku)
      T.ok(text:find(g.style, 1, true), when .. ": studio.pdf shows style " .. g.style)
    end
  else
    T.ok(not complete, when .. ": written: studio.pdf")
  end
  local page = out .. "/studio/index.html"
  if exists(page) then
    n = n + 1
    local shown = 0
    for src in T.read_file(page):gmatch('src="([^"]+)"') do
      local ok, err = pcall(function() image.load(out .. "/studio/" .. src):pixel(0, 0) end)
      T.ok(ok, when .. ": studio/" .. src .. " decodes: " .. tostring(err))
      shown = shown + 1
    end
    T.eq(shown, 2 * #rows, when .. ": the web page shows every look and cut-out")
  else
    T.ok(not complete, when .. ": written: studio/index.html")
  end
  return n
end

-- What the emulator was asked to make: per model, how many predictions; and the chain
-- (each try-on on the house model, each reframe on its own try-on, each cut-out on its
-- own reframe, all passed as the API's URLs).
local function received(emu)
  local preds = emu:predictions()
  local by_id, count = {}, {}
  for _, p in ipairs(preds) do
    by_id[p.id] = p
    count[p.model] = (count[p.model] or 0) + 1
  end
  return preds, by_id, count
end

local function source_id(input)
  return input and input.url and input.url:match("/cdn/([^/]+)/output_%d+%.%a+$")
end

-- The example with its journal in ws, its outputs in ws.out; the emulated clock for the
-- client's polling plan comes in through -e, as a user would.
local function start(emu, ws, extra)
  local args = { "--journal", ws.journal, "-e", string.format("require('fashn').configure{ time_scale = %s }", SCALE) }
  for _, a in ipairs(extra or {}) do args[#args + 1] = a end
  return J.start(emu, ws, { args = args, script_args = { ws.out } })
end

local function workspace()
  local dir = T.tmpdir()
  return { dir = dir, recipe = abs_root() .. "/examples/studio_pipeline.lua", journal = dir .. "/.atelier/journal.db",
    out = dir .. "/out" }
end

local function run_to_end(emu, ws, extra, what)
  local t0 = atelier.now()
  local p = start(emu, ws, extra)
  local code = p:wait(120)
  local r = { code = code, stdout = p:stdout(), stderr = p:stderr(), took = atelier.now() - t0 }
  J.check(r, 0, what)
  return r
end

local EMU_FLAGS = {
  ["time-scale"] = SCALE,
  -- downloads take a moment, so random instants also land in them
  ["slow-ms"] = 120, ["fault-endpoints"] = "cdn",
  -- every restart polls afresh: the status window is not what this test is about
  ["status-limit"] = 1000,
  verbose = true, -- one log line per request: where each kill landed
}

T.case("studio_pipeline killed with SIGKILL at random instants: one pipeline's credits, nothing bought twice", function()
  local rows = catalog()
  T.ok(#rows >= 1, "catalog rows")
  local expected = PRICE["model-create"] + #rows * (PRICE["tryon-max"] + PRICE.reframe + PRICE["background-remove"])
  local want = { ["model-create"] = 1, ["tryon-max"] = #rows, reframe = #rows, ["background-remove"] = #rows }
  local jobs = 1 + 3 * #rows

  local seed = tonumber(os.getenv("KILL_PIPELINE_SEED") or "") or (os.time() % 1000003)
  local kills = tonumber(os.getenv("KILL_PIPELINE_KILLS") or "") or 14
  local random = rng(seed)
  print(string.format("    kill_pipeline: seed %d, %d kills (KILL_PIPELINE_SEED=%d replays the draw)", seed, kills, seed))

  -- The plan a rehearsal prints agrees with the price table.
  do
    local dir = T.tmpdir()
    local r = T.run({ T.atelier, "--dry-run", "--plan", dir .. "/plan.json", abs_root() .. "/examples/studio_pipeline.lua",
      dir .. "/out" }, { cwd = dir })
    T.eq(r.code, 0, "the rehearsal runs: " .. r.stderr)
    local plan = require("cjson").decode(T.read_file(dir .. "/plan.json"))
    T.eq({ plan.totals.jobs, plan.totals.credits }, { jobs, expected }, "--dry-run's plan: jobs and credits")
  end

  -- How long the pipeline takes here, fresh and from a full journal, on its own emulator.
  local full, cached
  do
    local cal <close> = E.start(EMU_FLAGS)
    local ws = workspace()
    local r = run_to_end(cal, ws, nil, "calibration run")
    T.match(r.stdout, "studio: 1 house model %+ " .. #rows .. " garments x %(try%-on, reframe, cut%-out%): " .. expected
      .. " credits", "the example prints the price before buying")
    full = r.took
    cached = run_to_end(cal, ws, nil, "calibration rerun").took
    T.eq(cal:stats().credits_charged, expected, "an uninterrupted run costs the price it printed")
  end
  print(string.format("    kill_pipeline: a clean run takes %.2f s, a rerun from the journal %.2f s", full, cached))

  local emu <close> = E.start(EMU_FLAGS)
  local ws = workspace()
  local unknown_seen = 0 -- times a kill left jobs "unknown"
  -- Resends the runs announced ("submitting again although ... unknown"): each extra
  -- prediction the emulator may hold needs one of these, so their count bounds the extras.
  local resends = 0
  local function count_resends(stderr)
    for _ in stderr:gmatch("submitting again although an earlier submit's outcome is unknown") do
      resends = resends + 1
    end
  end
  local retry = false
  local landed = {}
  local writes_cut = 0 -- kills that left a temporary file (a write cut short)
  local function note(where) landed[where] = (landed[where] or 0) + 1 end

  -- Where a kill landed, told from what each side had said by then: the emulator's log
  -- (one line per request, written as it answers) against atelier's progress lines.
  local known = {} -- prediction ids atelier has reported submitted in any run so far
  local function where_landed(p, code, before, log_from, stage)
    local err = p:stderr()
    local temps = find(ws.out, "*.tmp-" .. p.pid .. "-*")
    if before ~= nil or code == 0 then return "ended before the kill" end
    if #temps > 0 then
      return temps[1]:match("/studio[%./]") and "lookbook write" or "image save",
        temps[1]:sub(#ws.out + 2):gsub("%.tmp%-.*$", "")
    end
    local log = emu:stderr():sub(log_from)
    local posts, fresh = 0, 0
    for _ in log:gmatch("POST /v1/run %-> 200") do posts = posts + 1 end
    for id in err:gmatch("submitted [%w%-]* ?prediction ([%w%-_.]+)") do
      if not known[id] then fresh = fresh + 1 end
      known[id] = true
    end
    if posts > fresh then return "submit", "a POST answered, its id not yet reported" end
    if log:find("POST /v1/run", 1, true) and not err:find("submitted", 1, true) then
      return "submit", "the first POST"
    end
    local done = {}
    for id in err:gmatch("completed ([%w%-_.]+) in ") do done[id] = true end
    for id in log:gmatch("GET /cdn/([^/]+)/output_%d+%.%a+ %-> 200") do
      if not done[id] then return "download", "output of " .. id .. " fetched, not yet reported" end
    end
    local last = (err:match("([^\n]+)\n?$") or "(no output yet)"):gsub("^atelier: ", "")
    -- what this run had written again so far
    local fresh_files = {}
    local f = io.popen("cd " .. T.shell_quote(ws.out) .. " 2>/dev/null && find . -type f -newer "
      .. T.shell_quote(ws.dir .. "/attempt-start") .. " | sort")
    for line in f:lines() do fresh_files[#fresh_files + 1] = line:sub(3) end
    f:close()
    local text = table.concat(fresh_files, " ")
    -- while buying, each rerun saves house.png again at once: what counts then is the rest
    if stage ~= "rerun from the journal" then text = text:gsub("house%.png", "") end
    if text:match("^%s*$") then fresh_files = {} end
    if text:find("studio/", 1, true) then return "lookbook write", "the PDF done, the web page under way" end
    if text:find("studio.pdf", 1, true) then return "lookbook write", "images saved, the PDF written" end
    if #fresh_files >= #promised(rows) then return "lookbook write", "every image saved, the PDF under way" end
    if #fresh_files > 0 then return "image save", #fresh_files .. " image(s) saved so far" end
    if last:find("^journal: %d+ jobs served") or last:find("^from the journal") then
      return "journal replay", last:sub(1, 60)
    end
    if not err:find("submitted", 1, true) then return "start-up", last:sub(1, 60) end
    return "polling", last:sub(1, 60)
  end

  -- One attempt: start, kill after delay s (unless it ended first), check what is left.
  local function attempt(i, delay, stage)
    local extra = retry and { "--retry-unknown" } or nil
    retry = false
    local log_from = #emu:stderr() + 1
    T.write_file(ws.dir .. "/attempt-start", tostring(i)) -- bytes written: a new mtime
    atelier.sleep(0.01) -- files written from now on are newer than it
    local p = start(emu, ws, extra)
    atelier.sleep(delay)
    local before = p:status()
    p:kill("KILL")
    local code = p:wait(30)
    local err = p:stderr()
    count_resends(err)
    local kind, detail = where_landed(p, code, before, log_from, stage)
    if #find(ws.dir, "*.tmp-" .. p.pid .. "-*") > 0 then writes_cut = writes_cut + 1 end
    note(kind)
    print(string.format("    kill %2d at %.3f s: %s%s", i, delay, kind, detail and (" (" .. detail .. ")") or ""))
    if code ~= 137 and code ~= 0 then
      error(string.format("kill %d: atelier exited %s, neither killed nor done\nstdout:\n%s\nstderr:\n%s", i,
        tostring(code), p:stdout(), err))
    end
    -- the journal opens again, says what it holds
    local rep = J.report(ws.journal)
    -- (a run killed before its first commit leaves an empty database: the report says
    -- no job is recorded, and the next run makes it a journal)
    if exists(ws.journal) then T.eq(rep.code, 0, "kill " .. i .. ": the journal reopens: " .. rep.err) end
    if rep.counts.unknown > 0 then
      unknown_seen = unknown_seen + 1
      retry = true
      print(string.format("    kill %2d: %d submit(s) caught between sending and recording the id: unknown, "
        .. "resubmitted with --retry-unknown (may be paid twice, by design)", i, rep.counts.unknown))
    end
    check_outputs(ws.out, rows, false, "after kill " .. i)
    -- nothing submitted twice so far, unless the journal said it could not know
    local _, _, count = received(emu)
    local extra_seen = 0
    for model, n in pairs(count) do
      T.ok(want[model], "kill " .. i .. ": only the pipeline's models: " .. model)
      if n > (want[model] or 0) then extra_seen = extra_seen + n - (want[model] or 0) end
    end
    T.ok(extra_seen <= resends, string.format("kill %d: %d predictions beyond the pipeline's %d, %d announced resends",
      i, extra_seen, jobs, resends))
    return code == 0
  end

  -- 1. while jobs are bought: each restart lives a random share of the clean run, so the
  -- kills together walk through it (the emulator works on while atelier is dead).
  local buying = math.max(1, kills - kills // 3)
  local done = false
  local i = 0
  while i < buying and not done do
    i = i + 1
    done = attempt(i, random() * 1.6 * full / buying, "buying")
  end
  -- then to the end (what a user does after the last kill)
  local r = run_to_end(emu, ws, retry and { "--retry-unknown" } or nil, "the rerun after the kills")
  retry = false
  count_resends(r.stderr)
  check_outputs(ws.out, rows, true, "after the rerun")
  local rep = J.report(ws.journal)
  T.eq(rep.counts.completed, jobs, "the journal holds every job: " .. rep.text)

  -- 2. everything bought: kills while a rerun saves images and writes the lookbook
  while i < kills do
    i = i + 1
    attempt(i, random() * cached, "rerun from the journal")
  end
  local stats0 = emu:stats()
  r = run_to_end(emu, ws, nil, "the final rerun")
  local stats = emu:stats()
  T.eq(stats.run_accepted, stats0.run_accepted, "the final rerun submitted nothing")
  T.eq(stats.credits_charged, stats0.credits_charged, "the final rerun bought nothing")
  T.match(r.stderr, jobs .. " jobs: " .. jobs .. " done %(" .. jobs .. " from the journal%)",
    "the final rerun took every job from the journal")
  check_outputs(ws.out, rows, true, "after the final rerun")
  -- A killed save leaves its temporary (never under the final name, never read back);
  -- the next write in that folder removes it, so after the final rerun none is left.
  local litter = find(ws.dir, "*.tmp-*")
  for k, f in ipairs(litter) do litter[k] = f:sub(#ws.dir + 2) end
  T.eq(#litter, 0, "no temporary of a killed write is left: " .. table.concat(litter, " "))
  print(string.format("    kill_pipeline: %d kill(s) caught a file being written; none of its temporaries is left",
    writes_cut))

  -- The bill: one pipeline, plus the price of each job a kill left unknown that the
  -- emulator had in fact received (named, not guessed).
  local preds, by_id, count = received(emu)
  local extra_cost = 0
  for model, n in pairs(count) do
    T.ok(n >= want[model], model .. ": every step was bought")
    extra_cost = extra_cost + (n - want[model]) * PRICE[model]
  end
  T.ok(#preds - jobs <= resends, string.format("%d predictions for %d jobs: only announced resends of unknown ones "
    .. "twice (%d)", #preds, jobs, resends))
  local charged = 0
  for _, p in ipairs(preds) do
    T.eq(p.status, "completed", "prediction " .. p.id .. " completed")
    T.eq(p.cost, PRICE[p.model], "prediction " .. p.id .. " (" .. p.model .. ") was priced as the table says")
    if p.charged then charged = charged + p.cost end
  end
  T.eq(stats.credits_charged, charged, "the emulator's counter matches its predictions")
  T.eq(stats.credits_charged, expected + extra_cost, string.format(
    "credits charged: one pipeline (%d)%s", expected, extra_cost > 0 and (" + " .. extra_cost .. " resubmitted unknown") or ""))
  if resends == 0 then T.eq(stats.credits_charged, expected, "exactly one pipeline's price") end

  -- the chain: outputs passed on as the API's URLs, each used by exactly one next step
  local used = {}
  local house
  for _, p in ipairs(preds) do
    if p.model == "model-create" then house = p.id end
  end
  for _, p in ipairs(preds) do
    local src, from
    if p.model == "tryon-max" then
      src, from = source_id(p.model_image), "model-create"
      T.eq(src, house, "try-on " .. p.id .. " is on the house model, by URL")
    elseif p.model == "reframe" then
      src, from = source_id(p.image), "tryon-max"
    elseif p.model == "background-remove" then
      src, from = source_id(p.image), "reframe"
    end
    if src and from ~= "model-create" then
      T.eq(by_id[src] and by_id[src].model, from, p.model .. " " .. p.id .. " takes a " .. from .. " output by URL")
      used[src] = (used[src] or 0) + 1
    elseif from then
      T.ok(src, p.model .. " " .. p.id .. " got its input as a URL")
    end
  end
  if resends == 0 then
    for src, n in pairs(used) do T.eq(n, 1, "the output of " .. src .. " went to one next step") end
  end

  local parts = {}
  for k, n in pairs(landed) do parts[#parts + 1] = k .. " " .. n end
  table.sort(parts)
  print("    kill_pipeline: kills landed: " .. table.concat(parts, ", "))
  print(string.format("    kill_pipeline: charged %d credits for a %d-credit pipeline; %d kill(s) left a submit unknown, "
    .. "%d resend(s), %d extra prediction(s)", stats.credits_charged, expected, unknown_seen, resends, #preds - jobs))
end, { timeout = 600 })
