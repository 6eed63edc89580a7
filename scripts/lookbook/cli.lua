-- lookbook/cli.lua — `atelier -m lookbook`: a lookbook or a line sheet from image files
-- or a CSV in one command, as montage makes a contact sheet, without writing Lua.
--   atelier -m lookbook -o book.pdf --title "SS27" images/*.png
--   atelier -m lookbook --line-sheet --season SS27 styles.csv -o linesheet.pdf
local lookbook = require "lookbook"
local csv = require "csv"

local M = {}

-- name, takes a value, help; in --help order
local OPTIONS = {
  { "output", true, "PATH", "what to write: .pdf, .png/.jpg/.webp (one file a page) or .html (a folder); -o" },
  { "title", true, "TEXT", "the title (running header, cover, PDF metadata)" },
  { "subtitle", true, "TEXT", "the subtitle" },
  { "cover", false, nil, "a cover page (implied by --season, --date, --logo and --hero)" },
  { "season", true, "TEXT", "the season, on the cover and a line sheet's header (\"SS27\")" },
  { "date", true, "TEXT", "the date on the cover" },
  { "logo", true, "FILE", "a logo image for the cover" },
  { "hero", true, "FILE", "a hero image for the cover" },
  { "contact", true, "TEXT", "contact line: the footer of every page and the cover" },
  { "footer", true, "TEXT", "more footer text (terms, a note)" },
  { "line-sheet", false, nil, "a line sheet: fields under every image (from a CSV's columns)" },
  { "delivery", true, "TEXT", "line sheets: the delivery window, in the header" },
  { "order-by", true, "TEXT", "line sheets: the order cut-off, in the header" },
  { "terms", true, "TEXT", "line sheets: terms, in the footer" },
  { "layout", true, "NAME", "grid (default), hero, contact or linesheet" },
  { "page", true, "SIZE", "A4 (default), A3, Letter, Tabloid, ... or 210x297mm" },
  { "landscape", false, nil, "landscape pages" },
  { "columns", true, "N", "columns per page" },
  { "rows", true, "N", "rows per page (default: as many as fit)" },
  { "cell", true, "W:H", "the aspect ratio of an image's cell (3:4)" },
  { "fit", true, "MODE", "fit (whole image, default) or fill (cover the cell, cropped)" },
  { "font", true, "FAMILY", "the font family (EB Garamond)" },
  { "background", true, "COLOUR", "page colour: #rrggbb or white, ivory, sand, charcoal, black" },
  { "dpi", true, "N", "resolution of page images and of images in the PDF (150)" },
  { "captions", true, "WHAT", "name (the file name without extension, default) or none" },
  { "section-column", true, "NAME", "CSV: a column whose value starts a section when it changes" },
  { "image-column", true, "NAME", "CSV: the column naming each image (image, file, path, ...)" },
  { "delimiter", true, "C", "CSV: the separator, \",\" (default), \";\" or \"tab\"" },
  { "help", false, nil, "print this help; -h" },
}

local function usage()
  local lines = {
    "usage: atelier -m lookbook [options] FILES... -o OUTPUT",
    "Lays images out as a lookbook (PDF, page images or a web page). FILES are PNG, JPEG or",
    "WebP images, or CSV files whose rows are items: a column names each image (relative to",
    "the CSV), a name column captions it, and with --line-sheet the other columns (style",
    "no./SKU, colourways, sizes, fabric, wholesale, retail, notes...) are shown under it.",
    "",
    "Options (--name VALUE or --name=VALUE, anywhere on the line):",
  }
  for _, o in ipairs(OPTIONS) do
    local label = "--" .. o[1] .. (o[3] and (" " .. o[3]) or "")
    lines[#lines + 1] = string.format("  %-22s %s", label, o[4])
  end
  return table.concat(lines, "\n") .. "\n"
end

-- A usage error: main prints it with a pointer to --help and exits 2.
local function fail(msg)
  error({ usage = msg }, 0)
end

local function parse(args)
  local known = {}
  for _, o in ipairs(OPTIONS) do known[o[1]] = o end
  local opts, files = {}, {}
  local i, only_files = 1, false
  while i <= #args do
    local a = args[i]
    if only_files or a == "-" or not a:match("^%-") then
      files[#files + 1] = a
    elseif a == "--" then
      only_files = true
    else
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:match("^%-%-(.+)$")
      if a == "-o" then name = "output" elseif a == "-h" then name = "help" end
      local o = name and known[name]
      if not o then fail("unknown option '" .. a .. "'") end
      if o[2] then
        if value == nil then
          i = i + 1
          value = args[i]
          if value == nil then fail("'" .. a .. "' needs " .. o[3]) end
        end
        opts[name] = value
      else
        if value ~= nil then fail("'--" .. name .. "' takes no value") end
        opts[name] = true
      end
    end
    i = i + 1
  end
  return opts, files
end

local function number(opts, name, lo, hi)
  local v = opts[name]
  if v == nil then return nil end
  local n = math.tointeger(tonumber(v))
  if not n or n < lo or n > hi then fail(string.format("--%s: expected an integer from %d to %d, got '%s'", name, lo, hi, v)) end
  return n
end

local function stem(path) return (path:match("([^/]+)$"):gsub("%.[^.]*$", "")) end
local function dir_of(path) return path:match("^(.*)/[^/]*$") or "." end

local function run(args)
  local opts, files = parse(args)
  if opts.help then
    io.write(usage())
    return 0
  end
  if not opts.output then fail("no output: name it with -o book.pdf (or .html, .png)") end
  if #files == 0 then fail("no input files: give images (PNG, JPEG, WebP) or a CSV") end
  local line_sheet = opts["line-sheet"] or opts.layout == "linesheet"
  local book_opts = {
    title = opts.title, subtitle = opts.subtitle, layout = opts.layout or (line_sheet and "linesheet" or nil),
    page = opts.page, orientation = opts.landscape and "landscape" or nil,
    columns = number(opts, "columns", 1, 32), rows = number(opts, "rows", 1, 32),
    cell = opts.cell, fit = opts.fit, font = opts.font, background = opts.background,
    dpi = number(opts, "dpi", 36, 1200), contact = opts.contact, footer = opts.footer or opts.terms,
  }
  if opts.cover or opts.season or opts.date or opts.logo or opts.hero then
    book_opts.cover = { season = opts.season, date = opts.date, logo = opts.logo, hero = opts.hero }
  end
  local captions = opts.captions or "name"
  if captions ~= "name" and captions ~= "none" then fail("--captions: expected name or none, got '" .. captions .. "'") end
  local delimiter = opts.delimiter == "tab" and "\t" or opts.delimiter

  -- every input becomes an item {image =, name =, fields...}; CSV rows keep their columns
  local items, header, seen = {}, {}, {}
  local function column(c)
    if not seen[c] then seen[c] = true; header[#header + 1] = c end
  end
  local image_col = opts["image-column"]
  for _, f in ipairs(files) do
    if f:lower():match("%.csv$") or f:lower():match("%.tsv$") then
      local rows = csv.read(f, { delimiter = delimiter or (f:lower():match("%.tsv$") and "\t" or ",") })
      local col = image_col or lookbook._find_column(rows.header, lookbook.image_columns)
      if not col then
        fail(f .. ": no image column (looked for " .. table.concat(lookbook.image_columns, ", ") ..
          "; name one with --image-column)")
      end
      for _, c in ipairs(rows.header) do if c ~= col then column(c) end end
      for i, r in ipairs(rows) do
        local item = {}
        for k, v in pairs(r) do item[k] = v end
        local file = r[col]
        if file == nil or file == "" then fail(string.format("%s: line %d: no image in column '%s'", f, rows.lines[i], col)) end
        if not file:match("^/") then file = dir_of(f) .. "/" .. file end
        item[col] = nil
        item.image = file
        items[#items + 1] = item
      end
    else
      items[#items + 1] = { image = f, name = captions == "name" and stem(f) or nil }
      column("name")
    end
  end

  local name_col = lookbook._find_column(header, lookbook.name_columns)
  local section_col = opts["section-column"]
  if section_col and not seen[section_col] then fail("--section-column: no column '" .. section_col .. "'") end
  local book
  if line_sheet then
    book_opts.items = items
    book_opts.header = header
    book_opts.image = "image"
    book_opts.name = name_col
    book_opts.section = section_col
    book_opts.season = opts.season
    book_opts.delivery = opts.delivery
    book_opts.order_by = opts["order-by"]
    book = lookbook.line_sheet(book_opts)
  else
    book = lookbook.new(book_opts)
    local section
    for _, it in ipairs(items) do
      if section_col and it[section_col] ~= section then
        section = it[section_col]
        book:section(section)
      end
      local meta = {}
      for k, v in pairs(it) do
        if k ~= "image" and k ~= name_col and v ~= "" then meta[k] = v:gsub("%s*[\r\n]+%s*", " ") end
      end
      book:add(it.image, { caption = captions == "name" and name_col and it[name_col] or nil, meta = meta })
    end
  end
  local written = book:save(opts.output)
  io.write(string.format("%s: %d images on %d pages\n", written[1], book:count(), book:pages()))
  return 0
end

--- Runs the command line; returns the exit status: 0 done, 1 an input or output failed
--- (the message names the file), 2 a usage error. Messages go to stderr, no traceback.
function M.main(args)
  local ok, r = pcall(run, args)
  if ok then return r end
  if type(r) == "table" and r.usage then
    io.stderr:write("atelier -m lookbook: ", r.usage, "\nTry 'atelier -m lookbook --help'.\n")
    return 2
  end
  local msg = type(r) == "table" and r.message or tostring(r)
  io.stderr:write("atelier -m lookbook: ", msg, "\n")
  return 1
end

return M
