-- test_models_features.lua — everything atelier does for model-create works for every
-- model it accepts, read from the runtime's own list (fashn.models()), so a model added
-- later is covered without touching this file: fashn.submit + gather and fashn.map over
-- fashn.run under the service's limits; outputs saved with their metadata (model, id,
-- inputs) that `atelier --info` prints, the MP4 saved as the bytes served; a rerun with
-- the journal buys nothing and gives the same files, and a run killed mid-flight is
-- resumed by prediction id; a transiently failed prediction is resubmitted and ends in one
-- charge; progress names the model; the ETA and the first status poll come from the
-- model's own usual time, also at its slowest settings (a slow model is not polled many
-- times early); --dry-run prices each model as its real run is charged and sends
-- nothing; --max-credits below a job's cost refuses before any submit, naming both
-- numbers.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"
local cjson = require "cjson"
local proc = require "proc"

-- The models atelier accepts, as the runtime lists them.
local function accepted_models()
  local r = T.run({ T.atelier, "-e", "io.write(require('cjson').encode(require('fashn').models()))" })
  assert(r.code == 0, "fashn.models(): " .. r.stderr)
  local list = {}
  for _, m in ipairs(cjson.decode(r.stdout)) do
    if m.state == "active" then list[#list + 1] = m end
  end
  return list
end
local MODELS = accepted_models()

-- Recipe source every case starts with: the accepted models, and inputs built from each
-- model's own description. Every required image gets a small portrait PNG (a standing
-- person's shape: tryon-v1.6 wants one) in the colour of variant k, so variants are
-- different jobs also for models without a seed; a required text gets a prompt; a
-- required choice its first value (reframe's 21:9, unlike the portrait's 2:3). With
-- COUNT set, a model that multiplies outputs is asked for two.
local BUILD = [[
local image = require "image"
local MODELS = {}
for _, m in ipairs(fashn.models()) do if m.state == "active" then MODELS[#MODELS + 1] = m end end
local function picture(k)
  local path = "in-" .. k .. ".png"
  image.new(48, 72, { (40 * k) % 256, 120, 200 - 10 * k }):save(path)
  return path
end
local function inputs(m, k)
  local t = { model = m.name }
  for _, f in ipairs(m.fields) do
    if f.required then
      if f.type == "image" then t[f.name] = picture(k)
      elseif f.type == "text" then t[f.name] = "variant " .. k .. " of " .. m.name
      elseif f.values then t[f.name] = f.values[1]
      end
    elseif f.name == "seed" then
      t.seed = 100 + k
    elseif f.name == m.count and os.getenv("COUNT") then
      t[f.name] = 2
    end
  end
  return t
end
]]

local function by(list, key)
  local t = {}
  for _, x in ipairs(list) do
    t[x[key]] = t[x[key]] or {}
    table.insert(t[x[key]], x)
  end
  return t
end

T.case("fashn.models() lists every model the emulator serves, model-create first", function()
  T.ok(#MODELS >= 11, "the models atelier accepts: " .. #MODELS)
  T.eq(MODELS[1].name, "model-create", "the default first")
  local help = T.run({ T.emu_bin, "--help" }).stdout
  for _, m in ipairs(MODELS) do
    T.ok(help:find(m.name, 1, true), m.name .. " is one fashn-emu serves")
    T.ok(m.seconds > 0, m.name .. " has a usual time")
  end
end)

-- Run 1 buys two variants of every model (submit + gather, and map over fashn.run), saves
-- them as PNG, JPEG and WebP (the MP4 as it came) under OUT and reports each result.
local RUN = BUILD .. [[
local out = os.getenv("OUT")
local jobs = {}
for i, m in ipairs(MODELS) do jobs[i] = fashn.submit(inputs(m, 1)) end
local mapped = fashn.map(MODELS, function(m) return fashn.run(inputs(m, 2)) end)
local gathered = fashn.gather(jobs)
for _, pair in ipairs{ { "gather", gathered }, { "map", mapped } } do
  for i, r in ipairs(pair[2]) do
    local m = MODELS[i]
    local base = out .. "/" .. m.name .. "-" .. pair[1]
    local files, meta = {}, nil
    if r.video then
      r.video:save(base .. ".mp4")
      local f = assert(io.open(base .. ".mp4", "rb"))
      local same = f:read("a") == r.video:bytes()
      f:close()
      files[1] = base .. ".mp4"
      emit{ how = pair[1], model = m.name, prediction = r.id, video = { format = r.video.format, size = r.video.size,
        saved_as_served = same } }
    end
    for _, ext in ipairs{ "png", "jpg", "webp" } do
      if r.images[1] then
        r.images[1]:save(base .. "." .. ext)
        files[#files + 1] = base .. "." .. ext
        meta = image.load(base .. "." .. ext):meta()
      end
    end
    emit{ how = pair[1], model = m.name, result_model = r.model, id = r.id, cached = r.cached,
      credits = r.credits, cost = fashn.cost(inputs(m, pair[1] == "gather" and 1 or 2)),
      images = #r.images, output = m.output, files = files,
      meta = meta and { model = meta.model, id = meta.id, inputs_model = meta.inputs and meta.inputs.model,
        inputs_required = (function()
          local have = {}
          for _, f in ipairs(m.fields) do if f.required and meta.inputs and meta.inputs[f.name] then have[#have + 1] = f.name end end
          return have
        end)() },
      required = (function()
        local want = {}
        for _, f in ipairs(m.fields) do if f.required then want[#want + 1] = f.name end end
        return want
      end)() }
  end
end
]]

T.case("every model: submit + gather and map over run buy once, save metadata --info prints (the MP4 as "
  .. "served), and a rerun with the journal buys nothing and writes the same files", function()
  -- the service's limits (6 unfinished predictions, 50 status requests in 10 s) and the
  -- client's defaults: one concurrency gate and one polling budget for every model
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out1") .. " " .. T.shell_quote(dir .. "/out2"))
  local r1 = R.run(emu, RUN, { dir = dir, name = "all.lua", env = { OUT = "out1" } })
  R.check_exit(r1)
  local results = {}
  for _, ev in ipairs(r1.events) do
    if ev.id then results[#results + 1] = ev end
  end
  T.eq(#results, 2 * #MODELS, "two results per model")
  local charged = 0
  local files = {}
  for _, ev in ipairs(results) do
    local what = ev.model .. " (" .. ev.how .. ")"
    T.eq(ev.result_model, ev.model, what .. ": the result says its model")
    T.eq(ev.cached, false, what .. ": bought")
    T.eq(ev.credits, ev.cost, what .. ": charged what fashn.cost said")
    charged = charged + ev.credits
    if ev.output == "video" then
      T.eq(ev.images, 0, what .. ": a video is no image")
    else
      T.ok(ev.images >= 1, what .. ": images")
      -- the inputs as submitted: model-create, the default, is not named in them
      T.eq(ev.meta, { model = ev.model, id = ev.id, inputs_model = ev.model ~= "model-create" and ev.model or nil,
        inputs_required = ev.required }, what .. ": the saved file's metadata")
    end
    T.ok(#ev.files >= 1, what .. ": saved")
    for _, f in ipairs(ev.files) do files[#files + 1] = { path = f, ev = ev } end
  end
  local st = emu:stats()
  T.eq(st.credits_charged, charged, "the emulator charged what the results say")
  T.eq({ st.run_refused, st.rate_limited }, { {}, {} }, "no request was refused: no limit was overrun")
  T.ok(st.peak_concurrency <= 6, "at most 6 predictions unfinished at once: " .. st.peak_concurrency)
  -- each model: two predictions, both completed and charged, nothing bought twice
  local preds = by(emu:predictions(), "model")
  for _, m in ipairs(MODELS) do
    local p = preds[m.name] or {}
    T.eq(#p, 2, m.name .. ": two predictions")
    for _, x in ipairs(p) do T.eq({ x.status, x.charged }, { "completed", true }, m.name .. ": completed, charged") end
  end
  -- the MP4: the bytes the CDN served, saved untouched
  for _, ev in ipairs(r1.events) do
    if ev.video then
      T.eq(ev.video.format, "mp4", ev.model .. ": an MP4")
      T.ok(ev.video.saved_as_served, ev.model .. ": saved as the file object's bytes")
      local served = emu:download(emu.url .. "/cdn/" .. ev.prediction .. "/output_0.mp4").body
      local saved = T.read_file(dir .. "/out1/" .. ev.model .. "-" .. ev.how .. ".mp4")
      T.ok(saved == served, ev.model .. ": the saved MP4 is byte for byte what the emulator served ("
        .. #saved .. " vs " .. #served .. " bytes)")
    end
  end
  -- atelier --info prints each saved file's kind and its metadata
  local argv = { T.atelier, "--info" }
  for _, f in ipairs(files) do argv[#argv + 1] = f.path end
  local info = T.run(argv, { cwd = dir })
  T.eq(info.code, 0, "--info answers for every file:\n" .. info.stderr)
  local blocks, current = {}, nil
  for line in info.stdout:gmatch("[^\n]+") do
    local path, rest = line:match("^(%S[^:]*): (.*)$")
    if path then current = path; blocks[path] = rest .. "\n" else blocks[current] = blocks[current] .. line .. "\n" end
  end
  for _, f in ipairs(files) do
    local b = blocks[f.path]
    T.ok(b, f.path .. ": --info printed it:\n" .. info.stdout)
    local ext = f.path:match("%.(%w+)$")
    local fmt = ({ png = "png", jpg = "jpeg", webp = "webp", mp4 = "mp4" })[ext]
    T.match(b, "^" .. fmt .. " %d+x%d+", f.path .. ": its format and size")
    T.ok(b:find("\n  model: " .. f.ev.model .. "\n", 1, true), f.path .. ": the model:\n" .. b)
    T.ok(b:find("\n  id: " .. f.ev.id .. "\n", 1, true), f.path .. ": the prediction id:\n" .. b)
    for _, name in ipairs(f.ev.required) do
      -- (an MP4's come from the journal, which keeps a file as its hash: inputs.image.$file_sha256)
      T.ok(b:find("\n  inputs." .. name .. ": ", 1, true) or b:find("\n  inputs." .. name .. ".$file_sha256: ", 1, true),
        f.path .. ": the inputs (" .. name .. "):\n" .. b)
    end
  end
  -- run again with the journal: nothing bought, the same ids, the same files
  local before = emu:stats()
  local r2 = R.run(emu, RUN, { dir = dir, name = "all.lua", env = { OUT = "out2" } })
  R.check_exit(r2)
  local after = emu:stats()
  T.eq({ after.run_accepted, after.credits_charged }, { before.run_accepted, before.credits_charged },
    "the rerun bought nothing")
  local n = 0
  for i, ev in ipairs(r2.events) do
    local first = r1.events[i]
    if ev.id then
      n = n + 1
      T.eq({ ev.model, ev.how, ev.id, ev.cached, ev.credits }, { first.model, first.how, first.id, true, 0 },
        ev.model .. " (" .. ev.how .. "): from the journal, the same prediction, no credit")
      for _, f in ipairs(ev.files) do
        local a, b = T.read_file(dir .. "/" .. f:gsub("^out2", "out1")), T.read_file(dir .. "/" .. f)
        T.ok(a == b, f .. ": the same bytes as the first run's")
      end
    end
  end
  T.eq(n, 2 * #MODELS, "every result again")
end, { timeout = 240 })

-- One model on an emulator of its own whose first prediction fails with a transient
-- PipelineError (--fail-rate 0.5 with --fault-seed 2: the first roll fails, the second
-- passes). Reports the ETA right after submitting (nothing has finished: the model's
-- own time is all the client knows) and the result.
local RETRY = BUILD .. [[
local m
for _, x in ipairs(MODELS) do if x.name == os.getenv("MODEL") then m = x end end
local job = fashn.submit(inputs(m, 3))
local eta = fashn.stats().eta
local r = job:wait()
emit{ model = m.name, seconds = m.seconds, eta = eta, id = r.id, credits = r.credits, cost = fashn.cost(inputs(m, 3)),
  status = r.status, stats = fashn.stats() }
]]

local SCALE = 0.05

T.case("every model on its own emulator: a transient failure is resubmitted and ends in one charge; progress "
  .. "names the model; the ETA and the first poll come from the model's own time", function()
  local runs = {}
  for _, m in ipairs(MODELS) do
    local emu = E.start{ ["time-scale"] = SCALE, ["fail-rate"] = 0.5, ["fault-seed"] = 2, ["fail-names"] = "PipelineError" }
    local dir = T.tmpdir()
    T.write_file(dir .. "/retry.lua", R.PRELUDE .. "fashn.configure{ time_scale = " .. SCALE .. " }\n" .. RETRY)
    local p = proc.spawn({ T.atelier, "--base-url", emu.url, "retry.lua" },
      { cwd = dir, env = { FASHN_API_KEY = emu.key, MODEL = m.name } })
    runs[#runs + 1] = { m = m, emu = emu, p = p }
  end
  for _, run in ipairs(runs) do
    local m, emu, p = run.m, run.emu, run.p
    local code = p:wait(120)
    local err = p:stderr()
    T.eq(code, 0, m.name .. ": exit status\n" .. err)
    local ev
    for line in p:stdout():gmatch("@@([^\n]*)") do ev = cjson.decode(line) end
    T.ok(ev, m.name .. ": reported")
    T.eq(ev.status, "completed", m.name .. ": completed in the end")
    T.eq(ev.credits, ev.cost, m.name .. ": charged its cost once")
    local st = emu:stats()
    T.eq(st.credits_charged, ev.cost, m.name .. ": the emulator charged it once")
    local preds = emu:predictions()
    T.eq(#preds, 2, m.name .. ": the failed prediction and its resubmission")
    T.eq({ preds[1].status, preds[1].error, preds[1].charged }, { "failed", "PipelineError", false },
      m.name .. ": the first failed, transiently, free")
    T.eq({ preds[2].status, preds[2].charged, preds[2].id }, { "completed", true, ev.id },
      m.name .. ": the resubmission completed and is the result")
    -- progress: the model named where the job is submitted (model-create's lines as ever)
    local named = m.name == "model-create" and "submitted prediction " or ("submitted " .. m.name .. " prediction ")
    T.ok(err:find(named .. preds[1].id, 1, true) and err:find(named .. preds[2].id, 1, true),
      m.name .. ": progress names the model for both predictions:\n" .. err)
    T.ok(err:find("prediction " .. preds[1].id .. " failed with PipelineError; resubmitting", 1, true),
      m.name .. ": says it resubmits:\n" .. err)
    -- the ETA before anything finished is the model's own time, scaled
    T.near(ev.eta, m.seconds * SCALE, 0.01 + m.seconds * SCALE * 0.05, m.name .. ": the ETA is its own time")
    -- the first poll of each prediction near the model's own time: not before about
    -- three quarters of it, not long after it; and not many polls
    local own = m.seconds * SCALE
    for i, x in ipairs(preds) do
      local what = string.format("%s prediction %d (own time %.2f s)", m.name, i, own)
      T.ok(x.polls >= 1 and x.first_poll, what .. ": polled")
      T.ok(x.first_poll >= 0.7 * own, string.format("%s: first poll at %.3f s is not early", what,
        x.first_poll))
      -- (loose: a busy machine fires timers late; a wrong plan is off by far more)
      T.ok(x.first_poll <= own * 1.5 + 1.0, string.format("%s: first poll at %.3f s is not late", what, x.first_poll))
      T.ok(x.polls <= 8, string.format("%s: %d polls, not many", what, x.polls))
    end
    emu:stop()
  end
end, { timeout = 240 })

-- Every model that takes them with its slowest settings (quality, 2k: some two and a half
-- times its usual time), all at once; the emulator's predictions say how each was polled.
local SLOW = BUILD .. [[
local jobs, names = {}, {}
for _, m in ipairs(MODELS) do
  local t, slower = inputs(m, 5), false
  for _, f in ipairs(m.fields) do
    for _, v in ipairs(f.values or {}) do
      if (f.name == "generation_mode" and v == "quality") or (f.name == "resolution" and v == "2k") then
        t[f.name] = v
        slower = true
      end
    end
  end
  if slower then
    jobs[#jobs + 1] = fashn.submit(t)
    names[#names + 1] = m.name
  end
end
for i, r in ipairs(fashn.gather(jobs)) do emit{ model = names[i], id = r.id } end
]]

T.case("every model at its slowest settings is polled near its own, longer time, not many times early", function()
  local emu <close> = E.start{ ["time-scale"] = SCALE, ["concurrency-limit"] = 0 }
  local r = R.run(emu, SLOW, { scale = SCALE, name = "slow.lua", configure = "concurrency = 16" })
  R.check_exit(r)
  T.ok(#r.events >= 8, "the models with a quality or 2k setting: " .. #r.events)
  local preds, slower = {}, 0
  for _, p in ipairs(emu:predictions()) do preds[p.id] = p end
  for _, ev in ipairs(r.events) do
    local p = preds[ev.id]
    local m
    for _, x in ipairs(MODELS) do if x.name == ev.model then m = x end end
    local own = m.seconds * SCALE
    if p.seconds > 1.5 * own then slower = slower + 1 end
    T.ok(p.first_poll >= 0.7 * p.seconds, string.format("%s: first poll at %.3f s, not long before its end at %.2f s",
      ev.model, p.first_poll, p.seconds))
    T.ok(p.first_poll <= p.seconds * 1.5 + 1.0, string.format("%s: first poll at %.3f s, not late", ev.model,
      p.first_poll))
    T.ok(p.polls <= 6, string.format("%s: %d polls, not many", ev.model, p.polls))
  end
  -- (the emulator's model-create keeps its own clock, which no mode slows)
  T.ok(slower >= #r.events - 1, slower .. " of " .. #r.events .. " took well over their usual time")
end, { timeout = 240 })

-- One job per model at once; says "ready" when every one has its prediction id, then
-- waits for them (the first run is killed before they finish).
local INFLIGHT = BUILD .. [[
local jobs = {}
for i, m in ipairs(MODELS) do jobs[i] = fashn.submit(inputs(m, 6)) end
while true do
  local all = true
  for _, j in ipairs(jobs) do all = all and j.id ~= nil end
  if all then break end
  atelier.sleep(0.02)
end
print("ready")
io.stdout:flush()
for i, r in ipairs(fashn.gather(jobs)) do emit{ model = MODELS[i].name, id = r.id, credits = r.credits } end
]]

T.case("every model: a run killed while its predictions run is resumed by id from the journal, buying nothing twice",
  function()
  local emu <close> = E.start{ ["time-scale"] = SCALE, ["concurrency-limit"] = 0 }
  local dir = T.tmpdir()
  T.write_file(dir .. "/inflight.lua", R.PRELUDE .. "fashn.configure{ time_scale = " .. SCALE
    .. ", concurrency = 16 }\n" .. INFLIGHT)
  local env = { FASHN_API_KEY = emu.key }
  local p = proc.spawn({ T.atelier, "--base-url", emu.url, "inflight.lua" }, { cwd = dir, env = env })
  T.ok(p:wait_output("ready", 60), "every job submitted:\n" .. p:stderr())
  p:kill("KILL")
  p:wait(30)
  local sent = emu:stats().run_accepted
  T.eq(sent, #MODELS, "one prediction per model before the kill")
  local unfinished = 0
  for _, x in ipairs(emu:predictions()) do if x.status ~= "completed" then unfinished = unfinished + 1 end end
  T.ok(unfinished >= 1, "some were still running when the run was killed")
  local r = T.run({ T.atelier, "--base-url", emu.url, "inflight.lua" }, { cwd = dir, env = env })
  T.eq(r.code, 0, r.stderr)
  local st = emu:stats()
  T.eq(st.run_accepted, sent, "the rerun submitted nothing")
  local preds = by(emu:predictions(), "id")
  local n = 0
  for line in r.stdout:gmatch("@@([^\n]*)") do
    local ev = cjson.decode(line)
    n = n + 1
    T.ok(preds[ev.id] and preds[ev.id][1].model == ev.model, ev.model .. ": the prediction bought before the kill")
    T.eq(ev.credits, preds[ev.id][1].cost, ev.model .. ": its charge")
  end
  T.eq(n, #MODELS, "every model's result")
  T.match(r.stderr, "resumed by prediction id", "the rerun says it resumed")
end, { timeout = 240 })

-- One job per model, two outputs where the model multiplies them.
local ONE_EACH = BUILD .. [[
local only = os.getenv("MODEL")
local jobs = {}
for _, m in ipairs(MODELS) do
  if not only or m.name == only then jobs[#jobs + 1] = fashn.submit(inputs(m, 4)) end
end
for _, r in ipairs(fashn.gather(jobs)) do emit{ model = r.model, credits = r.credits, dry_run = r.dry_run } end
]]

T.case("every model: --dry-run prices it as its real run is charged and sends nothing; --max-credits below "
  .. "its cost refuses before any submit, naming both numbers", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["concurrency-limit"] = 0 }
  local dir = T.tmpdir()
  local plan = dir .. "/plan.json"
  local dry = R.run(emu, ONE_EACH, { dir = dir, name = "each.lua", env = { COUNT = "1" },
    args = { "--dry-run", "--plan", plan } })
  R.check_exit(dry)
  local s = emu:stats()
  T.eq({ s.run_accepted, s.status_requests, s.credits_charged }, { 0, 0, 0 }, "the dry run sent nothing")
  local rows = by(cjson.decode(T.read_file(plan)).jobs, "model")
  -- the same recipe for real: each model's charge is its plan row's price
  local real = R.run(emu, ONE_EACH, { dir = dir, name = "each.lua", env = { COUNT = "1" }, configure = "concurrency = 12" })
  R.check_exit(real)
  local charged = {}
  for _, p in ipairs(emu:predictions()) do charged[p.model] = (charged[p.model] or 0) + p.cost end
  for _, m in ipairs(MODELS) do
    local row = rows[m.name] and rows[m.name][1]
    T.ok(row, m.name .. ": a row of the plan")
    T.eq(row.credits, charged[m.name], m.name .. ": the plan's price is what the emulator charged")
    if m.count then T.eq(row.images, 2, m.name .. ": two outputs planned") end
  end
  -- a cap one credit below each model's cost: exit 3, both numbers, nothing sent
  local runs_before = emu:stats().run_accepted
  for _, m in ipairs(MODELS) do
    local cost = math.tointeger(charged[m.name])
    local r = R.run(emu, ONE_EACH, { dir = T.tmpdir(), name = "each.lua", env = { COUNT = "1", MODEL = m.name },
      args = { "--max-credits", tostring(cost - 1) } })
    R.check_exit(r, 3)
    T.match(r.stderr, string.format("planned %d credits? > %%-%%-max%%-credits %d: nothing was bought", cost, cost - 1),
      m.name .. ": names both numbers")
  end
  T.eq(emu:stats().run_accepted, runs_before, "no capped run submitted anything")
end, { timeout = 240 })
