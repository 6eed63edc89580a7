-- test_emu_sdk.lua — conformance with the official TypeScript SDK (npm `fashn`): its own
-- client code, pointed at fashn-emu through FASHN_BASE_URL, must not tell the emulator
-- from the service. `make deps` installs the SDK from tests/npm (pinned, with
-- its lockfile); the checks are skipped, saying why, only when it could not (no node/npm,
-- or the registry could not be reached). Each check of sdk/conformance.js is one case here.
local T = require "testing"
local E = require "emu"

-- A pinned version so a new SDK release cannot silently change what this test means;
-- raise it in tests/npm/package.json on purpose (and read its protocol code again) when
-- the SDK moves.
local SDK = require "sdk"
local SDK_VERSION = SDK.VERSION
local CHECKS = {
  "subscribe completes with the default 1 s polling",
  "the output URL downloads as a PNG of the contract size",
  "creditsUsed comes from x-fashn-credits-used: num_images x 1, x 4 with face_reference",
  "run then status: an opaque id, then the status body",
  "return_base64 outputs are data URIs",
  "bad inputs are 400 BadRequestError naming the field",
  "a wrong key is 401 AuthenticationError",
  "an unknown id is 404 NotFoundError",
  "a failed prediction comes back from subscribe with its error",
  "429 RateLimitExceeded reaches the SDK as RateLimitError with Retry-After",
  "every model SDK 0.11.1 types runs through subscribe with its price and output",
  "the models' own failures come back from subscribe: PoseError, InputValidationError",
  "a retired model is 400 BadRequestError saying what replaces it",
}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "tests/integration"
local results -- check name -> "ok" | failure text; or { skip = reason }

local install_sdk = SDK.install

local function run_all()
  local modules, why = install_sdk()
  if not modules then return { skip = why } end
  local key = "sk-emu-conformance"
  local main <close> = E.start{ ["api-key"] = key, ["time-scale"] = 0.01 }
  local failing <close> = E.start{ ["time-scale"] = 0.01, ["fail-rate"] = 1, ["fail-names"] = "ThirdPartyError" }
  local limited <close> = E.start{ ["run-limit"] = 1 }
  local r = T.run({ "node", here .. "/sdk/conformance.js" }, { env = {
    NODE_PATH = modules, FASHN_BASE_URL = main.url, FASHN_API_KEY = key, EMU_KEY = key,
    EMU_FAIL_URL = failing.url, EMU_LIMITED_URL = limited.url } })
  local out = {}
  for line in r.stdout:gmatch("[^\n]+") do
    local name = line:match("^ok (.*)$")
    if name then out[name] = "ok"
    else
      local fname, why = line:match("^FAIL (.-): (.*)$")
      if fname then out[fname] = why end
    end
  end
  out["(exit)"] = r.code == 0 and "ok" or ("node exited " .. tostring(r.code) .. ": " .. r.stderr:sub(1, 500))
  return out
end

for _, name in ipairs(CHECKS) do
  T.case("official SDK: " .. name, function()
    results = results or run_all()
    if results.skip then T.skip(results.skip) end
    T.eq(results["(exit)"], "ok", "the conformance script ran")
    T.eq(results[name], "ok", name)
  end, { timeout = 360 })
end
