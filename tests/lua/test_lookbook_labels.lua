-- test_lookbook_labels.lua — the lookbook options comparison grids need: column and row
-- labels in bands beside the grid, and a page sized to hold exactly columns x rows cells
-- of cell_width (pixel checks on PNG pages, vector text in the PDF, option errors).
local T = require "testing"
local lookbook = require "lookbook"
local image = require "image"

local WHITE = { 255, 255, 255 }

local function dark_pixels(img, x0, y0, x1, y1)
  local n = 0
  for y = math.max(0, y0), math.min(img.height - 1, y1) do
    for x = math.max(0, x0), math.min(img.width - 1, x1) do
      local r, g, b = img:pixel(x, y)
      if r + g + b < 300 then n = n + 1 end
    end
  end
  return n
end

local function colour_is(img, x, y, rgb, what)
  local r, g, b = img:pixel(x, y)
  T.ok(math.abs(r - rgb[1]) <= 6 and math.abs(g - rgb[2]) <= 6 and math.abs(b - rgb[3]) <= 6,
    string.format("%s at (%d, %d): got %d,%d,%d, expected %d,%d,%d", what, x, y, r, g, b, rgb[1], rgb[2], rgb[3]))
end

local function grid_book(extra)
  local opts = {
    columns = 4, rows = 2, cell = "3:4", cell_width = "120px", margin = "16px", gutter = "6px",
    page_numbers = false, caption_lines = 0, dpi = 150,
    column_labels = { "seed 1", "seed 2", "seed 3" }, -- the fourth column has no label
    row_labels = { "match_base", "match_reference" }, row_label_width = "150px",
  }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return lookbook.new(opts)
end

T.case("a page sized to its cells is exactly margins + label bands + the cells", function()
  local book = grid_book()
  local g = book:geometry()
  T.eq(g.cell_width, 120)
  T.eq(g.cell_height, 160)
  T.eq(g.row_label_width, 150)
  T.ok(g.column_label_height > 0, "a column label band")
  local gap = g.grid_x - 16 - 150 -- the space between the row band and the cells
  T.ok(gap > 0 and gap < 20, "a small gap beside the row labels: " .. gap)
  T.eq(g.page_width, 16 + 150 + gap + 4 * 120 + 3 * 6 + 16, "page width")
  T.eq(g.page_height, 16 + g.column_label_height + gap + 2 * 160 + 6 + 16, "page height")
  -- without labels the bands go
  local plain = lookbook.new { columns = 4, rows = 2, cell = "3:4", cell_width = "120px", margin = "16px",
    gutter = "6px", page_numbers = false, caption_lines = 0 }
  local p = plain:geometry()
  T.eq({ p.page_width, p.page_height }, { 16 + 4 * 120 + 3 * 6 + 16, 16 + 2 * 160 + 6 + 16 })
  T.eq({ p.column_label_height, p.row_label_width }, { 0, 0 })
end)

T.case("labels are drawn in their bands: over each labelled column, beside each row", function()
  local dir = T.tmpdir()
  local book = grid_book()
  local g = book:geometry()
  local colours = {}
  for i = 1, 8 do
    colours[i] = { 40 + i * 20, 200 - i * 15, 120 }
    book:add(image.new(30, 40, colours[i]))
  end
  local files = book:save(dir .. "/grid.png")
  T.eq(#files, 1)
  local img = image.load(files[1])
  T.eq({ img.width, img.height }, { g.page_width, g.page_height }, "file size = geometry")
  local band_top = g.grid_y - g.column_label_height - 12
  for c = 1, 4 do
    local x0 = g.grid_x + (c - 1) * (120 + 6)
    local ink = dark_pixels(img, x0, band_top, x0 + 119, g.grid_y - 1)
    if c <= 3 then
      T.ok(ink > 20, "column " .. c .. " has its label above it (" .. ink .. " dark pixels)")
    else
      T.eq(ink, 0, "the unlabelled fourth column has nothing above it")
    end
  end
  for r = 1, 2 do
    local y0 = g.grid_y + (r - 1) * (160 + 6)
    local ink = dark_pixels(img, g.grid_x - g.row_label_width - 12, y0, g.grid_x - 1, y0 + 159)
    T.ok(ink > 20, "row " .. r .. " has its label beside it (" .. ink .. " dark pixels)")
    -- the label sits at the row's middle, not at its top or bottom edge
    T.eq(dark_pixels(img, g.grid_x - g.row_label_width, y0, g.grid_x - 1, y0 + 30), 0, "row " .. r .. " top")
    T.eq(dark_pixels(img, g.grid_x - g.row_label_width, y0 + 130, g.grid_x - 1, y0 + 159), 0, "row " .. r .. " bottom")
  end
  -- cells hold their images, in reading order; the gutters and the corner are background
  for i = 1, 8 do
    local c, r = (i - 1) % 4, (i - 1) // 4
    local x, y = g.grid_x + c * 126, g.grid_y + r * 166
    colour_is(img, x + 60, y + 80, colours[i], "cell " .. i)
    colour_is(img, x + 1, y + 1, colours[i], "cell " .. i .. " corner")
  end
  colour_is(img, g.grid_x + 122, g.grid_y + 80, WHITE, "gutter between columns")
  colour_is(img, 2, 2, WHITE, "page corner")
  T.eq(dark_pixels(img, 0, 0, g.grid_x - 1, g.grid_y - 1), 0, "the corner between the bands is empty")
end)

T.case("labels are text in the PDF", function()
  local dir = T.tmpdir()
  local book = grid_book { title = "Label test", row_label_width = "400px" }
  for _ = 1, 8 do book:add(image.new(30, 40, { 90, 90, 90 })) end
  local path = book:save(dir .. "/grid.pdf")[1]
  local r = T.run({ "pdftotext", path, "-" })
  T.eq(r.code, 0, "pdftotext ran: " .. r.stderr)
  for _, want in ipairs { "seed 1", "seed 3", "match_base", "match_reference", "Label test" } do
    T.ok(r.stdout:find(want, 1, true), "the PDF's text has " .. want .. ": " .. r.stdout)
  end
end)

T.case("label and cell_width options are checked, naming the option", function()
  local bad = {
    { { column_labels = "a,b" }, "column_labels: expected a list of strings" },
    { { row_labels = { "a", {} } }, "row_labels%[2%]: expected a string or a number" },
    { { columns = 2, column_labels = { "a", "b", "c" } }, "column_labels: 3 labels for 2 columns" },
    { { rows = 1, row_labels = { "a", "b" } }, "row_labels: 2 labels for 1 rows" },
    { { row_label_width = "wide" }, "row_label_width" },
    { { cell_width = "120px", rows = "auto" }, "cell_width: needs columns and rows" },
    { { cell_width = "120px", page = "A4" }, "cell_width: the page is sized to hold the cells; leave out page" },
    { { cell_width = 0 }, "cell_width: expected a length above 0" },
    { { cell_width = "4000px", columns = 8 }, "over the 16384 px limit" },
  }
  for _, case in ipairs(bad) do
    local opts = { columns = 4, rows = 2 }
    for k, v in pairs(case[1]) do opts[k] = v end
    local err = T.raises(function() lookbook.new(opts) end, "BadOption", "lookbook.new")
    T.match(tostring(err), case[2], "message for " .. T.describe(case[1]))
  end
  -- numbers are fine as labels
  local book = lookbook.new { columns = 2, rows = 1, column_labels = { 7, 42 } }
  T.eq(book:geometry().columns, 2)
end)
