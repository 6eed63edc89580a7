/* lfile.c — file objects (see lfile.h): a video output kept as the bytes the API
 * delivered, so saving writes exactly those bytes. */
#include "lfile.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/image/image.h"
#include "errors.h"
#include "sandbox.h"

/* Uservalues: 1 = the bytes (a Lua string, so the collector sees their size). */
typedef struct lfile {
  char format[8];
  char source[200];
} lfile;

static lfile *check_file(lua_State *L, int idx) { return luaL_checkudata(L, idx, LFILE_MT); }

/* f:save(path) -> path. Writes the delivered bytes as they are (atomically). */
static int f_save(lua_State *L) {
  check_file(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lua_getiuservalue(L, 1, 1);
  size_t n;
  const char *data = lua_tolstring(L, -1, &n);
  const char *real = sandbox_check_write(L, path); /* pushes the path to use */
  char err[400];
  if (image_write_file(real, data, n, err, sizeof err) != IMAGE_OK) lerr_raisef(L, "FileError", "%s", err);
  lua_pushvalue(L, 2);
  return 1;
}

/* f:bytes() -> the delivered bytes. */
static int f_bytes(lua_State *L) {
  check_file(L, 1);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

static int f_index(lua_State *L) {
  lfile *f = check_file(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "format") == 0) lua_pushstring(L, f->format);
  else if (strcmp(k, "source") == 0) lua_pushstring(L, f->source);
  else if (strcmp(k, "size") == 0) {
    lua_getiuservalue(L, 1, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  } else {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, k);
  }
  return 1;
}

static int f_tostring(lua_State *L) {
  lfile *f = check_file(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "file %s, %d bytes (%s)", f->format, (int)lua_rawlen(L, -1), f->source);
  return 1;
}

void lfile_push(lua_State *L, const void *bytes, size_t len, const char *format, const char *source) {
  lfile *f = lua_newuserdatauv(L, sizeof *f, 1);
  snprintf(f->format, sizeof f->format, "%s", format ? format : "unknown");
  snprintf(f->source, sizeof f->source, "%s", source ? source : "file");
  if (luaL_newmetatable(L, LFILE_MT)) {
    static const luaL_Reg methods[] = {{"save", f_save}, {"bytes", f_bytes}, {NULL, NULL}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, f_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, f_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
  lua_pushlstring(L, bytes, len);
  lua_setiuservalue(L, -2, 1);
}
