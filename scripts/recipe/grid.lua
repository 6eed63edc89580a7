-- recipe/grid.lua — labelled comparison grids, the X/Y/Z plot of local image generators
-- made credit-aware: every cell of base + one value per axis is checked before anything
-- is spent, submitted at once (the fashn module keeps the account's limits), and laid
-- out with the lookbook machinery: column labels along x, row labels along y, one grid
-- file per z value, a title and legend naming the prompt and the axes. A failed cell
-- becomes a labelled placeholder; the grid is still saved.
local fashn = require "fashn"
local lookbook = require "lookbook"
local image = require "image"
local atelier = require "atelier"

local M = {}

local MAX_XY = 32      -- columns or rows of one grid (the page model's limit)
local MAX_Z = 100      -- grids in one call
local DEFAULT_ANNOUNCE = 10
local FORMATS = { png = true, jpg = true, jpeg = true, webp = true, pdf = true }
local OPTIONS = {
  "base", "x", "y", "z", "out", "title", "cell_width", "cell", "fit", "captions", "caption", "background",
  "color", "type_size", "dpi", "quality", "gutter", "margin", "announce", "timeout",
}
local AXIS_KEYS = { labels = true, name = true }

local function raise(field, fmt, ...)
  local e = atelier.error { name = "BadOption", message = "recipe.grid: " .. field .. ": " .. string.format(fmt, ...) }
  e.field = field
  error(e, 0)
end

local function is_list(v)
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v == 0 then return false end
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > #v then return false end
  end
  return true
end

local function is_image(v)
  local mt = type(v) == "userdata" and getmetatable(v)
  return type(mt) == "table" and mt.__name == "atelier.image"
end

-- A label for an axis value: numbers as integers when whole, paths and URLs by their
-- last component, data: URIs and image objects by what they are.
local function label_of(v)
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return tostring(math.tointeger(v)) end
  if type(v) ~= "string" then return tostring(v) end
  if v:sub(1, 5) == "data:" then return "data: " .. (v:match("^data:([^;,]*)") or "URI") end
  if v:find("^%a[%w+.-]*://") or v:find("/") then
    local last = v:match("([^/?#]+)[?#]?[^/]*$")
    if last and last ~= "" and not v:find("%s") then return last end
  end
  return v
end

-- Checks one axis spec {input = {values...}, labels = {...}, name = "..."}.
local function check_axis(which, spec, max)
  if type(spec) ~= "table" then
    raise(which, "expected a table such as { seed = { 1, 2, 3 } }, got a %s", type(spec))
  end
  local key
  for k in pairs(spec) do
    if type(k) ~= "string" then raise(which, "keys must be input names (strings), got %s", tostring(k)) end
    if not AXIS_KEYS[k] then
      if key then
        local a, b = key, k
        if b < a then a, b = b, a end
        raise(which, "one input per axis, got both %s and %s (put the second on another axis)", a, b)
      end
      key = k
    end
  end
  if not key then raise(which, "names no input to vary (expected { seed = { 1, 2, 3 } } or similar)") end
  local values = spec[key]
  if not is_list(values) then
    raise(which .. "." .. key, "expected a non-empty list of values, got %s", type(values) == "table" and "an empty or non-list table" or "a " .. type(values))
  end
  if #values > max then raise(which .. "." .. key, "at most %d values, got %d", max, #values) end
  for i, v in ipairs(values) do
    local t = type(v)
    if t ~= "string" and t ~= "number" and t ~= "boolean" and not is_image(v) then
      raise(string.format("%s.%s[%d]", which, key, i), "expected a string, number, boolean or image, got a %s", t)
    end
  end
  local labels = {}
  if spec.labels ~= nil then
    if not is_list(spec.labels) or #spec.labels ~= #values then
      raise(which .. ".labels", "expected a list of %d strings, one per value", #values)
    end
    for i, l in ipairs(spec.labels) do
      if type(l) ~= "string" and type(l) ~= "number" then
        raise(string.format("%s.labels[%d]", which, i), "expected a string or a number, got a %s", type(l))
      end
      labels[i] = tostring(l)
    end
  else
    for i, v in ipairs(values) do labels[i] = label_of(v) end
  end
  if spec.name ~= nil and type(spec.name) ~= "string" then raise(which .. ".name", "expected a string, got a %s", type(spec.name)) end
  return { key = key, values = values, labels = labels, name = spec.name or key }
end

local function check_int(spec, field, lo, hi, default)
  local v = spec[field]
  if v == nil then return default end
  if math.type(v) ~= "integer" or v < lo or v > hi then
    raise(field, "expected an integer from %d to %d, got %s", lo, hi, tostring(v))
  end
  return v
end

-- "out/grid.png" -> "out/", "grid", "png"
local function split_path(path)
  local dir, file = path:match("^(.*/)([^/]*)$")
  if not dir then dir, file = "", path end
  local stem, ext = file:match("^(.+)%.([^.]+)$")
  return dir, stem, ext and ext:lower()
end

-- A z label as a file-name suffix: letters, digits, . _ - only.
local function slug(s)
  s = s:gsub("[^%w._-]+", "-"):gsub("^[-.]+", ""):gsub("-+$", "")
  return s:sub(1, 40)
end

local function check_spec(spec)
  if type(spec) ~= "table" then
    error(atelier.error { name = "BadOption", message = "recipe.grid: expected a table { base =, x =, y =, z =, out = }, got a " .. type(spec) }, 0)
  end
  local known = {}
  for _, k in ipairs(OPTIONS) do known[k] = true end
  for k in pairs(spec) do
    if not known[k] then raise(tostring(k), "unknown option (known: %s)", table.concat(OPTIONS, ", ")) end
  end
  local base = spec.base or {}
  if type(base) ~= "table" then raise("base", "expected a table of inputs, got a %s", type(base)) end
  if spec.x == nil then raise("x", "required: the input that varies along the columns, e.g. x = { seed = { 1, 2, 3 } }") end
  local x = check_axis("x", spec.x, MAX_XY)
  local y = spec.y ~= nil and check_axis("y", spec.y, MAX_XY) or nil
  local z = spec.z ~= nil and check_axis("z", spec.z, MAX_Z) or nil
  local seen = { [x.key] = "x" }
  for _, a in ipairs { { "y", y }, { "z", z } } do
    if a[2] then
      if seen[a[2].key] then raise(a[1], "%s already varies along %s", a[2].key, seen[a[2].key]) end
      seen[a[2].key] = a[1]
    end
  end
  if type(spec.out) ~= "string" or spec.out == "" then
    raise("out", "expected a file name ending in .png, .jpg, .webp or .pdf, got %s", tostring(spec.out))
  end
  local dir, stem, ext = split_path(spec.out)
  if not stem or not FORMATS[ext] then
    raise("out", "%q: unknown format (use .png, .jpg, .jpeg, .webp or .pdf; a grid is one page, not .html)", spec.out)
  end
  local o = {
    base = base, x = x, y = y, z = z, out = spec.out, dir = dir, stem = stem, ext = ext,
    cell_width = check_int(spec, "cell_width", 16, 4096, 384),
    dpi = check_int(spec, "dpi", 36, 1200, 150),
    quality = check_int(spec, "quality", 1, 100, 90),
    timeout = spec.timeout,
  }
  if spec.title ~= nil and type(spec.title) ~= "string" then raise("title", "expected a string, got a %s", type(spec.title)) end
  o.title = spec.title
  if spec.fit ~= nil and spec.fit ~= "fit" and spec.fit ~= "fill" then
    raise("fit", "expected \"fit\" (whole image) or \"fill\" (cover the cell), got %s", tostring(spec.fit))
  end
  o.fit = spec.fit or "fit"
  if spec.captions ~= nil and type(spec.captions) ~= "boolean" then
    raise("captions", "expected true (a caption band under every cell) or false (none), got %s", tostring(spec.captions))
  end
  o.captions = spec.captions
  if spec.caption ~= nil and type(spec.caption) ~= "function" then
    raise("caption", "expected a function(cell) returning the cell's caption, got a %s", type(spec.caption))
  end
  o.caption = spec.caption
  local a = spec.announce
  if a ~= nil and a ~= true and a ~= false and not (math.type(a) == "integer" and a >= 0) then
    raise("announce", "expected true, false or a number of credits (print the plan when a run costs at least that), got %s", tostring(a))
  end
  o.announce = a == nil and DEFAULT_ANNOUNCE or a == true and 0 or a
  if spec.timeout ~= nil and (type(spec.timeout) ~= "number" or spec.timeout <= 0) then
    raise("timeout", "expected seconds > 0, got %s", tostring(spec.timeout))
  end
  -- the page options are checked by lookbook.new; only their presence is decided here
  -- type follows the cells (the page is as wide as they are): 9.6 pt at 384 px, 5 to 10 pt
  local type_size = spec.type_size or math.floor(math.max(5, math.min(10, o.cell_width / 40)) * 10 + 0.5) / 10
  o.page = { background = spec.background, color = spec.color, type_size = type_size,
    gutter = spec.gutter or "8px", margin = spec.margin or "24px", cell = spec.cell }
  if spec.cell == nil then -- the images' aspect when every cell has the same, else square (fit letterboxes)
    local varies = seen.aspect_ratio ~= nil
    o.page.cell = not varies and type(base.aspect_ratio) == "string" and base.aspect_ratio or "1:1"
  end
  return o
end

-- The inputs of every cell, z slowest, then y, then x (reading order within a grid).
local function plan_cells(o)
  local cells = {}
  local zs, ys = o.z and #o.z.values or 1, o.y and #o.y.values or 1
  for iz = 1, zs do
    for iy = 1, ys do
      for ix = 1, #o.x.values do
        local inputs = {}
        for k, v in pairs(o.base) do inputs[k] = v end
        inputs[o.x.key] = o.x.values[ix]
        if o.y then inputs[o.y.key] = o.y.values[iy] end
        if o.z then inputs[o.z.key] = o.z.values[iz] end
        cells[#cells + 1] = { x = ix, y = o.y and iy or nil, z = o.z and iz or nil, inputs = inputs }
      end
    end
  end
  return cells
end

local function cell_name(o, c)
  local parts = { o.x.name .. " " .. o.x.labels[c.x] }
  if o.y then parts[#parts + 1] = o.y.name .. " " .. o.y.labels[c.y] end
  if o.z then parts[#parts + 1] = o.z.name .. " " .. o.z.labels[c.z] end
  return table.concat(parts, ", ")
end

-- Every cell is checked before anything is spent: the inputs (InvalidInput, naming
-- the field and the cell) and what one cell shows (one image).
local function check_cells(o, cells)
  local credits, probed = 0, {}
  for _, c in ipairs(cells) do
    local n = c.inputs.num_images
    if n ~= nil and n ~= 1 then
      raise("base.num_images", "a grid cell shows one image: expected 1 (or leave it out), got %s", tostring(n))
    end
    -- fashn checks references given as files only when it sends them: read each now
    for _, field in ipairs { "face_reference", "image_reference" } do
      local ref = c.inputs[field]
      if type(ref) == "string" and not ref:find("^%a[%w+.-]*://") and not ref:find("^data:") and not probed[ref] then
        local info, why = image.probe(ref)
        if not info then
          local e = atelier.error { name = "InvalidInput",
            message = string.format("recipe.grid: cell %s: %s: %s", cell_name(o, c), field, tostring(why)) }
          e.field = field
          error(e, 0)
        end
        probed[ref] = true
      end
    end
    local ok, res = pcall(fashn.cost, c.inputs)
    if not ok then
      if type(res) == "table" then
        res.message = string.format("recipe.grid: cell %s: %s", cell_name(o, c), tostring(res.message))
        error(res, 0)
      end
      error(res, 0)
    end
    c.estimate = res
    credits = credits + res
  end
  return credits
end

local function outputs(o)
  local paths = {}
  if not o.z then
    paths[1] = o.out
    return paths
  end
  local used = {}
  for i, label in ipairs(o.z.labels) do
    local s = slug(label)
    if s == "" or used[s] then s = "z" .. i end
    used[s] = true
    paths[i] = string.format("%s%s-%s.%s", o.dir, o.stem, s, o.ext)
  end
  return paths
end

local function say(settings, fmt, ...)
  if not settings.quiet then io.stderr:write("recipe.grid: ", string.format(fmt, ...), "\n") end
end

-- The title names the axes ("seed × face_reference_mode"), unless the caller gave one;
-- the legend under it holds the base prompt, the z value of this grid and the failures
-- (and the axes, when the title is the caller's). Long text is cut with an ellipsis.
local function axes_title(o)
  return o.y and (o.x.name .. " × " .. o.y.name) or o.x.name
end

local function legend(o, iz, nfailed)
  local parts = {}
  if o.title then
    parts[1] = "x: " .. o.x.name
    if o.y then parts[2] = "y: " .. o.y.name end
  end
  if o.z then parts[#parts + 1] = string.format("%s = %s", o.z.name, o.z.labels[iz]) end
  local p = o.base.prompt
  local varies = o.x.key == "prompt" or (o.y and o.y.key == "prompt") or (o.z and o.z.key == "prompt")
  if type(p) == "string" and not varies then parts[#parts + 1] = p end
  if nfailed > 0 then parts[#parts + 1] = string.format("%d failed", nfailed) end
  return table.concat(parts, "  ·  ")
end

-- Lays out one grid (the cells of one z value) and writes it to path.
local function compose(o, cells, path, iz)
  local nfailed = 0
  for _, c in ipairs(cells) do if c.status ~= "completed" then nfailed = nfailed + 1 end end
  local captions = o.captions
  if captions == nil then captions = nfailed > 0 or o.caption ~= nil end
  local rows = o.y and #o.y.values or 1
  local row_labels, row_width
  if o.y then
    row_labels = o.y.labels
    local longest = 0
    for _, l in ipairs(row_labels) do longest = math.max(longest, utf8.len(l) or #l) end
    -- about the width of the longest label at the label size, within 0.4 .. 1 cell
    local char_px = (tonumber(o.page.type_size) or 8) * 1.25 * 1.25 * 0.62 * o.dpi / 72
    row_width = math.floor(math.max(o.cell_width * 0.4, math.min(o.cell_width, longest * char_px + 8)))
  end
  local book = lookbook.new {
    title = o.title or axes_title(o), subtitle = legend(o, iz, nfailed),
    columns = #o.x.values, rows = rows, cell = o.page.cell, cell_width = o.cell_width .. "px", fit = o.fit,
    column_labels = o.x.labels, row_labels = row_labels, row_label_width = row_width and (row_width .. "px") or nil,
    caption_lines = captions and 1 or 0, page_numbers = false, dpi = o.dpi, quality = o.quality,
    gutter = o.page.gutter, margin = o.page.margin, background = o.page.background, color = o.page.color,
    type_size = o.page.type_size,
  }
  local g = book:geometry()
  for _, c in ipairs(cells) do
    local caption
    if o.caption then
      caption = o.caption(c)
      if caption ~= nil and type(caption) ~= "string" then
        raise("caption", "the function returned a %s for cell %s; expected a string or nil", type(caption), cell_name(o, c))
      end
    end
    if c.status == "completed" and c.image then
      book:add(c.image, { caption = caption, meta = { prompt = c.inputs.prompt, seed = c.inputs.seed } })
    else
      local why = c.error and c.error.name or c.status
      book:add(image.new(g.cell_width, g.cell_height, { 214, 214, 214, 255 }), { caption = "✕ " .. tostring(why) })
    end
  end
  if o.ext == "pdf" then
    book:save(path)
  else
    -- page images are named name-N.ext; a grid is one page, saved under its own name
    local dir, stem, ext = split_path(path)
    local tmp = string.format("%s.%s.atelier-grid.%s", dir, stem, ext)
    local written = book:save(tmp)
    local ok, err = os.rename(written[1], path)
    if not ok then
      os.remove(written[1])
      error(atelier.error { name = "SaveError", message = "recipe.grid: cannot rename the grid to " .. path .. ": " .. tostring(err) }, 0)
    end
  end
  book:close()
  return nfailed, g
end

-- Fails early, before any credit is spent, when the grid could not be written there.
-- (atelier.writable, not io.open: it never writes through a link planted at the probe.)
local function check_writable(path)
  local ok, err = atelier.writable(path)
  if not ok then
    error(atelier.error { name = "FileError",
      message = "recipe.grid: out: cannot write beside " .. path .. " (" .. tostring(err) .. "); nothing was submitted" }, 0)
  end
end

-- Runs fn(...); an error table it raises without a position gets the line that called
-- grid (at_caller <- grid <- the script), as the other modules' option errors do.
local function at_caller(fn, ...)
  local ok, a, b = pcall(fn, ...)
  if ok then return a, b end
  if type(a) == "table" and a.where == nil then a.where = atelier.error({ name = "x" }, 3).where end
  error(a, 0)
end

--- grid(spec) -> report. See README "Comparison grids".
function M.grid(spec)
  atelier.checkarg(spec, 1, "recipe.grid", "table")
  local o = at_caller(check_spec, spec)
  local cells = plan_cells(o)
  local estimate = at_caller(check_cells, o, cells)
  local files = outputs(o)
  local settings = fashn.settings()
  for _, p in ipairs(files) do check_writable(p) end
  -- refuse the whole grid rather than buy part of it and fail the rest
  if settings.max_credits >= 0 then
    local st = fashn.stats()
    local left = settings.max_credits - st.credits_spent - st.credits_reserved
    if estimate > left then
      error(atelier.error { name = "CreditLimitExceeded", message = string.format(
        "recipe.grid: the grid costs up to %d credits and --max-credits %d leaves %d; nothing was submitted",
        estimate, settings.max_credits, math.max(left, 0)) }, 0)
    end
  end
  local shape = tostring(#o.x.values)
  if o.y then shape = shape .. " x " .. #o.y.values end
  if o.z then shape = shape .. " x " .. #o.z.values end
  if settings.dry_run or estimate >= o.announce then
    say(settings, "%d cells (%s), up to %d credit%s -> %s", #cells, shape, estimate, estimate == 1 and "" or "s",
      table.concat(files, ", "))
  end
  local jobs = {}
  for i, c in ipairs(cells) do jobs[i] = fashn.submit(c.inputs, o.timeout and { timeout = o.timeout } or nil) end

  local report = { files = {}, grids = {}, cells = cells, credits = 0, estimate = estimate, failed = 0,
    dry_run = settings.dry_run }
  local per_grid = #o.x.values * (o.y and #o.y.values or 1)
  for g = 1, #files do
    local first = (g - 1) * per_grid
    local mine = {}
    for i = 1, per_grid do
      local c, job = cells[first + i], jobs[first + i]
      local r = job:wait { raise = false }
      jobs[first + i] = nil -- the cell keeps what it needs; the job can go
      c.status, c.id, c.credits, c.cached = r.status, r.id, r.credits or 0, r.cached
      c.error = r.error
      c.image = r.images and r.images[1] or nil
      if r.status == "completed" and not c.image then
        c.status = "failed"
        c.error = atelier.error { name = "NoImage", message = "the prediction completed without an image", id = r.id }
      end
      report.credits = report.credits + c.credits
      mine[i] = c
    end
    do -- a dry run saves too: into its rehearsal folder, placeholders marked DRY RUN
      local nfailed, geometry = compose(o, mine, files[g], g)
      for _, c in ipairs(mine) do c.file = files[g] end
      report.files[#report.files + 1] = files[g]
      report.grids[#report.grids + 1] = { file = files[g], z = o.z and o.z.labels[g] or nil, failed = nfailed,
        geometry = geometry }
      report.failed = report.failed + nfailed
      for _, c in ipairs(mine) do
        if c.status ~= "completed" then
          say(settings, "cell %s failed: %s", cell_name(o, c), tostring(c.error or c.status))
        end
      end
    end
  end
  if report.failed > 0 then
    say(settings, "%d of %d cells failed; their places show the error name", report.failed, #cells)
  end
  return report
end

M.label_of = label_of

return M
