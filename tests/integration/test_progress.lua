-- test_progress.lua — what a run says about its jobs is true: on the embedded emulator
-- credits are "emulated", never "spent" (notice, per-job lines, summary, the journal's
-- closing line and --journal-report, which keeps real and emulated spending apart);
-- jobs served from the journal count as done; the live line (forced with
-- ATELIER_PROGRESS=live) is cleared before anything the recipe prints.
local T = require "testing"
local E = require "emu"
local J = require "journal_run"

local RECIPE = [[
local fashn = require "fashn"
local jobs = {}
for i = 1, 3 do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = 40 + i } end
fashn.gather(jobs)
print("gathered")
]]

-- Runs the recipe in ws on the embedded emulator (no key, a fast clock).
local function embedded(ws, env)
  local e = { ATELIER_EMU_TIME_SCALE = "0.05" }
  for k, v in pairs(env or {}) do e[k] = v end
  return T.run({ T.atelier, ws.recipe }, { cwd = ws.dir, env = e })
end

T.case("on the embedded emulator every line says emulated credits, never spent", function()
  local ws = J.workspace(RECIPE)
  local r = embedded(ws)
  T.eq(r.code, 0, r.stderr)
  T.match(r.stderr, "images are emulated, credits too %(nothing is charged%)")
  T.match(r.stderr, "completed [^\n]* 1 emulated credit %(1/3 done%)")
  T.match(r.stderr, "atelier: 3 jobs: 3 done, 0 failed, 3 emulated credits, ")
  T.ok(not r.stderr:find("spent", 1, true), "nothing is called spent:\n" .. r.stderr)
  -- again: the 3 come from the journal, count as done, and what they saved is emulated
  r = embedded(ws)
  T.eq(r.code, 0, r.stderr)
  T.match(r.stderr, "from the journal: [^\n]*, no credit %(3/3 done%)")
  T.match(r.stderr, "atelier: 3 jobs: 3 done %(3 from the journal%), 0 failed, 0 emulated credits, ")
  T.match(r.stderr, "journal: 3 jobs served from it, 3 emulated credits saved")
  T.ok(not r.stderr:find("spent", 1, true), "nothing is called spent:\n" .. r.stderr)
  local rep = J.report(ws.journal)
  T.match(rep.text, "credits spent: 0\n", "nothing real was spent")
  T.match(rep.text, "emulated credits %(the embedded emulator, nothing charged%): 3, 3 saved by reuse")
end, { timeout = 120 })

T.case("--journal-report keeps real and emulated spending apart", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05 }
  local ws = J.workspace(RECIPE)
  local real = J.run(emu, ws) -- a server by URL: its credits are real ones
  J.check(real, 0, "the run against a server")
  T.match(real.stderr, "atelier: 3 jobs: 3 done, 0 failed, 3 credits spent, ", "a server's credits are spent")
  local r = embedded(ws) -- same journal, the embedded emulator: other keys, emulated
  T.eq(r.code, 0, r.stderr)
  T.match(r.stderr, "3 emulated credits")
  local rep = J.report(ws.journal)
  T.match(rep.text, "credits spent: 3\n", "only the server's credits are spent: " .. rep.text)
  T.match(rep.text, "emulated credits %(the embedded emulator, nothing charged%): 3,", rep.text)
end, { timeout = 120 })

T.case("the live line is cleared before the recipe prints and drawn again after", function()
  local ws = J.workspace([[
    local fashn = require "fashn"
    local atelier = require "atelier"
    local jobs = {}
    for i = 1, 3 do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = 60 + i } end
    atelier.sleep(0.6)
    print("PRINTED")
    io.write("WRITTEN\n")
    fashn.gather(jobs)
  ]])
  -- stdout and stderr into one pipe, as on a terminal; the live line forced on
  local r = T.run({ "sh", "-c", "exec \"$0\" \"$1\" 2>&1", T.atelier, ws.recipe },
    { cwd = ws.dir, env = { ATELIER_EMU_TIME_SCALE = "0.2", ATELIER_PROGRESS = "live" } })
  T.eq(r.code, 0, r.stdout)
  local out = r.stdout
  T.match(out, "\r\27%[Katelier: queued %d+ · running %d+ · done %d+ · failed %d+ · emulated credits %d+ · ETA",
    "a live line was drawn")
  for _, word in ipairs { "PRINTED", "WRITTEN" } do
    local at = out:find(word, 1, true)
    T.ok(at, word .. " is in the output")
    T.eq(out:sub(at - 4, at - 1), "\r\27[K", word .. " starts on a cleared line: " .. T.describe(out:sub(at - 80, at + 20)))
    T.eq(out:sub(at + #word, at + #word + 3), "\n\r\27[", word .. " is followed by the live line drawn again")
  end
  T.ok(not out:find("\n[^\r\n]*· ETA[^\n]*PRINTED"), "no output shares a line with the live line")
end, { timeout = 120 })

T.case("an interrupted run says not submitted once per job, not also failed", function()
  local ws = J.workspace([[
    local fashn = require "fashn"
    fashn.configure{ concurrency = 2 }
    local jobs = {}
    for i = 1, 6 do jobs[i] = fashn.submit{ prompt = "look " .. i, seed = 80 + i } end
    require("atelier").sleep(0.3)
    print("ready")
    io.stdout:flush()
    fashn.gather(jobs, { raise = false })
  ]])
  local proc = require "proc"
  local p = proc.spawn({ T.atelier, ws.recipe }, { cwd = ws.dir, env = { ATELIER_EMU_TIME_SCALE = "0.3" } })
  T.ok(p:wait_output("ready", 30), "the jobs are queued")
  p:kill("INT")
  T.eq(p:wait(60), 130)
  local err = p:stderr()
  local function count(pat) local n = 0 for _ in err:gmatch(pat) do n = n + 1 end return n end
  T.eq(count("atelier: not submitted: the run was interrupted\n"), 4, err)
  T.eq(count("failed"), 1, "only the summary's '0 failed': " .. err)
  T.match(err, "atelier: 6 jobs: 2 done, 0 failed, 4 not submitted, 2 emulated credits, ")
end, { timeout = 120 })
