-- test_fashn_api.lua — the parts of the fashn module that need no server: input checks
-- and their error tables, costs, configure's own checks, the settings it keeps.
local T = require "testing"
local fashn = require "fashn"

T.case("check raises an InvalidInput error table naming the field; tostring reads well", function()
  local err = T.raises(function() fashn.check{ prompt = "x", num_images = 9 } end, "InvalidInput")
  T.eq(err.field, "num_images")
  T.eq(err.retryable, false)
  T.match(err.message, "^num_images: must be an integer from 1 to 4, got 9")
  T.match(tostring(err), "test_fashn_api%.lua:%d+: InvalidInput: num_images:", "where + name + message")
end)

T.case("cost is num_images x (4 with a face reference, else 1), also over a list", function()
  T.eq(fashn.cost{ prompt = "x" }, 1)
  T.eq(fashn.cost{ prompt = "x", num_images = 4, face_reference = "https://example.invalid/f.png" }, 16)
  T.eq(fashn.cost{ { prompt = "a", num_images = 2 }, { prompt = "b" } }, 3)
  T.raises(function() fashn.cost{ { prompt = "a" }, { seed = 1 } } end, "InvalidInput")
end)

T.case("integral floats are integers; other numbers keep their value", function()
  T.eq(fashn.check{ prompt = "x", seed = 7.0, num_images = 2.0 }, true)
  T.raises(function() fashn.check{ prompt = "x", seed = 7.25 } end, "InvalidInput")
end)

T.case("configure checks its settings and keeps them", function()
  T.raises(function() fashn.configure{ concurrency = 0 } end, "fashn.configure: concurrency: expected an integer from 1 to 64, got 0")
  T.raises(function() fashn.configure{ concurency = 3 } end, "fashn.configure: unknown option 'concurency'")
  T.raises(function() fashn.configure{ poll = { rat = 1 } } end, "fashn.configure: poll: unknown option 'rat'")
  T.raises(function() fashn.configure{ poll = 3 } end, "poll: expected a table")
  fashn.configure{ concurrency = 4, timeout = 120, poll = { rate = 3, min_interval = 0.2 }, retry_unknown = true }
  local s = fashn.settings()
  T.eq({ s.concurrency, s.timeout, s.poll.rate, s.poll.min_interval, s.retry_unknown },
    { 4, 120, 3, 0.2, true })
  T.eq(s.api_key, nil, "the key is never readable")
  fashn.configure{ concurrency = 6, timeout = 900, poll = { rate = 4.5, min_interval = 0.1 }, retry_unknown = false }
end)

T.case("the defaults keep the contract's limits with a margin", function()
  local s = fashn.settings()
  T.eq(s.concurrency, 6)
  T.ok(s.poll.limit >= 1 and s.poll.limit < 50 and s.poll.window >= 10, "under 50 status requests per 10 s")
  T.ok(s.poll.rate > 0 and s.poll.rate * 10 < 50, "a steady rate under the limit (and polling at all)")
  T.ok(s.run.limit >= 1 and s.run.limit < 50 and s.run.window >= 60, "under 50 submits per minute")
  T.eq(s.max_credits, -1, "no cap unless asked")
end)

T.case("stats before any job: all zero, nothing leaked", function()
  local st = fashn.stats()
  T.eq({ st.jobs, st.run_requests, st.status_requests, st.live_requests }, { 0, 0, 0, 0 })
end)

T.case("a FIFO or a device as face_reference is refused at once, with and without --dry-run", function()
  local dir = T.tmpdir()
  os.execute("mkfifo " .. T.shell_quote(dir .. "/fifo"))
  T.write_file(dir .. "/r.lua", [[
    local fashn = require 'fashn'
    fashn.configure{ base_url = 'http://127.0.0.1:9' } -- nothing listens; nothing may be sent anyway
    for _, p in ipairs { arg[1], '/dev/zero' } do
      local ok, err = pcall(fashn.submit, { prompt = 'x', face_reference = p })
      print(ok and 'SUBMITTED' or (err.name .. ': ' .. err.message))
    end
  ]])
  for _, mode in ipairs { {}, { "--dry-run" } } do
    local argv = { "timeout", "20", T.atelier }
    for _, a in ipairs(mode) do argv[#argv + 1] = a end
    argv[#argv + 1] = dir .. "/r.lua"
    argv[#argv + 1] = dir .. "/fifo"
    local r = T.run(argv, { env = { FASHN_API_KEY = "test-key" } })
    local what = table.concat(mode, " ")
    T.eq(r.code, 0, what .. " finished: " .. r.stderr)
    T.match(r.stdout, "^InvalidInput: face_reference: [^\n]*fifo[^\n]* not a regular file\n", what .. ": " .. r.stdout)
    T.match(r.stdout, "\nInvalidInput: face_reference: [^\n]*/dev/zero[^\n]* not a regular file\n$", what .. ": " .. r.stdout)
  end
end)
