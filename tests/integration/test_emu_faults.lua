-- test_emu_faults.lua — fashn-emu's fault injection: every fault the real service (or the
-- network in front of it) can produce, on demand, reproducible with --fault-seed, and
-- counted in /_emu/stats so a client test can prove what it survived.
local T = require "testing"
local E = require "emu"
local atelier = require "atelier"
local cjson = require "cjson"

local function fast(extra)
  local f = { ["time-scale"] = 0.001, ["run-limit"] = 0, ["status-limit"] = 0, ["credits-limit"] = 0,
    ["concurrency-limit"] = 0 }
  for k, v in pairs(extra or {}) do f[k] = v end
  return E.start(f)
end

T.case("--drop-rate closes connections without an answer", function()
  local emu <close> = fast{ ["drop-rate"] = 1, ["fault-endpoints"] = "credits" }
  for _ = 1, 4 do
    local r = emu:credits()
    T.eq(r.status, nil, "no HTTP answer")
    T.eq(r.curl_exit, 52, "curl: empty reply from server")
  end
  local st = emu:stats() -- /_emu/stats is never faulted
  T.eq((st.faults.drop_before or 0) + (st.faults.drop_after or 0), 4)
end)

T.case("a run dropped after its body was read still creates and charges the prediction", function()
  local emu <close> = fast{ ["drop-rate"] = 1, ["fault-endpoints"] = "run", ["fault-seed"] = 7, credits = 100 }
  for i = 1, 12 do T.eq(emu:run{ prompt = "lost answer " .. i }.status, nil, "run " .. i .. " unanswered") end
  local st = emu:stats()
  local before, after = st.faults.drop_before or 0, st.faults.drop_after or 0
  T.eq(before + after, 12)
  T.ok(before > 0 and after > 0, "both kinds with this seed: " .. before .. " before, " .. after .. " after")
  T.eq(st.run_accepted, after, "only the dropped-after ones exist")
  for _ = 1, 500 do
    if emu:stats().unfinished == 0 then break end
    atelier.sleep(0.01)
  end
  st = emu:stats()
  T.eq(st.predictions.completed, after, "and they complete")
  T.eq(st.credits_charged, after)
  T.eq(st.credits_balance, 100 - after)
end)

T.case("--http-500-rate answers 500 JSON or 503 HTML and creates nothing", function()
  local emu <close> = fast{ ["http-500-rate"] = 1, ["fault-seed"] = 3 }
  local codes = {}
  for i = 1, 10 do
    local r = emu:run{ prompt = "x" .. i }
    codes[r.status] = (codes[r.status] or 0) + 1
    if r.status == 500 then
      T.eq(r.json.error, "InternalServerError")
    else
      T.eq(r.status, 503)
      T.eq(r.headers["content-type"], "text/html")
    end
  end
  T.ok(codes[500] and codes[503], "both with this seed")
  local st = emu:stats()
  T.eq(st.run_accepted, 0)
  T.eq(st.faults.http_500 + st.faults.http_503, 10)
  T.eq(st.run_refused.InternalServerError + st.run_refused.ServiceUnavailable, 10)
end)

T.case("--fault-endpoints limits where faults happen", function()
  local emu <close> = fast{ ["http-500-rate"] = 1, ["fault-endpoints"] = "status" }
  local r = emu:run{ prompt = "fine" }
  T.eq(r.status, 200)
  T.ok(emu:status(r.json.id).status >= 500, "status polls fail")
  T.eq(emu:credits().status, 200)
end)

T.case("--malformed-rate garbles 200 JSON bodies", function()
  local emu <close> = fast{ ["malformed-rate"] = 1, ["fault-endpoints"] = "credits,status" }
  for _ = 1, 6 do
    local r = emu:credits()
    T.eq(r.status, 200)
    T.eq(r.json, nil, "not JSON: " .. r.body)
    T.eq(tonumber(r.headers["content-length"]), #r.body, "but a complete HTTP answer")
  end
  local st = emu:stats()
  T.eq(st.faults.malformed, 6)
  T.eq(emu:run{ prompt = "runs are fine" }.status, 200)
end)

T.case("--slow-ms delays every answer", function()
  local emu <close> = fast{ ["slow-ms"] = 300, ["fault-endpoints"] = "credits" }
  local t0 = atelier.now()
  T.eq(emu:credits().status, 200)
  T.ok(atelier.now() - t0 >= 0.3, "took at least 0.3 s")
end)

T.case("--stuck-rate predictions never finish and keep their concurrency slot", function()
  local emu <close> = E.start{ ["time-scale"] = 0.001, ["stuck-rate"] = 1, ["concurrency-limit"] = 2,
    ["status-limit"] = 0 }
  local a, b = emu:run{ prompt = "a" }, emu:run{ prompt = "b" }
  atelier.sleep(0.3) -- 25x the scaled processing time
  T.eq(emu:status(a.json.id).json.status, "processing")
  T.eq(emu:status(b.json.id).json.status, "processing")
  T.eq(emu:run{ prompt = "c" }.json.error, "ConcurrencyLimitExceeded")
  T.eq(emu:stats().faults.stuck, 2)
end)

T.case("--fail-rate with --fail-names fails predictions with those names", function()
  local emu <close> = fast{ ["fail-rate"] = 1, ["fail-names"] = "ThirdPartyError,UnavailableError,PoseError",
    ["fault-seed"] = 12 }
  local names = {}
  for i = 1, 12 do
    local final = emu:wait(emu:run{ prompt = "f" .. i }.json.id)
    T.eq(final.json.status, "failed")
    T.eq(final.json.output, cjson.null)
    names[final.json.error.name] = true
    T.eq(type(final.json.error.message), "string")
  end
  T.eq(names, { ThirdPartyError = true, UnavailableError = true, PoseError = true })
end)

T.case("--truncate-rate cuts image downloads short of their Content-Length", function()
  local emu <close> = fast{ ["truncate-rate"] = 1 }
  local final = emu:wait(emu:run{ prompt = "cut" }.json.id)
  local d = emu:download(final.json.output[1])
  T.eq(d.status, 200)
  T.eq(d.curl_exit, 18, "curl: transfer closed with outstanding data")
  -- cut short, but not before the first byte: a cut download, not a refused one
  T.ok(#d.body > 0 and #d.body < tonumber(d.headers["content-length"]), #d.body .. " < " .. d.headers["content-length"])
  T.eq(emu:stats().faults.truncated, 1)
end)

-- The pattern of faults a sequence of requests meets, as a string.
local function pattern(seed)
  local emu <close> = fast{ ["http-500-rate"] = 0.5, ["fault-seed"] = seed, ["fault-endpoints"] = "credits" }
  local out = {}
  for i = 1, 24 do out[i] = emu:credits().status == 200 and "." or "x" end
  return table.concat(out)
end

T.case("the same --fault-seed and request order give the same faults", function()
  local a, b, c = pattern(5), pattern(5), pattern(6)
  T.eq(a, b, "same seed")
  T.ok(a ~= c, "another seed, another pattern: " .. a .. " vs " .. c)
  T.ok(a:find("x") and a:find("."), "a rate of 0.5 gives both: " .. a)
end)
