-- benchstats.lua — what the API-client benchmarks (tests/bench/bench_fashn*.lua) read off
-- fashn-emu and print: the server's side of a batch, and a table of failure counts as
-- one line.
local M = {}

--- What the server saw: status requests, every 429 it sent (run and status limits),
--- predictions accepted, the peak of unfinished ones, and each prediction by id.
function M.server_side(emu)
  local s = emu:stats()
  local n429 = 0
  for name, k in pairs(s.run_refused or {}) do
    if name == "RateLimitExceeded" or name == "ConcurrencyLimitExceeded" then n429 = n429 + k end
  end
  for _, k in pairs(s.rate_limited or {}) do n429 = n429 + k end
  local preds = {}
  for _, p in ipairs(emu:predictions()) do preds[p.id] = p end
  return { status = s.status_requests, n429 = n429, accepted = s.run_accepted, peak = s.peak_concurrency,
    preds = preds }
end

--- { name = count } as "a 2, b 1" (sorted), or "".
function M.why(t)
  local parts = {}
  for k, v in pairs(t or {}) do parts[#parts + 1] = k .. " " .. v end
  table.sort(parts)
  return table.concat(parts, ", ")
end

return M
