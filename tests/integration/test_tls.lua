-- test_tls.lua — TLS is always verified. fashn-emu serves HTTPS with a certificate from a
-- throwaway CA made here (certtool, gnutls-bin; no network): atelier refuses it while it
-- does not trust that CA — a TLSError naming the certificate problem, nothing submitted,
-- no retry over plain HTTP — and accepts it once given the CA with --cacert FILE or
-- fashn.configure{cacert = FILE}; a certificate for another host name is refused even
-- then.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

local function certtool(args)
  local argv = { "certtool" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local r = T.run(argv)
  if r.code ~= 0 then error("certtool " .. table.concat(args, " ") .. " failed: " .. r.stderr, 2) end
end

-- A CA and a server certificate signed by it, for the given host names; returns paths.
local function make_pki(names)
  local dir = T.tmpdir()
  local p = { ca = dir .. "/ca.pem", ca_key = dir .. "/ca.key", cert = dir .. "/server.pem", key = dir .. "/server.key" }
  T.write_file(dir .. "/ca.tmpl", 'cn = "atelier test CA"\nca\ncert_signing_key\nexpiration_days = 2\n')
  local lines = { 'cn = "' .. names[1] .. '"', "tls_www_server", "signing_key", "encryption_key", "expiration_days = 2" }
  for _, n in ipairs(names) do
    lines[#lines + 1] = (n:match("^[%d.]+$") and "ip_address" or "dns_name") .. ' = "' .. n .. '"'
  end
  T.write_file(dir .. "/server.tmpl", table.concat(lines, "\n") .. "\n")
  certtool { "--generate-privkey", "--key-type=ecdsa", "--outfile", p.ca_key }
  certtool { "--generate-self-signed", "--load-privkey", p.ca_key, "--template", dir .. "/ca.tmpl", "--outfile", p.ca }
  certtool { "--generate-privkey", "--key-type=ecdsa", "--outfile", p.key }
  certtool { "--generate-certificate", "--load-privkey", p.key, "--load-ca-certificate", p.ca, "--load-ca-privkey",
    p.ca_key, "--template", dir .. "/server.tmpl", "--outfile", p.cert }
  return p
end

local function start(pki)
  local emu = E.start{ ["time-scale"] = 0.02, ["tls-cert"] = pki.cert, ["tls-key"] = pki.key }
  emu.cacert = pki.ca -- for the test's own requests (emu:stats)
  return emu
end

local JOB = [[
local r = fashn.run({ prompt = "tls check", seed = 3 }, { raise = false })
emit{ status = r.status, name = r.error and r.error.name, message = r.error and r.error.message,
  width = r.images[1] and r.images[1].width, stats = fashn.stats() }
]]

T.case("fashn-emu serves HTTPS with --tls-cert and --tls-key", function()
  local pki = make_pki { "127.0.0.1", "localhost" }
  local emu <close> = start(pki)
  T.match(emu.url, "^https://127%.0%.0%.1:%d+$", "the listening line says https")
  T.eq(emu:stats().run_accepted, 0, "answers over TLS when its CA is trusted")
  local plain = emu:request("GET", "/_emu/stats", { url = emu.url:gsub("^https", "http") .. "/_emu/stats", key = false })
  T.ok(plain.status ~= 200, "no plain HTTP on the TLS port")
end)

T.case("an untrusted certificate is refused with a TLSError naming it; nothing is submitted", function()
  local pki = make_pki { "127.0.0.1", "localhost" }
  local emu <close> = start(pki)
  local r = R.run(emu, JOB, { args = { "-q" } })
  R.check_exit(r)
  local ev = r.events[1]
  T.eq(ev.status, "failed")
  T.eq(ev.name, "TLSError")
  T.match(ev.message, "certificate", "names the certificate problem")
  T.match(ev.message, "nothing was submitted")
  T.match(ev.message, "%-%-cacert", "says what would fix it")
  T.eq(ev.stats.run_requests, 1, "one attempt: a certificate does not get better by retrying")
  local s = emu:stats()
  T.eq(s.run_accepted, 0, "nothing created")
  T.eq(s.run_refused, {}, "no request reached the API at all")
end)

T.case("--cacert FILE trusts the CA: the job completes and its output downloads over HTTPS", function()
  local pki = make_pki { "127.0.0.1", "localhost" }
  local emu <close> = start(pki)
  local r = R.run(emu, JOB, { args = { "-q", "--cacert", pki.ca } })
  R.check_exit(r)
  T.eq(r.events[1].status, "completed", tostring(r.events[1].message))
  T.eq(r.events[1].width, 1024)
  local s = emu:stats()
  T.eq(s.run_accepted, 1)
  T.eq(s.downloads, 1, "the output came from the HTTPS CDN URL")
end)

T.case("fashn.configure{cacert = FILE} does the same; a missing file is a ConfigurationError", function()
  local pki = make_pki { "127.0.0.1", "localhost" }
  local emu <close> = start(pki)
  local r = R.run(emu, JOB, { configure = string.format("cacert = %q", pki.ca), args = { "-q" } })
  R.check_exit(r)
  T.eq(r.events[1].status, "completed", tostring(r.events[1].message))
  local bad = R.run(emu, [[
    local ok, e = pcall(fashn.run, { prompt = "x" })
    emit{ ok = ok, e = errinfo(e) }
  ]], { args = { "-q", "--cacert", "/nonexistent/ca.pem" } })
  R.check_exit(bad)
  T.eq(bad.events[1].ok, false)
  T.eq(bad.events[1].e.name, "ConfigurationError")
  T.match(bad.events[1].e.message, "/nonexistent/ca%.pem")
  T.eq(emu:stats().run_accepted, 1, "only the good run submitted")
end)

T.case("a certificate for another host name is refused even with its CA trusted", function()
  local pki = make_pki { "api.example.invalid" }
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["tls-cert"] = pki.cert, ["tls-key"] = pki.key }
  local r = R.run(emu, JOB, { args = { "-q", "--cacert", pki.ca } })
  R.check_exit(r)
  T.eq(r.events[1].name, "TLSError")
  T.match(r.events[1].message, "127%.0%.0%.1", "names the host it expected")
end)

T.case("plain http is refused for any host but loopback (no downgrade to http either)", function()
  local r = R.run(nil, JOB, { url = "http://api.example.invalid", key = "k", args = { "-q" } })
  T.eq(r.code, 1, "a configuration error ends the run")
  T.match(r.stderr, "plain http is only allowed to a loopback address")
end)

T.case("plain http to a host that only looks like loopback is refused before any connection", function()
  -- Loopback is an IP literal in 127.0.0.0/8 (four decimal octets), [::1] or localhost;
  -- these are DNS names or odd spellings. No DNS is needed: the refusal comes first, so the
  -- key never travels in clear text to whoever answers for 127.0.0.1.nip.io.
  for _, url in ipairs{ "http://127.0.0.1.nip.io:1/", "http://127.evil.example:1/", "http://0x7f.1:1/",
    "http://2130706433:1/", "http://127.1:1/", "http://[::ffff:127.0.0.1]:1/", "http://localhost.evil:1/",
    "http://127.0.0.1@evil.example:1/" } do
    local r = R.run(nil, JOB, { url = false, key = "k", args = { "-q" }, env = { FASHN_BASE_URL = url } })
    T.eq(r.code, 1, url .. ": a configuration error ends the run")
    T.match(r.stderr, "bad API base URL: plain http is only allowed to a loopback address", url)
    T.ok(not r.stderr:find("resolve", 1, true), url .. ": no name lookup was tried")
  end
end)
