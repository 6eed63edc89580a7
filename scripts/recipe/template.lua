-- recipe/template.lua — prompt templates: `{a|b}` alternatives, `{2$$a|b|c}` picks,
-- `__name__` wildcards from text files, nesting and `\` escapes. Expands to every
-- combination, or to n distinct prompts drawn reproducibly from a seed.
local atelier = require "atelier"

local M = {}

-- Errors are atelier error tables (name + message), like the rest of the runtime's.
-- level, as error(msg, level) counts from the function calling raise, places `where` at
-- the script's line (check_opts: 3 = the caller of count/expand); nil = no position.
local function raise(name, msg, level, field)
  local e = atelier.error({ name = name, message = msg }, level and level + 1)
  e.field = field
  error(e, 0)
end

local DEFAULT_MAX = 10000        -- combinations before we refuse (credits are real money)
local MAX_WILDCARD_BYTES = 1 << 20
local MAX_WILDCARD_DEPTH = 16

-- ---------------------------------------------------------------------------------
-- Parsing: text -> sequence of nodes
--   { kind = "text", s = "..." }
--   { kind = "group", options = { seq, ... }, lo = k, hi = k, sep = ", " }
--   { kind = "wild", name = "colors/warm" }

local function parse_error(src, pos, msg, hint)
  raise("TemplateError", string.format("recipe.expand: %s at character %d of %q%s", msg, pos, src, hint and " (" .. hint .. ")" or ""))
end

local parse_seq

-- Reads an optional "K$$", "L-H$$" or "K$$sep$$" head of a group starting at i.
local function parse_pick_head(src, i)
  local lo, hi, j
  local a, b, e = src:match("^(%d*)%-(%d*)%$%$()", i)
  if e then
    lo, hi, j = tonumber(a) or 1, tonumber(b), e
  else
    local k
    k, e = src:match("^(%d+)%$%$()", i)
    if not e then return nil end
    lo, hi, j = tonumber(k), tonumber(k), e
  end
  -- an optional separator: text up to the next "$$" that comes before any | or }
  local sep = ", "
  local stop = src:find("[|}]", j) or #src + 1
  local d = src:find("$$", j, true)
  if d and d < stop then
    sep = src:sub(j, d - 1)
    j = d + 2
  end
  return lo, hi, sep, j
end

-- Parses a sequence starting at i until one of the `closers` characters (or the end).
-- Returns nodes and the index of the character that stopped it.
function parse_seq(src, i, closers, open_pos)
  local nodes, text = {}, {}
  local function flush()
    if #text > 0 then
      nodes[#nodes + 1] = { kind = "text", s = table.concat(text) }
      text = {}
    end
  end
  local n = #src
  while i <= n do
    local c = src:sub(i, i)
    if c == "\\" then
      if i == n then parse_error(src, i, "a lone '\\' at the end (escape what?)") end
      text[#text + 1] = src:sub(i + 1, i + 1)
      i = i + 2
    elseif closers and closers:find(c, 1, true) then
      flush()
      return nodes, i
    elseif c == "}" then
      parse_error(src, i, "unbalanced '}'", "no '{' opens it")
    elseif c == "|" then
      -- a bare | outside any group is literal text
      text[#text + 1] = c
      i = i + 1
    elseif c == "{" then
      flush()
      local group = { kind = "group", options = {}, lo = 1, hi = 1, sep = ", " }
      local j = i + 1
      local lo, hi, sep, after = parse_pick_head(src, j)
      if lo then
        group.lo, group.hi, group.sep, j = lo, hi, sep, after
      end
      while true do
        local seq, stop = parse_seq(src, j, "|}", i)
        group.options[#group.options + 1] = seq
        if stop > n then parse_error(src, i, "unbalanced '{'", "no '}' closes it") end
        j = stop + 1
        if src:sub(stop, stop) == "}" then break end
      end
      local count = #group.options
      group.hi = group.hi or count
      if group.lo > count then
        parse_error(src, i, string.format("picks %d of only %d options", group.lo, count))
      elseif group.lo > group.hi then
        parse_error(src, i, string.format("a pick range %d-%d runs backwards", group.lo, group.hi))
      end
      if group.hi > count then
        parse_error(src, i, string.format("picks %d of only %d options", group.hi, count))
      end
      nodes[#nodes + 1] = group
      i = j
    elseif src:sub(i, i + 1) == "__" then
      local name, e = src:match("^__([%w][%w_%-/%.]-)__()", i)
      if name then
        flush()
        nodes[#nodes + 1] = { kind = "wild", name = name }
        i = e
      else
        text[#text + 1] = "__"
        i = i + 2
      end
    else
      text[#text + 1] = c
      i = i + 1
    end
  end
  flush()
  if closers then parse_error(src, open_pos or i, "unbalanced '{'", "no '}' closes it") end
  return nodes, i
end

--- Parses a template into its node list; raises with the character position on errors.
function M.parse(src)
  if type(src) ~= "string" then raise("BadOption", "recipe.expand: the template must be a string, got " .. type(src)) end
  return (parse_seq(src, 1, nil))
end

-- ---------------------------------------------------------------------------------
-- Wildcards: __name__ -> lines of <dir>/name.txt, each a template itself

local configured = nil -- M.configure{wildcards = ...}: directories searched by default

-- A directory or a list of directories, checked; `what` names the option in errors.
local function dir_list(w, what, level)
  if type(w) == "string" and w ~= "" then return { w } end
  if type(w) == "table" and #w > 0 then
    local dirs = {}
    for i, d in ipairs(w) do
      if type(d) ~= "string" or d == "" then
        raise("BadOption", string.format("%s[%d]: expected a directory name, got %s", what, i, tostring(d)), level, "wildcards")
      end
      dirs[i] = d
    end
    return dirs
  end
  raise("BadOption", string.format("%s: expected a directory or a list of directories, got %s", what, tostring(w)), level, "wildcards")
end

-- Where __name__ files are looked for: opts.wildcards, else what configure set, else
-- wildcards/ beside the running script (the working directory for -e and stdin).
local function wildcard_dirs(opts)
  -- dir_list <- wildcard_dirs <- new_ctx <- expand/count <- the script
  if opts.wildcards ~= nil then return dir_list(opts.wildcards, "recipe.expand: wildcards", 5) end
  if configured then return configured end
  local script = arg and arg[0]
  local dir = script and script ~= "-" and script:match("^(.*)/[^/]*$") or "."
  return { dir .. "/wildcards" }
end

--- configure{wildcards = dir | {dir, ...} | false}: where __name__ files are looked for
--- when expand is not given opts.wildcards (false: back to wildcards/ beside the script).
function M.configure(settings)
  atelier.checkarg(settings, 1, "recipe.configure", "table")
  for k in pairs(settings) do
    if k ~= "wildcards" then raise("BadOption", "recipe.configure: unknown setting " .. tostring(k) .. " (known: wildcards)", 2, tostring(k)) end
  end
  if settings.wildcards == false then
    configured = nil
  elseif settings.wildcards ~= nil then
    configured = dir_list(settings.wildcards, "recipe.configure: wildcards", 3)
  end
end

local function load_wildcard(name, ctx)
  if name:find("%.%.") or name:sub(1, 1) == "/" then
    raise("TemplateError", string.format("recipe.expand: wildcard __%s__ must not leave the wildcards directory", name))
  end
  local cached = ctx.cache[name]
  if cached then return cached end
  local tried = {}
  for _, dir in ipairs(ctx.dirs) do
    local path = dir .. "/" .. name .. ".txt"
    tried[#tried + 1] = path
    local f = io.open(path, "rb")
    if f then
      local data = f:read(MAX_WILDCARD_BYTES + 1) or ""
      f:close()
      if #data > MAX_WILDCARD_BYTES then
        raise("TemplateError", string.format("recipe.expand: wildcard file %s is larger than %d bytes", path, MAX_WILDCARD_BYTES))
      end
      local options = {}
      for line in (data .. "\n"):gmatch("(.-)\r?\n") do
        local s = line:match("^%s*(.-)%s*$")
        if s ~= "" and s:sub(1, 1) ~= "#" then
          local ok, seq = pcall(M.parse, s)
          if not ok then raise("TemplateError", string.format("%s (in wildcard file %s)", type(seq) == "table" and seq.message or tostring(seq), path)) end
          options[#options + 1] = seq
        end
      end
      if #options == 0 then
        raise("TemplateError", string.format("recipe.expand: wildcard file %s has no options", path))
      end
      ctx.cache[name] = options
      return options
    end
  end
  raise("TemplateError", string.format("recipe.expand: no file for wildcard __%s__ (looked for %s)", name, table.concat(tried, ", ")))
end

-- ---------------------------------------------------------------------------------
-- Counting and expanding

local count_seq

local function binomial(n, k)
  local r = 1
  for i = 1, k do r = r * (n - k + i) / i end
  return math.floor(r + 0.5)
end

-- Combinations of k distinct indices out of n, in order.
local function combinations(n, k, fn)
  local idx = {}
  for i = 1, k do idx[i] = i end
  while true do
    fn(idx)
    local i = k
    while i >= 1 and idx[i] == n - k + i do i = i - 1 end
    if i < 1 then return end
    idx[i] = idx[i] + 1
    for j = i + 1, k do idx[j] = idx[j - 1] + 1 end
  end
end

local function enter_wild(node, ctx)
  if ctx.depth >= MAX_WILDCARD_DEPTH or ctx.active[node.name] then
    raise("TemplateError", string.format("recipe.expand: wildcard __%s__ refers back to itself", node.name))
  end
  ctx.active[node.name] = true
  ctx.depth = ctx.depth + 1
end

local function leave_wild(node, ctx)
  ctx.active[node.name] = nil
  ctx.depth = ctx.depth - 1
end

local function count_node(node, ctx)
  if node.kind == "text" then return 1 end
  if node.kind == "wild" then
    local options = load_wildcard(node.name, ctx)
    enter_wild(node, ctx)
    local total = 0
    for _, seq in ipairs(options) do total = total + count_seq(seq, ctx) end
    leave_wild(node, ctx)
    return total
  end
  local counts = {}
  for i, seq in ipairs(node.options) do counts[i] = count_seq(seq, ctx) end
  if node.lo == 1 and node.hi == 1 then
    local total = 0
    for _, c in ipairs(counts) do total = total + c end
    return total
  end
  -- picks: exact count is a sum over combinations; bound it cheaply when huge
  local total = 0
  for k = node.lo, node.hi do
    if binomial(#counts, k) > 1e6 then return math.huge end
    combinations(#counts, k, function(idx)
      local p = 1
      for _, i in ipairs(idx) do p = p * counts[i] end
      total = total + p
    end)
  end
  return total
end

function count_seq(seq, ctx)
  local total = 1
  for _, node in ipairs(seq) do
    total = total * count_node(node, ctx)
    if total > 1e15 then return math.huge end
  end
  return total
end

local expand_seq

local function expand_node(node, ctx)
  if node.kind == "text" then return { node.s } end
  local out = {}
  if node.kind == "wild" then
    local options = load_wildcard(node.name, ctx)
    enter_wild(node, ctx)
    for _, seq in ipairs(options) do
      for _, s in ipairs(expand_seq(seq, ctx)) do out[#out + 1] = s end
    end
    leave_wild(node, ctx)
    return out
  end
  local expanded = {}
  for i, seq in ipairs(node.options) do expanded[i] = expand_seq(seq, ctx) end
  for k = node.lo, node.hi do
    if k == 0 then
      out[#out + 1] = ""
    else
      combinations(#expanded, k, function(idx)
        local parts = { "" }
        for pi, i in ipairs(idx) do
          local nxt = {}
          for _, prefix in ipairs(parts) do
            for _, s in ipairs(expanded[i]) do
              nxt[#nxt + 1] = pi == 1 and s or (prefix .. node.sep .. s)
            end
          end
          parts = nxt
        end
        for _, s in ipairs(parts) do out[#out + 1] = s end
      end)
    end
  end
  return out
end

function expand_seq(seq, ctx)
  local acc = { "" }
  for _, node in ipairs(seq) do
    local choices = expand_node(node, ctx)
    local nxt = {}
    for _, prefix in ipairs(acc) do
      for _, s in ipairs(choices) do nxt[#nxt + 1] = prefix .. s end
    end
    acc = nxt
  end
  return acc
end

-- ---------------------------------------------------------------------------------
-- Random draws: a small seeded generator of our own, so draws do not depend on (or
-- disturb) math.random's global state.

local function new_rng(seed)
  local state = (math.tointeger(seed) or 0) ~ 0x9E3779B97F4A7C15
  return function(n) -- uniform integer in 1..n (splitmix64)
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    return (z >> 1) % n + 1
  end
end

local sample_seq

local function sample_node(node, ctx, rng)
  if node.kind == "text" then return node.s end
  if node.kind == "wild" then
    local options = load_wildcard(node.name, ctx)
    enter_wild(node, ctx)
    local s = sample_seq(options[rng(#options)], ctx, rng)
    leave_wild(node, ctx)
    return s
  end
  local k = node.lo + rng(node.hi - node.lo + 1) - 1
  -- k distinct options, kept in template order
  local pool = {}
  for i = 1, #node.options do pool[i] = i end
  local chosen = {}
  for _ = 1, k do
    local j = rng(#pool)
    chosen[#chosen + 1] = table.remove(pool, j)
  end
  table.sort(chosen)
  local parts = {}
  for _, i in ipairs(chosen) do parts[#parts + 1] = sample_seq(node.options[i], ctx, rng) end
  return table.concat(parts, node.sep)
end

function sample_seq(seq, ctx, rng)
  local parts = {}
  for _, node in ipairs(seq) do parts[#parts + 1] = sample_node(node, ctx, rng) end
  return table.concat(parts)
end

-- ---------------------------------------------------------------------------------

local function new_ctx(opts)
  return { dirs = wildcard_dirs(opts), cache = {}, active = {}, depth = 0 }
end

local EXPAND_OPTIONS = { n = true, seed = true, max = true, wildcards = true }

-- An integer as every option reader takes one: 2 and 2.0, not 2.5 or "2".
local function is_int(v) return type(v) == "number" and math.tointeger(v) ~= nil end

local function check_opts(opts, fname)
  if opts == nil then return {} end
  -- check_opts <- count/expand <- the script: errors at level 3
  if type(opts) ~= "table" then atelier.argerror(2, fname, "table expected, got " .. type(opts), 3) end
  for k in pairs(opts) do
    if not EXPAND_OPTIONS[k] then
      raise("BadOption", fname .. ": unknown option " .. tostring(k) .. " (known: n, seed, max, wildcards)", 3, tostring(k))
    end
  end
  if opts.seed ~= nil and not is_int(opts.seed) then
    raise("BadOption", fname .. ": seed must be an integer, got " .. tostring(opts.seed), 3, "seed")
  end
  if opts.max ~= nil and (not is_int(opts.max) or opts.max < 1) then
    raise("BadOption", fname .. ": max must be an integer >= 1, got " .. tostring(opts.max), 3, "max")
  end
  return opts
end

--- Number of prompts the template expands to (math.huge when astronomically many).
function M.count(src, opts)
  atelier.checkarg(src, 1, "recipe.count", "string")
  opts = check_opts(opts, "recipe.count")
  return count_seq(M.parse(src), new_ctx(opts))
end

--- expand(template, opts) -> list of prompts
--- opts.n: draw n distinct prompts (fewer if the template has fewer) reproducibly from
--- opts.seed (default 0) instead of listing every combination; opts.max: refuse to list
--- more than this many combinations (default 10000); opts.wildcards: a directory (or a
--- list) holding name.txt files (default: what configure set, else wildcards/ beside
--- the running script).
function M.expand(src, opts)
  atelier.checkarg(src, 1, "recipe.expand", "string")
  opts = check_opts(opts, "recipe.expand")
  if opts.n ~= nil and (not is_int(opts.n) or opts.n < 0) then
    raise("BadOption", "recipe.expand: n must be an integer >= 0, got " .. tostring(opts.n), 2, "n")
  end
  local seq = M.parse(src)
  local ctx = new_ctx(opts)
  local total = count_seq(seq, ctx)
  local max = opts.max and math.tointeger(opts.max) or DEFAULT_MAX
  if opts.n == nil then
    if total > max then
      raise("TemplateError", string.format("recipe.expand: %q expands to %s prompts, more than max = %d " ..
        "(draw a sample with n = ..., or raise max)", src, total == math.huge and "too many" or
        string.format("%d", total), max))
    end
    return expand_seq(seq, ctx)
  end
  local want = math.tointeger(opts.n)
  if total <= max and total <= want then
    return expand_seq(seq, ctx) -- every prompt there is
  end
  local rng = new_rng(opts.seed and math.tointeger(opts.seed) or 0)
  local out, seen = {}, {}
  local attempts = 0
  while #out < want and attempts < want * 50 + 100 do
    attempts = attempts + 1
    local s = sample_seq(seq, ctx, rng)
    if not seen[s] then
      seen[s] = true
      out[#out + 1] = s
    end
  end
  if #out < want and total <= max then
    -- duplicates crowd the draw: pick the rest from the full list
    local all = expand_seq(seq, ctx)
    for i = #all, 2, -1 do
      local j = rng(i)
      all[i], all[j] = all[j], all[i]
    end
    for _, s in ipairs(all) do
      if #out >= want then break end
      if not seen[s] then seen[s] = true out[#out + 1] = s end
    end
  end
  return out
end

return M
