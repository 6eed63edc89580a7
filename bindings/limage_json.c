/* limage_json.c — converts generation metadata between Lua tables and the JSON text the
 * runtime embeds in image files (runtime/image/image_meta.c). Kept apart from limage.c: it is
 * the one place that decides what a script's inputs look like inside a file. */
#include <lauxlib.h>
#include <string.h>

#include "../runtime/image/image.h"
#include "../runtime/base/json.h"
#include "limage.h"
#include "limage_json.h"
#include "ljson.h"

#define META_MAX_DEPTH 16
#define DATA_URI_KEEP 512 /* longer data: URIs are summarised, never copied into files */

/* Long data: URIs are summarised (never copied into files); image objects are written as
 * their description. Everything else follows the shared rules (ljson.h). */
static bool write_meta_special(lua_State *L, int idx, json_writer *w, const char *field, int depth, void *ud) {
  (void)field, (void)depth, (void)ud;
  if (limage_is(L, idx)) {
    luaL_tolstring(L, idx, NULL);
    jw_string(w, lua_tostring(L, -1));
    lua_pop(L, 1);
    return true;
  }
  size_t len;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  if (!s || len <= DATA_URI_KEEP || strncmp(s, "data:", 5) != 0) return false;
  const char *comma = memchr(s, ',', len);
  size_t head = comma ? (size_t)(comma - s) + 1 : 5;
  if (head > 100) head = 100;
  buf t = BUF_INIT;
  buf_append(&t, s, head);
  buf_printf(&t, "... (%zu characters, not kept)", len);
  jw_string_len(w, t.data ? t.data : "", t.len);
  buf_free(&t);
  return true;
}

const char *limage_table_to_json(lua_State *L, int idx, size_t *len) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  ljson_opts o = {.max_depth = META_MAX_DEPTH - 1, .number_keys = true, .error_name = "BadOption",
                  .what = "meta", .refused = "cannot be kept in metadata", .level = 1,
                  .special = write_meta_special};
  const char *json = ljson_push(L, idx, &o, len);
  if (*len > IMAGE_META_MAX)
    ljson_raise(L, &o, "", "%d bytes of JSON, more than the %d-byte limit", (int)*len, IMAGE_META_MAX);
  return json;
}

static void push_json(lua_State *L, const json_value *v) {
  luaL_checkstack(L, 3, "metadata");
  switch (v->type) {
  case JSON_NULL: lua_pushnil(L); break;
  case JSON_BOOL: lua_pushboolean(L, v->u.boolean); break;
  case JSON_NUMBER:
    if (v->u.num.is_int) lua_pushinteger(L, (lua_Integer)v->u.num.i);
    else lua_pushnumber(L, v->u.num.d);
    break;
  case JSON_STRING: lua_pushlstring(L, v->u.str.s, v->u.str.len); break;
  case JSON_ARRAY:
    lua_createtable(L, (int)v->u.arr.n, 0);
    for (size_t i = 0; i < v->u.arr.n; i++) {
      push_json(L, &v->u.arr.items[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case JSON_OBJECT:
    lua_createtable(L, 0, (int)v->u.obj.n);
    for (size_t i = 0; i < v->u.obj.n; i++) {
      lua_pushlstring(L, v->u.obj.members[i].key, v->u.obj.members[i].keylen);
      push_json(L, &v->u.obj.members[i].value);
      lua_rawset(L, -3);
    }
    break;
  }
}

bool limage_push_json(lua_State *L, const char *json, size_t len) {
  char err[160];
  json_doc *d = json_parse(json, len, META_MAX_DEPTH + 2, err, sizeof err);
  if (!d) return false;
  /* push_json only raises on a stack overflow (depth is bounded above); a leak of d then
   * is acceptable next to an out-of-memory state */
  push_json(L, json_root(d));
  json_doc_free(d);
  return true;
}
