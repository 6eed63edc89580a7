/* lpage.c — the `page` Lua module: lookbook books as userdata ("atelier.page") over
 * runtime/page/page.h. scripts/lookbook.lua is the friendly front (layouts as data);
 * lpage_options.c reads lookbook.new's options. This file checks the methods' arguments,
 * naming what is wrong and what is allowed, and turns runtime failures into atelier
 * error tables:
 *   BadOption   an option or argument is wrong (programmer error)
 *   FileError         an image file cannot be read (the message names the file)
 *   ImageDecodeError  the bytes are not a usable PNG/JPEG/WebP (names the file or image)
 *   SystemError       out of memory, the temporary spool file failed, or cairo or Pango
 *                     cannot be loaded (runtime/lazy/)
 *   SaveError   the lookbook could not be written
 * All of them raise; nothing here returns nil, message.
 *
 * Saving and the waits for the decode queue, during which a job owns the book, are in
 * lpage_jobs.c. */
#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/lazy/lazy.h"
#include "../runtime/page/page.h"
#include "errors.h"
#include "lpage.h"
#include "lpage_int.h"
#include "limage.h"
#include "modules.h"
#include "sandbox.h"
#include "task.h"

lbook *lbook_check(lua_State *L, int idx) {
  lbook *lb = luaL_checkudata(L, idx, BOOK_MT);
  if (!lb->b) lpage_raise(L, 1, "BadOption", "the lookbook is closed");
  if (lb->busy) /* only where lbook_wait_turn could not wait */
    lpage_raise(L, 1, "BadOption",
                "the lookbook is in use by another task (saving, or waiting for its images), and this call cannot wait here");
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

/* page.new{...} -> book. Every option is optional; see README "Lookbooks". */
static int l_new(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lpage_new_args a;
  lpage_read_options(L, &a); /* pushes what keeps label strings alive */
  lbook *lb = lua_newuserdatauv(L, sizeof *lb, 0);
  lb->b = NULL; /* closed until the book exists, so __gc is safe whatever happens */
  lb->busy = NULL;
  lb->rerun = false;
  luaL_setmetatable(L, BOOK_MT);
  int book = lua_gettop(L);
  char err[400];
  /* A machine without cairo or Pango: said as such, not as a bad option. */
  if (!lazy_need(LAZY_FOR_PAGE, err, sizeof err)) lpage_raise(L, 2, "SystemError", "lookbook.new: %s", err);
  lb->b = page_book_new(&a.o, a.title, a.subtitle, err, sizeof err);
  if (lb->b && (a.labels.ncolumns || a.labels.nrows) && !page_book_set_labels(lb->b, &a.labels, err, sizeof err)) {
    page_book_free(lb->b);
    lb->b = NULL;
  }
  if (lb->b && a.has_texts && !page_book_set_texts(lb->b, &a.texts, err, sizeof err)) {
    page_book_free(lb->b);
    lb->b = NULL;
  }
  if (lb->b && a.has_cover) {
    if (a.cover.logo) a.cover.logo = sandbox_check_read(L, a.cover.logo);
    if (a.cover.hero) a.cover.hero = sandbox_check_read(L, a.cover.hero);
    if (!page_book_set_cover(lb->b, &a.cover, err, sizeof err)) {
      page_book_free(lb->b);
      lb->b = NULL;
    }
  }
  if (!lb->b) {
    if (a.layout) lpage_raise(L, 2, "BadOption", "lookbook.new (layout \"%s\"): %s", a.layout, err);
    lpage_raise(L, 2, "BadOption", "lookbook.new: %s", err);
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
      lpage_raise(L, 1, "BadOption", "book:add: meta: keys must be strings, got a %s", luaL_typename(L, -1));
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  if (n > PAGE_MAX_META) lpage_raise(L, 1, "BadOption", "book:add: meta: at most %d entries, got %d", PAGE_MAX_META, n);
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
      lua_Integer len = luaL_len(L, list);
      luaL_buffinit(L, &b);
      for (lua_Integer k = 1; k <= len && k <= 1000; k++) {
        /* The separator goes in before the element is pushed: once the buffer outgrows
         * LUAL_BUFFERSIZE it lives on the stack top, and adding to it with another value
         * above it freed that value (a long first element crashed here). */
        if (k > 1) luaL_addstring(&b, ", ");
        lua_geti(L, list, k);
        int et = lua_type(L, -1);
        if (et != LUA_TSTRING && et != LUA_TNUMBER && et != LUA_TBOOLEAN)
          lpage_raise(L, 1, "BadOption", "book:add: meta.%s[%d]: expected a string, number or boolean", key, (int)k);
        luaL_tolstring(L, -1, NULL);
        lua_remove(L, -2);
        luaL_addvalue(&b);
      }
      luaL_pushresult(&b);
      lua_remove(L, list);
    } else if (t == LUA_TSTRING || t == LUA_TNUMBER || t == LUA_TBOOLEAN) {
      luaL_tolstring(L, -1, NULL);
      lua_remove(L, -2);
    } else {
      lpage_raise(L, 1, "BadOption", "book:add: meta.%s: expected a string, number, boolean or list, got a %s", key,
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
  WAIT_TURN(L, l_add);
  int nargs = lua_gettop(L);
  lbook *lb = lbook_check(L, 1);
  bool rerun = lb->rerun; /* after waiting for the queue below */
  lb->rerun = false;
  int t = lua_type(L, 2);
  const char *source = NULL;
  const image *pixels = NULL;
  const void *bytes = NULL;
  size_t nbytes = 0;
  bool img = t == LUA_TUSERDATA && limage_peek(L, 2, &pixels, &bytes, &nbytes, &source);
  if (t != LUA_TSTRING && !img)
    luaL_typeerror(L, 2, "image or file path"); /* a wrong type: an argument error */
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  page_item item = {0};
  const char *meta_strs[2 * PAGE_MAX_META];
  if (lua_istable(L, 3)) {
    static const char *const keys[] = {"caption", "meta", NULL};
    lpage_check_keys(L, 3, keys, "book:add", 1);
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
      if (luaL_len(L, 4) > 2) lpage_raise(L, 1, "BadOption", "book:add: caption: at most two lines");
      lua_geti(L, 4, 1);
      lua_geti(L, 4, 2);
      for (int i = 0; i < 2; i++) {
        if (!lua_isnil(L, 5 + i) && lua_type(L, 5 + i) != LUA_TSTRING)
          lpage_raise(L, 1, "BadOption", "book:add: caption[%d]: expected a string", i + 1);
        item.caption[i] = lua_tostring(L, 5 + i);
      }
      lua_remove(L, 4);
    } else if (ct == LUA_TNIL) {
      lua_pushnil(L);
    } else {
      lpage_raise(L, 1, "BadOption", "book:add: caption: expected a string or {line1, line2}, got a %s",
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
      lpage_raise(L, 1, "BadOption", "book:add: meta: expected a table of generation parameters, got a %s",
                  lua_typename(L, mt));
    }
  }
  char err[600];
  /* A failure that showed before this call raises here; one that shows while this call
   * waits for a free decode thread is the next call's, as when it waited in place. */
  if (!rerun) raise_queued_failure(L, lb, "book:add", false);
  page_book_use_workers(lb->b, sched_workers(L)); /* fetched per call: image.configure may replace it */
  if (img && pixels) WAIT_QUEUE(L, lb, BOOK_DRAIN, l_add, nargs, true); /* added after the queue */
  else if (img && bytes) WAIT_QUEUE(L, lb, BOOK_ROOM, l_add, nargs, true);
  else if (!img) WAIT_QUEUE(L, lb, BOOK_ROOM, l_add, nargs, true);
  page_status st = PAGE_OK;
  if (img) {
    /* undecoded images go straight from their bytes to the cell's size */
    item.source = source;
    if (pixels) st = page_book_add_image(lb->b, pixels, &item, err, sizeof err);
    else if (bytes) st = page_book_queue_encoded(lb->b, bytes, nbytes, source, &item, err, sizeof err);
    else lpage_raise(L, 1, "BadOption", "book:add: the image has no pixels");
  } else {
    const char *path = sandbox_check_read(L, lua_tostring(L, 2));
    item.source = lua_tostring(L, 2);
    st = page_book_queue_file(lb->b, path, &item, err, sizeof err);
  }
  static const char *const names[] = {[PAGE_EFILE] = "FileError", [PAGE_EIMAGE] = "ImageDecodeError",
                                      [PAGE_EINVAL] = "BadOption", [PAGE_ESYS] = "SystemError"};
  if (st != PAGE_OK) lpage_raise(L, 1, names[st], "book:add: %s", err);
  lua_pushinteger(L, page_book_count_queued(lb->b));
  return 1;
}

/* book:section(title) — the next image starts a new page headed by title. */
static int l_section(lua_State *L) {
  WAIT_TURN(L, l_section);
  lbook *lb = lbook_check(L, 1);
  WAIT_QUEUE(L, lb, BOOK_DRAIN, l_section, lua_gettop(L), false);
  const char *title = luaL_checkstring(L, 2);
  raise_queued_failure(L, lb, "book:section", true);
  char err[300];
  if (!page_book_section(lb->b, title, err, sizeof err)) lpage_raise(L, 1, "BadOption", "book:section: %s", err);
  return 0;
}

/* book:save(path) -> {written paths}. Format from the extension. */
static int l_save(lua_State *L) {
  WAIT_TURN(L, l_save);
  lbook *lb = lbook_check(L, 1);
  const char *path = luaL_checkstring(L, 2);
  if (page_out_from_path(path) == PAGE_OUT_NONE)
    lpage_raise(L, 1, "BadOption", "book:save: %s: unknown format (use .pdf, .png, .jpg, .webp or .html)", path);
  const char *real = sandbox_check_write(L, path);
  raise_queued_failure(L, lb, "book:save", false); /* what already failed, before any work */
  return lbook_save_start(L, lb, real);
}

/* book:pages() -> pages a save writes now: the cover and the pages the images fill. */
static int l_pages(lua_State *L) {
  WAIT_TURN(L, l_pages);
  lbook *lb = lbook_check(L, 1);
  WAIT_QUEUE(L, lb, BOOK_DRAIN, l_pages, lua_gettop(L), false);
  raise_queued_failure(L, lb, "book:pages", true);
  lua_pushinteger(L, page_book_total_pages(lb->b));
  return 1;
}

/* book:count() -> images added. */
static int l_count(lua_State *L) {
  WAIT_TURN(L, l_count);
  lbook *lb = lbook_check(L, 1);
  WAIT_QUEUE(L, lb, BOOK_DRAIN, l_count, lua_gettop(L), false);
  raise_queued_failure(L, lb, "book:count", true);
  lua_pushinteger(L, page_book_count(lb->b));
  return 1;
}

/* book:geometry() -> {page_width, page_height, columns, rows, cell_width, cell_height,
 * caption_height, gutter, dpi, grid_x, grid_y, column_label_height, row_label_width,
 * templates = {{{x, y, w, h}, ...}, ...} (each page template's cells)},
 * all in pixels at the book's dpi. For tests and for scripts that place things exactly. */
static int l_geometry(lua_State *L) {
  WAIT_TURN(L, l_geometry);
  const page_layout *l = page_book_layout(lbook_check(L, 1)->b);
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

static void push_rect4(lua_State *L, const double *v) {
  lua_createtable(L, 0, 4);
  static const char *const k[] = {"x", "y", "w", "h"};
  for (int i = 0; i < 4; i++) {
    lua_pushnumber(L, v[i]);
    lua_setfield(L, -2, k[i]);
  }
}

static void push_rect(lua_State *L, page_rect r, const char *name) {
  double v[4] = {r.x, r.y, r.w, r.h};
  push_rect4(L, v);
  lua_setfield(L, -2, name);
}

/* book:inspect() -> {pages, page_width, page_height, header, footer, grid = {x, y, w, h},
 * texts = {{page, what, box, logical, ink = {x, y, w, h}, lines, ellipsized}, ...}}: every
 * piece of text the pages set and where it landed (pixels at the book's dpi), for tests
 * that check nothing leaves its box. */
static int l_inspect(lua_State *L) {
  WAIT_TURN(L, l_inspect);
  lbook *lb = lbook_check(L, 1);
  WAIT_QUEUE(L, lb, BOOK_DRAIN, l_inspect, lua_gettop(L), false);
  raise_queued_failure(L, lb, "book:inspect", true);
  page_inspect_text *v;
  int n;
  char err[300];
  if (!page_book_inspect(lb->b, &v, &n, err, sizeof err)) return lpage_raise(L, 1, "SystemError", "book:inspect: %s", err);
  const page_layout *l = page_book_layout(lb->b);
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, page_book_total_pages(lb->b));
  lua_setfield(L, -2, "pages");
  lua_pushinteger(L, l->page_w);
  lua_setfield(L, -2, "page_width");
  lua_pushinteger(L, l->page_h);
  lua_setfield(L, -2, "page_height");
  push_rect(L, l->header, "header");
  push_rect(L, l->footer, "footer");
  push_rect(L, l->grid, "grid");
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, v[i].page + 1);
    lua_setfield(L, -2, "page");
    lua_pushstring(L, v[i].what);
    lua_setfield(L, -2, "what");
    push_rect4(L, v[i].box);
    lua_setfield(L, -2, "box");
    push_rect4(L, v[i].logical);
    lua_setfield(L, -2, "logical");
    push_rect4(L, v[i].ink);
    lua_setfield(L, -2, "ink");
    lua_pushinteger(L, v[i].lines);
    lua_setfield(L, -2, "lines");
    lua_pushboolean(L, v[i].ellipsized);
    lua_setfield(L, -2, "ellipsized");
    lua_rawseti(L, -2, i + 1);
  }
  free(v);
  lua_setfield(L, -2, "texts");
  return 1;
}

/* book:close() — frees the book and its temporary file now (also __gc / __close). */
static int l_close(lua_State *L) {
  lbook *lb = luaL_checkudata(L, 1, BOOK_MT);
  if (lb->busy) { /* a save still has it: the job frees it when its work has ended */
    lb->busy->owner = NULL;
    lb->busy = NULL;
  } else {
    page_book_free(lb->b);
  }
  lb->b = NULL;
  return 0;
}

static int l_tostring(lua_State *L) {
  lbook *lb = luaL_checkudata(L, 1, BOOK_MT);
  if (!lb->b) lua_pushstring(L, "lookbook (closed)");
  else if (lb->busy) lua_pushstring(L, "lookbook (in use by another task)");
  else lua_pushfstring(L, "lookbook (%d images, %d pages)", page_book_count(lb->b), page_book_pages(lb->b));
  return 1;
}

int luaopen_page(lua_State *L) {
  static const luaL_Reg methods[] = {{"add", l_add},     {"section", l_section}, {"save", l_save},
                                     {"pages", l_pages}, {"count", l_count},     {"geometry", l_geometry},
                                     {"inspect", l_inspect}, {"close", l_close}, {NULL, NULL}};
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
