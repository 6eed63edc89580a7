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

--- lookbook.label(value) -> a label a reader expects: a snake_case identifier (an API
--- value such as "match_base") reads as words with a capital ("Match base"); anything
--- else is returned as it is.
function M.label(value)
  atelier.checkarg(value, 1, "lookbook.label", "string", "number")
  value = tostring(value)
  if value:match("^[%l%d]+_[%l%d_]*$") or value:match("^[%l][%l%d]*$") then
    local words = value:gsub("_+", " "):gsub("^%s+", ""):gsub("%s+$", "")
    return (words:gsub("^%l", string.upper))
  end
  return value
end

-- Books made by lookbook.new and how their sections are labelled (true: M.label).
-- book:section goes through here; a book made by page.new directly keeps raw titles.
local labelled = setmetatable({}, { __mode = "k" })

local function section_label(book, value, label)
  if label ~= nil then return label end
  local how = labelled[book]
  if how == true then return M.label(value) end
  if type(how) == "table" then return how[value] or M.label(value) end
  if type(how) == "function" then return tostring(how(value)) end
  return value
end

-- book:section(value[, label]): the page is headed by the label (see section_labels).
local function install_section(book)
  local methods = getmetatable(book).__index
  if methods.__lookbook_section then return end
  local raw = methods.section
  methods.section = function(self, value, label)
    atelier.checkarg(value, 1, "section", "string", "number")
    atelier.checkarg(label, 2, "section", "string", "nil")
    return raw(self, section_label(self, value, label))
  end
  methods.__lookbook_section = true
end

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
  -- A line sheet: three styles across, each with its name and a table of fields (style
  -- number, colourways, sizes, fabric, prices...) under the image; see lookbook.line_sheet.
  linesheet = {
    columns = 3, cell = "3:4", fit = "fit", gutter = "6mm", caption_lines = 2, type_size = 7.5,
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
---   font                     a font family by name ("EB Garamond", the default; "Noto Sans",
---                            "DejaVu Sans", ...); scripts it lacks (Japanese, emoji) fall back
---                            to installed fonts that have them
---   cover                    true, or {season=, date=, logo="logo.png", hero="hero.jpg"}: a
---                            cover page with the title and subtitle set large
---   contact, footer          text at the footer's left (and the contact on the cover)
---   header_note              a second running-header line (delivery window, order cut-off)
---   fields                   line sheets: meta keys shown under every image, one line each,
---                            {"sku", ...} or {{"sku", "Style no."}, ...}
---   section_labels           how book:section(value) labels a page: a table value -> label,
---                            a function(value) -> label, or false for the value as given;
---                            by default a snake_case value reads as words ("match_base" ->
---                            "Match base")
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
  local labels = merged.section_labels
  merged.section_labels = nil
  if labels ~= nil and labels ~= false and type(labels) ~= "table" and type(labels) ~= "function" then
    error("lookbook.new: section_labels: expected a table, a function or false, got a " .. type(labels), 2)
  end
  local book = page.new(merged)
  install_section(book)
  labelled[book] = labels == nil and true or labels
  return book
end

-- The fields a line sheet knows, in the order buyers read them, with their labels.
-- Column names are matched without case, spaces or punctuation ("Style No." = style_no).
M.line_sheet_fields = {
  { "sku", "Style no.", { "sku", "style_no", "style_number", "styleno", "article", "ref", "reference" } },
  { "colourways", "Colourways", { "colourways", "colorways", "colours", "colors", "colour", "color" } },
  { "sizes", "Sizes", { "sizes", "size", "size_range" } },
  { "fabric", "Fabric", { "fabric", "composition", "material", "materials" } },
  { "wholesale", "Wholesale", { "wholesale", "wholesale_price", "whs", "wsp" } },
  { "retail", "Retail", { "retail", "retail_price", "rrp", "msrp" } },
  { "delivery", "Delivery", { "delivery", "delivery_window" } },
  { "notes", "Notes", { "notes", "note", "comments" } },
}
-- Columns that name the style (the caption) and the image.
M.name_columns = { "name", "style", "style_name", "title", "look", "caption" }
-- A second name under the first, in another script or language.
M.subname_columns = { "name_ja", "name_jp", "name_local", "local_name", "alt_name", "name_2" }
M.image_columns = { "image", "file", "path", "photo", "picture" }

local function norm(key) return (tostring(key):lower():gsub("[^%w]+", "_"):gsub("^_+", ""):gsub("_+$", "")) end

-- The first column of `header` whose normalised name is in `names`.
local function find_column(header, names)
  for _, want in ipairs(names) do
    for _, col in ipairs(header) do
      if norm(col) == want then return col end
    end
  end
end
M._find_column = find_column -- for lookbook/cli.lua; not part of the API

--- lookbook.line_sheet{items =, ...} -> book: a line sheet a buyer orders from. items is a
--- list of tables (CSV records from csv.read, or your own) whose keys name the image, the
--- style's name and its fields; header, when given (records.header), keeps the columns'
--- order. Options: title, season, delivery, order_by, terms, contact, cover (true or a
--- table as in lookbook.new), image (the image column; "image", "file", "path", ...),
--- name (the name column), subname (a second name under it, e.g. in Japanese:
--- "name_ja", found by itself), section (a column: a new section where its value changes),
--- base (the directory relative image paths are in), fields (a list of columns or
--- {column, label}; by default every known field the items have, then the other columns),
--- and any lookbook.new option (layout "linesheet" by default). Prices and the rest are
--- shown as written.
function M.line_sheet(opts)
  atelier.checkarg(opts, 1, "lookbook.line_sheet", "table")
  if type(opts.items) ~= "table" then
    local e = atelier.error({ name = "BadOption",
      message = "lookbook.line_sheet: items: expected a list of records (from a CSV or a table), got a " .. type(opts.items) }, 2)
    e.field = "items"
    error(e, 0)
  end
  local items = opts.items
  local header = opts.header or items.header
  if not header then -- the keys the items have, sorted
    local seen, list = {}, {}
    for _, it in ipairs(items) do
      for k in pairs(it) do
        if type(k) == "string" and not seen[k] then seen[k] = true; list[#list + 1] = k end
      end
    end
    table.sort(list)
    header = list
  end
  local image_col = opts.image or find_column(header, M.image_columns)
  if not image_col then
    error("lookbook.line_sheet: no image column (name one with image =; looked for " ..
      table.concat(M.image_columns, ", ") .. ")", 2)
  end
  local name_col = opts.name or find_column(header, M.name_columns)
  local subname_col = opts.subname or find_column(header, M.subname_columns)
  local section_col = opts.section
  local fields = opts.fields
  if not fields then
    fields = {}
    local used = { [image_col] = true, [name_col or false] = true, [subname_col or false] = true,
      [section_col or false] = true }
    for _, f in ipairs(M.line_sheet_fields) do
      local col = find_column(header, f[3])
      if col and not used[col] then fields[#fields + 1] = { col, f[2] }; used[col] = true end
    end
    for _, col in ipairs(header) do
      if not used[col] then fields[#fields + 1] = { col, M.label(norm(col)) }; used[col] = true end
    end
  end
  while #fields > 16 do table.remove(fields) end
  local note = {}
  if opts.season then note[#note + 1] = opts.season end
  if opts.delivery then note[#note + 1] = "Delivery " .. opts.delivery end
  if opts.order_by then note[#note + 1] = "Order by " .. opts.order_by end
  local book_opts = { layout = "linesheet" }
  local skip = { items = true, header = true, season = true, delivery = true, order_by = true, terms = true,
    image = true, name = true, subname = true, section = true, base = true }
  for k, v in pairs(opts) do
    if not skip[k] then book_opts[k] = v end
  end
  book_opts.fields = fields
  if #note > 0 and book_opts.header_note == nil then book_opts.header_note = table.concat(note, "  ·  ") end
  if opts.terms and book_opts.footer == nil then book_opts.footer = opts.terms end
  if type(book_opts.cover) == "table" and book_opts.cover.season == nil and opts.season then
    book_opts.cover.season = opts.season
  end
  local book = M.new(book_opts)
  local section
  for i, it in ipairs(items) do
    if section_col and it[section_col] ~= section then
      section = it[section_col]
      book:section(section)
    end
    local file = it[image_col]
    if type(file) == "string" and opts.base and not file:match("^/") then file = opts.base .. "/" .. file end
    if file == nil or file == "" then
      local line = items.lines and items.lines[i]
      error(string.format("lookbook.line_sheet: item %d%s has no %s", i, line and (" (line " .. line .. ")") or "",
        image_col), 2)
    end
    local meta = {}
    for _, f in ipairs(fields) do
      local col = type(f) == "table" and f[1] or f
      local v = it[col]
      if v ~= nil and v ~= "" then meta[col] = (tostring(v):gsub("%s*[\r\n]+%s*", " ")) end -- one line each
    end
    local caption = { name_col and it[name_col] or nil, subname_col and it[subname_col] or nil }
    if caption[1] == "" then caption[1] = nil end
    if caption[2] == "" then caption[2] = nil end
    book:add(file, { caption = caption, meta = meta })
  end
  return book
end

--- atelier -m lookbook ...: a lookbook or line sheet from files or a CSV in one command
--- (scripts/lookbook/cli.lua; `atelier -m lookbook --help` lists its options).
function M.main(args)
  atelier.checkarg(args, 1, "lookbook.main", "table")
  local status = require("lookbook.cli").main(args)
  return status
end

return M
