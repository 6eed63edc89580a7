-- test_layout.lua — the source tree keeps the shape runtime/README.md draws, read from
-- the #include lines of runtime/ and bindings/: no .c file directly in runtime/ but
-- main.c; no circle between folders (folder A includes from B and B, perhaps through
-- others, from A); the FASHN job's stages (submit, poll, fetch) include none of each
-- other's headers, only the core's, and each touches only its own part of the job;
-- runtime/ includes no Lua header (not even through another header); bindings/ include
-- no curl, cairo, libpng or SQLite header. Where the release objects are built, the same
-- for calls: the symbols each object defines and uses (nm) give a call graph between
-- files, in which folders call each other in no circle and no stage calls another.
local T = require "testing"

local ROOT = T.root

-- Every .c and .h under runtime/ and bindings/, as paths relative to ROOT.
local function source_files()
  local p = io.popen("cd " .. T.shell_quote(ROOT) .. " && find runtime bindings -type f \\( -name '*.c' -o -name '*.h' \\) | sort")
  local files = {}
  for line in p:lines() do files[#files + 1] = line end
  p:close()
  return files
end

local function dir_of(path) return path:match("^(.*)/[^/]*$") or "." end

-- "runtime/fashn/../io/http.h" -> "runtime/io/http.h"
local function normalize(path)
  local out = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." and #out > 0 and out[#out] ~= ".." then
      out[#out] = nil
    elseif part ~= "." then
      out[#out + 1] = part
    end
  end
  return table.concat(out, "/")
end

-- Reads the sources: { [path] = { quoted = {resolved paths}, system = {names} } }.
local function read_sources(files, read)
  local src = {}
  for _, f in ipairs(files) do
    local quoted, system = {}, {}
    for line in (read(f) .. "\n"):gmatch("([^\n]*)\n") do
      local q = line:match('^%s*#%s*include%s*"([^"]+)"')
      local s = line:match("^%s*#%s*include%s*<([^>]+)>")
      if q then quoted[#quoted + 1] = normalize(dir_of(f) .. "/" .. q) end
      if s then system[#system + 1] = s end
    end
    src[f] = { quoted = quoted, system = system }
  end
  return src
end

local function load_tree()
  return read_sources(source_files(), function(f) return T.read_file(ROOT .. "/" .. f) end)
end

-- A cycle in graph ({[node] = {[node] = true}}) as a list of nodes, or nil.
local function find_cycle(graph)
  local state, stack = {}, {}
  local function visit(n)
    state[n] = "open"
    stack[#stack + 1] = n
    local nexts = {}
    for m in pairs(graph[n] or {}) do nexts[#nexts + 1] = m end
    table.sort(nexts)
    for _, m in ipairs(nexts) do
      if state[m] == "open" then
        local cycle, i = {}, #stack
        while stack[i] ~= m do i = i - 1 end
        for k = i, #stack do cycle[#cycle + 1] = stack[k] end
        cycle[#cycle + 1] = m
        return cycle
      elseif not state[m] then
        local c = visit(m)
        if c then return c end
      end
    end
    stack[#stack] = nil
    state[n] = "done"
  end
  local nodes = {}
  for n in pairs(graph) do nodes[#nodes + 1] = n end
  table.sort(nodes)
  for _, n in ipairs(nodes) do
    if not state[n] then
      local c = visit(n)
      if c then return c end
    end
  end
end

-- Folder graph: an edge A -> B (A ~= B) for each file in A including a file in B, with
-- one example include per edge to say why.
local function folder_graph(src)
  local graph, why = {}, {}
  for f, s in pairs(src) do
    local a = dir_of(f)
    for _, inc in ipairs(s.quoted) do
      local b = dir_of(inc)
      if a ~= b then
        graph[a] = graph[a] or {}
        graph[a][b] = true
        why[a .. " -> " .. b] = why[a .. " -> " .. b] or (f .. " includes " .. inc)
      end
    end
  end
  return graph, why
end

-- nil when the folders include each other in no circle, else a message naming it.
local function folder_cycle(src)
  local graph, why = folder_graph(src)
  local cycle = find_cycle(graph)
  if not cycle then return nil end
  local steps = {}
  for i = 1, #cycle - 1 do steps[#steps + 1] = why[cycle[i] .. " -> " .. cycle[i + 1]] end
  return "folders include each other in a circle: " .. table.concat(cycle, " -> ") .. " (" ..
             table.concat(steps, "; ") .. ")"
end

-- Every header reachable from file through quoted includes, and the system headers
-- any of them names: { [name] = "a.c -> b.h -> <name>" }.
local function reachable_system(src, file)
  local seen, out = {}, {}
  local function walk(f, trail)
    if seen[f] then return end
    seen[f] = true
    local s = src[f]
    if not s then return end
    for _, name in ipairs(s.system) do out[name] = out[name] or (trail .. " -> <" .. name .. ">") end
    for _, inc in ipairs(s.quoted) do walk(inc, trail .. " -> " .. inc) end
  end
  walk(file, file)
  return out
end

local LUA_HEADER = { ["lua.h"] = true, ["lauxlib.h"] = true, ["lualib.h"] = true, ["luaconf.h"] = true }
local function is_lua_header(name)
  return LUA_HEADER[name] or LUA_HEADER[name:match("[^/]+$")] or name:match("^lua[%d.]*/") ~= nil
end

-- The libraries bindings/ must leave to runtime/.
local function is_library_header(name)
  return name:match("^curl/") or name:match("^cairo") or name:match("^png") or name:match("^sqlite3")
end

local STAGES = { "runtime/fashn/fashn_submit", "runtime/fashn/fashn_poll", "runtime/fashn/fashn_fetch" }

-- The call graph between source files from the objects in build_dir: { [a.c] = { [b.c] = "symbol" } },
-- or nil when there are no objects (or no nm).
local function call_graph(build_dir)
  local cmd = "cd " .. T.shell_quote(ROOT) .. " && for o in $(find " .. T.shell_quote(build_dir) ..
                  "/runtime " .. T.shell_quote(build_dir) .. "/bindings -name '*.o' 2>/dev/null | sort); do " ..
                  "echo \"== $o\"; nm -P $o 2>/dev/null; done"
  local p = io.popen(cmd)
  local defs, uses, cur = {}, {}, nil
  for line in p:lines() do
    local o = line:match("^== (.*)$")
    if o then
      cur = o:sub(#build_dir + 2):gsub("%.o$", ".c")
      -- an object left over from a source that moved or went away says nothing of today's code
      local src = io.open(ROOT .. "/" .. cur, "r")
      if src then src:close() else cur = nil end
      if cur then uses[cur] = uses[cur] or {} end
    elseif cur then
      local sym, kind = line:match("^(%S+) (%a)")
      if sym and kind == "U" then
        uses[cur][#uses[cur] + 1] = sym
      elseif sym and kind:match("[TDBR]") then
        defs[sym] = cur
      end
    end
  end
  p:close()
  if not next(uses) then return nil end
  local graph = {}
  for a, syms in pairs(uses) do
    for _, sym in ipairs(syms) do
      local b = defs[sym]
      if b and b ~= a then
        graph[a] = graph[a] or {}
        graph[a][b] = graph[a][b] or sym
      end
    end
  end
  return graph
end

T.case("runtime/ holds no .c file directly but main.c", function()
  for _, f in ipairs(source_files()) do
    local top = f:match("^runtime/([^/]+%.c)$")
    T.ok(not top or top == "main.c", f .. " belongs in a folder of runtime/ (runtime/README.md)")
  end
end)

T.case("the folders of runtime/ and bindings/ include each other in no circle", function()
  local src = load_tree()
  T.ok(next(src) ~= nil, "sources found under " .. ROOT)
  local msg = folder_cycle(src)
  T.ok(msg == nil, msg)
end)

T.case("the checker finds a circle between folders when there is one", function()
  -- The real tree with one include added the wrong way: base/ back up to fashn/.
  local src = load_tree()
  T.ok(folder_cycle(src) == nil, "the real tree has no circle")
  table.insert(src["runtime/base/buf.c"].quoted, "runtime/fashn/fashn.h")
  local msg = folder_cycle(src)
  T.ok(msg ~= nil, "a circle through runtime/base is found")
  T.match(msg or "", "runtime/base/buf.c includes runtime/fashn/fashn.h", "the message names the include")
  -- and through three folders
  src = read_sources({ "x/a.c", "y/b.c", "z/c.c" }, function(f)
    return ({ ["x/a.c"] = '#include "../y/b.h"', ["y/b.c"] = '#include "../z/c.h"',
              ["z/c.c"] = '#include "../x/a.h"' })[f]
  end)
  T.match(folder_cycle(src) or "", "x %-> y %-> z %-> x", "a three-folder circle")
end)

T.case("the job's stages include only the core's header and their own, never each other's", function()
  local src = load_tree()
  for _, stage in ipairs(STAGES) do
    local s = src[stage .. ".c"]
    T.ok(s ~= nil, stage .. ".c exists")
    T.ok(src[stage .. ".h"] ~= nil, stage .. ".h (its entry points) exists")
    for _, other in ipairs(STAGES) do
      if other ~= stage then
        for _, inc in ipairs(s and s.quoted or {}) do
          T.ok(inc ~= other .. ".h", stage .. ".c includes " .. inc .. ": stages report to the core (fashn_int.h)")
        end
        -- nor through a header it includes
        local seen = {}
        local function walk(f)
          if seen[f] or not src[f] then return end
          seen[f] = true
          T.ok(f ~= other .. ".h", stage .. ".c reaches " .. f .. " through its includes")
          for _, inc in ipairs(src[f].quoted) do walk(inc) end
        end
        walk(stage .. ".c")
      end
    end
  end
end)

T.case("each stage touches the core and its own part of the job; the core touches none", function()
  local parts = { submit = "runtime/fashn/fashn_submit.c", poll = "runtime/fashn/fashn_poll.c",
                  fetch = "runtime/fashn/fashn_fetch.c", core = "runtime/fashn/fashn.c" }
  for owner, file in pairs(parts) do
    local text = T.read_file(ROOT .. "/" .. file)
    for part in pairs(parts) do
      if part ~= "core" and part ~= owner then
        T.ok(not text:find("->" .. part .. ".", 1, true), file .. " reaches into j->" .. part ..
                 " (the " .. part .. " stage's part): go through that stage's entry points")
      end
    end
    if owner ~= "core" then T.ok(text:find("->" .. owner .. ".", 1, true), file .. " uses its part j->" .. owner) end
  end
end)

T.case("runtime/ includes no Lua header", function()
  local src = load_tree()
  for f in pairs(src) do
    if f:match("^runtime/") then
      for name, trail in pairs(reachable_system(src, f)) do
        T.ok(not is_lua_header(name), trail .. ": runtime/ knows nothing of Lua")
      end
    end
  end
end)

T.case("bindings/ include no curl, cairo, libpng or SQLite header", function()
  -- Direct includes: runtime/io/loop.h itself names <curl/curl.h> (its handles), so a
  -- binding that drives the loop sees curl's declarations without calling curl.
  local src = load_tree()
  local checked = 0
  for f, s in pairs(src) do
    if f:match("^bindings/") then
      checked = checked + 1
      for _, name in ipairs(s.system) do
        T.ok(not is_library_header(name), f .. " includes <" .. name .. ">: bindings/ call runtime/, never the library")
      end
    end
  end
  T.ok(checked > 0, "bindings/ read")
end)

T.case("the objects' calls: no circle between folders, no stage calling another", function()
  local build = os.getenv("ATELIER_OBJECTS") or "build/release"
  local graph = call_graph(build)
  if not graph then T.skip("no objects in " .. build .. " (make all builds them)") end
  local folders, why = {}, {}
  for a, targets in pairs(graph) do
    for b, sym in pairs(targets) do
      local fa, fb = dir_of(a), dir_of(b)
      if fa ~= fb then
        folders[fa] = folders[fa] or {}
        folders[fa][fb] = true
        why[fa .. " -> " .. fb] = why[fa .. " -> " .. fb] or (a .. " calls " .. sym .. " in " .. b)
      end
    end
  end
  local cycle = find_cycle(folders)
  local steps = {}
  for i = 1, cycle and #cycle - 1 or 0 do steps[#steps + 1] = why[cycle[i] .. " -> " .. cycle[i + 1]] end
  T.ok(cycle == nil, "folders call each other in a circle: " .. table.concat(cycle or {}, " -> ") .. " (" ..
                         table.concat(steps, "; ") .. ")")
  for _, stage in ipairs(STAGES) do
    for _, other in ipairs(STAGES) do
      local sym = (graph[stage .. ".c"] or {})[other .. ".c"]
      T.ok(sym == nil, stage .. ".c calls " .. tostring(sym) .. " in " .. other .. ".c: stages report to the core")
    end
  end
  T.ok(graph["runtime/fashn/fashn.c"] and graph["runtime/fashn/fashn.c"]["runtime/fashn/fashn_submit.c"],
       "the core's calls into the submit stage are seen (the graph is not empty by mistake)")
end)
