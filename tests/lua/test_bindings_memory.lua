-- test_bindings_memory.lua — long strings through the C bindings that build text with a
-- luaL_Buffer: error tables' tostring and book:add's meta lists. A buffer that grows past
-- LUAL_BUFFERSIZE moves onto the Lua stack, and a value pushed above it at that moment
-- was freed under the binding's feet; so each case runs in a child bin/atelier, where
-- such a crash fails the case instead of killing the runner.
local T = require "testing"

-- Lengths around LUAL_BUFFERSIZE (1 KB on 64-bit Linux) and well past it.
local LENGTHS = { 1, 100, 1000, 1023, 1024, 1025, 1500, 2048, 4000, 5000, 20000, 100000 }

-- Runs code in a child atelier (under --sandbox when asked); returns its result.
local function child(code, sandbox)
  local dir = T.tmpdir()
  T.write_file(dir .. "/r.lua", code)
  local argv = { T.atelier }
  if sandbox then
    for _, a in ipairs({ "--sandbox", "--max-credits", "0", "--out", dir .. "/out" }) do argv[#argv + 1] = a end
  end
  argv[#argv + 1] = dir .. "/r.lua"
  return T.run(argv)
end

-- The child must exit 0 (a signal or a sanitizer report does not) and print `expect`.
local function survives(code, expect, sandbox, what)
  local r = child(code, sandbox)
  T.eq(r.code, 0, what .. ": exit status (stderr: " .. r.stderr:sub(1, 2000) .. ")")
  T.eq(r.stdout, expect, what .. ": output")
end

T.case("tostring of an error table with a long name", function()
  for _, sandbox in ipairs({ false, true }) do
    for _, n in ipairs(LENGTHS) do
      survives(string.format([[
        local atelier = require "atelier"
        local s = tostring(atelier.error{ name = ("N"):rep(%d) })
        assert(s == ("N"):rep(%d) .. ": ", "got " .. #s .. " bytes")
        print(#s)
      ]], n, n), (n + 2) .. "\n", sandbox, "name of " .. n .. (sandbox and " (sandbox)" or ""))
    end
  end
end)

T.case("tostring of an error table with a long message, where, id and http_status", function()
  for _, n in ipairs(LENGTHS) do
    survives(string.format([[
      local atelier = require "atelier"
      local m = ("m"):rep(%d)
      local id = ("i"):rep(%d)
      local e = atelier.error({ name = "ServerError", message = m, id = id, http_status = 503 }, 1)
      local s = tostring(e)
      local want = e.where .. "ServerError: " .. m .. " (prediction " .. id .. ", HTTP 503)"
      assert(s == want, "got " .. #s .. " bytes, want " .. #want)
      local only_id = tostring(atelier.error{ name = "X", message = m, id = id })
      assert(only_id == "X: " .. m .. " (prediction " .. id .. ")", "id only")
      local only_http = tostring(atelier.error{ name = "X", message = m, http_status = 404 })
      assert(only_http == "X: " .. m .. " (HTTP 404)", "http_status only")
      print("ok")
    ]], n, n // 2), "ok\n", false, "message of " .. n)
  end
  survives([[
    local atelier = require "atelier"
    local mt = getmetatable(atelier.error{ name = "X" })
    local e = setmetatable({ name = "N\0ame", message = "m\0m", id = "p\0id" }, mt)
    -- every part is kept whole past its NUL, and shown escaped (control bytes never reach a terminal)
    assert(tostring(e) == "N\\x00ame: m\\x00m (prediction p\\x00id)", "NUL bytes kept, escaped: " .. tostring(e))
    print("ok")
  ]], "ok\n", false, "NUL bytes in name, message and id, shown escaped")
  -- About 2 KB of message: the " (prediction abc, HTTP 500)" tail is what grows the buffer.
  survives([[
    local atelier = require "atelier"
    for n = 1990, 2100, 5 do
      local e = atelier.error{ name = "X", message = ("m"):rep(n), id = "abc", http_status = 500 }
      assert(tostring(e) == "X: " .. ("m"):rep(n) .. " (prediction abc, HTTP 500)", n)
    end
    print("ok")
  ]], "ok\n", true, "2 KB messages with id and http_status (sandbox)")
end)

T.case("book:add meta lists with long elements", function()
  for _, n in ipairs(LENGTHS) do
    local ok = n + #", b" <= 4000 -- what the page engine accepts for one value
    survives(string.format([[
      local image = require "image"
      local book = require("lookbook").new{ dpi = 72 }
      local ok, err = pcall(book.add, book, image.new(8, 8), { meta = { k = { ("a"):rep(%d), "b" },
        other = { "x", ("c"):rep(%d), 3, true } } })
      print(ok and "added" or tostring(err):match("BadOption") or tostring(err))
    ]], n, n), ok and "added\n" or "BadOption\n", false, "meta list element of " .. n)
  end
  -- Many short elements grow the buffer too, one ", " at a time.
  survives([[
    local image = require "image"
    local book = require("lookbook").new{ dpi = 72 }
    local list = {}
    for i = 1, 600 do list[i] = i % 2 == 0 and "ab" or i end
    print(book:add(image.new(8, 8), { meta = { k = list } }))
  ]], "1\n", true, "600 short elements (sandbox)")
end)
