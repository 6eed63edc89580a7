/* lpage_options.c — reads and checks the options of lookbook.new (the `page` module's
 * page.new): every option by name, with messages naming the option and what is allowed.
 * Errors are raised two levels up, at the script line that called lookbook.new. */
#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "lpage.h"
#include "lopts.h"

/* Raises an atelier error `name` with a printf-style message, positioned `level`
 * functions up: 1 = whoever called the C function. page.new is only called by
 * lookbook.new (scripts/lookbook.lua), so its option errors use 2 and point at the
 * script's own line. */
int lpage_raise(lua_State *L, int level, const char *name, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lerr_info e = {.name = name, .message = msg};
  lerr_push(L, &e, level);
  /* A BadOption names the option in `field` (errors.h). Every message here reads
   * "<function>: <option>: what is wrong", so the option is the second part when it is
   * a name such as columns, margin.top or pages[1].spans[2].row. */
  const char *colon = strchr(msg, ':'), *paren = strchr(msg, '('); /* "lookbook.new (layout ...):" */
  if (strcmp(name, "BadOption") == 0 && colon && colon[1] == ' ' && (!paren || paren > colon)) {
    const char *f = colon + 2;
    size_t n = strspn(f, "abcdefghijklmnopqrstuvwxyz_.[]0123456789");
    if (n > 0 && f[n] == ':') {
      lua_pushlstring(L, f, n);
      lua_setfield(L, -2, "field");
    }
  }
  return lua_error(L);
}

/* ---- options ----------------------------------------------------------------------- */

static const char *const BOOK_OPTIONS[] = {
    "title", "subtitle", "columns", "rows", "cell", "page", "orientation", "margin", "gutter", "background",
    "color", "fit", "dpi", "caption_lines", "page_numbers", "type_size", "quality", "pages", "layout",
    "column_labels", "row_labels", "row_label_width", "cell_width", "font", "contact", "footer", "header_note",
    "fields", "cover", "parameters", NULL};

/* Raises unless every key of the table at idx is in allowed (lopts.h says how). */
void lpage_check_keys(lua_State *L, int idx, const char *const *allowed, const char *where, int level) {
  lopts o = lopts_at(L, idx, where, level);
  lopts_check_keys(L, &o, allowed);
}

/* lookbook.new's options: lookbook.lua calls page.new, so errors are raised at level 2,
 * the script's line. */
static lopts book_opts(lua_State *L, int idx) { return lopts_at(L, idx, "lookbook.new", 2); }

/* The string field `name` of the table at idx, or NULL when absent; raises on other types. */
static const char *opt_string(lua_State *L, int idx, const char *name, const char *what) {
  lopts o = book_opts(L, idx);
  return lopts_string(L, &o, name, what, NULL);
}

/* An integer field in [lo, hi], "auto" (-> 0) when allowed, or def when absent. */
static int opt_int(lua_State *L, int idx, const char *name, int lo, int hi, int def, bool allow_auto) {
  if (allow_auto) {
    bool is_auto = lua_getfield(L, idx, name) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "auto") == 0;
    lua_pop(L, 1);
    if (is_auto) return 0;
  }
  lopts o = book_opts(L, idx);
  return (int)lopts_integer_or(L, &o, name, lo, hi, def, allow_auto ? "or \"auto\"" : NULL);
}

static double opt_number(lua_State *L, int idx, const char *name, double lo, double hi, double def) {
  lopts o = book_opts(L, idx);
  return lopts_number(L, &o, name, lo, hi, def);
}

/* A length: a number (millimetres) or a string with a unit. */
static bool length_of(lua_State *L, int idx, double dpi, double *pt, const char *name) {
  char err[300];
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double mm = lua_tonumber(L, idx);
    if (!(mm >= 0 && mm <= 1000))
      lpage_raise(L, 2, "BadOption", "lookbook.new: %s: expected 0 to 1000 (millimetres), got %g", name, mm);
    *pt = mm * 72 / 25.4;
    return true;
  }
  if (lua_type(L, idx) != LUA_TSTRING) return false;
  if (!page_length_parse(lua_tostring(L, idx), dpi, pt, err, sizeof err))
    lpage_raise(L, 2, "BadOption", "lookbook.new: %s: %s", name, err);
  return true;
}

static void opt_margin(lua_State *L, int idx, page_options *o) {
  int t = lua_getfield(L, idx, "margin");
  int m = lua_gettop(L);
  if (t == LUA_TTABLE) { /* {top=, right=, bottom=, left=} */
    static const char *const sides[] = {"top", "right", "bottom", "left", NULL};
    lopts book = book_opts(L, idx), mo = lopts_nested(L, &book, m, "margin");
    lopts_check_keys(L, &mo, sides);
    for (int i = 0; i < 4; i++) {
      if (lua_getfield(L, m, sides[i]) != LUA_TNIL && !length_of(L, -1, o->dpi, &o->margin_pt[i], "margin"))
        lpage_raise(L, 2, "BadOption", "lookbook.new: margin.%s: expected a length such as 12 or \"12mm\"", sides[i]);
      lua_pop(L, 1);
    }
  } else if (t != LUA_TNIL) {
    double pt;
    if (!length_of(L, m, o->dpi, &pt, "margin"))
      lpage_raise(L, 2, "BadOption",
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
  if (t != LUA_TTABLE) lpage_raise(L, 2, "BadOption", "lookbook.new: pages: expected a list of page templates");
  lua_Integer n = luaL_len(L, p);
  if (n > PAGE_MAX_TEMPLATES)
    lpage_raise(L, 2, "BadOption", "lookbook.new: pages: at most %d page templates, got %d", PAGE_MAX_TEMPLATES, (int)n);
  static const char *const tkeys[] = {"spans", NULL};
  static const char *const skeys[] = {"column", "row", "columns", "rows", NULL};
  o->ntemplates = (int)n;
  for (int i = 1; i <= n; i++) {
    if (lua_geti(L, p, i) != LUA_TTABLE) lpage_raise(L, 2, "BadOption", "lookbook.new: pages[%d]: expected a table", i);
    int tp = lua_gettop(L);
    lpage_check_keys(L, tp, tkeys, "lookbook.new: pages[i]", 2);
    page_template *tpl = &o->templates[i - 1];
    int st = lua_getfield(L, tp, "spans");
    int sp = lua_gettop(L);
    if (st == LUA_TTABLE) {
      lua_Integer ns = luaL_len(L, sp);
      if (ns > PAGE_MAX_SPANS)
        lpage_raise(L, 2, "BadOption", "lookbook.new: pages[%d].spans: at most %d spans", i, PAGE_MAX_SPANS);
      tpl->nspans = (int)ns;
      for (int k = 1; k <= ns; k++) {
        if (lua_geti(L, sp, k) != LUA_TTABLE)
          lpage_raise(L, 2, "BadOption", "lookbook.new: pages[%d].spans[%d]: expected {column=, row=, columns=, rows=}", i, k);
        int s = lua_gettop(L);
        lpage_check_keys(L, s, skeys, "lookbook.new: a span", 2);
        int v[4];
        for (int f = 0; f < 4; f++) {
          lua_getfield(L, s, skeys[f]);
          lua_Integer x = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : (f < 2 ? 0 : 1);
          if (lua_isnil(L, -1)) x = f < 2 ? 0 : 1;
          if (x < (f < 2 ? 1 : 1) || x > PAGE_MAX_GRID)
            lpage_raise(L, 2, "BadOption", "lookbook.new: pages[%d].spans[%d].%s: expected an integer from 1 to %d", i,
                        k, skeys[f], PAGE_MAX_GRID);
          v[f] = (int)x;
          lua_pop(L, 1);
        }
        tpl->spans[k - 1] = (page_span){v[0] - 1, v[1] - 1, v[2], v[3]};
        lua_pop(L, 1);
      }
    } else if (st != LUA_TNIL) {
      lpage_raise(L, 2, "BadOption", "lookbook.new: pages[%d].spans: expected a list of spans", i);
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
  if (t != LUA_TTABLE) lpage_raise(L, 2, "BadOption", "lookbook.new: %s: expected a list of strings, got a %s", name, lua_typename(L, t));
  int src = lua_gettop(L);
  lua_Integer n = luaL_len(L, src);
  if (n > PAGE_MAX_GRID)
    lpage_raise(L, 2, "BadOption", "lookbook.new: %s: at most %d labels, got %d", name, PAGE_MAX_GRID, (int)n);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    int et = lua_geti(L, src, i);
    if (et != LUA_TSTRING && et != LUA_TNUMBER)
      lpage_raise(L, 2, "BadOption", "lookbook.new: %s[%d]: expected a string or a number, got a %s", name, (int)i,
               lua_typename(L, et));
    luaL_tolstring(L, -1, NULL);
    v[i - 1] = lua_tostring(L, -1);
    lua_rawseti(L, -3, i);
    lua_pop(L, 1);
  }
  lua_remove(L, src);
  return (int)n;
}

/* fields = {"style", "sku", ...} or {{"sku", "Style no."}, ...}: meta keys shown under
 * each image (line sheets), each with an optional label. Strings stay owned by the
 * options table. */
static void opt_fields(lua_State *L, int idx, lpage_new_args *a) {
  int t = lua_getfield(L, idx, "fields");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (t != LUA_TTABLE) lpage_raise(L, 2, "BadOption", "lookbook.new: fields: expected a list of field names");
  int f = lua_gettop(L);
  lua_Integer n = luaL_len(L, f);
  if (n > 16) lpage_raise(L, 2, "BadOption", "lookbook.new: fields: at most 16, got %d", (int)n);
  for (int i = 1; i <= n; i++) {
    int et = lua_geti(L, f, i);
    if (et == LUA_TSTRING) {
      a->fields[i - 1] = lua_tostring(L, -1);
      a->field_labels[i - 1] = NULL;
    } else if (et == LUA_TTABLE && lua_geti(L, -1, 1) == LUA_TSTRING && lua_geti(L, -2, 2) != LUA_TNUMBER &&
               (lua_type(L, -1) == LUA_TSTRING || lua_isnil(L, -1))) {
      a->fields[i - 1] = lua_tostring(L, -2);
      a->field_labels[i - 1] = lua_tostring(L, -1);
      lua_pop(L, 2);
    } else {
      lpage_raise(L, 2, "BadOption", "lookbook.new: fields[%d]: expected a name or {name, label}", i);
    }
    lua_pop(L, 1);
  }
  a->texts.fields = a->fields;
  a->texts.field_labels = a->field_labels;
  a->texts.nfields = (int)n;
  a->has_texts = a->has_texts || n > 0;
  lua_pop(L, 1);
}

/* cover = true | {season=, date=, logo=, hero=}: a cover page before the body. */
static void opt_cover(lua_State *L, int idx, lpage_new_args *a) {
  int t = lua_getfield(L, idx, "cover");
  int c = lua_gettop(L);
  if (t == LUA_TBOOLEAN) {
    a->has_cover = lua_toboolean(L, c);
  } else if (t == LUA_TTABLE) {
    static const char *const keys[] = {"season", "date", "logo", "hero", NULL};
    lpage_check_keys(L, c, keys, "lookbook.new: cover", 2);
    const char **dst[] = {&a->cover.season, &a->cover.date, &a->cover.logo, &a->cover.hero};
    for (int i = 0; i < 4; i++) {
      int ft = lua_getfield(L, c, keys[i]);
      if (ft == LUA_TSTRING || ft == LUA_TNUMBER) *dst[i] = lua_tostring(L, -1);
      else if (ft != LUA_TNIL)
        lpage_raise(L, 2, "BadOption", "lookbook.new: cover.%s: expected a string, got a %s", keys[i],
                    lua_typename(L, ft));
      lua_pop(L, 1); /* a number converted in place stays alive in the options table */
    }
    a->has_cover = true;
  } else if (t != LUA_TNIL) {
    lpage_raise(L, 2, "BadOption", "lookbook.new: cover: expected true or {season=, date=, logo=, hero=}");
  }
  lua_pop(L, 1);
}

void lpage_read_options(lua_State *L, lpage_new_args *a) {
  lpage_check_keys(L, 1, BOOK_OPTIONS, "lookbook.new", 2);
  char err[400];
  page_options *o = &a->o;
  page_options_default(o);
  o->dpi = opt_number(L, 1, "dpi", PAGE_MIN_DPI, PAGE_MAX_DPI, o->dpi);

  const char *size = opt_string(L, 1, "page", "a page size such as \"A4\", \"Letter\" or \"210x297mm\"");
  if (size && !page_size_parse(size, o->dpi, &o->page_w_pt, &o->page_h_pt, err, sizeof err))
    lpage_raise(L, 2, "BadOption", "lookbook.new: page: %s", err);
  const char *orient = opt_string(L, 1, "orientation", "\"portrait\" or \"landscape\"");
  if (orient) {
    static const char *const names[] = {"portrait", "landscape", NULL};
    int k = lookup(orient, names);
    if (k < 0)
      lpage_raise(L, 2, "BadOption", "lookbook.new: orientation: expected \"portrait\" or \"landscape\", got \"%s\"", orient);
    bool landscape = o->page_w_pt > o->page_h_pt;
    if ((k == 1) != landscape) {
      double w = o->page_w_pt;
      o->page_w_pt = o->page_h_pt;
      o->page_h_pt = w;
    }
  }
  opt_margin(L, 1, o);
  if (lua_getfield(L, 1, "gutter") != LUA_TNIL && !length_of(L, -1, o->dpi, &o->gutter_pt, "gutter"))
    lpage_raise(L, 2, "BadOption", "lookbook.new: gutter: expected a length such as 4 or \"4mm\"");
  lua_pop(L, 1);
  o->columns = opt_int(L, 1, "columns", 1, PAGE_MAX_GRID, o->columns, true);
  o->rows = opt_int(L, 1, "rows", 1, PAGE_MAX_GRID, 0, true);
  if (o->columns == 0 && o->rows == 0) o->columns = 4; /* both automatic: four columns, rows that fit */
  /* rows given without columns: the height decides, columns follow */
  lua_getfield(L, 1, "columns");
  if (lua_isnil(L, -1) && o->rows > 0) o->columns = 0;
  lua_pop(L, 1);
  const char *cell = opt_string(L, 1, "cell", "an aspect ratio such as \"3:4\"");
  if (cell && !page_aspect_parse(cell, &o->cell_aspect, err, sizeof err))
    lpage_raise(L, 2, "BadOption", "lookbook.new: cell: %s", err);
  const char *fit = opt_string(L, 1, "fit", "\"fit\" or \"fill\"");
  if (fit) {
    static const char *const names[] = {"fit", "fill", NULL};
    int k = lookup(fit, names);
    if (k < 0) lpage_raise(L, 2, "BadOption", "lookbook.new: fit: expected \"fit\" (whole image) or \"fill\" (cover the cell, cropping), got \"%s\"", fit);
    o->fit = k == 0 ? PAGE_FIT : PAGE_FILL;
  }
  const char *bg = opt_string(L, 1, "background", "a colour such as \"#ffffff\" or \"ivory\"");
  if (bg && !page_color_parse(bg, &o->background, err, sizeof err))
    lpage_raise(L, 2, "BadOption", "lookbook.new: background: %s", err);
  const char *fg = opt_string(L, 1, "color", "a colour such as \"#1c1c1c\"");
  if (fg) {
    if (!page_color_parse(fg, &o->color, err, sizeof err)) lpage_raise(L, 2, "BadOption", "lookbook.new: color: %s", err);
    o->color_set = true;
  }
  o->caption_lines = opt_int(L, 1, "caption_lines", 0, 2, o->caption_lines, false);
  lopts bo = book_opts(L, 1);
  o->page_numbers = lopts_boolean(L, &bo, "page_numbers", o->page_numbers);
  o->type_size_pt = opt_number(L, 1, "type_size", 4, 72, o->type_size_pt);
  if (lua_getfield(L, 1, "row_label_width") != LUA_TNIL &&
      !length_of(L, -1, o->dpi, &o->row_label_pt, "row_label_width"))
    lpage_raise(L, 2, "BadOption", "lookbook.new: row_label_width: expected a length such as 30 or \"240px\"");
  lua_pop(L, 1);
  if (lua_getfield(L, 1, "cell_width") != LUA_TNIL) { /* the page grows around the cells */
    if (!length_of(L, -1, o->dpi, &o->cell_w_pt, "cell_width") || o->cell_w_pt <= 0)
      lpage_raise(L, 2, "BadOption", "lookbook.new: cell_width: expected a length above 0 such as 60 or \"384px\"");
    if (size)
      lpage_raise(L, 2, "BadOption", "lookbook.new: cell_width: the page is sized to hold the cells; leave out page");
    if (o->columns < 1 || o->rows < 1)
      lpage_raise(L, 2, "BadOption", "lookbook.new: cell_width: needs columns and rows (integers): the page holds exactly that grid");
  }
  lua_pop(L, 1);
  o->quality = opt_int(L, 1, "quality", 1, 100, o->quality, false);
  if (lua_getfield(L, 1, "parameters") != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) lpage_raise(L, 2, "BadOption", "lookbook.new: parameters: expected true or false");
    o->html_parameters = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  opt_pages(L, 1, o);
  const char *font = opt_string(L, 1, "font", "a font family name such as \"EB Garamond\"");
  if (font) {
    if (strlen(font) >= sizeof o->font)
      lpage_raise(L, 2, "BadOption", "lookbook.new: font: a family name of at most %d bytes", (int)sizeof o->font - 1);
    snprintf(o->font, sizeof o->font, "%s", font);
  }
  a->texts = (page_texts){0};
  a->cover = (page_cover){0};
  a->has_cover = false;
  a->texts.contact = opt_string(L, 1, "contact", "a string");
  a->texts.footer = opt_string(L, 1, "footer", "a string");
  a->texts.header_note = opt_string(L, 1, "header_note", "a string");
  a->has_texts = a->texts.contact || a->texts.footer || a->texts.header_note;
  opt_fields(L, 1, a);
  opt_cover(L, 1, a);
  a->title = opt_string(L, 1, "title", "a string");
  a->subtitle = opt_string(L, 1, "subtitle", "a string");
  a->layout = opt_string(L, 1, "layout", "a layout name");
  a->labels = (page_labels){a->cols, opt_labels(L, 1, "column_labels", a->cols), a->rows, 0};
  a->labels.nrows = opt_labels(L, 1, "row_labels", a->rows);
}

