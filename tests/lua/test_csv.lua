-- test_csv.lua — CSV files read into records keyed by their header (the `csv` module over
-- libcsv, and recipe.csv): RFC 4180 quoting (embedded delimiters, doubled quotes, line
-- breaks), UTF-8 with or without a byte-order mark, blank lines, other delimiters, and
-- errors that name the file and the line.
local T = require "testing"
local csv = require "csv"
local recipe = require "recipe"

local function write(dir, name, text)
  local path = dir .. "/" .. name
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

T.case("records are keyed by the header, quoted fields keep commas, quotes and line breaks", function()
  local dir = T.tmpdir()
  local path = write(dir, "styles.csv", 'name,sku,price\r\n"Linen jacket, unlined",SS27-001,420\r\n'
    .. '"Slip ""Aube""\nbias cut",SS27-002, 180 \r\n')
  local rows = recipe.csv(path)
  T.eq(#rows, 2)
  T.eq(rows.header, { "name", "sku", "price" })
  T.eq(rows[1].name, "Linen jacket, unlined")
  T.eq(rows[2].name, 'Slip "Aube"\nbias cut')
  T.eq(rows[2].price, " 180 ", "spaces belong to the field (RFC 4180)")
  T.eq(rows.lines, { 2, 3 }, "each record's line in the file")
end)

T.case("UTF-8 with a byte-order mark, blank lines skipped, semicolons and tabs", function()
  local rows = csv.parse("\xef\xbb\xbfnom;prix\n\nVeste en lin;420\n麻のジャケット;380\n", { delimiter = ";" })
  T.eq(rows.header[1], "nom", "the BOM is not part of the first column's name")
  T.eq(#rows, 2)
  T.eq(rows[2].nom, "麻のジャケット")
  T.eq(rows.lines[1], 3, "the blank line still counts")
  local tabbed = csv.parse("a\tb\n1\t2\n", { delimiter = "\t" })
  T.eq(tabbed[1].b, "2")
  local plain = csv.parse("1,2\n3,4\n", { header = false })
  T.eq(plain[2], { "3", "4" })
end)

T.case("errors name the file and the line", function()
  local dir = T.tmpdir()
  local cases = {
    { 'a,b\n1,2\n3,"4\n5,6\n', 'line 3: a quoted field that starts here is never closed' },
    { 'a,b\n1,2\n3,4"x\n', "line 3: a quote in the wrong place" },
    { 'a,b\n1,2\n\n3\n', "line 4: 1 field, but the header has 2" },
    { 'a,a\n1,2\n', 'line 1: the header names "a" twice' },
    { 'a,,c\n1,2,3\n', "line 1: column 2 of the header has no name" },
    { 'a,b\n1,\xff\n', "line 2: not valid UTF%-8" },
  }
  for i, c in ipairs(cases) do
    local path = write(dir, "bad" .. i .. ".csv", c[1])
    local ok, err = pcall(csv.read, path)
    T.ok(not ok, "case " .. i .. " raises")
    T.eq(err.name, "CsvError")
    T.match(err.message, "bad" .. i .. "%.csv: " .. c[2], "case " .. i)
  end
  local ok, err = pcall(csv.read, dir .. "/missing.csv")
  T.ok(not ok and err.name == "FileError", "a missing file is a FileError")
  T.match(err.message, "missing%.csv")
  ok, err = pcall(csv.parse, "a\n", { delimiter = "|" })
  T.ok(not ok and err.name == "BadOption", "an unknown delimiter is refused")
end)
