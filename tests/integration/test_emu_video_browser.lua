-- test_emu_video_browser.lua — fashn-emu's image-to-video clip plays in a browser, as a
-- studio puts it on a web page: Debian's chromium (driven by puppeteer-core from npm)
-- opens the clip at the emulator's CDN URL, shows a frame of the right size, plays it to
-- its end, and the frame it draws is the input's colour. Skipped, saying why, without
-- chromium, node or npm.
local T = require "testing"
local E = require "emu"
local image = require "image"
local pup = require "puppeteer"
local cjson = require "cjson"

-- What chromium makes of the video at url (tests/lib/video_check.js).
local function play(url)
  return cjson.decode(pup.run("video_check.js", url))
end

local GREEN = { 30, 170, 70, 255 }

T.case("chromium plays an image-to-video clip to its end, showing the input", function()
  local emu <close> = E.start { ["time-scale"] = 0.001, ["run-limit"] = 0, ["status-limit"] = 0 }
  local wide = image.new(600, 400, GREEN):data_uri { format = "png" }
  local r = emu:run({ image = wide, duration = 5, resolution = "480p" }, { model_name = "image-to-video" })
  T.eq(r.status, 200, r.body)
  local final = emu:wait(r.json.id, { timeout = 60 })
  T.eq(final.json.status, "completed", final.body)
  local v = play(final.json.output[1])
  T.eq(v.error, cjson.null, "no media error")
  T.ok(v.readyState >= 2, "a frame to show (readyState " .. tostring(v.readyState) .. ")")
  T.eq({ v.videoWidth, v.videoHeight }, { 480, 320 }, "3:2 at 480 px on the long side")
  T.near(v.duration, 2, 0.05, "2 s")
  T.eq(v.playError, nil, "play() was allowed")
  T.ok(v.ended, "played to `ended` (stopped at " .. tostring(v.currentTime) .. " s)")
  T.near(v.middle[1], GREEN[1], 12, "the frame's middle is the input's red")
  T.near(v.middle[2], GREEN[2], 12, "green")
  T.near(v.middle[3], GREEN[3], 12, "blue")
end, { timeout = 120 })
