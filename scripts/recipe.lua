-- recipe.lua — variation as data: cartesian sweeps over inputs, prompt templates with
-- wildcards, what a list of inputs would cost before any credit is spent, and labelled
-- comparison grids (recipe/grid.lua).
local atelier = require "atelier"
local template = require "recipe.template"

local M = {}

-- Argument errors are atelier error tables named BadOption, pointing at the caller.
local function bad(msg, level)
  error(atelier.error({ name = "BadOption", message = msg }, level + 1), 0)
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
function M.product(spec, opts)
  if type(spec) ~= "table" then bad("recipe.product: expected a table of inputs, got " .. type(spec), 2) end
  local axes, constants = {}, {}
  for k, v in pairs(spec) do
    if type(k) ~= "string" then bad("recipe.product: input names must be strings, got " .. tostring(k), 2) end
    if is_list(v) then axes[#axes + 1] = k else constants[k] = v end
  end
  if opts ~= nil and type(opts) ~= "table" then bad("recipe.product: options must be a table, got " .. type(opts), 2) end
  local order = opts and opts.order
  if order ~= nil and type(order) ~= "table" then
    bad("recipe.product: order must be a list of input names, got " .. type(order), 2)
  end
  if order then
    local seen = {}
    for _, k in ipairs(order) do
      if not is_list(spec[k]) then bad("recipe.product: order names " .. tostring(k) .. ", which is not a list in the spec", 2) end
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
  if type(inputs) ~= "table" then bad("recipe.cost: each item must be an input table, got " .. type(inputs), 3) end
  -- fashn.cost checks every input (an unknown name is an InvalidInput) and prices it as the API does.
  local credits = require("fashn").cost(inputs)
  local n = math.tointeger(inputs.num_images or inputs.num_samples or 1) or 1
  return credits, n
end

--- cost(list) -> credits, images
--- What submitting every input table of the list would spend (the contract's price:
--- 1 credit per image, 4 with face_reference). Failed predictions cost nothing, so
--- this is the most a run can spend.
function M.cost(list)
  if type(list) ~= "table" then bad("recipe.cost: expected a list of input tables, got " .. type(list), 2) end
  if list.prompt ~= nil then list = { list } end -- a single input table
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
  return require("recipe.grid").grid(spec)
end

return M
