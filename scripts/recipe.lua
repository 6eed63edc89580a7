-- recipe.lua — variation as data: cartesian sweeps over inputs, prompt templates with
-- wildcards, what a list of inputs would cost before any credit is spent, and labelled
-- comparison grids (recipe/grid.lua).
local atelier = require "atelier"
local template = require "recipe.template"

local M = {}

-- A wrong argument is an argument error (atelier.checkarg); a wrong value inside one is
-- an atelier error table named BadOption, pointing at the caller.
local function bad(msg, level, field)
  local e = atelier.error({ name = "BadOption", message = msg }, level + 1)
  e.field = field
  error(e, 0)
end

M.expand = template.expand
M.count = template.count
M.configure = template.configure

--- recipe.csv(path [, {delimiter =, header =}]) -> records: a CSV file (a collection,
--- a catalog of looks, a list of inputs) as a list of tables keyed by its header row;
--- records.header names the columns in order, records.lines[i] is record i's line.
--- The same as require("csv").read.
M.csv = require("csv").read

local function is_list(v)
  return type(v) == "table" and getmetatable(v) == nil and (#v > 0 or next(v) == nil)
end

--- product(spec, opts) -> list of input tables
--- Every key whose value is a list is an axis; other values are copied into every item.
--- Axes vary in opts.order (default: sorted key names), the last one fastest, so the
--- order is stable whatever Lua's table order. An empty axis yields an empty list.
--- More than opts.max (default M.PRODUCT_MAX) combinations are refused before anything
--- is built: a sweep that large is a mistake that would exhaust memory, not a plan.
M.PRODUCT_MAX = 100000

function M.product(spec, opts)
  atelier.checkarg(spec, 1, "recipe.product", "table")
  atelier.checkarg(opts, 2, "recipe.product", "table", "nil")
  local axes, constants = {}, {}
  for k, v in pairs(spec) do
    if type(k) ~= "string" then bad("recipe.product: input names must be strings, got " .. tostring(k), 2, "spec") end
    if is_list(v) then axes[#axes + 1] = k else constants[k] = v end
  end
  local order = opts and opts.order
  if order ~= nil and type(order) ~= "table" then
    bad("recipe.product: order must be a list of input names, got " .. type(order), 2, "order")
  end
  if order then
    local seen = {}
    for _, k in ipairs(order) do
      if not is_list(spec[k]) then bad("recipe.product: order names " .. tostring(k) .. ", which is not a list in the spec", 2, "order") end
      seen[k] = true
    end
    table.sort(axes)
    local rest = {}
    for _, k in ipairs(axes) do if not seen[k] then rest[#rest + 1] = k end end
    axes = {}
    for _, k in ipairs(order) do axes[#axes + 1] = k end
    for _, k in ipairs(rest) do axes[#axes + 1] = k end
  else
    table.sort(axes)
  end
  local max = opts and opts.max
  if max ~= nil and (math.type(max) ~= "integer" or max < 1) then
    bad("recipe.product: max must be an integer >= 1, got " .. tostring(max), 2)
  end
  max = max or M.PRODUCT_MAX
  -- Counted before building, stopping as soon as it passes max (no overflow).
  local count, sizes = 1, {}
  for i, k in ipairs(axes) do
    local n = #spec[k]
    sizes[i] = k .. " " .. n
    if n == 0 then count = 0 end
    if count > 0 and count <= max then count = count * n end
  end
  if count > max then
    bad(string.format("recipe.product: the axes (%s) make more than %d combinations; split the sweep, "
                      .. "or pass { max = N } if you mean it", table.concat(sizes, " x "), max), 2)
  end
  local out = {}
  local idx = {}
  for i = 1, #axes do
    if #spec[axes[i]] == 0 then return out end
    idx[i] = 1
  end
  while true do
    local item = {}
    for k, v in pairs(constants) do item[k] = v end
    for i, k in ipairs(axes) do item[k] = spec[k][idx[i]] end
    out[#out + 1] = item
    local i = #axes
    while i >= 1 do
      idx[i] = idx[i] + 1
      if idx[i] <= #spec[axes[i]] then break end
      idx[i] = 1
      i = i - 1
    end
    if i < 1 then return out end
  end
end

--- Credits one input table would spend and how many images it makes (fashn.cost's prices).
function M.credits_for(inputs)
  atelier.checkarg(inputs, 1, "recipe.credits_for", "table")
  -- fashn.cost checks every input (an unknown name is an InvalidInput) and prices it as the API does.
  local credits = require("fashn").cost(inputs)
  local n = math.tointeger(inputs.num_images or inputs.num_samples or 1) or 1
  return credits, n
end

--- cost(list) -> credits, images
--- What submitting every input table of the list would spend (each table's `model`,
--- default model-create, priced by its table: fashn.cost). Failed predictions cost
--- nothing, so this is the most a run can spend.
function M.cost(list)
  atelier.checkarg(list, 1, "recipe.cost", "table")
  if list.prompt ~= nil or list.model ~= nil then list = { list } end -- a single input table
  for i, inputs in ipairs(list) do
    if type(inputs) ~= "table" then
      atelier.argerror(1, "recipe.cost", "list of input tables expected, item " .. i .. " is a " .. type(inputs))
    end
  end
  local credits, images = 0, 0
  for _, inputs in ipairs(list) do
    local c, n = M.credits_for(inputs)
    credits = credits + c
    images = images + n
  end
  return credits, images
end

--- grid{base =, x =, y =, z =, out =, ...} -> report: a labelled comparison grid
--- (recipe/grid.lua; loaded on first use, so sweeps and templates need no API client).
function M.grid(spec)
  atelier.checkarg(spec, 1, "recipe.grid", "table")
  return require("recipe.grid").grid(spec)
end

return M
