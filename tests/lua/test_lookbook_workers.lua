-- test_lookbook_workers.lua — book:save on the worker pool: other tasks keep running while
-- a lookbook's pages are drawn and encoded (and not at all with workers = 1, today's
-- behaviour), and while book:add and book:count wait for the lookbook's decode queue;
-- the pages are the same either way; another task calling the book while a save has it
-- waits its turn (and raises where it cannot wait); closing it mid-save, or ending the
-- run, is clean; the decodes of book:add run on that same pool, with no threads of the
-- lookbook's own, and two books filled and saved at once on it neither deadlock nor mix
-- up their pages.
local T = require "testing"

-- Runs a Lua chunk in a child atelier (its own worker pool); returns the run.
local function child(src, args, env)
  local dir = T.tmpdir()
  T.write_file(dir .. "/c.lua", src)
  local argv = { T.atelier, dir .. "/c.lua" }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  env = env or {}
  env.OUT = env.OUT or dir
  return T.run(argv, { env = env, cwd = dir })
end

-- Chunk text: image, lookbook, atelier and out (the OUT folder) in scope, the pool sized
-- by arg[1], and a detailed picture (a w x h crop of a flat one) written to out/name.
local function picture(w, h, name)
  return string.format([[
  local image, lookbook, atelier = require "image", require "lookbook", require "atelier"
  image.configure{ workers = tonumber(arg[1]) }
  local out = os.getenv("OUT")
  local src = image.new(%d, %d, { 120, 80, 40 })
  src:crop{ x = 3, y = 5, width = %d, height = %d }
  local f = io.open(out .. "/%s", "wb")
  f:write(src:encode("png", { effort = 1 }))
  f:close()
]], w + 10, h + 16, w, h, name)
end

-- Chunk text: `setup`, then `measured` while another task ticks, then prints `result`
-- and the ticks: the ticker yields to the loop every turn (sleep(0)), so it advances
-- exactly when the loop turns.
local function ticking(setup, measured, result)
  return setup .. [[
  local ticks, done = 0, false
  local ticker = atelier.spawn(function()
    while not done do ticks = ticks + 1; atelier.sleep(0) end
  end)
  atelier.sleep(0) -- the ticker is running
  local before = ticks
]] .. measured .. [[
  local during = ticks - before
  done = true
  atelier.gather(ticker)
  print(]] .. result .. [[, during)
]]
end

-- A book of 16 detailed photos-like cells (4 PNG pages at 150 dpi: a save of a good
-- fraction of a second), `book` in the chunk; then `body`.
local BOOK = picture(870, 1160, "in.png") .. [[
  local book = lookbook.new { columns = 2, rows = 2, title = "Workers" }
  for i = 1, 16 do book:add(out .. "/in.png", { caption = "look " .. i }) end
]]

-- Counts the turns another task gets while book:save runs.
local TICKS = ticking(BOOK, '  local files = book:save(out .. "/book.png")\n', "#files")

T.case("another task keeps running while book:save draws and encodes on a worker", function()
  local r = child(TICKS, { "2" })
  T.eq(r.code, 0, r.stderr)
  local n, during = r.stdout:match("(%d+)%s+(%d+)")
  T.eq(tonumber(n), 4, "16 cells of 2x2: 4 pages: " .. r.stdout)
  T.ok(tonumber(during) > 0, "the loop turned while the book was saved: " .. r.stdout)
end)

T.case("with workers = 1 book:save runs on the script's thread, as before the pool", function()
  local r = child(TICKS, { "1" })
  T.eq(r.code, 0, r.stderr)
  local n, during = r.stdout:match("(%d+)%s+(%d+)")
  T.eq(tonumber(n), 4, r.stdout)
  T.eq(tonumber(during), 0, "nothing else runs while the script's thread saves")
end)

-- The same for adds: the lookbook decodes files on the worker pool (one file per pool
-- thread at a time) and book:add waits for room; book:count for all of them.
local ADDS = ticking(picture(1990, 1990, "big.png") .. "  local book = lookbook.new { columns = 2, rows = 2 }\n",
  [[
  for i = 1, 8 do book:add(out .. "/big.png", { caption = "look " .. i }) end
  local n = book:count()
]], "n")

T.case("another task keeps running while book:add and book:count wait for decodes", function()
  if tonumber(io.popen("nproc"):read("l")) < 2 then T.skip("one CPU: the lookbook decodes on the script's thread") end
  local r = child(ADDS, { "2" })
  T.eq(r.code, 0, r.stderr)
  local n, during = r.stdout:match("(%d+)%s+(%d+)")
  T.eq(tonumber(n), 8, r.stdout)
  T.ok(tonumber(during) > 0, "the loop turned while the adds waited for the decodes: " .. r.stdout)
  local one = child(ADDS, { "1" })
  T.eq(one.code, 0, one.stderr)
  T.eq(one.stdout, "8\t0\n", "with workers = 1 the adds wait on the script's thread, as before")
end)

T.case("the pages are byte for byte the same on the pool and on the script's thread", function()
  local src = BOOK .. [[
    local sums = {}
    for _, ext in ipairs { "png", "pdf", "html" } do
      local files = book:save(out .. "/w" .. arg[1] .. "/book." .. ext)
      for _, p in ipairs(files) do
        local h = io.open(p, "rb")
        local data = h and h:read("a") or "(folder)"
        if h then h:close() end
        sums[#sums + 1] = p:gsub("^.*/w%d/", "") .. "=" .. #data
      end
    end
    print(table.concat(sums, " "))
  ]]
  local dir = T.tmpdir()
  local a = child(src, { "1" }, { OUT = dir })
  local b = child(src, { "2" }, { OUT = dir })
  T.eq(a.code, 0, a.stderr)
  T.eq(b.code, 0, b.stderr)
  T.eq(b.stdout, a.stdout, "the same files from both")
  for i = 1, 4 do
    T.eq(T.read_file(dir .. "/w2/book-" .. i .. ".png"), T.read_file(dir .. "/w1/book-" .. i .. ".png"),
      "page " .. i .. " identical")
  end
end)

T.case("calls from other tasks wait while a save has the book, in the order they came", function()
  local r = child(BOOK .. [[
    local saver = atelier.spawn(function() return book:save(out .. "/book.pdf") end)
    local seen = {}
    local adder = atelier.spawn(function()
      atelier.sleep(0) -- the save is on a worker by now
      seen[#seen + 1] = tostring(book)
      local n = book:add(out .. "/in.png", { caption = "late" }) -- waits for the save
      seen[#seen + 1] = "add " .. n
    end)
    local counter = atelier.spawn(function()
      atelier.sleep(0)
      local n = book:count() -- after the add: it came second
      seen[#seen + 1] = "count " .. n
    end)
    -- a call that cannot wait (inside table.sort's comparator) raises instead
    local cannot = atelier.spawn(function()
      atelier.sleep(0)
      local ok, e = pcall(table.sort, { 2, 1 }, function(a, b) book:pages() return a < b end)
      seen[#seen + 1] = tostring(ok) .. " " .. tostring(e.name) .. " " .. tostring(e.message)
    end)
    local files = atelier.gather(saver)
    atelier.gather(adder, counter, cannot)
    print(#files .. " " .. io.open(files[1], "rb"):read("a"):sub(1, 5))
    print(table.concat(seen, "\n"))
  ]], { "2" })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^1 %%PDF%-")
  T.match(r.stdout, "\nlookbook %(in use by another task%)\n")
  T.match(r.stdout, "\nfalse BadOption the lookbook is in use by another task %(saving, or waiting for its images%), and this call cannot wait here")
  T.match(r.stdout, "\nadd 17\ncount 17")
end)

T.case("closing a book mid-save lets the save finish; waiting calls then see it closed", function()
  local r = child(BOOK .. [[
    local saver = atelier.spawn(function() return book:save(out .. "/book.png") end)
    local seen = {}
    local waiter = atelier.spawn(function()
      atelier.sleep(0)
      local ok, e = pcall(book.count, book) -- waits, then finds the book closed
      seen[#seen + 1] = tostring(ok) .. " " .. tostring(e.message)
    end)
    local closer = atelier.spawn(function()
      atelier.sleep(0)
      book:close() -- the save keeps the book until it has ended, then frees it
      seen[#seen + 1] = tostring(book)
    end)
    local files = atelier.gather(saver)
    atelier.gather(waiter, closer)
    print(#files)
    print(table.concat(seen, "\n"))
  ]], { "2" })
  T.eq(r.code, 0, r.stderr)
  T.match(r.stdout, "^4\n")
  T.match(r.stdout, "lookbook %(closed%)")
  T.match(r.stdout, "false the lookbook is closed")
  T.ok(not r.stderr:match("Sanitizer") and not r.stderr:match("leak"), r.stderr)
end)

T.case("a run that ends while a book is being saved ends cleanly", function()
  local r = child(BOOK .. [[
    atelier.spawn(function() book:save(out .. "/late.pdf") end)
    atelier.spawn(function() atelier.sleep(0); book:count() end) -- waiting for the save
    atelier.sleep(0)
    error("stop now")
  ]], { "2" })
  T.eq(r.code, 1, "the main task's error ends the run")
  T.match(r.stderr, "stop now")
  T.ok(not r.stderr:match("leak") and not r.stderr:match("Sanitizer"), r.stderr)
end)

T.case("the book is usable again once its save has returned", function()
  local r = child(BOOK .. [[
    book:save(out .. "/a.pdf")
    book:add(out .. "/in.png", { caption = "one more" })
    print(book:count(), #book:save(out .. "/b.png"))
  ]], { "2" })
  T.eq(r.code, 0, r.stderr)
  T.eq(r.stdout, "17\t5\n")
end)

-- The lookbook decodes its files on the shared worker pool, whose size is the one
-- setting: it starts no threads of its own (it used to start one per CPU, at most 4,
-- whatever image.configure said). The process's threads are counted from
-- /proc/self/status before the first add and after each, while decodes are in flight.
local THREADS = [[
  local image, lookbook, atelier = require "image", require "lookbook", require "atelier"
  image.configure{ workers = tonumber(arg[1]) }
  local function threads()
    local f = assert(io.open("/proc/self/status"))
    local s = f:read("a")
    f:close()
    return tonumber(s:match("Threads:%s*(%d+)"))
  end
  local out = os.getenv("OUT")
  local src = image.new(1200, 1600, { 120, 80, 40 })
  local f = io.open(out .. "/in.png", "wb")
  f:write(src:encode("png", { effort = 1 })) -- starts the pool (workers > 1)
  f:close()
  local book = lookbook.new { columns = 2, rows = 2 }
  -- Pango starts short-lived threads of its own while a book loads its fonts: wait
  -- for them to end (at most 10 s) before counting ours.
  local want = 1 + (tonumber(arg[1]) > 1 and tonumber(arg[1]) or 0)
  for _ = 1, 1000 do
    if threads() <= want then break end
    atelier.sleep(0.01)
  end
  local base = threads()
  local most = base
  for i = 1, 8 do
    book:add(out .. "/in.png")
    most = math.max(most, threads())
  end
  print(base, most, book:count())
]]

T.case("the lookbook starts no threads of its own: with workers = 3 the pool's, with 1 none", function()
  if not io.open("/proc/self/status") then T.skip("no /proc/self/status to count threads in") end
  local r = child(THREADS, { "3" })
  T.eq(r.code, 0, r.stderr)
  local base, most, n = r.stdout:match("(%d+)%s+(%d+)%s+(%d+)")
  T.eq(tonumber(n), 8, r.stdout)
  T.eq(tonumber(base), 4, "the script's thread and the pool's 3: " .. r.stdout)
  T.eq(tonumber(most), tonumber(base), "no thread more while the book decodes: " .. r.stdout)
  local one = child(THREADS, { "1" })
  T.eq(one.code, 0, one.stderr)
  T.eq(one.stdout, "1\t1\t8\n", "with workers = 1 the script's thread alone, decoding too")
end)

-- Two books filled and saved at once by two tasks on a pool of 2: neither save waits on
-- a pool thread for decodes that need one (the deadlock a save job waiting for its
-- book's queue would be), and each book's pages hold its images in the order added,
-- byte for byte as with workers = 1 (a PDF's creation time aside).
local TWO = [[
  local image, lookbook, atelier = require "image", require "lookbook", require "atelier"
  image.configure{ workers = tonumber(arg[1]) }
  local out = os.getenv("OUT")
  local dir = out .. "/w" .. arg[1]
  for i = 1, 5 do
    local src = image.new(900 + 40 * i, 1200, { 40 * i, 200 - 30 * i, 90 })
    src:crop{ x = i, y = 2 * i, width = 880, height = 1180 }
    local f = io.open(out .. "/in" .. i .. ".png", "wb")
    f:write(src:encode("png", { effort = 1 }))
    f:close()
  end
  local function fill(name, first)
    local book = lookbook.new { columns = 2, rows = 2, title = name }
    for k = 0, 9 do
      local i = (first + k) % 5 + 1
      book:add(out .. "/in" .. i .. ".png", { caption = name .. " " .. k })
      if k == 4 then book:save(dir .. "/" .. name .. "-half.pdf") end
    end
    local files = book:save(dir .. "/" .. name .. ".pdf")
    book:save(dir .. "/" .. name .. ".png")
    return #files
  end
  local a = atelier.spawn(fill, "a", 0)
  local b = atelier.spawn(fill, "b", 3)
  print(atelier.gather(a, b))
]]

T.case("two books adding and saving at once on a pool of 2 finish, their pages as with workers = 1", function()
  local dir = T.tmpdir()
  local one = child(TWO, { "1" }, { OUT = dir })
  T.eq(one.code, 0, one.stderr)
  local two = child(TWO, { "2" }, { OUT = dir })
  T.eq(two.code, 0, two.stderr)
  T.eq(two.stdout, one.stdout)
  for _, name in ipairs { "a", "b" } do
    for _, file in ipairs { name .. "-half.pdf", name .. ".pdf", name .. "-1.png", name .. "-2.png", name .. "-3.png" } do
      local function read(w) return (T.read_file(dir .. "/" .. w .. "/" .. file):gsub("/CreationDate %b()", "")) end
      local want = read("w1")
      T.ok(#want > 1000, file .. " written")
      T.ok(read("w2") == want, file .. " byte for byte the same")
    end
  end
end)
