/* limage_json.h — Lua table <-> JSON for image metadata. Internal to the image binding. */
#ifndef ATELIER_LIMAGE_JSON_H
#define ATELIER_LIMAGE_JSON_H

#include <lua.h>
#include <stdbool.h>

#include "../runtime/base/buf.h"
#include "lbuf.h"


/* Converts the table at idx to JSON and pushes it as a string (also returned, len set).
 * Raises on values JSON cannot hold or on more than IMAGE_META_MAX bytes. */
const char *limage_table_to_json(lua_State *L, int idx, size_t *len);

/* Pushes the JSON text as Lua values; false (nothing pushed) when it does not parse. */
bool limage_push_json(lua_State *L, const char *json, size_t len);

#endif
