-- sdk.lua — the official TypeScript SDK (npm `fashn`), which `make deps` installs from
-- tests/npm, for the tests and benchmarks that use it as an outside client of fashn-emu.
-- Without it (no node/npm, or the registry was unreachable) the callers skip, saying why.
local npm = require "npmdeps"

local M = {}

M.VERSION = npm.pinned("fashn") -- the version the conformance test checks and the bench measures

--- The node_modules directory holding fashn@VERSION; or nil and why it is not there.
function M.install() return npm.modules("fashn") end

return M
