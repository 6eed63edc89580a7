/* lopts.c — reads and checks options tables for every binding (rules in lopts.h). */
#include "lopts.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

lopts lopts_at(lua_State *L, int idx, const char *where, int level) {
  return (lopts){.idx = lua_absindex(L, idx), .where = where, .prefix = NULL, .level = level};
}

lopts lopts_nested(lua_State *L, const lopts *parent, int idx, const char *name) {
  /* a nested table inside a nested table is named by its own key only: none go deeper */
  return (lopts){.idx = lua_absindex(L, idx), .where = parent->where, .prefix = name, .level = parent->level};
}

/* Pushes the option's full name ("poll.rate", "margin", "columns"). */
static const char *push_full_name(lua_State *L, const lopts *o, const char *name) {
  if (o->prefix && name) return lua_pushfstring(L, "%s.%s", o->prefix, name);
  return lua_pushstring(L, name ? name : o->prefix ? o->prefix : "");
}

int lopts_raise(lua_State *L, const lopts *o, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *detail = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  const char *full = push_full_name(L, o, name);
  const char *msg = *full ? lua_pushfstring(L, "%s: %s: %s", o->where, full, detail)
                          : lua_pushfstring(L, "%s: %s", o->where, detail);
  lerr_info e = {.name = "BadOption", .message = msg};
  lerr_push(L, &e, o->level);
  if (*full) {
    lua_pushstring(L, full);
    lua_setfield(L, -2, "field");
  }
  return lua_error(L);
}

void lopts_check_keys(lua_State *L, const lopts *o, const char *const *known) {
  lua_pushnil(L);
  while (lua_next(L, o->idx)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (const char *const *k = known; *k && !ok; k++) ok = strcmp(*k, lua_tostring(L, -1)) == 0;
    if (ok) continue;
    /* the list of known names, joined without a luaL_Buffer (values sit on the stack),
     * a name at a time: a long list must not outgrow the stack a C function is given */
    int base = lua_gettop(L);
    lua_pushliteral(L, "");
    for (const char *const *k = known; *k; k++) {
      luaL_checkstack(L, 3, "listing the known options");
      if (k != known) lua_pushliteral(L, ", ");
      lua_pushstring(L, *k);
      lua_concat(L, k != known ? 3 : 2);
    }
    const char *list = lua_tostring(L, -1);
    const char *key = lua_type(L, base) == LUA_TSTRING ? lua_tostring(L, base) : luaL_tolstring(L, base, NULL);
    /* the option field names the unknown key itself */
    const char *full = o->prefix ? lua_pushfstring(L, "%s.%s", o->prefix, key) : key;
    const char *msg = o->prefix ? lua_pushfstring(L, "%s: %s: unknown option '%s' (known: %s)", o->where, o->prefix, key, list)
                                : lua_pushfstring(L, "%s: unknown option '%s' (known: %s)", o->where, key, list);
    lerr_info e = {.name = "BadOption", .message = msg};
    lerr_push(L, &e, o->level);
    lua_pushstring(L, full);
    lua_setfield(L, -2, "field");
    lua_error(L);
  }
}

/* Raises "expected <what>, got <value>" for the value on top of the stack. */
static int expected(lua_State *L, const lopts *o, const char *name, const char *what) {
  int t = lua_type(L, -1);
  const char *got = t == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, -1))
                    : t == LUA_TNUMBER || t == LUA_TBOOLEAN ? luaL_tolstring(L, -1, NULL)
                                                            : lua_pushfstring(L, "a %s", luaL_typename(L, -1));
  return lopts_raise(L, o, name, "expected %s, got %s", what, got);
}

lua_Integer lopts_integer_or(lua_State *L, const lopts *o, const char *name, lua_Integer lo, lua_Integer hi,
                             lua_Integer def, const char *also) {
  if (lua_getfield(L, o->idx, name) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  int isint = 0;
  lua_Integer v = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
  if (!isint || v < lo || v > hi) {
    const char *what = lua_pushfstring(L, "an integer from %I to %I%s%s", (LUAI_UACINT)lo, (LUAI_UACINT)hi,
                                       also ? " " : "", also ? also : "");
    lua_insert(L, -2);
    expected(L, o, name, what);
  }
  lua_pop(L, 1);
  return v;
}

double lopts_number(lua_State *L, const lopts *o, const char *name, double lo, double hi, double def) {
  if (lua_getfield(L, o->idx, name) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
  if (!(v >= lo && v <= hi)) {
    char what[120]; /* lua_pushfstring's %f would print 36 as 36.0 */
    snprintf(what, sizeof what, "a number from %g to %g", lo, hi);
    lua_pushstring(L, what);
    lua_insert(L, -2);
    expected(L, o, name, what);
  }
  lua_pop(L, 1);
  return v;
}

const char *lopts_string(lua_State *L, const lopts *o, const char *name, const char *what, const char *def) {
  int t = lua_getfield(L, o->idx, name);
  const char *s = def;
  if (t == LUA_TSTRING) s = lua_tostring(L, -1);
  else if (t != LUA_TNIL) expected(L, o, name, what ? what : "a string");
  lua_pop(L, 1); /* the string stays alive: the options table holds it */
  return s;
}

bool lopts_boolean(lua_State *L, const lopts *o, const char *name, bool def) {
  int t = lua_getfield(L, o->idx, name);
  bool v = def;
  if (t == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
  else if (t != LUA_TNIL) expected(L, o, name, "true or false");
  lua_pop(L, 1);
  return v;
}

int lopts_enum(lua_State *L, const lopts *o, const char *name, const char *const *names, int def) {
  int t = lua_getfield(L, o->idx, name);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t == LUA_TSTRING)
    for (int i = 0; names[i]; i++)
      if (strcmp(names[i], lua_tostring(L, -1)) == 0) {
        lua_pop(L, 1);
        return i;
      }
  int base = lua_gettop(L);
  for (int i = 0; names[i]; i++) {
    luaL_checkstack(L, 2, "listing an option's values"); /* a long list must not outgrow the C stack */
    if (i) lua_pushstring(L, names[i + 1] ? ", " : " or ");
    lua_pushfstring(L, "\"%s\"", names[i]);
  }
  lua_concat(L, lua_gettop(L) - base);
  lua_insert(L, -2);
  return expected(L, o, name, lua_tostring(L, -2));
}
