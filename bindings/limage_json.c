/* limage_json.c — converts generation metadata between Lua tables and the JSON text the
 * runtime embeds in image files (runtime/image/image_meta.c). Kept apart from limage.c: it is
 * the one place that decides what a script's inputs look like inside a file. */
#include <lauxlib.h>
#include <string.h>

#include "../runtime/image/image.h"
#include "../runtime/base/json.h"
#include "limage.h"
#include "limage_json.h"

#define META_MAX_DEPTH 16
#define DATA_URI_KEEP 512 /* longer data: URIs are summarised, never copied into files */

/* Is the table at idx a sequence 1..n with nothing else? */
static bool is_array(lua_State *L, int idx, lua_Integer *n) {
  lua_Integer count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return false;
    }
    lua_Integer k = lua_tointeger(L, -1);
    if (k < 1) {
      lua_pop(L, 1);
      return false;
    }
    if (k > max) max = k;
    count++;
  }
  *n = count;
  return count > 0 && max == count;
}

static void put_string(json_writer *w, const char *s, size_t len) {
  if (len > DATA_URI_KEEP && strncmp(s, "data:", 5) == 0) {
    const char *comma = memchr(s, ',', len);
    size_t head = comma ? (size_t)(comma - s) + 1 : 5;
    if (head > 100) head = 100;
    buf t = BUF_INIT;
    buf_append(&t, s, head);
    buf_printf(&t, "... (%zu characters, not kept)", len);
    jw_string_len(w, t.data ? t.data : "", t.len);
    buf_free(&t);
    return;
  }
  jw_string_len(w, s, len);
}

/* Writes the value at idx. Raises (luaL_error) on what JSON cannot hold; the writer's buf
 * is owned by a Lua userdata, so raising leaks nothing. */
static void put_value(lua_State *L, int idx, json_writer *w, int depth) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
  case LUA_TNIL: jw_null(w); break;
  case LUA_TBOOLEAN: jw_bool(w, lua_toboolean(L, idx)); break;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) jw_int(w, lua_tointeger(L, idx));
    else {
      lua_Number d = lua_tonumber(L, idx);
      if (d != d || d - d != 0) luaL_error(L, "metadata cannot hold %f (not finite)", d);
      jw_double(w, d);
    }
    break;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    put_string(w, s, len);
    break;
  }
  case LUA_TTABLE: {
    if (depth >= META_MAX_DEPTH) luaL_error(L, "metadata is nested more than %d levels deep", META_MAX_DEPTH);
    luaL_checkstack(L, 4, "metadata");
    lua_Integer n;
    if (is_array(L, idx, &n)) {
      jw_array_begin(w);
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        put_value(L, -1, w, depth + 1);
        lua_pop(L, 1);
      }
      jw_array_end(w);
      break;
    }
    /* Keys sorted, so the same inputs always give the same bytes: {name=key string,
     * value} pairs in a Lua table, sorted by table.sort-free insertion below. */
    lua_newtable(L); /* pairs: [i] = key string, [-i] = value */
    int pairs = lua_gettop(L);
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      int kt = lua_type(L, -2);
      if (kt != LUA_TSTRING && kt != LUA_TNUMBER)
        luaL_error(L, "metadata keys must be strings or numbers, not %s", luaL_typename(L, -2));
      lua_pushvalue(L, -2); /* tostring on a copy: lua_next needs the key untouched */
      lua_tostring(L, -1);
      /* insertion sort by key (metadata tables are small) */
      lua_Integer at = ++count;
      while (at > 1) {
        lua_rawgeti(L, pairs, at - 1);
        bool after = strcmp(lua_tostring(L, -1), lua_tostring(L, -2)) > 0;
        if (!after) {
          lua_pop(L, 1);
          break;
        }
        lua_rawseti(L, pairs, at);
        lua_rawgeti(L, pairs, -(at - 1));
        lua_rawseti(L, pairs, -at);
        at--;
      }
      lua_rawseti(L, pairs, at);  /* the key string */
      lua_rawseti(L, pairs, -at); /* the value */
    }
    jw_object_begin(w);
    for (lua_Integer i = 1; i <= count; i++) {
      lua_rawgeti(L, pairs, i);
      jw_key(w, lua_tostring(L, -1));
      lua_rawgeti(L, pairs, -i);
      put_value(L, -1, w, depth + 1);
      lua_pop(L, 2);
    }
    jw_object_end(w);
    lua_pop(L, 1);
    break;
  }
  case LUA_TUSERDATA:
    if (limage_is(L, idx)) {
      luaL_tolstring(L, idx, NULL);
      jw_string(w, lua_tostring(L, -1));
      lua_pop(L, 1);
      break;
    }
    /* fallthrough */
  default: luaL_error(L, "metadata cannot hold a %s", luaL_typename(L, idx));
  }
}

const char *limage_table_to_json(lua_State *L, int idx, size_t *len) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  buf *b = lbuf_push(L);
  json_writer w;
  jw_init(&w, b);
  put_value(L, idx, &w, 0);
  if (b->oom) luaL_error(L, "out of memory converting metadata");
  if (b->len > IMAGE_META_MAX)
    luaL_error(L, "metadata is %d bytes of JSON, more than the %d-byte limit", (int)b->len, IMAGE_META_MAX);
  lua_pushlstring(L, b->data ? b->data : "{}", b->len ? b->len : 2);
  lua_remove(L, -2); /* the buf; its __gc frees it */
  return lua_tolstring(L, -1, len);
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
