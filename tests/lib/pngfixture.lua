-- pngfixture.lua — writes small, valid PNG files for tests without any image library:
-- RGB, 8 bits, zlib "stored" (uncompressed) blocks. Test input only; atelier's own
-- decoding and encoding live in runtime/image/image.c.
local M = {}

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if c & 1 == 1 then c = 0xEDB88320 ~ (c >> 1) else c = c >> 1 end
  end
  crc_table[i] = c
end

local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end

local function adler32(s)
  local a, b = 1, 0
  for i = 1, #s do
    a = (a + s:byte(i)) % 65521
    b = (b + a) % 65521
  end
  return (b << 16) | a
end

local function chunk(kind, data)
  return string.pack(">I4", #data) .. kind .. data .. string.pack(">I4", crc32(kind .. data))
end

--- PNG bytes of a width x height image; pixel(x, y) returns r, g, b (0..255), x and y
--- from 0. Or pass a colour {r, g, b} for a solid image.
function M.encode(width, height, pixel)
  if type(pixel) == "table" then
    local r, g, b = pixel[1], pixel[2], pixel[3]
    local row = "\0" .. string.char(r, g, b):rep(width)
    pixel = nil
    local raw = row:rep(height)
    return M.encode_raw(width, height, raw)
  end
  local rows = {}
  for y = 0, height - 1 do
    local px = { "\0" }
    for x = 0, width - 1 do px[#px + 1] = string.char(pixel(x, y)) end
    rows[#rows + 1] = table.concat(px)
  end
  return M.encode_raw(width, height, table.concat(rows))
end

--- raw: filter byte 0 + RGB triplets per row, rows top to bottom.
function M.encode_raw(width, height, raw)
  local blocks = {}
  local pos, n = 1, #raw
  repeat
    local len = math.min(65535, n - pos + 1)
    local final = (pos + len > n) and 1 or 0
    blocks[#blocks + 1] = string.pack("<B I2 I2", final, len, len ~ 0xFFFF) .. raw:sub(pos, pos + len - 1)
    pos = pos + len
  until pos > n
  local z = "\x78\x01" .. table.concat(blocks) .. string.pack(">I4", adler32(raw))
  return "\137PNG\r\n\26\n" .. chunk("IHDR", string.pack(">I4 I4 B B B B B", width, height, 8, 2, 0, 0, 0))
    .. chunk("IDAT", z) .. chunk("IEND", "")
end

--- The same PNG bytes with the size in the header changed (the CRC made right again):
--- a file whose header declares far more pixels than it holds, as a decompression bomb does.
function M.declare_size(png, width, height)
  local ihdr = "IHDR" .. string.pack(">I4 I4", width, height) .. png:sub(25, 29)
  return png:sub(1, 12) .. ihdr .. string.pack(">I4", crc32(ihdr)) .. png:sub(34)
end

--- Writes a solid-colour PNG and returns its path.
function M.write(path, width, height, colour)
  local f = assert(io.open(path, "wb"))
  f:write(M.encode(width, height, colour))
  f:close()
  return path
end

-- n small PNGs named DIR/in-01.png..., each a different flat colour (w x h, default
-- 30 x 40): inputs for lookbook tests. Returns their paths.
function M.fixtures(dir, n, w, h)
  local paths = {}
  for i = 1, n do
    paths[i] = M.write(string.format("%s/in-%02d.png", dir, i), w or 30, h or 40,
      { (i * 37) % 256, (i * 91) % 256, (i * 53) % 256 })
  end
  return paths
end

return M
