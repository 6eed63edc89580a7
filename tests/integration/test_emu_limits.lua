-- test_emu_limits.lua — fashn-emu enforces the contract's limits with their 429 names:
-- the three rate limits (contract values by default, configurable), the concurrency
-- limit, the credit balance; oversized bodies get 500 like the service.
local T = require "testing"
local E = require "emu"
local atelier = require "atelier"

local function limited(r, name)
  T.eq(r.status, 429, r.body)
  T.eq(r.json.error, name)
  local ra = tonumber(r.headers["retry-after"])
  T.ok(ra and ra >= 1 and math.type(ra) == "integer", "Retry-After in whole seconds: " .. tostring(r.headers["retry-after"]))
  return ra
end

T.case("default limits: 50 runs per 60 s, 50 status polls and 30 credit reads per 10 s", function()
  local emu <close> = E.start{ ["time-scale"] = 0.001, ["concurrency-limit"] = 0 }
  for i = 1, 50 do T.eq(emu:run{ prompt = "r" .. i }.status, 200, "run " .. i) end
  local ra = limited(emu:run{ prompt = "one too many" }, "RateLimitExceeded")
  T.ok(ra <= 60, "waits at most the window: " .. ra)
  for i = 1, 50 do T.eq(emu:status("nope").status, 404, "poll " .. i) end
  limited(emu:status("nope"), "RateLimitExceeded")
  for i = 1, 30 do T.eq(emu:credits().status, 200, "credits " .. i) end
  limited(emu:credits(), "RateLimitExceeded")
  local st = emu:stats()
  T.eq(st.run_accepted, 50)
  T.eq(st.run_refused.RateLimitExceeded, 1)
  T.eq(st.rate_limited, { run = 1, status = 1, credits = 1 })
end, { timeout = 120 })

T.case("rate windows slide: a refused endpoint is admitted again once the window passes", function()
  local emu <close> = E.start{ ["time-scale"] = 0.001, ["concurrency-limit"] = 0, ["run-limit"] = 2,
    ["run-window"] = 1.5, ["credits-limit"] = 1, ["credits-window"] = 1.5 }
  T.eq(emu:run{ prompt = "a" }.status, 200)
  T.eq(emu:run{ prompt = "b" }.status, 200)
  limited(emu:run{ prompt = "c" }, "RateLimitExceeded")
  T.eq(emu:credits().status, 200)
  limited(emu:credits(), "RateLimitExceeded")
  T.eq(emu:status("unknown").status, 404, "the status window is separate")
  atelier.sleep(1.6)
  T.eq(emu:run{ prompt = "c" }.status, 200)
  T.eq(emu:credits().status, 200)
end)

T.case("refused requests (401) do not use up the window; 400s do", function()
  local emu <close> = E.start{ ["run-limit"] = 2, ["api-key"] = "k" }
  for _ = 1, 5 do T.eq(emu:run({ prompt = "x" }, { key = "wrong" }).status, 401) end
  T.eq(emu:run{ prompt = "" }.status, 400)
  T.eq(emu:run{ prompt = "ok" }.status, 200)
  limited(emu:run{ prompt = "ok" }, "RateLimitExceeded")
end)

T.case("at most 6 unfinished predictions by default: the 7th is ConcurrencyLimitExceeded", function()
  local emu <close> = E.start{ ["time-scale"] = 100 }
  for i = 1, 6 do T.eq(emu:run{ prompt = "p" .. i }.status, 200, "run " .. i) end
  limited(emu:run{ prompt = "seventh" }, "ConcurrencyLimitExceeded")
  local st = emu:stats()
  T.eq(st.peak_concurrency, 6)
  T.eq(st.unfinished, 6)
  T.eq(st.run_refused.ConcurrencyLimitExceeded, 1)
  T.eq(emu:credits().json.credits.total, 100000 - 6, "the refused one is not charged")
end)

T.case("a slot frees when a prediction finishes", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02, ["concurrency-limit"] = 1, ["status-limit"] = 0 }
  local first = emu:run{ prompt = "first" }
  T.eq(first.status, 200)
  limited(emu:run{ prompt = "second" }, "ConcurrencyLimitExceeded")
  emu:wait(first.json.id)
  T.eq(emu:run{ prompt = "second" }.status, 200)
  T.eq(emu:stats().peak_concurrency, 1)
end)

T.case("OutOfCredits when the balance cannot pay for the request, whatever is left", function()
  local emu <close> = E.start{ ["time-scale"] = 0.001, credits = 5, ["status-limit"] = 0 }
  local r = emu:run{ prompt = "four", num_images = 4 }
  T.eq(r.status, 200)
  local over = emu:run{ prompt = "two more", num_images = 2 }
  T.eq(over.status, 429)
  T.eq(over.json.error, "OutOfCredits")
  T.eq(emu:run{ prompt = "one more" }.status, 200)
  T.eq(emu:credits().json.credits.total, 0)
  T.eq(emu:run{ prompt = "none left" }.json.error, "OutOfCredits")
  local st = emu:stats()
  T.eq(st.run_refused.OutOfCredits, 2)
end)

T.case("a failed prediction costs nothing", function()
  local emu <close> = E.start{ ["time-scale"] = 0.001, credits = 4, ["fail-rate"] = 1, ["status-limit"] = 0 }
  local final = emu:wait(emu:run{ prompt = "doomed", num_images = 4 }.json.id)
  T.eq(final.json.status, "failed")
  T.eq(final.headers["x-fashn-credits-used"], nil)
  T.eq(emu:credits().json.credits.total, 4)
  local st = emu:stats()
  T.eq(st.credits_charged, 0)
  T.eq(st.credits_refunded, 4)
  T.eq(st.predictions, { failed = 1 })
end)

T.case("a body over --max-body is 500 InternalServerError and creates nothing", function()
  local emu <close> = E.start{ ["max-body"] = 4096 }
  local r = emu:run{ prompt = string.rep("long prompt ", 1000) }
  T.eq(r.status, 500)
  T.eq(r.json.error, "InternalServerError")
  T.eq(emu:run{ prompt = string.rep("p", 3000) }.status, 200, "just under the limit")
  local st = emu:stats()
  T.eq(st.run_accepted, 1)
  T.eq(st.run_refused.InternalServerError, 1)
end)

T.case("a huge base64 face_reference body is refused with 500 by default (16 MiB)", function()
  local emu <close> = E.start{}
  local big = "data:image/png;base64," .. string.rep("A", 17 * 1024 * 1024)
  local r = emu:run{ prompt = "x", face_reference = big }
  T.eq(r.status, 500)
  T.eq(r.json.error, "InternalServerError")
end)
