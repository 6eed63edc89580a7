-- test_recipe_grid.lua — recipe.grid against fashn-emu, run the way a user runs a recipe:
-- one labelled file per z value whose size follows from the cell size and the axis
-- counts, every cell generated at once within --concurrency, failed cells kept as
-- labelled placeholders, the cost printed first, --dry-run and --max-credits honoured.
local T = require "testing"
local E = require "emu"
local R = require "recipe_run"
local image = require "image"

-- Runs a recipe.grid call (Lua source of its spec table) and emits its report.
local function grid(emu, spec, opts)
  local body = [[
local recipe = require "recipe"
local image = require "image"
local ok, r = pcall(recipe.grid, ]] .. spec .. [[)
if not ok then
  emit{ error = errinfo(r) }
  return
end
local cells = {}
for i, c in ipairs(r.cells) do
  cells[i] = { x = c.x, y = c.y, z = c.z, status = c.status, error = c.error and c.error.name, file = c.file,
    credits = c.credits, seed = c.inputs.seed }
end
emit{ files = r.files, grids = r.grids, cells = cells, credits = r.credits, estimate = r.estimate, failed = r.failed,
  dry_run = r.dry_run, stats = fashn.stats() }
]]
  opts = opts or {}
  opts.name = "grid_recipe.lua" -- not recipe.lua: that would shadow require "recipe"
  local r = R.run(emu, body, opts)
  r.report = r.events[#r.events]
  return r
end

local function dark_pixels(img, x0, y0, x1, y1)
  local n = 0
  for y = math.max(0, y0), math.min(img.height - 1, y1), 2 do
    for x = math.max(0, x0), math.min(img.width - 1, x1), 2 do
      local r, g, b = img:pixel(x, y)
      if r + g + b < 300 then n = n + 1 end
    end
  end
  return n
end

local FACE = [[image.new(64, 64, { 200, 150, 120 }):save("face.png")
]]

T.case("an x by y grid is one labelled file sized by its cells and axes, each cell where the layout says", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = grid(emu, [[(function() ]] .. FACE .. [[ return {
    base = { prompt = "tall model in a linen suit", aspect_ratio = "3:4", face_reference = "face.png" },
    x = { seed = { 1, 2, 3 } },
    y = { face_reference_mode = { "match_base", "match_reference" } },
    out = "grid.png", cell_width = 120, margin = "24px", gutter = "8px",
  } end)()]])
  R.check_exit(r)
  local rep = r.report
  T.eq(rep.error, nil, "no error")
  T.eq(rep.files, { "grid.png" })
  T.eq(rep.failed, 0)
  T.eq(#rep.cells, 6)
  T.eq(rep.estimate, 24, "4 credits a cell with face_reference")
  T.eq(rep.credits, 24)
  -- reading order: x fastest, then y
  T.eq({ rep.cells[2].x, rep.cells[2].y, rep.cells[2].seed }, { 2, 1, 2 })
  T.eq({ rep.cells[4].x, rep.cells[4].y }, { 1, 2 })
  local g = rep.grids[1].geometry
  T.eq({ g.columns, g.rows, g.cell_width, g.cell_height }, { 3, 2, 120, 160 }, "3:4 cells of 120 px")
  T.eq(g.caption_height, 0, "no caption band when every cell succeeded")
  local gap = g.grid_x - 24 - g.row_label_width
  T.ok(g.row_label_width > 0 and gap > 0 and gap < 20, "a row label band then a small gap")
  T.eq(g.page_width, 24 + g.row_label_width + gap + 3 * 120 + 2 * 8 + 24, "width from the cells and x")
  T.eq(g.page_height, g.grid_y + 2 * 160 + 8 + 24, "height from the cells and y")
  local img = image.load(r.dir .. "/grid.png")
  T.eq({ img.width, img.height }, { g.page_width, g.page_height }, "the file is that size")
  for i, cell in ipairs(g.templates[1]) do
    local x, y, w, h = cell[1], cell[2], cell[3], cell[4]
    local r1, g1, b1 = img:pixel(x + w // 2, y + h // 2)
    T.ok(not (r1 == 255 and g1 == 255 and b1 == 255), "cell " .. i .. " holds an image")
    local rb, gb, bb = img:pixel(x + w + 3, y + h // 2)
    if i % 3 ~= 0 then T.eq({ rb, gb, bb }, { 255, 255, 255 }, "the gutter right of cell " .. i) end
  end
  for c = 0, 2 do
    local x0 = g.grid_x + c * 128
    T.ok(dark_pixels(img, x0, g.grid_y - g.column_label_height - 12, x0 + 119, g.grid_y - 1) > 5,
      "a label over column " .. c + 1)
  end
  for row = 0, 1 do
    local y0 = g.grid_y + row * 168
    T.ok(dark_pixels(img, 24, y0, g.grid_x - 1, y0 + 159) > 5, "a label beside row " .. row + 1)
  end
  T.ok(dark_pixels(img, 24, 24, g.page_width - 24, g.grid_y - g.column_label_height - 14) > 20, "a title and legend")
end)

T.case("cells are submitted at once and the runtime keeps them within --concurrency", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = grid(emu, [[{ base = { prompt = "look" }, x = { seed = { 1, 2, 3, 4, 5, 6 } }, out = "row.jpg",
    cell_width = 64 }]], { args = { "--concurrency", "2" } })
  R.check_exit(r)
  T.eq(r.report.files, { "row.jpg" })
  local s = emu:stats()
  T.eq(s.run_accepted, 6, "one prediction per cell, none twice")
  T.eq(s.peak_concurrency, 2, "two at a time, never more")
  local img = image.load(r.dir .. "/row.jpg")
  T.eq(img.format, "jpeg")
  T.eq(img.width, r.report.grids[1].geometry.page_width)
end)

T.case("a failed cell is a placeholder named by its error, reported, and the grid is still saved", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = grid(emu, [[(function() image.new(48, 64, { 20, 90, 200 }):save("pose.png") return {
    base = { prompt = "pose study", aspect_ratio = "3:4" },
    x = { image_reference = { "pose.png", "http://127.0.0.1:9/gone.png", "pose.png" } },
    y = { seed = { 5, 6 } },
    out = "refs.png", cell_width = 96,
  } end)()]])
  R.check_exit(r)
  local rep = r.report
  T.eq(rep.failed, 2, "the unreachable reference fails in both rows")
  T.eq(rep.cells[2].error, "ImageLoadError")
  T.eq(rep.cells[5].error, "ImageLoadError")
  T.eq(rep.cells[1].status, "completed")
  T.eq(rep.credits, 4, "failed predictions cost nothing")
  T.match(r.stderr, "cell image_reference gone%.png, seed 5 failed: ImageLoadError")
  T.match(r.stderr, "2 of 6 cells failed")
  local g = rep.grids[1].geometry
  T.ok(g.caption_height > 0, "a caption band carries the error names")
  local img = image.load(r.dir .. "/refs.png")
  local cell = g.templates[1][2]
  T.eq({ img:pixel(cell[1] + cell[3] // 2, cell[2] + cell[4] // 2) }, { 214, 214, 214, 255 }, "a grey placeholder")
  T.ok(dark_pixels(img, cell[1], cell[2] + cell[4], cell[1] + cell[3] - 1, cell[2] + cell[4] + g.caption_height) > 5,
    "its caption names the error")
  local ok_cell = g.templates[1][1]
  T.eq(dark_pixels(img, ok_cell[1], ok_cell[2] + ok_cell[4] + 2, ok_cell[1] + ok_cell[3] - 1,
    ok_cell[2] + ok_cell[4] + g.caption_height - 1), 0, "a good cell has no caption")
end)

T.case("z makes one grid per value, its label in the file name; .webp and .pdf both work", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = grid(emu, [[{ base = { prompt = "resort wear" }, x = { seed = { 1, 2 } },
    z = { aspect_ratio = { "3:4", "16:9" } }, out = "out.webp", cell_width = 80 }]])
  R.check_exit(r)
  T.eq(r.report.files, { "out-3-4.webp", "out-16-9.webp" })
  T.eq(r.report.grids[2].z, "16:9")
  for _, f in ipairs(r.report.files) do
    local img = image.load(r.dir .. "/" .. f)
    T.eq(img.format, "webp")
    T.ok(img.width > 160, f .. " holds two cells")
  end
  T.eq(r.report.grids[1].geometry.cell_height, 80, "square cells when the aspect ratio varies (fit letterboxes)")
  T.eq(r.report.cells[3].z, 2)

  local p = grid(emu, [[{ base = { prompt = "resort wear" }, x = { seed = { 1, 2 }, labels = { "first", "second" } },
    out = "sheet.pdf", cell_width = 80, title = "Seeds" }]])
  R.check_exit(p)
  local info = T.run({ "pdfinfo", p.dir .. "/sheet.pdf" })
  T.match(info.stdout, "Pages:%s+1")
  local text = T.run({ "pdftotext", p.dir .. "/sheet.pdf", "-" }).stdout
  for _, want in ipairs { "Seeds", "first", "second", "x: seed" } do
    T.ok(text:find(want, 1, true), "the PDF says " .. want .. ": " .. text)
  end
  -- without a title, the title names the axes and the legend holds the prompt
  local d = grid(emu, [[{ base = { prompt = "resort wear" }, x = { seed = { 1, 2 } },
    y = { aspect_ratio = { "3:4", "1:1" }, name = "ratio" }, out = "auto.pdf", cell_width = 120 }]])
  R.check_exit(d)
  local auto = T.run({ "pdftotext", d.dir .. "/auto.pdf", "-" }).stdout
  T.ok(auto:find("seed × ratio", 1, true), "the axes as title: " .. auto)
  T.ok(auto:find("resort wear", 1, true), "the prompt in the legend: " .. auto)
end)

T.case("the cost is printed before anything is submitted; -q prints nothing", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local spec = [[{ base = { prompt = "x" }, x = { seed = { 1, 2, 3, 4 } }, y = { aspect_ratio = { "1:1", "3:4", "4:5" } },
    out = "g.png", cell_width = 32 }]]
  local r = grid(emu, spec)
  R.check_exit(r)
  local plan = r.stderr:find("recipe.grid: 12 cells (4 x 3), up to 12 credits -> g.png", 1, true)
  T.ok(plan, "the plan and its cost: " .. r.stderr)
  T.ok(plan < (r.stderr:find("submitted prediction", 1, true) or 0), "before the first submission")
  local small = grid(emu, [[{ base = { prompt = "x" }, x = { seed = { 1, 2 } }, out = "s.png", cell_width = 32 }]])
  T.ok(not small.stderr:find("recipe.grid:", 1, true), "a small run (under 10 credits) is not announced")
  local quiet = grid(emu, spec, { args = { "-q" } })
  R.check_exit(quiet)
  T.eq(quiet.stderr, "", "-q: nothing on stderr")
end)

T.case("--dry-run rehearses the grid: cells of placeholders, the grid saved in the rehearsal folder only", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = grid(emu, [[{ base = { prompt = "x" }, x = { seed = { 1, 2, 3 } }, out = "g.png" }]],
    { args = { "--dry-run" } })
  R.check_exit(r)
  T.eq(r.report.dry_run, true)
  T.eq(r.report.files, { "g.png" })
  T.eq(r.report.cells[1].status, "completed")
  T.match(r.stderr, "3 cells %(3%), up to 3 credits")
  T.match(r.stderr, "total: 3 jobs, 3 images, 3 credits")
  T.eq(emu:stats().run_accepted, 0)
  T.eq(io.open(r.dir .. "/g.png"), nil, "nothing where a real run writes")
  local img = image.load(r.dir .. "/.atelier/dry-run/g.png")
  T.ok(img.width > 3 * 100, "the rehearsed grid holds its cells: " .. img.width)
end)

T.case("--max-credits below the grid's cost refuses the whole grid before any submission", function()
  local emu <close> = E.start{ ["time-scale"] = 0.02 }
  local r = grid(emu, [[{ base = { prompt = "x" }, x = { seed = { 1, 2, 3 } }, y = { aspect_ratio = { "1:1", "3:4" } },
    out = "g.png" }]], { args = { "--max-credits", "5" } })
  R.check_exit(r)
  T.eq(r.report.error.name, "CreditLimitExceeded")
  T.match(r.report.error.message, "costs up to 6 credits and %-%-max%-credits 5 leaves 5; nothing was submitted")
  T.eq(emu:stats().run_accepted, 0)
end)
