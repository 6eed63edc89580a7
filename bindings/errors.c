/* errors.c — builds and prints atelier's error tables (see errors.h). */
#include "errors.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <string.h>

#include "../runtime/base/textsafe.h"
#include "lbuf.h"

#define ERROR_MT "atelier.error"

/* "where" .. name .. ": " .. message .. " (prediction ID, HTTP N)", escaped as a whole:
 * the parts may be server text or a script's, and this is what reaches a terminal.
 * Each piece is pushed in order and one lua_concat joins them, rather than a
 * luaL_Buffer: the fields are Lua values that sit on the stack while in use, and a
 * buffer grown past LUAL_BUFFERSIZE needs the stack top for itself (a long name once
 * crashed here). The escaped text is built in a stack-owned buf (lbuf), so a raise
 * cannot leak it. */
static int err_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "where") != LUA_TSTRING) lua_pop(L, 1);
  if (lua_getfield(L, 1, "name") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushliteral(L, "Error");
  }
  if (lua_getfield(L, 1, "message") == LUA_TSTRING) {
    lua_pushliteral(L, ": ");
    lua_insert(L, -2);
  } else {
    lua_pop(L, 1);
  }
  bool has_id = lua_getfield(L, 1, "id") == LUA_TSTRING;
  if (!has_id) lua_pop(L, 1);
  lua_getfield(L, 1, "http_status");
  lua_Integer http = lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (has_id) { /* the id, already on top, may hold any bytes: no %s for it */
    lua_pushliteral(L, " (prediction ");
    lua_insert(L, -2);
  }
  if (http) lua_pushfstring(L, "%sHTTP %d)", has_id ? ", " : " (", (int)http);
  else if (has_id) lua_pushliteral(L, ")");
  lua_concat(L, lua_gettop(L) - 1);
  size_t n;
  const char *raw = lua_tolstring(L, -1, &n);
  buf *safe = lbuf_push(L);
  text_escape(safe, raw, n);
  if (safe->oom) return luaL_error(L, "out of memory describing an error");
  lua_pushlstring(L, safe->data ? safe->data : "", safe->len);
  return 1;
}

void lerr_print(FILE *f, const char *prefix, const char *text) {
  buf safe = BUF_INIT;
  if (!text) text = "?";
  text_escape_lines(&safe, text, strlen(text));
  fprintf(f, "%s: %s\n", prefix, safe.oom || !safe.data ? "(out of memory)" : safe.data);
  buf_free(&safe);
}

void lerr_push(lua_State *L, const lerr_info *e, int level) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, e->name ? e->name : "Error");
  lua_setfield(L, -2, "name");
  lua_pushstring(L, e->message ? e->message : "");
  lua_setfield(L, -2, "message");
  if (e->id) {
    lua_pushstring(L, e->id);
    lua_setfield(L, -2, "id");
  }
  if (e->http_status) {
    lua_pushinteger(L, e->http_status);
    lua_setfield(L, -2, "http_status");
  }
  lua_pushboolean(L, e->retryable);
  lua_setfield(L, -2, "retryable");
  if (level > 0) {
    luaL_where(L, level);
    if (lua_rawlen(L, -1) > 0) lua_setfield(L, -2, "where");
    else lua_pop(L, 1);
  }
  luaL_setmetatable(L, ERROR_MT);
}

int lerr_raise(lua_State *L, const lerr_info *e) {
  lerr_push(L, e, 1);
  return lua_error(L);
}

int lerr_raisef(lua_State *L, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lerr_info e = {.name = name, .message = msg};
  lerr_push(L, &e, 1);
  return lua_error(L);
}

bool lerr_is(lua_State *L, int idx) {
  if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return false;
  luaL_getmetatable(L, ERROR_MT);
  bool yes = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return yes;
}

int lerr_new_from_table(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  /* atelier.error(t, level): level as in error(msg, level), 1 = the caller */
  int level = (int)luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  lua_getfield(L, 1, "name");
  const char *name = lua_tostring(L, -1);
  luaL_argcheck(L, name && *name, 1, "the error needs a non-empty string `name`");
  lua_getfield(L, 1, "message");
  const char *message = luaL_optstring(L, -1, "");
  lua_getfield(L, 1, "id");
  const char *id = lua_tostring(L, -1);
  lua_getfield(L, 1, "http_status");
  int http = (int)lua_tointeger(L, -1);
  lua_getfield(L, 1, "retryable");
  lerr_info e = {name, message, id, http, lua_toboolean(L, -1)};
  lerr_push(L, &e, level > 0 ? level : 0);
  return 1;
}

void lerr_open(lua_State *L) {
  if (luaL_newmetatable(L, ERROR_MT)) {
    lua_pushcfunction(L, err_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, "atelier.error");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
}
