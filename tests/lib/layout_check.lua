-- layout_check.lua — loaded before an example (atelier -e), checks every lookbook it
-- saves as a PDF the way a reader looks at it, by numbers (book:inspect): each text's
-- lines and ink inside the box reserved for it, nothing cut that fits, the grid right
-- under the running header with no empty band above it, a cover when one was asked for.
-- Appends one line per PDF to $LAYOUT_REPORT: "<file> ok <pages> pages" or
-- "<file> FAIL <why>".
local lookbook = require "lookbook"

local report = assert(os.getenv("LAYOUT_REPORT"), "LAYOUT_REPORT is not set")
local EPS = 1.5

local function check(info)
  for _, t in ipairs(info.texts) do
    local b, g, ink = t.box, t.logical, t.ink
    local where = string.format("%s on page %d", t.what, t.page)
    if g.x < b.x - EPS or g.x + g.w > b.x + b.w + EPS or g.h > b.h + EPS then return where .. ": lines leave the box" end
    if ink.w > 0 and (ink.x < b.x - EPS or ink.x + ink.w > b.x + b.w + EPS or ink.y < b.y - EPS
          or ink.y + ink.h > b.y + b.h + EPS) then
      return string.format("%s: ink %.1f,%.1f %.1fx%.1f outside the box %.1f,%.1f %.1fx%.1f", where, ink.x, ink.y,
        ink.w, ink.h, b.x, b.y, b.w, b.h)
    end
    if (t.what == "title" or t.what == "cover title" or t.what == "section") and t.ellipsized then
      return where .. ": cut"
    end
  end
  if info.header.h > 0 then
    local gap = info.grid.y - (info.header.y + info.header.h)
    if gap < 0 or gap > 0.05 * info.page_height then
      return string.format("the grid starts %d px under the header (more than 5 %% of the page)", gap)
    end
  end
  return nil
end

local probe = lookbook.new {}
local methods = getmetatable(probe).__index
probe:close()
local save = methods.save
methods.save = function(self, path, ...)
  if type(path) == "string" and path:match("%.pdf$") then
    local info = self:inspect()
    local why = check(info)
    local f = assert(io.open(report, "a"))
    f:write(path:match("[^/]+$"), why and (" FAIL " .. why) or string.format(" ok %d pages", info.pages), "\n")
    f:close()
  end
  return save(self, path, ...)
end
