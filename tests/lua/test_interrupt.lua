-- test_interrupt.lua — Ctrl-C: the first one asks the run to stop submitting and lets
-- what is in flight finish (the script sees atelier.interrupted()), the second quits at
-- once; both exit 130 and say so on stderr.
local T = require "testing"
local proc = require "proc"

local WAITER = [[
local atelier = require "atelier"
print("ready") io.stdout:flush()
while not atelier.interrupted() do atelier.sleep(0.01) end
print("stopping") io.stdout:flush()
atelier.sleep(0.1) -- work in flight still finishes
print("finished")
]]

T.case("the first Ctrl-C lets the run finish what it is doing and exits 130", function()
  local p = proc.spawn({ T.atelier, "-e", WAITER })
  T.ok(p:wait_output("ready", 10), "the script started")
  p:kill("INT")
  T.eq(p:wait(10), 130, "exit status")
  T.eq(p:stdout(), "ready\nstopping\nfinished\n")
  T.match(p:stderr(), "interrupted: submitting nothing more; jobs in flight will finish and be saved")
end)

T.case("the second Ctrl-C quits at once", function()
  local p = proc.spawn({ T.atelier, "-e", "print('ready') io.stdout:flush() require('atelier').sleep(60)" })
  T.ok(p:wait_output("ready", 10), "the script started")
  p:kill("INT")
  T.ok(p:wait_output("interrupted:", 10, "stderr"), "the first was acted upon")
  p:kill("INT")
  T.eq(p:wait(10), 130, "exit status (a 60 s sleep was cut short)")
  T.match(p:stderr(), "interrupted again: quitting now")
end)

T.case("atelier.interrupted() is false in a run nobody interrupted", function()
  local r = T.run({ T.atelier, "-e", "print(require('atelier').interrupted())" })
  T.eq(r.code, 0)
  T.eq(r.stdout, "false\n")
end)
