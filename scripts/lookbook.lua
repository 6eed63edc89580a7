-- lookbook.lua — lookbooks a studio can send: images laid out on pages with titles and
-- captions, saved as PDF, page images or a web page. Layouts are data: a layout is a
-- table of book options (columns, cell, gutter, type_size, ...) plus optional page
-- templates that merge grid slots (a hero image); options given to lookbook.new win over
-- the layout's. The pages themselves are made in C (the `page` module, runtime/page*.c).
--
--   local lookbook = require "lookbook"
--   local book = lookbook.new{ title = "Resort 27", layout = "hero", page = "A4" }
--   book:section("Linen")
--   book:add("out/look-1.png", { caption = "match_base · seed 7", meta = { seed = 7 } })
--   book:save("out/resort27.pdf")     -- or .png / .jpg / .webp pages, or .html (a folder)
local page = require "page"
local atelier = require "atelier"

local M = {}

--- The layouts shipped with atelier. Copy one and change it, or write your own table.
--- pages: page templates in order (the last repeats, per section); spans merge grid
--- slots: {column, row} of the top-left slot (1-based) and how many columns/rows.
M.layouts = {
  -- A plain grid: four 3:4 columns, as many rows as fit.
  grid = {
    columns = 4, cell = "3:4", fit = "fit", gutter = "4mm", caption_lines = 1,
  },
  -- Each section opens with one large image over 2 x 2 slots; later pages are a grid.
  hero = {
    columns = 4, rows = 3, cell = "3:4", fit = "fill", gutter = "4mm", caption_lines = 2,
    pages = {
      { spans = { { column = 1, row = 1, columns = 2, rows = 2 } } },
      {},
    },
  },
  -- A contact sheet: many small frames, whole images (never cropped), small type.
  contact = {
    columns = 8, cell = "3:4", fit = "fit", margin = "8mm", gutter = "1.5mm", type_size = 5.5,
    caption_lines = 1,
  },
}

local function copy_into(dst, src, skip)
  for k, v in pairs(src) do
    if k ~= skip then dst[k] = v end
  end
  return dst
end

local function layout_names()
  local names = {}
  for name in pairs(M.layouts) do names[#names + 1] = name end
  table.sort(names)
  return table.concat(names, ", ")
end

-- A BadOption table naming the option, at the line that called lookbook.new.
local function bad_option(field, msg)
  local e = atelier.error({ name = "BadOption", message = "lookbook.new: " .. field .. ": " .. msg }, 3)
  e.field = field
  error(e, 0)
end

--- lookbook.new{...} -> book. Options (all optional):
---   title, subtitle          header text (pages and web page)
---   layout                   "grid" (default), "hero", "contact", or a layout table
---   page                     "A4", "A3", "A5", "Letter", "Legal", "square", "210x297mm", "1080x1350px"
---   orientation              "portrait" | "landscape"
---   columns, rows            integers, or "auto"/nil: as many as fit
---   cell                     aspect ratio of a cell's image, "3:4"
---   fit                      "fit" (whole image, letterboxed) | "fill" (cover, cropped)
---   margin, gutter           mm as a number, or "12mm", "0.5in", "18pt", "40px";
---                            margin may be {top=, right=, bottom=, left=}
---   background, color        "#rrggbb", "#rgb" or white, black, ivory, grey, charcoal, sand
---   dpi                      resolution of page images and of images in the PDF (150)
---   caption_lines            0, 1 or 2 (text longer than that is cut with an ellipsis)
---   page_numbers             true/false (true)
---   type_size                caption size in points; titles scale from it (8)
---   quality                  JPEG/WebP quality of pages and embedded images (90)
---   pages                    page templates (see M.layouts.hero)
--- A wrong argument raises an argument error; a wrong option a BadOption table naming it.
function M.new(opts)
  atelier.checkarg(opts, 1, "lookbook.new", "table", "nil")
  opts = opts or {}
  local layout = opts.layout or "grid"
  local name = layout
  if type(layout) == "string" then
    layout = M.layouts[layout]
    if not layout then
      bad_option("layout", string.format("unknown layout %q (shipped: %s; or give a table)", name, layout_names()))
    end
  elseif type(layout) == "table" then
    name = layout.name or "custom"
  else
    bad_option("layout", "expected a layout name or a table, got a " .. type(layout))
  end
  local merged = copy_into({}, layout, "name")
  copy_into(merged, opts, "layout")
  merged.layout = name
  return page.new(merged)
end

return M
