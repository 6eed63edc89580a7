-- test_emu_cli.lua — bin/fashn-emu as a command: --help lists every flag, bad flags are
-- usage errors naming the flag, it listens on 127.0.0.1 only, stops cleanly on signals.
local T = require "testing"
local E = require "emu"

T.case("--help lists every flag", function()
  local r = T.run{ T.emu_bin, "--help" }
  T.eq(r.code, 0)
  for _, flag in ipairs{ "port", "api-key", "time-scale", "credits", "run-limit", "run-window", "status-limit",
    "status-window", "credits-limit", "credits-window", "concurrency-limit", "base64-ttl", "retention", "max-body",
    "render-threads", "verbose", "fault-seed", "fail-rate", "fail-names", "http-500-rate", "drop-rate", "slow-ms",
    "malformed-rate", "stuck-rate", "truncate-rate", "fault-endpoints", "exit-with-parent", "help" } do
    T.ok(r.stdout:find("--" .. flag .. " ", 1, true), "--help mentions --" .. flag)
  end
end)

T.case("bad flags and values exit 2 with a message naming the flag", function()
  for _, argv in ipairs{ { "--bogus" }, { "--time-scale", "fast" }, { "--drop-rate", "2" }, { "--port" },
    { "--fault-endpoints", "run,nowhere" }, { "positional" } } do
    local cmd = { T.emu_bin, table.unpack(argv) }
    local r = T.run(cmd)
    T.eq(r.code, 2, table.concat(argv, " ") .. ": " .. r.stderr)
    T.eq(r.stdout, "", "nothing on stdout")
    T.ok(r.stderr:find(argv[1], 1, true), "names " .. argv[1] .. ": " .. r.stderr)
  end
end)

T.case("it listens on 127.0.0.1 only", function()
  local emu <close> = E.start{}
  local hexport = string.format(":%04X ", emu.port)
  local found
  for line in io.lines("/proc/net/tcp") do
    local addr, state = line:match("^%s*%d+: (%x+:%x+) %x+:%x+ (%x%x)")
    if addr and addr:find(hexport:sub(1, -2) .. "$") and state == "0A" then found = addr end
  end
  T.eq(found, "0100007F" .. hexport:sub(1, -2), "the listening socket's address")
  for line in io.lines("/proc/net/tcp6") do
    T.ok(not line:find(hexport, 1, true) or not line:find(" 0A ", 1, true), "not listening on IPv6")
  end
end)

T.case("SIGTERM and SIGINT stop it cleanly, exit status 0", function()
  local a = E.start{}
  T.ok(a:stop(), "SIGTERM: exit 0")
  local b = E.start{}
  os.execute("kill -INT " .. b.pid)
  local ok, how, code = b.pipe:close()
  b.pipe = nil
  T.ok(ok, "SIGINT: exit 0 (" .. tostring(how) .. " " .. tostring(code) .. ")")
end)

T.case("a port already in use is an error on stderr, exit 1", function()
  local emu <close> = E.start{}
  local r = T.run{ T.emu_bin, "--port", tostring(emu.port) }
  T.eq(r.code, 1)
  T.eq(r.stdout, "")
  T.match(r.stderr, "127%.0%.0%.1:" .. emu.port)
end)

T.case("--verbose logs one line per request on stderr", function()
  local emu <close> = E.start{ verbose = true }
  emu:credits()
  emu:status("nope")
  local log = emu:stderr()
  T.match(log, "GET /v1/credits %-> 200")
  T.match(log, "GET /v1/status/nope %-> 404")
end)
