/* ljson.c — the one Lua-value-to-JSON walker (rules in ljson.h). */
#include "ljson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "lbuf.h"

#define LJSON_MAX_KEYS 4096 /* members of one object: more is a mistake, not inputs */

int ljson_raise(lua_State *L, const ljson_opts *o, const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  const char *who = field && *field ? field : o->what;
  if (who && *who) msg = lua_pushfstring(L, "%s: %s", who, msg);
  lerr_info e = {.name = o->error_name ? o->error_name : "BadOption", .message = msg};
  lerr_push(L, &e, o->level);
  lua_pushstring(L, field ? field : "");
  lua_setfield(L, -2, "field");
  return lua_error(L);
}

/* One member of an object: its key as text, and where the original key is kept. */
typedef struct member {
  const char *s;
  size_t len;
  lua_Integer slot; /* anchor[2*slot-1] = the original key, anchor[2*slot] = its text */
} member;

static int member_cmp(const void *a, const void *b) {
  const member *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, n);
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

static void write_value(lua_State *L, int idx, json_writer *w, const ljson_opts *o, const char *field, int depth);

/* Counts the keys of the table at idx; *list says whether they are exactly 1..count. */
static lua_Integer count_keys(lua_State *L, int idx, bool *list) {
  lua_Integer count = 0;
  bool ints = true;
  lua_Integer max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
    if (ints && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
    } else {
      ints = false;
    }
  }
  /* count distinct integer keys, all in 1..count: exactly 1..count */
  *list = ints && count > 0 && max == count;
  return count;
}

static void write_table(lua_State *L, int idx, json_writer *w, const ljson_opts *o, const char *field, int depth) {
  if (depth > o->max_depth) ljson_raise(L, o, field, "nested more than %d levels deep", o->max_depth);
  luaL_checkstack(L, 8, "a table nested too deep to write as JSON");
  bool list;
  lua_Integer count = count_keys(L, idx, &list);
  if (list && !(depth == 0 && o->top_object)) {
    jw_array_begin(w);
    for (lua_Integer i = 1; i <= count; i++) {
      lua_rawgeti(L, idx, i);
      write_value(L, lua_gettop(L), w, o, field, depth + 1);
      lua_pop(L, 1);
    }
    jw_array_end(w);
    return;
  }
  if (count > LJSON_MAX_KEYS) ljson_raise(L, o, field, "more than %d fields", LJSON_MAX_KEYS);
  member *m = lua_newuserdatauv(L, (size_t)(count ? count : 1) * sizeof *m, 0);
  lua_createtable(L, (int)count * 2, 0); /* the anchor: keeps every key text alive */
  int anchor = lua_gettop(L);
  lua_Integer k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    int kt = lua_type(L, -1);
    if (kt != LUA_TSTRING && !(kt == LUA_TNUMBER && o->number_keys)) {
      if (depth == 0 && o->top_object)
        ljson_raise(L, o, field, "keys must be strings (a table of named fields), not %s", luaL_typename(L, -1));
      ljson_raise(L, o, field, "keys must be strings%s, not %s", o->number_keys ? " or numbers" : "",
                  luaL_typename(L, -1));
    }
    k++;
    lua_pushvalue(L, -1);
    lua_rawseti(L, anchor, 2 * k - 1);
    lua_pushvalue(L, -1);
    m[k - 1].s = lua_tolstring(L, -1, &m[k - 1].len); /* a copy: lua_next needs the key untouched */
    m[k - 1].slot = k;
    lua_rawseti(L, anchor, 2 * k);
  }
  qsort(m, (size_t)count, sizeof *m, member_cmp);
  jw_object_begin(w);
  for (k = 0; k < count; k++) {
    jw_key_len(w, m[k].s, m[k].len);
    lua_rawgeti(L, anchor, 2 * m[k].slot - 1);
    lua_rawget(L, idx);
    write_value(L, lua_gettop(L), w, o, depth == 0 ? m[k].s : field, depth + 1);
    lua_pop(L, 1);
  }
  jw_object_end(w);
  lua_pop(L, 2); /* the members, the anchor */
}

static void write_value(lua_State *L, int idx, json_writer *w, const ljson_opts *o, const char *field, int depth) {
  if (o->special && o->special(L, idx, w, field, depth, o->ud)) return;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      jw_string_len(w, s, len);
      return;
    }
    case LUA_TBOOLEAN: jw_bool(w, lua_toboolean(L, idx)); return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        jw_int(w, (int64_t)lua_tointeger(L, idx));
      } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d)) ljson_raise(L, o, field, "must be a finite number");
        if (d == floor(d) && fabs(d) < 9007199254740992.0) jw_int(w, (int64_t)d);
        else jw_double(w, d);
      }
      return;
    case LUA_TTABLE: write_table(L, idx, w, o, field, depth); return;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) { /* cjson.null */
        jw_null(w);
        return;
      }
      /* fall through */
    default: ljson_raise(L, o, field, "a %s %s", luaL_typename(L, idx), o->refused ? o->refused : "has no JSON form");
  }
}

void ljson_write(lua_State *L, int idx, json_writer *w, const ljson_opts *o) {
  idx = lua_absindex(L, idx);
  if (o->top_object && !lua_istable(L, idx))
    ljson_raise(L, o, "", "expected a table, got %s", luaL_typename(L, idx));
  write_value(L, idx, w, o, "", 0);
}

const char *ljson_push(lua_State *L, int idx, const ljson_opts *o, size_t *len) {
  idx = lua_absindex(L, idx);
  buf *out = lbuf_push(L);
  json_writer w;
  jw_init(&w, out);
  ljson_write(L, idx, &w, o);
  if (out->oom) luaL_error(L, "out of memory writing JSON");
  lua_pushlstring(L, out->data ? out->data : "", out->len);
  buf_free(out);
  lua_remove(L, -2); /* the buf's userdata */
  return lua_tolstring(L, -1, len);
}
