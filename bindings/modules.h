/* modules.h — the Lua modules atelier links in, and the one call that makes them
 * available to `require` (package.preload), so scripts load them on demand. */
#ifndef ATELIER_MODULES_H
#define ATELIER_MODULES_H

#include <lua.h>

#include "../runtime/base/version.h"

int luaopen_atelier(lua_State *L);
int luaopen_page(lua_State *L); /* lpage.c: lookbook pages (scripts/lookbook.lua is the front) */
int luaopen_csv(lua_State *L);  /* lcsv.c: CSV files as records keyed by their header */

/* Registers every built-in module (atelier, cjson, ...) in package.preload. */
void modules_preload(lua_State *L);

#endif
