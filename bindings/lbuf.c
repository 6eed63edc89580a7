/* lbuf.c — a buf owned by the Lua stack (see lbuf.h). */
#include "lbuf.h"

#include <lauxlib.h>

static int lbuf_gc(lua_State *L) {
  buf_free(lua_touserdata(L, 1));
  return 0;
}

buf *lbuf_push(lua_State *L) {
  buf *b = lua_newuserdatauv(L, sizeof *b, 0);
  *b = (buf)BUF_INIT;
  if (luaL_newmetatable(L, "atelier.buf")) {
    lua_pushcfunction(L, lbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}
