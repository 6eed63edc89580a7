-- test_fashn_inputs.lua — every Model Create input rule is enforced locally: a bad input
-- raises InvalidInput naming the field (and the allowed values) and nothing reaches the
-- server (/_emu/stats stays at zero); an unknown name is refused too (a typo names the
-- field it meant), and a field atelier does not know goes out only inside `passthrough`.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"

-- { inputs (Lua source), field, a pattern the message must contain }
local BAD = {
  { "{ seed = 1 }", "prompt", "required" },
  { "{ prompt = '' }", "prompt", "non%-empty" },
  { "{ prompt = '  \\n' }", "prompt", "non%-empty" },
  { "{ prompt = 42 }", "prompt", "string" },
  { "{ prompt = string.rep('x', 10001) }", "prompt", "at most" },
  { "{ prompt = 'x', aspect_ratio = '7:5' }", "aspect_ratio", "21:9, 16:9, 9:16, 4:3, 3:4, 3:2, 2:3, 4:5, 5:4, 1:1" },
  { "{ prompt = 'x', aspect_ratio = 1 }", "aspect_ratio", "one of" },
  { "{ prompt = 'x', resolution = '8k' }", "resolution", "1k, 2k, 4k" },
  { "{ prompt = 'x', face_reference = 'https://example.invalid/f.png', resolution = '4k' }", "face_reference",
    "capped at 2k" },
  { "{ prompt = 'x', face_reference = 'https://example.invalid/f.png', face_reference_mode = 'match_face' }",
    "face_reference_mode", "match_base, match_reference" },
  { "{ prompt = 'x', face_reference_mode = 'match_base' }", "face_reference_mode", "needs face_reference" },
  { "{ prompt = 'x', aspect_ration = '3:4' }", "aspect_ration", 'did you mean "aspect_ratio"' },
  { "{ prompt = 'x', face_refrence = 'https://example.invalid/f.png' }", "face_refrence", 'did you mean "face_reference"' },
  { "{ prompt = 'x', seeds = 7 }", "seeds", 'did you mean "seed"' },
  { "{ prompt = 'x', colour = 'red' }", "colour", "passthrough" },
  { "{ prompt = 'x', passthrough = { seed = 1 } }", "passthrough", "seed is an input atelier knows" },
  { "{ prompt = 'x', passthrough = 5 }", "passthrough", "must be a table" },
  { "{ prompt = 'x', seed = -1 }", "seed", "0 to 4294967295" },
  { "{ prompt = 'x', seed = 4294967296 }", "seed", "0 to 4294967295" },
  { "{ prompt = 'x', seed = 1.5 }", "seed", "integer" },
  { "{ prompt = 'x', seed = '7' }", "seed", "integer" },
  { "{ prompt = 'x', num_images = 0 }", "num_images", "1 to 4" },
  { "{ prompt = 'x', num_images = 5 }", "num_images", "1 to 4" },
  { "{ prompt = 'x', output_format = 'webp' }", "output_format", "png, jpeg" },
  { "{ prompt = 'x', return_base64 = 'yes' }", "return_base64", "true or false" },
  { "{ prompt = 'x', face_reference = 42 }", "face_reference", "URL, a data: URI or a local file" },
  { "{ prompt = 'x', face_reference = 'no/such/face.png' }", "face_reference", "no/such/face.png" },
  { "{ prompt = 'x', image_reference = 'data:text/plain;base64,QUJD' }", "image_reference", "data:image/" },
  { "{ prompt = 'x', image_reference = 'data:image/png;base64,' .. string.rep('A', 17 * 1024 * 1024) }",
    "image_reference", "at most" },
  { "{ prompt = 'x', image_reference = 'https://example.invalid/a b.png' }", "image_reference", "space" },
  { "{ prompt = 'x', [1] = 'y' }", "", "keys must be strings" },
  { "{ prompt = 'x', extra = { f = print } }", "extra", "cannot be sent" },
  { "{ prompt = 'x', seed = 0/0 }", "seed", "finite" },
}

T.case("every input rule is enforced locally, naming the field, and nothing is sent", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local lines = {}
  for i, case in ipairs(BAD) do
    lines[#lines + 1] = string.format("do local ok, e = pcall(fashn.submit, %s) emit{ i = %d, ok = ok, e = errinfo(e) } end",
      case[1], i)
  end
  lines[#lines + 1] = "do local ok, e = pcall(fashn.submit, 'prompt') emit{ i = 0, ok = ok, e = errinfo(e) } end"
  local r = R.run(emu, table.concat(lines, "\n"))
  R.check_exit(r)
  T.eq(#r.events, #BAD + 1, "one report per case")
  for _, ev in ipairs(r.events) do
    if ev.i > 0 then
      local case = BAD[ev.i]
      local what = "case " .. ev.i .. " " .. case[1]:sub(1, 80)
      T.eq(ev.ok, false, what .. " raised")
      T.eq(ev.e.name, "InvalidInput", what .. " name")
      T.eq(ev.e.field, case[2], what .. " field")
      T.match(ev.e.message, case[3], what .. " message")
      if case[2] ~= "" then T.match(ev.e.message, "^" .. case[2]:gsub("_", "_"), what .. " message starts with the field") end
      T.match(ev.e.text, "InvalidInput", what .. " tostring")
    else
      T.eq(ev.ok, false, "a string instead of a table")
    end
  end
  local s = emu:stats()
  T.eq(s.run_accepted, 0, "no submission accepted")
  T.eq(s.run_refused, {}, "no submission refused either: none was sent")
  T.eq(s.status_requests, 0, "no status request")
end)

T.case("newer inputs are known, others go out only through passthrough; fashn.cost counts without sending", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = R.run(emu, [[
    emit{ cost = fashn.cost{ prompt = "x", num_images = 3 },
          face = fashn.cost{ prompt = "x", num_images = 2, face_reference = "https://example.invalid/f.jpg" },
          list = fashn.cost{ { prompt = "a" }, { prompt = "b", num_images = 4 } },
          newer = fashn.check{ prompt = "x", resolution = "2k", generation_mode = "fast", reference_type = "pose",
                               disable_prompt_enhancement = true, passthrough = { style_hint = { a = 1 } } } }
    local ok, e = pcall(fashn.cost, { prompt = "x", face_refrence = "https://example.invalid/f.jpg" })
    emit{ typo_cost = ok, field = e.field }
    local res = fashn.run{ prompt = "x", generation_mode = "quality", passthrough = { some_future_flag = true }, seed = 3.0 }
    emit{ status = res.status, mode = res.inputs.generation_mode }
  ]])
  R.check_exit(r)
  T.eq(r.events[1], { cost = 3, face = 8, list = 5, newer = true })
  T.eq(r.events[2], { typo_cost = false, field = "face_refrence" }, "a typo is not priced as if it were absent")
  table.remove(r.events, 2)
  T.eq(r.events[2], { status = "completed", mode = "quality" })
  T.eq(emu:stats().run_accepted, 1, "only the real submission was sent")
end)
