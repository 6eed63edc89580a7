-- test_dry_run.lua — --dry-run is a rehearsal and --max-credits buys all or nothing:
-- every shipped example runs to its end under --dry-run, writes only into its rehearsal
-- folder (a real output survives untouched), prints a readable plan (file names, not
-- base64; no per-job lines) whose total is what a real run on fashn-emu then charges, and
-- prices jobs the journal holds at 0; a cap below a recipe's total sends nothing and says
-- both numbers; fashn.reserve refuses or sets credits aside.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"
local cjson = require "cjson"
local image = require "image"

local examples = T.examples

local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  return os.getenv("PWD") .. "/" .. path
end

-- Every file and folder under dir but the rehearsal's (and .atelier, the folder that holds
-- it; the files in .atelier, a journal, are listed), with size and content hash.
local function snapshot(dir)
  local p = io.popen("cd " .. T.shell_quote(dir) .. " && find . -path ./.atelier/dry-run -prune -o -print0 | "
    .. "xargs -0 -r sh -c 'for f; do if [ -f \"$f\" ]; then echo \"$f $(cksum < \"$f\")\"; "
    .. "elif [ \"$f\" != ./.atelier/dry-run ] && [ \"$f\" != ./.atelier ]; then echo \"$f dir\"; fi; done' sh | sort")
  local s = p:read("a")
  p:close()
  return s
end

-- The client polls on the emulator's clock (the examples do not configure it themselves).
local function clock(scale) return "require('fashn').configure{ time_scale = " .. scale .. " }" end

local function plan_of(path)
  return cjson.decode(T.read_file(path))
end

for _, name in ipairs(examples()) do
  T.case("examples/" .. name .. ": --dry-run exits 0, writes only its rehearsal folder, and its plan's total is "
    .. "what a real run on fashn-emu charges", function()
    local emu <close> = E.start{ ["time-scale"] = 0.01 }
    local dir = T.tmpdir()
    T.write_file(dir .. "/keep.txt", "the user's\n")
    local plan = T.tmpdir() .. "/plan.json"
    local script = abs(T.root .. "/examples/" .. name)
    local before = snapshot(dir)
    local env = { FASHN_API_KEY = emu.key }
    local r = T.run({ T.atelier, "--base-url", emu.url, "-e", clock(0.01), "--dry-run", "--plan", plan, script },
      { cwd = dir, env = env })
    T.eq(r.code, 0, name .. " --dry-run\nstdout:\n" .. r.stdout .. "\nstderr:\n" .. r.stderr)
    T.eq(snapshot(dir), before, "nothing written outside .atelier/dry-run")
    T.eq(emu:stats().run_accepted, 0, "nothing sent")
    T.ok(not r.stderr:find("completed", 1, true), "no per-job lines:\n" .. r.stderr)
    T.ok(not r.stderr:find("base64", 1, true) and not r.stderr:find("data:image/jpeg;", 1, true),
      "no base64 in the plan")
    T.match(r.stderr, "the recipe's files are in %.atelier/dry%-run/", "says where it wrote")
    local p = plan_of(plan)
    T.ok(#p.jobs > 0, "the plan has rows")
    T.match(r.stderr, string.format("total: %d jobs?, %d images?, %d credits?", p.totals.jobs, p.totals.images,
      p.totals.credits), "the printed total is the JSON's")
    for _, job in ipairs(p.jobs) do
      T.ok(#job.prompt <= 44 + 3, "a short prompt: " .. job.prompt)
      if job.references ~= "" then T.ok(not job.references:find("/", 1, true), "by file name: " .. job.references) end
    end
    -- the same recipe for real, against fashn-emu: it charges the plan's total
    r = T.run({ T.atelier, "-q", "--base-url", emu.url, "-e", clock(0.01), script }, { cwd = dir, env = env })
    T.eq(r.code, 0, name .. " for real\nstdout:\n" .. r.stdout .. "\nstderr:\n" .. r.stderr)
    T.eq(emu:stats().credits_charged, p.totals.credits, "the plan's total is what the real run charged")
  end, { timeout = 180 })
end

T.case("a real out/hello.png survives a dry run; the rehearsal's copy is a placeholder of the real size", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out"))
  T.write_file(dir .. "/out/hello.png", "precious\n")
  local r = T.run({ T.atelier, "--dry-run", abs(T.root .. "/examples/hello.lua") }, { cwd = dir })
  T.eq(r.code, 0, r.stderr)
  T.eq(T.read_file(dir .. "/out/hello.png"), "precious\n", "untouched")
  local img = image.load(dir .. "/.atelier/dry-run/out/hello.png")
  T.eq({ img.width, img.height }, { 880, 1176 }, "3:4 at 1k, as the API would answer")
  T.match(r.stdout, "0 credit%(s%)", "nothing bought")
end)

T.case("a face reference's plan row names the file; the JSON matches the table", function()
  local plan = T.tmpdir() .. "/plan.json"
  local r = R.run(nil, [[
    local here = "]] .. abs(T.root) .. [[/examples/references/"
    fashn.submit{ prompt = "line one\nline two, a long prompt that goes on and on past forty characters",
      seed = 3, face_reference = here .. "face.jpg", face_reference_mode = "match_reference",
      generation_mode = "quality", resolution = "2k" }:wait()
    -- a reference that is no image raises, and is no row of the plan
    local f = assert(io.open("notes.jpg", "w"))
    f:write("not an image\n")
    f:close()
    assert(not pcall(fashn.submit, { prompt = "y", face_reference = "notes.jpg" }))
  ]], { url = false, key = "", args = { "--dry-run", "--plan", plan } })
  R.check_exit(r)
  local p = plan_of(plan)
  T.eq(p.jobs[1].references, "face: face.jpg")
  T.eq(p.jobs[1].mode, "quality, match_reference")
  T.eq(p.jobs[1].prompt, "line one\\nline two, a long prompt that go...", "40 characters, \\n counting one")
  T.eq({ p.jobs[1].seed, p.jobs[1].resolution, p.jobs[1].images, p.jobs[1].cached }, { 3, "2k", 1, false })
  T.eq(p.totals, { jobs = 1, images = 1, credits = p.jobs[1].credits, cached = 0 })
  T.eq(p.max_credits, cjson.null)
  T.match(r.stderr, "line one\\nline two, a long prompt that go%.%.%.  3     quality, match_reference  "
    .. "face: face.jpg  2k   1       " .. string.format("%d", p.jobs[1].credits))
end)

T.case("after a real run, a dry run prices the jobs the journal holds at 0 and leaves the journal alone", function()
  local emu <close> = E.start{ ["time-scale"] = 0.01 }
  local dir = T.tmpdir()
  local body = [[
    local jobs = {}
    for i = 1, 3 do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = i } end
    local out = {}
    for i, res in ipairs(fashn.gather(jobs)) do out[i] = { cached = res.cached, n = #res.images } end
    emit{ out = out }
  ]]
  local r = R.run(emu, body, { dir = dir })
  R.check_exit(r)
  local function journal_sum()
    local p = io.popen("cd " .. T.shell_quote(dir) .. " && cat .atelier/journal.db | cksum")
    local s = p:read("a")
    p:close()
    return s
  end
  local sum = journal_sum()
  -- one more job than the real run bought
  local plan = dir .. "/plan.json"
  r = R.run(emu, body:gsub("for i = 1, 3", "for i = 1, 4"), { dir = dir, args = { "--dry-run", "--plan", plan } })
  R.check_exit(r)
  T.eq(r.events[1].out, { { cached = true, n = 1 }, { cached = true, n = 1 }, { cached = true, n = 1 },
    { cached = false, n = 1 } }, "results say cached, and still carry images")
  local p = plan_of(plan)
  T.eq(p.totals, { jobs = 4, images = 4, credits = 1, cached = 3 })
  T.match(r.stderr, "0 %(cached%)")
  T.eq(journal_sum(), sum, "the journal is unchanged")
  T.eq(emu:stats().run_accepted, 3, "the dry run sent nothing")
  -- and --max-credits 1 lets the rerun through: the planned spend after cached jobs is 1
  r = R.run(emu, body:gsub("for i = 1, 3", "for i = 1, 4"), { dir = dir, args = { "--max-credits", "1" } })
  R.check_exit(r)
  T.eq(emu:stats().credits_charged, 4)
end)

T.case("--max-credits below an example's total: no request to /v1/run, exit 3, both numbers; at it: done", function()
  local emu <close> = E.start{ ["time-scale"] = 0.01 }
  local dir = T.tmpdir()
  local script = abs(T.root .. "/examples/casting_lookbook.lua")
  local env = { FASHN_API_KEY = emu.key }
  local r = T.run({ T.atelier, "--base-url", emu.url, "-e", clock(0.01), "--max-credits", "10", script },
    { cwd = dir, env = env })
  T.eq(r.code, 3, r.stderr)
  T.match(r.stderr, "planned 64 credits > %-%-max%-credits 10: nothing was bought")
  local s = emu:stats()
  T.eq({ s.run_accepted, s.status_requests, s.credits_charged }, { 0, 0, 0 }, "no request reached the server")
  T.eq(r.stdout, "", "the recipe did not run for real")
  T.eq(snapshot(dir), ". dir\n", "and wrote nothing, not even its rehearsal")
  r = T.run({ T.atelier, "-q", "--base-url", emu.url, "-e", clock(0.01), "--max-credits", "64", script },
    { cwd = dir, env = env })
  T.eq(r.code, 0, r.stderr)
  T.eq(emu:stats().credits_charged, 64)
end, { timeout = 120 })

T.case("a recipe from standard input cannot be rehearsed: the per-submit guard applies, and it says so", function()
  local emu <close> = E.start{ ["time-scale"] = 0.01 }
  local r = T.run({ T.atelier, "--base-url", emu.url, "--max-credits", "1", "-" }, {
    env = { FASHN_API_KEY = emu.key },
    stdin = [[
      local fashn = require "fashn"
      fashn.configure{ time_scale = 0.01 }
      local a = fashn.submit{ prompt = "a", seed = 1 }
      local b = fashn.submit{ prompt = "b", seed = 2 }
      print(a:wait{ raise = false }.status, b:wait{ raise = false }.error.name)
    ]] })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stderr, "cannot be rehearsed first")
  T.match(r.stdout, "completed\tCreditLimitExceeded")
end)

T.case("fashn.reserve sets credits aside under the cap, or refuses with both numbers and sets nothing aside", function()
  local emu <close> = E.start{ ["time-scale"] = 0.01 }
  local r = R.run(emu, [[
    local list = {}
    for i = 1, 3 do list[i] = { prompt = "look " .. i, seed = i } end
    local got = fashn.reserve(list)
    local ok, e = pcall(fashn.reserve, { { prompt = "more", seed = 9, num_images = 3 } })
    emit{ got = got, refused = not ok and { name = e.name, needed = e.needed, committed = e.committed, cap = e.cap,
      message = e.message } }
    local jobs = {}
    for i, x in ipairs(list) do jobs[i] = fashn.submit(x) end
    fashn.gather(jobs)
    emit{ after = fashn.reserve{ { prompt = "two more", seed = 10, num_images = 2 } } }
    ok, e = pcall(fashn.reserve, { { prompt = "one more", seed = 11 } })
    emit{ full = e.name }
  ]], { args = { "--max-credits", "5", "--no-rehearse" } })
  R.check_exit(r)
  T.eq(r.events[1].got, 3)
  T.eq(r.events[1].refused.name, "CreditLimitExceeded")
  T.eq({ r.events[1].refused.needed, r.events[1].refused.committed, r.events[1].refused.cap }, { 3, 3, 5 })
  T.match(r.events[1].refused.message, "cost 3 credits, and 3 of the %-%-max%-credits 5")
  T.eq(r.events[2].after, 2, "the three submitted drew the reservation down: 3 spent + 2 fits 5")
  T.eq(r.events[3].full, "CreditLimitExceeded", "5 of 5 committed")
  T.eq(emu:stats().credits_charged, 3)
end)

T.case("--sandbox --dry-run: the rehearsal folder is inside --out, and a link planted as .atelier is refused", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/r.lua", [[
    local fashn = require "fashn"
    local r = fashn.run{ prompt = "x", seed = 1 }
    r.images[1]:save("looks/a.png")
  ]])
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out"))
  local r = T.run({ T.atelier, "--sandbox", "--out", dir .. "/out", "--max-credits", "1", "--dry-run", dir .. "/r.lua" })
  T.eq(r.code, 0, r.stderr)
  T.ok(io.open(dir .. "/out/.atelier/dry-run/looks/a.png"), "written in --out's rehearsal folder")
  T.ok(not io.open(dir .. "/out/looks/a.png"), "not where a real run writes")
  -- a planted link: the emptying of the folder must not follow it
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/victim/dry-run"))
  T.write_file(dir .. "/victim/dry-run/precious", "keep\n")
  os.execute("rm -rf " .. T.shell_quote(dir .. "/out2") .. " && mkdir -p " .. T.shell_quote(dir .. "/out2")
    .. " && ln -s " .. T.shell_quote(dir .. "/victim") .. " " .. T.shell_quote(dir .. "/out2/.atelier"))
  r = T.run({ T.atelier, "--sandbox", "--out", dir .. "/out2", "--max-credits", "1", "--dry-run", dir .. "/r.lua" })
  T.eq(r.code, 2, r.stderr)
  T.match(r.stderr, "cannot use the rehearsal folder")
  T.eq(T.read_file(dir .. "/victim/dry-run/precious"), "keep\n", "nothing deleted through the link")
end)

T.case("a dry run maps io and os writes into its folder, reads its own copies back, and runs no command", function()
  local dir = T.tmpdir()
  T.write_file(dir .. "/notes.txt", "the user's\n")
  T.write_file(dir .. "/r.lua", [[
    local f = assert(io.open("notes.txt", "w"))
    f:write("rehearsed\n")
    f:close()
    print(io.open("notes.txt"):read("a") == "rehearsed\n") -- the rehearsal's copy
    assert(os.rename("notes.txt", "sub/moved.txt"))
    print(io.open("sub/moved.txt") ~= nil, io.open("notes.txt"):read("a")) -- the user's shows through again
    io.output("log/out.txt")
    io.write("x")
    io.close()
    assert(os.remove("sub/moved.txt"))
    print(os.execute("touch executed"))
    local p = io.popen("touch popened")
    print(p:read("a") == "")
    p:close()
    local g = assert(io.open("/tmp/atelier-dry-run-abs-test-]] .. tostring(os.time()) .. [[", "w"))
    g:close()
  ]])
  local before = snapshot(dir)
  local r = T.run({ T.atelier, "--dry-run", "r.lua" }, { cwd = dir })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "true\ntrue\tthe user's\n\ntrue\texit\t0\ntrue\n")
  T.eq(snapshot(dir), before, "nothing outside the rehearsal folder")
  T.eq(T.read_file(dir .. "/.atelier/dry-run/log/out.txt"), "x")
  T.ok(not io.open(dir .. "/.atelier/dry-run/sub/moved.txt"), "removed in the rehearsal")
  T.match(r.stderr, "not running: touch executed")
  T.match(r.stderr, "not running: touch popened")
  local p = io.popen("ls " .. T.shell_quote(dir .. "/.atelier/dry-run/abs/tmp"))
  T.match(p:read("a"), "atelier%-dry%-run%-abs%-test", "an absolute path goes under abs/")
  p:close()
end)

T.case("--sandbox: the rehearsal under --max-credits leaves nothing in --out; over the cap nothing is bought", function()
  local emu <close> = E.start{ ["time-scale"] = 0.01 }
  local dir = T.tmpdir()
  T.write_file(dir .. "/r.lua", [[
    local fashn = require "fashn"
    fashn.configure{ time_scale = 0.01 }
    local jobs = {}
    for i = 1, 3 do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = i } end
    for i, r in ipairs(fashn.gather(jobs)) do r.images[1]:save("look-" .. i .. ".png") end
  ]])
  local function listing(d)
    local p = io.popen("cd " .. T.shell_quote(d) .. " && find . | sort")
    local s = p:read("a")
    p:close()
    return s
  end
  local env = { FASHN_API_KEY = emu.key }
  local argv = function(cap)
    return { T.atelier, "-q", "--sandbox", "--out", dir .. "/out", "--max-credits", cap, "--base-url", emu.url,
      dir .. "/r.lua" }
  end
  local r = T.run(argv("2"), { env = env })
  T.eq(r.code, 3, r.stderr)
  T.match(r.stderr, "planned 3 credits > %-%-max%-credits 2")
  T.eq(listing(dir .. "/out"), ".\n", "nothing left in --out")
  T.eq(emu:stats().run_accepted, 0)
  r = T.run(argv("3"), { env = env })
  T.eq(r.code, 0, r.stderr)
  local l = listing(dir .. "/out")
  T.match(l, "%./look%-3%.png\n")
  T.ok(not l:find("rehearsal", 1, true) and not l:find("dry-run", 1, true), "no rehearsal folder left:\n" .. l)
  T.eq(emu:stats().credits_charged, 3)
end)
