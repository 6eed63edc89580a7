/* lbuf.h — a buf owned by a userdata on the Lua stack: code that may raise while filling
 * it (a longjmp) cannot leak it, since the userdata's __gc frees it. Shared by every
 * binding that builds bytes before handing them to Lua. */
#ifndef ATELIER_LBUF_H
#define ATELIER_LBUF_H

#include <lua.h>

#include "../runtime/base/buf.h"

/* Pushes a userdata holding an empty buf (freed when collected) and returns the buf. */
buf *lbuf_push(lua_State *L);

#endif
