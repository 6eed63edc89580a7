-- test_journal_jobs.lua — what makes two submissions the same job, seen from a recipe:
-- identical submissions of one run share one prediction (key order, 7 vs 7.0, spelled-out
-- defaults do not matter); --fresh buys again without losing history; the API key is in
-- no journal file and no report; two runs never share a journal, whatever path names it.
local T = require "testing"
local E = require "emu"
local J = require "journal_run"

T.case("identical submissions in one run share one prediction, defaults spelled out or not", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05 }
  local ws = J.workspace([[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.05 }
local a = fashn.submit{ prompt = "linen suit", seed = 42 }
local b = fashn.submit{ seed = 42.0, prompt = "linen suit" }
local c = fashn.submit{ prompt = "linen suit" }
local d = fashn.submit{ prompt = "linen suit", num_images = 1, resolution = "1k", output_format = "png",
  aspect_ratio = "1:1", return_base64 = false }
local e = fashn.submit{ prompt = "linen suit", seed = 43 }
local r = fashn.gather{ a, b, c, d, e }
print(r[1].id == r[2].id and r[2].id == r[3].id and r[3].id == r[4].id, r[5].id ~= r[1].id)
]])
  local r = J.run(emu, ws)
  J.check(r, 0, "run")
  T.eq(r.stdout, "true\ttrue\n", "four spellings, one prediction; another seed, another")
  T.eq(emu:stats().run_accepted, 2, "two predictions bought")
  T.match(J.report(ws.journal).text, "credits saved by reuse: 3 %(3 submissions", "the shared ones count as saved")
end, { timeout = 60 })

T.case("--fresh buys again and keeps the history", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05 }
  local ws = J.workspace([[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.05 }
print(fashn.run{ prompt = "tweed", seed = 5 }.cached)
]])
  J.check(J.run(emu, ws), 0, "first")
  local r = J.run(emu, ws, { args = { "--fresh" } })
  J.check(r, 0, "fresh")
  T.eq(r.stdout, "false\n", "bought again")
  r = J.run(emu, ws)
  T.eq(r.stdout, "true\n", "the fresh generation's result is reused afterwards")
  T.eq(emu:stats().run_accepted, 2, "two purchases")
  T.match(J.report(ws.journal).text, "1 older job row kept as history")
end, { timeout = 60 })

T.case("the API key appears in no journal file and no report", function()
  local KEY = "sk-journal-53cr3t-0123456789"
  local emu <close> = E.start{ ["time-scale"] = 0.05, ["api-key"] = KEY, ["drop-rate"] = 0.3, ["fault-seed"] = 5,
    ["fault-endpoints"] = "status" }
  local ws = J.workspace([[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.05 }
local jobs = {}
for i = 1, 3 do jobs[i] = fashn.submit{ prompt = "key check " .. i, seed = i } end
fashn.gather(jobs, { raise = false })
]])
  J.check(J.run(emu, ws, { key = KEY }), 0, "run with the key")
  J.run(emu, ws, { key = KEY .. "-wrong" }) -- refused: its errors are recorded too
  local p = io.popen("cat " .. T.shell_quote(ws.dir) .. "/.atelier/journal.db* 2>/dev/null; find "
    .. T.shell_quote(ws.dir .. "/.atelier") .. " -type f -exec cat {} +")
  local everything = p:read("a")
  p:close()
  everything = everything .. J.report(ws.journal).text
  T.ok(#everything > 10000, "there is something to search")
  T.ok(not everything:find(KEY, 1, true), "the key is nowhere")
  T.ok(not everything:find("53cr3t", 1, true), "not even part of it")
end, { timeout = 60 })

T.case("a sandboxed recipe cannot make the journal read a file outside its allowed places", function()
  local png = require "pngfixture"
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/recipe") .. " " .. T.shell_quote(dir .. "/secret"))
  png.write(dir .. "/secret/face.png", 32, 32, { 1, 2, 3 })
  png.write(dir .. "/recipe/face.png", 32, 32, { 4, 5, 6 })
  T.write_file(dir .. "/recipe/r.lua", string.format([[
local fashn = require "fashn"
local ok, err = pcall(fashn.submit, { prompt = "x", face_reference = %q })
print(ok and "ALLOWED" or err.name)
local r = fashn.run{ prompt = "y", face_reference = %q }
print(r.status, r.cached)
]], dir .. "/secret/face.png", dir .. "/recipe/face.png"))
  local r = T.run({ T.atelier, "--sandbox", "--max-credits", "10", "--out", dir .. "/out", dir .. "/recipe/r.lua" },
    { env = { ATELIER_EMU_TIME_SCALE = "0.01" } })
  T.eq(r.code, 0, "the recipe ran: " .. r.stderr)
  T.eq(r.stdout, "SandboxViolation\ncompleted\tfalse\n", "outside refused, beside the recipe allowed")
  T.ok(io.open(dir .. "/out/.atelier/journal.db"), "the journal lives in --out")
end, { timeout = 60 })

T.case("two runs through different paths to one journal cannot write it at once", function()
  local emu <close> = E.start{ ["time-scale"] = 0.2 }
  local ws = J.workspace([[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.2, concurrency = 4 }
local jobs = {}
for i = 1, 4 do jobs[i] = fashn.submit{ prompt = "look " .. i .. ", tweed", seed = 500 + i } end
for i, r in ipairs(fashn.gather(jobs, { raise = false })) do
  print(("look %d %s"):format(i, r.error and r.error.name or "done"))
end
]])
  -- a link to the journal's folder and one to the journal file itself
  os.execute("ln -s .atelier " .. T.shell_quote(ws.dir .. "/alias"))
  os.execute("ln -s .atelier/journal.db " .. T.shell_quote(ws.dir .. "/link.db"))
  local first = J.start(emu, ws)
  local _, ok = J.wait_journal(ws.journal, function(c) return c.submitted == 4 end, 60)
  T.ok(ok, "the first run holds the journal with 4 jobs in flight")
  for _, other in ipairs { ws.journal, ws.dir .. "/alias/journal.db", ws.dir .. "/link.db" } do
    local r = J.run(emu, ws, { args = { "--journal", other }, timeout = 60 })
    T.ok(r.code ~= 0, other .. ": the second run stops: " .. r.stdout)
    T.match(r.stderr, "is in use by another atelier run %(pid %d+%)", other)
    T.ok(not r.stdout:find("done"), other .. ": it bought nothing: " .. r.stdout)
  end
  T.eq(first:wait(60), 0, "the first run finishes")
  T.eq(emu:stats().run_accepted, 4, "each job bought once")
end, { timeout = 120 })

T.case("a sandboxed run keeps its journal in --out even when .atelier there is a planted link", function()
  local dir = T.tmpdir()
  os.execute("mkdir -p " .. T.shell_quote(dir .. "/out") .. " " .. T.shell_quote(dir .. "/elsewhere"))
  os.execute("ln -s " .. T.shell_quote(dir .. "/elsewhere") .. " " .. T.shell_quote(dir .. "/out/.atelier"))
  T.write_file(dir .. "/r.lua", [[
local fashn = require "fashn"
local ok, err = pcall(fashn.run, { prompt = "x" })
print(ok and "RAN" or tostring(err))
]])
  local r = T.run({ "timeout", "60", T.atelier, "--sandbox", "--max-credits", "10", "--out", dir .. "/out", dir .. "/r.lua" },
    { env = { ATELIER_EMU_TIME_SCALE = "0.01" } })
  T.match(r.stdout .. r.stderr, "%.atelier is a symbolic link", r.stdout .. r.stderr)
  local p = io.popen("ls -A " .. T.shell_quote(dir .. "/elsewhere"))
  T.eq(p:read("a"), "", "nothing was written where the link points")
  p:close()
end, { timeout = 60 })
