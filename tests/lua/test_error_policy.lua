-- test_error_policy.lua — every public Lua function against the one error policy (README,
-- "Errors"; bindings/errors.h): a wrong argument type is a string argument error, a wrong
-- or unknown option a BadOption table naming it in `field`, an answer that is not a
-- failure `nil, message`; and each reports the line of this file that made the call,
-- never a file in scripts/ nor "[C]". The modules' tables and method tables are walked,
-- so a new public function without a case here fails the coverage case.
local T = require "testing"
local atelier = require "atelier"
local fashn = require "fashn"
local image = require "image"
local lookbook = require "lookbook"
local recipe = require "recipe"
local tasks = require "tasks"
local core = require "fashn.core"

local THIS = "test_error_policy%.lua"

-- Calls fn(...) from a line of this file (not a tail call: the frame must stay) and
-- returns the line, then pcall's results.
local function call(fn, ...)
  local args = table.pack(...)
  local line
  local res = table.pack(pcall(function()
    line = debug.getinfo(1, "l").currentline; local r = table.pack(fn(table.unpack(args, 1, args.n))); return r
  end))
  return line, table.unpack(res, 1, res.n)
end

-- `where` (or a string error's prefix) must be this file at `line`.
local function at_line(text, line, what)
  T.ok(type(text) == "string", what .. ": has a position")
  local file, l = text:match("^([^:]*):(%d+):")
  T.ok(file and file:find(THIS) and tonumber(l) == line,
    string.format("%s: reported at %s, expected this file's line %d (%s)", what, tostring(file) .. ":" ..
      tostring(l), line, text))
end

-- A wrong argument type: a string "file:line: bad argument #n to 'name' (...)".
local function arg_error(what, fn, ...)
  local line, ok, err = call(fn, ...)
  T.ok(not ok, what .. ": raised")
  T.ok(type(err) == "string", what .. ": an argument error is a string, got " .. T.describe(err))
  T.ok(err:find("bad argument #%d+ to '[^']+'") or err:find("calling '[^']+' on bad self"),
    what .. ": says bad argument: " .. err)
  at_line(err, line, what)
end

-- A wrong option: a BadOption table whose field names it, at this line.
local function bad_option(what, field, fn, ...)
  local line, ok, err = call(fn, ...)
  T.ok(not ok, what .. ": raised")
  T.ok(type(err) == "table" and err.name == "BadOption", what .. ": a BadOption table, got " .. T.describe(err))
  T.eq(err.field, field, what .. ": field")
  at_line(err.where, line, what)
  local last = field:match("[%w_]+$") -- margin.inside: "margin: unknown option 'inside'"
  T.ok(tostring(err):find(last, 1, true), what .. ": the message names the option: " .. tostring(err))
end

-- A failure: an error table named `name`, at this line.
local function failure(what, name, fn, ...)
  local line, ok, err = call(fn, ...)
  T.ok(not ok, what .. ": raised")
  T.ok(type(err) == "table" and err.name == name, what .. ": a " .. name .. " table, got " .. T.describe(err))
  at_line(err.where, line, what)
end

local function fn() end
local IMG = image.new(4, 4, { 1, 2, 3 })
local TASK = atelier.spawn(fn)

-- Every public function: a list of checks (each a function running them). Functions
-- taking no arguments are listed with NONE.
local NONE = {}
local CASES = {
  atelier = {
    sleep = function() arg_error("atelier.sleep('x')", atelier.sleep, "x") end,
    spawn = function() arg_error("atelier.spawn(5)", atelier.spawn, 5) end,
    gather = function() arg_error("atelier.gather{5}", atelier.gather, { 5 }) end,
    error = function() arg_error("atelier.error(5)", atelier.error, 5) end,
    argerror = function() arg_error("atelier.argerror('x')", atelier.argerror, "x") end,
    checkarg = function()
      arg_error("atelier.checkarg(value, 'x')", atelier.checkarg, 1, "x")
      -- what it is for: a Lua function of one's own, blamed at its caller's line
      local function mine(t) atelier.checkarg(t, 1, "mine", "table", "nil") return t end
      arg_error("mine(5)", mine, 5)
    end,
    writable = function()
      arg_error("atelier.writable(5)", atelier.writable, {})
      -- probing is an expected outcome, not a failure: nil, message
      local dir = T.tmpdir()
      T.write_file(dir .. "/file", "x")
      local ok, why = atelier.writable(dir .. "/file/x/y.png")
      T.eq(ok, nil, "an unwritable place answers nil")
      T.ok(type(why) == "string" and #why > 0, "with a message")
    end,
    now = NONE, running = NONE, interrupted = NONE,
  },
  tasks = {
    map = function()
      arg_error("tasks.map(5, fn)", tasks.map, 5, fn)
      arg_error("tasks.map({}, 5)", tasks.map, {}, 5)
      arg_error("tasks.map({}, fn, 5)", tasks.map, {}, fn, 5)
      bad_option("tasks.map concurrency = 0", "concurrency", tasks.map, {}, fn, { concurrency = 0 })
    end,
  },
  fashn = {
    submit = function()
      arg_error("fashn.submit(5)", fashn.submit, 5)
      arg_error("fashn.submit(inputs, 5)", fashn.submit, { prompt = "x" }, 5)
      bad_option("fashn.submit timeout = -1", "timeout", fashn.submit, { prompt = "x" }, { timeout = -1 })
      bad_option("fashn.submit unknown option", "retry", fashn.submit, { prompt = "x" }, { retry = true })
    end,
    run = function()
      arg_error("fashn.run(5)", fashn.run, 5)
      bad_option("fashn.run timeout = 'x'", "timeout", fashn.run, { prompt = "x" }, { timeout = "x" })
    end,
    gather = function()
      arg_error("fashn.gather(5)", fashn.gather, 5)
      arg_error("fashn.gather{5}", fashn.gather, { 5 })
      arg_error("fashn.gather({}, 5)", fashn.gather, {}, 5)
    end,
    map = function()
      arg_error("fashn.map(5, fn)", fashn.map, 5, fn)
      arg_error("fashn.map({}, 5)", fashn.map, {}, 5)
      bad_option("fashn.map concurrency = 1.5", "concurrency", fashn.map, {}, fn, { concurrency = 1.5 })
    end,
    configure = function()
      arg_error("fashn.configure(5)", fashn.configure, 5)
      bad_option("fashn.configure concurrency = 0", "concurrency", fashn.configure, { concurrency = 0 })
      bad_option("fashn.configure concurrency = 2.5", "concurrency", fashn.configure, { concurrency = 2.5 })
      bad_option("fashn.configure unknown", "concurency", fashn.configure, { concurency = 2 })
      bad_option("fashn.configure poll.rate", "poll.rate", fashn.configure, { poll = { rate = 0 } })
      bad_option("fashn.configure poll = 3", "poll", fashn.configure, { poll = 3 })
      bad_option("fashn.configure retry_unknown = 1", "retry_unknown", fashn.configure, { retry_unknown = 1 })
    end,
    cost = function() arg_error("fashn.cost(5)", fashn.cost, 5) end,
    reserve = function()
      arg_error("fashn.reserve(5)", fashn.reserve, 5)
      failure("fashn.reserve bad input", "InvalidInput", fashn.reserve, { { prompt = "x", num_images = 9 } })
    end,
    check = function()
      arg_error("fashn.check(5)", fashn.check, 5)
      failure("fashn.check bad input", "InvalidInput", fashn.check, { prompt = "x", num_images = 9 })
    end,
    models = function()
      -- takes nothing and never fails: an answer, a fresh list each call (the model
      -- descriptions are not the caller's to change)
      local line, ok, r = call(fashn.models)
      T.ok(line and ok and r.n == 1 and type(r[1]) == "table" and #r[1] > 0, "fashn.models(): a list")
      T.eq(r[1][1].name, "model-create", "the default model first")
      r[1][1].name = "changed"
      T.eq(fashn.models()[1].name, "model-create", "a copy: changing it changes nothing")
    end,
    credits = NONE, stats = NONE, settings = NONE,
  },
  image = {
    load = function()
      arg_error("image.load{}", image.load, {})
      failure("image.load of a missing file", "FileError", image.load, "/nonexistent/atelier/x.png")
    end,
    decode = function() arg_error("image.decode{}", image.decode, {}) end,
    probe = function()
      arg_error("image.probe{}", image.probe, {})
      -- an answer, not a failure: nil, message
      local line, ok, r = call(image.probe, "/nonexistent/atelier/x.png")
      T.ok(ok and r.n == 2 and r[1] == nil and type(r[2]) == "string", "image.probe of a missing file: nil, message")
      T.ok(line, "called")
    end,
    configure = function()
      arg_error("image.configure(5)", image.configure, 5)
      bad_option("image.configure workers = 0", "workers", image.configure, { workers = 0 })
      bad_option("image.configure cache = 'lots'", "cache", image.configure, { cache = "lots" })
      bad_option("image.configure unknown", "wrokers", image.configure, { wrokers = 2 })
    end,
    new = function()
      arg_error("image.new('x', 1)", image.new, "x", 1)
      arg_error("image.new(1, 1, 5)", image.new, 1, 1, 5)
    end,
  },
  lookbook = {
    new = function()
      arg_error("lookbook.new('x')", lookbook.new, "x")
      bad_option("lookbook.new columns = 'x'", "columns", lookbook.new, { columns = "x" })
      bad_option("lookbook.new layout", "layout", lookbook.new, { layout = "nope" })
      bad_option("lookbook.new unknown", "colums", lookbook.new, { colums = 2 })
      bad_option("lookbook.new page", "page", lookbook.new, { page = "B9" })
      bad_option("lookbook.new margin.top", "margin.top", lookbook.new, { margin = { top = true } })
      bad_option("lookbook.new margin unknown side", "margin.inside", lookbook.new, { margin = { inside = 1 } })
    end,
    label = function() arg_error("lookbook.label{}", lookbook.label, {}) end,
    line_sheet = function()
      arg_error("lookbook.line_sheet(5)", lookbook.line_sheet, 5)
      bad_option("lookbook.line_sheet items = 5", "items", lookbook.line_sheet, { items = 5 })
    end,
    main = function() arg_error("lookbook.main(5)", lookbook.main, 5) end,
  },
  recipe = {
    expand = function()
      arg_error("recipe.expand(5)", recipe.expand, 5)
      arg_error("recipe.expand('a', 5)", recipe.expand, "a", 5)
      bad_option("recipe.expand n = -1", "n", recipe.expand, "a", { n = -1 })
      bad_option("recipe.expand seed = 1.5", "seed", recipe.expand, "a", { n = 1, seed = 1.5 })
    end,
    count = function()
      arg_error("recipe.count(5)", recipe.count, 5)
      bad_option("recipe.count unknown", "bogus", recipe.count, "a", { bogus = 1 })
    end,
    configure = function()
      arg_error("recipe.configure(5)", recipe.configure, 5)
      bad_option("recipe.configure unknown", "bogus", recipe.configure, { bogus = 1 })
      bad_option("recipe.configure wildcards = 5", "wildcards", recipe.configure, { wildcards = 5 })
    end,
    product = function()
      arg_error("recipe.product(5)", recipe.product, 5)
      arg_error("recipe.product({}, 5)", recipe.product, {}, 5)
      bad_option("recipe.product order = 5", "order", recipe.product, { seed = { 1 } }, { order = 5 })
    end,
    cost = function()
      arg_error("recipe.cost(5)", recipe.cost, 5)
      arg_error("recipe.cost{5}", recipe.cost, { 5 })
    end,
    credits_for = function() arg_error("recipe.credits_for(5)", recipe.credits_for, 5) end,
    csv = function()
      arg_error("recipe.csv{}", recipe.csv, {})
      bad_option("recipe.csv unknown", "bogus", recipe.csv, "x.csv", { bogus = 1 })
      failure("recipe.csv of a missing file", "FileError", recipe.csv, "/nonexistent/atelier/x.csv")
    end,
    grid = function()
      arg_error("recipe.grid(5)", recipe.grid, 5)
      bad_option("recipe.grid unknown", "bogus", recipe.grid, { x = { seed = { 1 } }, out = "g.png", bogus = 1 })
      bad_option("recipe.grid cell_width", "cell_width", recipe.grid, { x = { seed = { 1 } }, out = "g.png", cell_width = 1 })
    end,
  },
}

-- Methods, by the table that holds them.
local function book() return lookbook.new{} end
local METHODS = {
  image = {
    table = getmetatable(IMG).methods,
    save = function()
      local img, dir = IMG:copy(), T.tmpdir()
      arg_error("img:save{}", img.save, img, {})
      arg_error("img:save(path, 5)", img.save, img, dir .. "/a.png", 5)
      bad_option("img:save quality = 0", "quality", img.save, img, dir .. "/a.jpg", { quality = 0 })
      bad_option("img:save unknown", "qualty", img.save, img, dir .. "/a.jpg", { qualty = 80 })
      -- a missing folder is created now; a folder that cannot be (under a file) is a failure
      T.write_file(dir .. "/file", "x")
      failure("img:save under a file", "FileError", img.save, img, dir .. "/file/no/a.png")
    end,
    encode = function()
      arg_error("img:encode{}", IMG.encode, IMG, {})
      arg_error("img:encode('png', 5)", IMG.encode, IMG, "png", 5)
      bad_option("img:encode effort = 10", "effort", IMG.encode, IMG, "png", { effort = 10 })
      bad_option("img:encode meta = 5", "meta", IMG.encode, IMG, "png", { meta = 5 })
      bad_option("img:encode meta holding a function", "f", IMG.encode, IMG, "png", { meta = { f = fn } })
    end,
    data_uri = function()
      arg_error("img:data_uri(5)", IMG.data_uri, IMG, 5)
      bad_option("img:data_uri format", "format", IMG.data_uri, IMG, { format = "gif" })
    end,
    resize = function()
      local img = IMG:copy()
      arg_error("img:resize(5)", img.resize, img, 5)
      bad_option("img:resize width = 0", "width", img.resize, img, { width = 0 })
      bad_option("img:resize fit", "fit", img.resize, img, { width = 2, fit = "stretch" })
      T.eq(img:resize{ width = 2.0 }.width, 2, "2.0 is an integer")
    end,
    crop = function()
      local img = IMG:copy()
      arg_error("img:crop(5)", img.crop, img, 5)
      bad_option("img:crop x = -1", "x", img.crop, img, { x = -1 })
    end,
    set_meta = function()
      local img = IMG:copy()
      arg_error("img:set_meta(5)", img.set_meta, img, 5)
      bad_option("img:set_meta holding a function", "f", img.set_meta, img, { f = fn })
    end,
    pixel = function() arg_error("img:pixel('x', 0)", IMG.pixel, IMG, "x", 0) end,
    copy = NONE, meta = NONE, bytes = NONE,
  },
  book = {
    table = getmetatable(book()).__index,
    add = function()
      local b = book()
      arg_error("book:add(5)", b.add, b, 5)
      arg_error("book:add(img, 5)", b.add, b, IMG, 5)
      bad_option("book:add unknown option", "captoin", b.add, b, IMG, { captoin = "x" })
      b:close()
    end,
    section = function()
      local b = book()
      arg_error("book:section{}", b.section, b, {})
      b:close()
    end,
    save = function()
      local b = book()
      arg_error("book:save{}", b.save, b, {})
      b:close()
    end,
    pages = function() arg_error("book.pages(5)", book().pages, 5) end,
    count = function() arg_error("book.count(5)", book().count, 5) end,
    inspect = function() arg_error("book.inspect(5)", book().inspect, 5) end,
    geometry = function() arg_error("book.geometry(5)", book().geometry, 5) end,
    close = function() arg_error("book.close(5)", book().close, 5) end,
  },
  job = {
    table = core.job_methods,
    wait = function()
      arg_error("job.wait(5)", core.job_methods.wait, 5)
      arg_error("job:wait(5)", core.job_methods.wait, newproxy and newproxy() or io.stdout, 5)
    end,
    result = function() arg_error("job.result(5)", core.job_methods.result, 5) end,
    status = function() arg_error("job.status(5)", core.job_methods.status, 5) end,
    done = function() arg_error("job.done(5)", core.job_methods.done, 5) end,
  },
  task = {
    table = getmetatable(TASK).__index,
    wait = function() arg_error("task.wait(5)", TASK.wait, 5) end,
    status = function() arg_error("task.status(5)", TASK.status, 5) end,
    result = function() arg_error("task.result(5)", TASK.result, 5) end,
    traceback = function() arg_error("task.traceback(5)", TASK.traceback, 5) end,
  },
}

local MODULES = { atelier = atelier, tasks = tasks, fashn = fashn, image = image, lookbook = lookbook, recipe = recipe }

-- Public: functions whose names do not start with "_" (those are internal).
local function public_functions(t)
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and type(v) == "function" and not k:find("^_") then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

T.case("every public function and method has its cases here", function()
  for mod, t in pairs(MODULES) do
    for _, name in ipairs(public_functions(t)) do
      T.ok(CASES[mod][name], string.format("%s.%s has no case in test_error_policy.lua", mod, name))
    end
  end
  for kind, m in pairs(METHODS) do
    T.ok(type(m.table) == "table", kind .. " methods found")
    for _, name in ipairs(public_functions(m.table)) do
      T.ok(m[name], string.format("%s:%s has no case in test_error_policy.lua", kind, name))
    end
  end
end)

for mod, cases in pairs(CASES) do
  local names = public_functions(cases)
  for _, name in ipairs(names) do
    if cases[name] ~= NONE then T.case(mod .. "." .. name .. " follows the error policy", cases[name]) end
  end
end

for kind, m in pairs(METHODS) do
  for name, check in pairs(m) do
    if name ~= "table" and check ~= NONE then T.case(kind .. ":" .. name .. " follows the error policy", check) end
  end
end
