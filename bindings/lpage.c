/* lpage.c — the `page` Lua module: lookbook books as userdata ("atelier.page") over
 * runtime/page.h. scripts/lookbook.lua is the friendly front (layouts as data); this file
 * checks every option and argument, naming the option and what is allowed, and turns
 * runtime failures into atelier error tables:
 *   BadOption   an option or argument is wrong (programmer error)
 *   FileError         an image file cannot be read (the message names the file)
 *   ImageDecodeError  the bytes are not a usable PNG/JPEG/WebP (names the file or image)
 *   SystemError       out of memory, or the temporary spool file failed
 *   SaveError   the lookbook could not be written
 * All of them raise; nothing here returns nil, message. */
#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/page.h"
#include "errors.h"
#include "limage.h"
#include "modules.h"
#include "sandbox.h"

#define BOOK_MT "atelier.page"

typedef struct lbook {
  page_book *b; /* NULL once closed */
} lbook;

/* Raises an atelier error `name` with a printf-style message, positioned `level`
 * functions up: 1 = whoever called the C function. page.new is only called by
 * lookbook.new (scripts/lookbook.lua), so its option errors use 2 and point at the
 * script's own line. */
static int raise_at(lua_State *L, int level, const char *name, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lerr_info e = {.name = name, .message = msg};
  lerr_push(L, &e, level);
  return lua_error(L);
}

static lbook *check_book(lua_State *L, int idx) {
  lbook *lb = luaL_checkudata(L, idx, BOOK_MT);
  if (!lb->b) raise_at(L, 1, "BadOption", "the lookbook is closed");
  return lb;
}

/* Files added by path are decoded on worker threads (page_book_queue_file); one whose
 * data is corrupt behind a valid header is left out and reported here, by the next call
 * on the book, before that call does anything: a call that raises did nothing. The
 * error carries `file`, the path of the image left out. `wait`: wait for the queue
 * first (save, pages, count) instead of only seeing what has finished. */
static void raise_queued_failure(lua_State *L, lbook *lb, const char *what, bool wait) {
  if (wait) page_book_wait(lb->b);
  char msg[1300], path[4096];
  if (page_book_take_failure(lb->b, msg, sizeof msg, path, sizeof path) == PAGE_OK) return;
  char full[1500];
  snprintf(full, sizeof full, "%s: an image added before was left out: %s", what, msg);
  lerr_info e = {.name = "ImageDecodeError", .message = full};
  lerr_push(L, &e, 1);
  lua_pushstring(L, path);
  lua_setfield(L, -2, "file");
  lua_error(L);
}

/* ---- options ----------------------------------------------------------------------- */

static const char *const BOOK_OPTIONS[] = {
    "title", "subtitle", "columns", "rows", "cell", "page", "orientation", "margin", "gutter", "background",
    "color", "fit", "dpi", "caption_lines", "page_numbers", "type_size", "quality", "pages", "layout",
    "column_labels", "row_labels", "row_label_width", "cell_width", NULL};

/* Raises unless every key of the table at idx is in allowed. */
static void check_keys(lua_State *L, int idx, const char *const *allowed, const char *where, int level) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    bool known = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, lua_tostring(L, -1)) == 0;
    if (!known) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (const char *const *a = allowed; *a; a++) {
        if (a != allowed) luaL_addstring(&b, ", ");
        luaL_addstring(&b, *a);
      }
      luaL_pushresult(&b);
      const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : luaL_typename(L, -2);
      raise_at(L, level, "BadOption", "%s: unknown option '%s' (known: %s)", where, key, lua_tostring(L, -1));
    }
  }
}

/* The string field `name` of the table at idx, or NULL when absent; raises on other types. */
static const char *opt_string(lua_State *L, int idx, const char *name, const char *what) {
  int t = lua_getfield(L, idx, name);
  const char *s = NULL;
  if (t == LUA_TSTRING) s = lua_tostring(L, -1);
  else if (t != LUA_TNIL) raise_at(L, 2, "BadOption", "lookbook.new: %s: expected %s, got a %s", name, what, lua_typename(L, t));
  lua_pop(L, 1); /* the string stays alive: it is referenced by the options table */
  return s;
}

/* An integer field in [lo, hi], "auto" (-> auto_value) when allowed, or def when absent. */
static int opt_int(lua_State *L, int idx, const char *name, int lo, int hi, int def, bool allow_auto) {
  int t = lua_getfield(L, idx, name);
  int v = def;
  if (t == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= lo && lua_tointeger(L, -1) <= hi) {
    v = (int)lua_tointeger(L, -1);
  } else if (allow_auto && t == LUA_TSTRING && strcmp(lua_tostring(L, -1), "auto") == 0) {
    v = 0;
  } else if (t != LUA_TNIL) {
    raise_at(L, 2, "BadOption", "lookbook.new: %s: expected an integer from %d to %d%s, got %s", name, lo, hi,
                allow_auto ? " or \"auto\"" : "", luaL_tolstring(L, -1, NULL));
  }
  lua_pop(L, 1);
  return v;
}

static double opt_number(lua_State *L, int idx, const char *name, double lo, double hi, double def) {
  int t = lua_getfield(L, idx, name);
  double v = def;
  if (t == LUA_TNUMBER && lua_tonumber(L, -1) >= lo && lua_tonumber(L, -1) <= hi) v = lua_tonumber(L, -1);
  else if (t != LUA_TNIL)
    raise_at(L, 2, "BadOption", "lookbook.new: %s: expected a number from %g to %g, got %s", name, lo, hi,
                luaL_tolstring(L, -1, NULL));
  lua_pop(L, 1);
  return v;
}

/* A length: a number (millimetres) or a string with a unit. */
static bool length_of(lua_State *L, int idx, double dpi, double *pt, const char *name) {
  char err[300];
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double mm = lua_tonumber(L, idx);
    if (!(mm >= 0 && mm <= 1000))
      raise_at(L, 2, "BadOption", "lookbook.new: %s: expected 0 to 1000 (millimetres), got %g", name, mm);
    *pt = mm * 72 / 25.4;
    return true;
  }
  if (lua_type(L, idx) != LUA_TSTRING) return false;
  if (!page_length_parse(lua_tostring(L, idx), dpi, pt, err, sizeof err))
    raise_at(L, 2, "BadOption", "lookbook.new: %s: %s", name, err);
  return true;
}

static void opt_margin(lua_State *L, int idx, page_options *o) {
  int t = lua_getfield(L, idx, "margin");
  int m = lua_gettop(L);
  if (t == LUA_TTABLE) { /* {top=, right=, bottom=, left=} */
    static const char *const sides[] = {"top", "right", "bottom", "left", NULL};
    check_keys(L, m, sides, "lookbook.new: margin", 2);
    for (int i = 0; i < 4; i++) {
      if (lua_getfield(L, m, sides[i]) != LUA_TNIL && !length_of(L, -1, o->dpi, &o->margin_pt[i], "margin"))
        raise_at(L, 2, "BadOption", "lookbook.new: margin.%s: expected a length such as 12 or \"12mm\"", sides[i]);
      lua_pop(L, 1);
    }
  } else if (t != LUA_TNIL) {
    double pt;
    if (!length_of(L, m, o->dpi, &pt, "margin"))
      raise_at(L, 2, "BadOption",
                  "lookbook.new: margin: expected a length (12, \"12mm\", \"0.5in\") or {top=, right=, bottom=, left=}");
    for (int i = 0; i < 4; i++) o->margin_pt[i] = pt;
  }
  lua_pop(L, 1);
}

/* pages = { {spans = {{column=, row=, columns=, rows=}, ...}}, ... } (1-based). */
static void opt_pages(lua_State *L, int idx, page_options *o) {
  int t = lua_getfield(L, idx, "pages");
  int p = lua_gettop(L);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (t != LUA_TTABLE) raise_at(L, 2, "BadOption", "lookbook.new: pages: expected a list of page templates");
  lua_Integer n = luaL_len(L, p);
  if (n > PAGE_MAX_TEMPLATES)
    raise_at(L, 2, "BadOption", "lookbook.new: pages: at most %d page templates, got %d", PAGE_MAX_TEMPLATES, (int)n);
  static const char *const tkeys[] = {"spans", NULL};
  static const char *const skeys[] = {"column", "row", "columns", "rows", NULL};
  o->ntemplates = (int)n;
  for (int i = 1; i <= n; i++) {
    if (lua_geti(L, p, i) != LUA_TTABLE) raise_at(L, 2, "BadOption", "lookbook.new: pages[%d]: expected a table", i);
    int tp = lua_gettop(L);
    check_keys(L, tp, tkeys, "lookbook.new: pages[i]", 2);
    page_template *tpl = &o->templates[i - 1];
    int st = lua_getfield(L, tp, "spans");
    int sp = lua_gettop(L);
    if (st == LUA_TTABLE) {
      lua_Integer ns = luaL_len(L, sp);
      if (ns > PAGE_MAX_SPANS)
        raise_at(L, 2, "BadOption", "lookbook.new: pages[%d].spans: at most %d spans", i, PAGE_MAX_SPANS);
      tpl->nspans = (int)ns;
      for (int k = 1; k <= ns; k++) {
        if (lua_geti(L, sp, k) != LUA_TTABLE)
          raise_at(L, 2, "BadOption", "lookbook.new: pages[%d].spans[%d]: expected {column=, row=, columns=, rows=}", i, k);
        int s = lua_gettop(L);
        check_keys(L, s, skeys, "lookbook.new: a span", 2);
        int v[4];
        for (int f = 0; f < 4; f++) {
          lua_getfield(L, s, skeys[f]);
          lua_Integer x = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : (f < 2 ? 0 : 1);
          if (lua_isnil(L, -1)) x = f < 2 ? 0 : 1;
          if (x < (f < 2 ? 1 : 1) || x > PAGE_MAX_GRID)
            raise_at(L, 2, "BadOption", "lookbook.new: pages[%d].spans[%d].%s: expected an integer from 1 to %d", i,
                        k, skeys[f], PAGE_MAX_GRID);
          v[f] = (int)x;
          lua_pop(L, 1);
        }
        tpl->spans[k - 1] = (page_span){v[0] - 1, v[1] - 1, v[2], v[3]};
        lua_pop(L, 1);
      }
    } else if (st != LUA_TNIL) {
      raise_at(L, 2, "BadOption", "lookbook.new: pages[%d].spans: expected a list of spans", i);
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
}

static int lookup(const char *s, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return -1;
}

/* column_labels / row_labels = {"a", "b", 3, ...}: strings or numbers, at most
 * PAGE_MAX_GRID. Pushes a table of the labels as strings (which keeps them alive) and
 * fills v[]; returns how many (0 and pushes nil when absent). */
static int opt_labels(lua_State *L, int idx, const char *name, const char **v) {
  int t = lua_getfield(L, idx, name);
  if (t == LUA_TNIL) return 0;
  if (t != LUA_TTABLE) raise_at(L, 2, "BadOption", "lookbook.new: %s: expected a list of strings, got a %s", name, lua_typename(L, t));
  int src = lua_gettop(L);
  lua_Integer n = luaL_len(L, src);
  if (n > PAGE_MAX_GRID)
    raise_at(L, 2, "BadOption", "lookbook.new: %s: at most %d labels, got %d", name, PAGE_MAX_GRID, (int)n);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    int et = lua_geti(L, src, i);
    if (et != LUA_TSTRING && et != LUA_TNUMBER)
      raise_at(L, 2, "BadOption", "lookbook.new: %s[%d]: expected a string or a number, got a %s", name, (int)i,
               lua_typename(L, et));
    luaL_tolstring(L, -1, NULL);
    v[i - 1] = lua_tostring(L, -1);
    lua_rawseti(L, -3, i);
    lua_pop(L, 1);
  }
  lua_remove(L, src);
  return (int)n;
}

/* page.new{...} -> book. Every option is optional; see README "Lookbooks". */
static int l_new(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  check_keys(L, 1, BOOK_OPTIONS, "lookbook.new", 2);
  char err[400];
  page_options o;
  page_options_default(&o);
  o.dpi = opt_number(L, 1, "dpi", PAGE_MIN_DPI, PAGE_MAX_DPI, o.dpi);

  const char *size = opt_string(L, 1, "page", "a page size such as \"A4\", \"Letter\" or \"210x297mm\"");
  if (size && !page_size_parse(size, o.dpi, &o.page_w_pt, &o.page_h_pt, err, sizeof err))
    raise_at(L, 2, "BadOption", "lookbook.new: page: %s", err);
  const char *orient = opt_string(L, 1, "orientation", "\"portrait\" or \"landscape\"");
  if (orient) {
    static const char *const names[] = {"portrait", "landscape", NULL};
    int k = lookup(orient, names);
    if (k < 0)
      raise_at(L, 2, "BadOption", "lookbook.new: orientation: expected \"portrait\" or \"landscape\", got \"%s\"", orient);
    bool landscape = o.page_w_pt > o.page_h_pt;
    if ((k == 1) != landscape) {
      double w = o.page_w_pt;
      o.page_w_pt = o.page_h_pt;
      o.page_h_pt = w;
    }
  }
  opt_margin(L, 1, &o);
  if (lua_getfield(L, 1, "gutter") != LUA_TNIL && !length_of(L, -1, o.dpi, &o.gutter_pt, "gutter"))
    raise_at(L, 2, "BadOption", "lookbook.new: gutter: expected a length such as 4 or \"4mm\"");
  lua_pop(L, 1);
  o.columns = opt_int(L, 1, "columns", 1, PAGE_MAX_GRID, o.columns, true);
  o.rows = opt_int(L, 1, "rows", 1, PAGE_MAX_GRID, 0, true);
  if (o.columns == 0 && o.rows == 0) o.columns = 4; /* both automatic: four columns, rows that fit */
  /* rows given without columns: the height decides, columns follow */
  lua_getfield(L, 1, "columns");
  if (lua_isnil(L, -1) && o.rows > 0) o.columns = 0;
  lua_pop(L, 1);
  const char *cell = opt_string(L, 1, "cell", "an aspect ratio such as \"3:4\"");
  if (cell && !page_aspect_parse(cell, &o.cell_aspect, err, sizeof err))
    raise_at(L, 2, "BadOption", "lookbook.new: cell: %s", err);
  const char *fit = opt_string(L, 1, "fit", "\"fit\" or \"fill\"");
  if (fit) {
    static const char *const names[] = {"fit", "fill", NULL};
    int k = lookup(fit, names);
    if (k < 0) raise_at(L, 2, "BadOption", "lookbook.new: fit: expected \"fit\" (whole image) or \"fill\" (cover the cell, cropping), got \"%s\"", fit);
    o.fit = k == 0 ? PAGE_FIT : PAGE_FILL;
  }
  const char *bg = opt_string(L, 1, "background", "a colour such as \"#ffffff\" or \"ivory\"");
  if (bg && !page_color_parse(bg, &o.background, err, sizeof err))
    raise_at(L, 2, "BadOption", "lookbook.new: background: %s", err);
  const char *fg = opt_string(L, 1, "color", "a colour such as \"#1c1c1c\"");
  if (fg) {
    if (!page_color_parse(fg, &o.color, err, sizeof err)) raise_at(L, 2, "BadOption", "lookbook.new: color: %s", err);
    o.color_set = true;
  }
  o.caption_lines = opt_int(L, 1, "caption_lines", 0, 2, o.caption_lines, false);
  if (lua_getfield(L, 1, "page_numbers") != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) raise_at(L, 2, "BadOption", "lookbook.new: page_numbers: expected true or false");
    o.page_numbers = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  o.type_size_pt = opt_number(L, 1, "type_size", 4, 72, o.type_size_pt);
  if (lua_getfield(L, 1, "row_label_width") != LUA_TNIL &&
      !length_of(L, -1, o.dpi, &o.row_label_pt, "row_label_width"))
    raise_at(L, 2, "BadOption", "lookbook.new: row_label_width: expected a length such as 30 or \"240px\"");
  lua_pop(L, 1);
  if (lua_getfield(L, 1, "cell_width") != LUA_TNIL) { /* the page grows around the cells */
    if (!length_of(L, -1, o.dpi, &o.cell_w_pt, "cell_width") || o.cell_w_pt <= 0)
      raise_at(L, 2, "BadOption", "lookbook.new: cell_width: expected a length above 0 such as 60 or \"384px\"");
    if (size)
      raise_at(L, 2, "BadOption", "lookbook.new: cell_width: the page is sized to hold the cells; leave out page");
    if (o.columns < 1 || o.rows < 1)
      raise_at(L, 2, "BadOption", "lookbook.new: cell_width: needs columns and rows (integers): the page holds exactly that grid");
  }
  lua_pop(L, 1);
  o.quality = opt_int(L, 1, "quality", 1, 100, o.quality, false);
  opt_pages(L, 1, &o);
  const char *title = opt_string(L, 1, "title", "a string");
  const char *subtitle = opt_string(L, 1, "subtitle", "a string");
  (void)opt_string(L, 1, "layout", "a layout name");

  lbook *lb = lua_newuserdatauv(L, sizeof *lb, 0);
  lb->b = NULL; /* closed until the book exists, so __gc is safe whatever happens */
  luaL_setmetatable(L, BOOK_MT);
  int book = lua_gettop(L);
  const char *cols[PAGE_MAX_GRID], *rows[PAGE_MAX_GRID];
  page_labels labels = {cols, opt_labels(L, 1, "column_labels", cols), rows, 0};
  labels.nrows = opt_labels(L, 1, "row_labels", rows);
  lb->b = page_book_new(&o, title, subtitle, err, sizeof err);
  if (lb->b && (labels.ncolumns || labels.nrows) && !page_book_set_labels(lb->b, &labels, err, sizeof err)) {
    page_book_free(lb->b);
    lb->b = NULL;
  }
  if (!lb->b) {
    const char *layout = opt_string(L, 1, "layout", "a layout name");
    if (layout) raise_at(L, 2, "BadOption", "lookbook.new (layout \"%s\"): %s", layout, err);
    raise_at(L, 2, "BadOption", "lookbook.new: %s", err);
  }
  lua_settop(L, book);
  return 1;
}

/* ---- book methods ------------------------------------------------------------------- */


/* Collects meta (a table of scalars or lists of scalars) as sorted "key", "value" strings
 * pushed on a fresh table at the top; returns how many pairs. */
static int collect_meta(lua_State *L, int idx) {
  lua_newtable(L); /* keys, sorted below */
  int keys = lua_gettop(L);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      raise_at(L, 1, "BadOption", "book:add: meta: keys must be strings, got a %s", luaL_typename(L, -1));
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  if (n > PAGE_MAX_META) raise_at(L, 1, "BadOption", "book:add: meta: at most %d entries, got %d", PAGE_MAX_META, n);
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "sort");
  lua_pushvalue(L, keys);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  lua_createtable(L, 2 * n, 0);
  int out = lua_gettop(L);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    const char *key = lua_tostring(L, -1);
    lua_rawseti(L, out, 2 * i - 1);
    lua_getfield(L, idx, key);
    int t = lua_type(L, -1);
    if (t == LUA_TTABLE) { /* a list of scalars: "a, b, c" */
      luaL_Buffer b;
      int list = lua_gettop(L);
      luaL_buffinit(L, &b);
      lua_Integer len = luaL_len(L, list);
      for (lua_Integer k = 1; k <= len && k <= 1000; k++) {
        lua_geti(L, list, k);
        int et = lua_type(L, -1);
        if (et != LUA_TSTRING && et != LUA_TNUMBER && et != LUA_TBOOLEAN)
          raise_at(L, 1, "BadOption", "book:add: meta.%s[%d]: expected a string, number or boolean", key, (int)k);
        luaL_tolstring(L, -1, NULL);
        lua_remove(L, -2);
        if (k > 1) luaL_addstring(&b, ", ");
        luaL_addvalue(&b);
      }
      luaL_pushresult(&b);
      lua_remove(L, list);
    } else if (t == LUA_TSTRING || t == LUA_TNUMBER || t == LUA_TBOOLEAN) {
      luaL_tolstring(L, -1, NULL);
      lua_remove(L, -2);
    } else {
      raise_at(L, 1, "BadOption", "book:add: meta.%s: expected a string, number, boolean or list, got a %s", key,
                  lua_typename(L, t));
    }
    lua_rawseti(L, out, 2 * i);
  }
  lua_remove(L, keys);
  return n;
}

/* book:add(image_or_path, {caption = "..." | {"line 1", "line 2"}, meta = {...}}) -> n
 * Scales the image into the next cell now; a path is decoded straight to that size.
 * Raises FileError or ImageDecodeError naming the file when it cannot be read or decoded. */
static int l_add(lua_State *L) {
  lbook *lb = check_book(L, 1);
  int t = lua_type(L, 2);
  const char *source = NULL;
  const image *pixels = NULL;
  const void *bytes = NULL;
  size_t nbytes = 0;
  bool img = t == LUA_TUSERDATA && limage_peek(L, 2, &pixels, &bytes, &nbytes, &source);
  if (t != LUA_TSTRING && !img)
    raise_at(L, 1, "BadOption", "book:add: expected an image or a file path, got a %s", luaL_typename(L, 2));
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  page_item item = {0};
  const char *meta_strs[2 * PAGE_MAX_META];
  if (lua_istable(L, 3)) {
    static const char *const keys[] = {"caption", "meta", NULL};
    check_keys(L, 3, keys, "book:add", 1);
    int ct = lua_getfield(L, 3, "caption"); /* 4 */
    if (ct == LUA_TSTRING) {
      const char *s = lua_tostring(L, 4);
      const char *nl = strchr(s, '\n');
      if (nl) { /* "line 1\nline 2" */
        lua_pushlstring(L, s, (size_t)(nl - s));
        lua_pushstring(L, nl + 1);
        lua_replace(L, 4);
        lua_insert(L, 4); /* 4 = line 1, 5 = line 2 */
        item.caption[0] = lua_tostring(L, 4);
        item.caption[1] = lua_tostring(L, 5);
      } else {
        item.caption[0] = s;
        lua_pushnil(L);
      }
    } else if (ct == LUA_TTABLE) {
      if (luaL_len(L, 4) > 2) raise_at(L, 1, "BadOption", "book:add: caption: at most two lines");
      lua_geti(L, 4, 1);
      lua_geti(L, 4, 2);
      for (int i = 0; i < 2; i++) {
        if (!lua_isnil(L, 5 + i) && lua_type(L, 5 + i) != LUA_TSTRING)
          raise_at(L, 1, "BadOption", "book:add: caption[%d]: expected a string", i + 1);
        item.caption[i] = lua_tostring(L, 5 + i);
      }
      lua_remove(L, 4);
    } else if (ct == LUA_TNIL) {
      lua_pushnil(L);
    } else {
      raise_at(L, 1, "BadOption", "book:add: caption: expected a string or {line1, line2}, got a %s",
                  lua_typename(L, ct));
    }
    /* stack: 4, 5 = caption lines (or nil) */
    int mt = lua_getfield(L, 3, "meta"); /* 6 */
    if (mt == LUA_TTABLE) {
      item.nmeta = collect_meta(L, 6); /* 7 */
      for (int i = 0; i < 2 * item.nmeta; i++) {
        lua_rawgeti(L, 7, i + 1);
        meta_strs[i] = lua_tostring(L, -1);
        lua_pop(L, 1); /* still referenced by table 7 */
      }
      item.meta = meta_strs;
    } else if (mt != LUA_TNIL) {
      raise_at(L, 1, "BadOption", "book:add: meta: expected a table of generation parameters, got a %s",
                  lua_typename(L, mt));
    }
  }
  char err[600];
  raise_queued_failure(L, lb, "book:add", false);
  page_status st = PAGE_OK;
  if (img) {
    /* undecoded images go straight from their bytes to the cell's size */
    item.source = source;
    if (pixels) st = page_book_add_image(lb->b, pixels, &item, err, sizeof err);
    else if (bytes) st = page_book_queue_encoded(lb->b, bytes, nbytes, source, &item, err, sizeof err);
    else raise_at(L, 1, "BadOption", "book:add: the image has no pixels");
  } else {
    const char *path = sandbox_check_read(L, lua_tostring(L, 2));
    item.source = lua_tostring(L, 2);
    st = page_book_queue_file(lb->b, path, &item, err, sizeof err);
  }
  static const char *const names[] = {[PAGE_EFILE] = "FileError", [PAGE_EIMAGE] = "ImageDecodeError",
                                      [PAGE_EINVAL] = "BadOption", [PAGE_ESYS] = "SystemError"};
  if (st != PAGE_OK) raise_at(L, 1, names[st], "book:add: %s", err);
  lua_pushinteger(L, page_book_count_queued(lb->b));
  return 1;
}

/* book:section(title) — the next image starts a new page headed by title. */
static int l_section(lua_State *L) {
  lbook *lb = check_book(L, 1);
  const char *title = luaL_checkstring(L, 2);
  raise_queued_failure(L, lb, "book:section", true);
  char err[300];
  if (!page_book_section(lb->b, title, err, sizeof err)) raise_at(L, 1, "BadOption", "book:section: %s", err);
  return 0;
}

/* book:save(path) -> {written paths}. Format from the extension. */
static int l_save(lua_State *L) {
  lbook *lb = check_book(L, 1);
  const char *path = luaL_checkstring(L, 2);
  if (page_out_from_path(path) == PAGE_OUT_NONE)
    raise_at(L, 1, "BadOption", "book:save: %s: unknown format (use .pdf, .png, .jpg, .webp or .html)", path);
  const char *real = sandbox_check_write(L, path);
  raise_queued_failure(L, lb, "book:save", true);
  page_files files = {0};
  char err[600];
  bool ok = page_book_save(lb->b, real, &files, err, sizeof err);
  if (!ok) {
    page_files_free(&files);
    return raise_at(L, 1, "SaveError", "book:save: %s", err);
  }
  lua_createtable(L, files.n, 0);
  for (int i = 0; i < files.n; i++) {
    lua_pushstring(L, files.paths[i]);
    lua_rawseti(L, -2, i + 1);
  }
  page_files_free(&files);
  return 1;
}

/* book:pages() -> pages the images so far fill. */
static int l_pages(lua_State *L) {
  lbook *lb = check_book(L, 1);
  raise_queued_failure(L, lb, "book:pages", true);
  lua_pushinteger(L, page_book_pages(lb->b));
  return 1;
}

/* book:count() -> images added. */
static int l_count(lua_State *L) {
  lbook *lb = check_book(L, 1);
  raise_queued_failure(L, lb, "book:count", true);
  lua_pushinteger(L, page_book_count(lb->b));
  return 1;
}

/* book:geometry() -> {page_width, page_height, columns, rows, cell_width, cell_height,
 * caption_height, gutter, dpi, grid_x, grid_y, column_label_height, row_label_width,
 * templates = {{{x, y, w, h}, ...}, ...} (each page template's cells)},
 * all in pixels at the book's dpi. For tests and for scripts that place things exactly. */
static int l_geometry(lua_State *L) {
  const page_layout *l = page_book_layout(check_book(L, 1)->b);
  lua_createtable(L, 0, 14);
  struct {
    const char *k;
    lua_Number v;
  } f[] = {{"page_width", l->page_w}, {"page_height", l->page_h}, {"columns", l->columns}, {"rows", l->rows},
           {"cell_width", l->cell_w}, {"cell_height", l->image_h}, {"caption_height", l->caption_h},
           {"gutter", l->gutter},     {"dpi", l->o.dpi},
           {"grid_x", l->grid.x},     {"grid_y", l->grid.y},         {"column_label_height", l->col_labels.h},
           {"row_label_width", l->row_labels.w}};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
    if (f[i].v == floor(f[i].v)) lua_pushinteger(L, (lua_Integer)f[i].v);
    else lua_pushnumber(L, f[i].v);
    lua_setfield(L, -2, f[i].k);
  }
  lua_createtable(L, l->nplans, 0);
  for (int t = 0; t < l->nplans; t++) {
    lua_createtable(L, l->plans[t].ncells, 0);
    for (int i = 0; i < l->plans[t].ncells; i++) {
      page_rect r = l->plans[t].cells[i].image;
      lua_createtable(L, 4, 0);
      int v[4] = {r.x, r.y, r.w, r.h};
      for (int k = 0; k < 4; k++) {
        lua_pushinteger(L, v[k]);
        lua_rawseti(L, -2, k + 1);
      }
      lua_rawseti(L, -2, i + 1);
    }
    lua_rawseti(L, -2, t + 1);
  }
  lua_setfield(L, -2, "templates");
  return 1;
}

/* book:close() — frees the book and its temporary file now (also __gc / __close). */
static int l_close(lua_State *L) {
  lbook *lb = luaL_checkudata(L, 1, BOOK_MT);
  page_book_free(lb->b);
  lb->b = NULL;
  return 0;
}

static int l_tostring(lua_State *L) {
  lbook *lb = luaL_checkudata(L, 1, BOOK_MT);
  if (!lb->b) lua_pushstring(L, "lookbook (closed)");
  else lua_pushfstring(L, "lookbook (%d images, %d pages)", page_book_count(lb->b), page_book_pages(lb->b));
  return 1;
}

int luaopen_page(lua_State *L) {
  static const luaL_Reg methods[] = {{"add", l_add},     {"section", l_section}, {"save", l_save},
                                     {"pages", l_pages}, {"count", l_count},     {"geometry", l_geometry},
                                     {"close", l_close}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
  if (luaL_newmetatable(L, BOOK_MT)) {
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {{"new", l_new}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
