-- test_journal_store.lua — the journal's image store: a stored image is verified by
-- its hash whenever it is reused; a missing or damaged one means the job is not really
-- done, and is fetched again by prediction id while the API keeps it, or bought again
-- once it does not. Base64 outputs are stored as they arrive, so they outlive the 60
-- minutes the API serves them.
local T = require "testing"
local E = require "emu"
local J = require "journal_run"

local RECIPE = [[
local fashn = require "fashn"
fashn.configure{ time_scale = 0.05 }
local r = fashn.run{ prompt = "trench coat, rain", seed = 21, num_images = 2,
  return_base64 = os.getenv("BASE64") ~= nil }
for i, img in ipairs(r.images) do img:save(("out/%d.png"):format(i)) end
print(("%s cached=%s images=%d w=%d"):format(r.id, tostring(r.cached), #r.images, r.images[2].width))
]]

local function damage(ws, how)
  local objects = J.objects(ws)
  T.eq(#objects, 2, "two stored images")
  local path = ws.dir .. "/.atelier/objects/" .. objects[2]
  if how == "remove" then
    os.remove(path)
  else
    local f = assert(io.open(path, "r+b"))
    f:seek("set", 100)
    f:write("\0\0\0\0")
    f:close()
  end
  return path
end

T.case("a corrupt stored image is noticed and fetched again by prediction id, not bought again", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05 }
  local ws = J.workspace(RECIPE)
  local r = J.run(emu, ws)
  J.check(r, 0, "first run")
  local id = r.stdout:match("^(%S+) cached=false images=2")
  T.ok(id, "first run bought the job: " .. r.stdout)
  local downloads = emu:stats().downloads
  local path = damage(ws, "corrupt")

  r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.match(r.stderr, "stored output 2 is corrupt", "says which image is damaged")
  T.match(r.stderr, "the job is not really done; fetching its outputs again by prediction id " .. id:gsub("%-", "%%-"),
    "and what it does about it")
  T.match(r.stdout, "^" .. id:gsub("%-", "%%-") .. " cached=false images=2 w=1024", "the same prediction's images")
  local s = emu:stats()
  T.eq(s.run_accepted, 1, "nothing bought again")
  T.eq(s.downloads, downloads + 2, "the outputs downloaded again")
  T.ok(require("image").load(path), "the stored file is whole again")

  r = J.run(emu, ws)
  J.check(r, 0, "third run")
  T.match(r.stdout, "cached=true", "served from the store again")
  T.eq(emu:stats().downloads, downloads + 2, "no download")
end, { timeout = 60 })

T.case("a lost image whose prediction the API no longer keeps is bought again, saying so", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05, retention = 1 }
  local ws = J.workspace(RECIPE)
  J.check(J.run(emu, ws), 0, "first run")
  damage(ws, "remove")
  require("atelier").sleep(1.5) -- the emulator forgets the prediction after 1 s
  local r = J.run(emu, ws)
  J.check(r, 0, "rerun")
  T.match(r.stderr, "stored output 2 is missing", "says which image is lost")
  T.match(r.stderr, "were lost and the API no longer knows it; submitting it again", "says it buys it again")
  T.match(r.stdout, "cached=false images=2", "the job is complete again")
  T.eq(emu:stats().run_accepted, 2, "bought a second time: the only way to get the image back")
  T.eq(#J.objects(ws), 2, "both images stored")
end, { timeout = 60 })

T.case("base64 outputs are stored as they arrive and served after the API has let them expire", function()
  local emu <close> = E.start{ ["time-scale"] = 0.05, ["base64-ttl"] = 1 }
  local ws = J.workspace(RECIPE)
  local r = J.run(emu, ws, { env = { BASE64 = "1" } })
  J.check(r, 0, "first run")
  local first = emu:stats()
  T.eq(first.downloads, 0, "base64: nothing to download")
  require("atelier").sleep(1.5) -- the emulator now answers "<base64>_expired"
  r = J.run(emu, ws, { env = { BASE64 = "1" } })
  J.check(r, 0, "rerun after expiry")
  T.match(r.stdout, "cached=true images=2", "the expired outputs come from the store")
  local s = emu:stats()
  T.eq({ s.run_accepted, s.status_requests }, { 1, first.status_requests }, "no request at all for them")

  damage(ws, "remove")
  r = J.run(emu, ws, { env = { BASE64 = "1" } })
  J.check(r, 0, "rerun with a stored image lost")
  T.match(r.stderr, "base64 outputs have expired at the API; submitting it again", "bought again, saying why")
  T.eq(emu:stats().run_accepted, 2, "once more")
end, { timeout = 60 })
