/* modules.c — the table of built-in modules; add a line here when a module is added. */
#include "modules.h"

#include <lauxlib.h>
#include <lua-cjson.h>

#include "limage.h"
#include "lfashn.h"

int luaopen_cjson_safe(lua_State *L); /* in liblua5.4-cjson, missing from its header */

static const luaL_Reg builtin[] = {
    {"atelier", luaopen_atelier},
    {"cjson", luaopen_cjson},
    {"cjson.safe", luaopen_cjson_safe},
    {"image", luaopen_image},
    {"page", luaopen_page},
    {"csv", luaopen_csv},
    {"fashn.core", luaopen_fashn_core},
    {NULL, NULL},
};

void modules_preload(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg *m = builtin; m->name; m++) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 1);
}
