/* errors.h — the error values atelier raises into Lua: tables with name, message, id,
 * http_status, retryable (and where the call was made), sharing one metatable whose
 * __tostring reads well in a traceback.
 *
 * The error policy, the same for every binding and every module in scripts/ (README,
 * "Errors"; tests/lua/test_error_policy.lua holds every public function to it):
 *   - a wrong argument type is a Lua argument error, a string positioned at the script's
 *     line: luaL_checktype / luaL_argerror in C, atelier.checkarg / atelier.argerror in
 *     scripts/ (a C function called through a Lua wrapper is checked by the wrapper,
 *     since an argument error from inside a pcall has no position);
 *   - a wrong option value or an unknown option name is a BadOption table whose `field`
 *     names the option: lopts.h reads every options table;
 *   - a wrong job input is an InvalidInput table whose `field` names the input;
 *   - failures of the API, the network, files and images are error tables named for
 *     what failed, raised with lerr_raise / lerr_raisef;
 *   - an outcome that is an answer rather than a failure (image.probe: is this an
 *     image?) returns nil, message and never raises.
 * Every raised table carries `where`, the script's line: lerr_push's `level`, or the
 * Lua wrapper that adds it (fashn.lua's raise). */
#ifndef ATELIER_ERRORS_H
#define ATELIER_ERRORS_H

#include <lua.h>
#include <stdio.h>
#include <stdbool.h>

typedef struct lerr_info {
  const char *name;    /* the API's error name or a runtime one, e.g. "BadRequest" */
  const char *message; /* human text; never contains a secret */
  const char *id;      /* prediction id, or NULL */
  int http_status;     /* 0 when no HTTP answer was involved */
  bool retryable;
} lerr_info;

/* Pushes a new error table. `level` is passed to luaL_where for the `where` field
 * (1 = the function that called the C function raising; 0 = none). */
void lerr_push(lua_State *L, const lerr_info *e, int level);

/* Pushes an error named `name` with a formatted message and raises it. */
int lerr_raisef(lua_State *L, const char *name, const char *fmt, ...);

/* Raises the error table described by e. */
int lerr_raise(lua_State *L, const lerr_info *e);

/* True when the value at idx is an atelier error table. */
bool lerr_is(lua_State *L, int idx);

/* Registers the metatable and `atelier.error` helpers; called once at start. */
void lerr_open(lua_State *L);

/* atelier.error({name=, message=, ...} [, level]) -> a new error table (not raised);
 * with level, `where` names that stack level, as error(msg, level) would. */
int lerr_new_from_table(lua_State *L);

/* Prints "prefix: text\n" to f with text escaped as runtime/textsafe.h does for several
 * lines (newlines and tabs kept): how uncaught errors and load errors reach stderr. */
void lerr_print(FILE *f, const char *prefix, const char *text);

#endif
