/* ljson.h — the one Lua-value-to-JSON walker of the bindings: fashn inputs (sent to the
 * API), journal keys and image metadata all go through it, so a Lua table means the same
 * JSON everywhere.
 *
 * The rules, the same for every caller:
 *   - a table is a list when its keys are exactly 1..n with n >= 1; any other table
 *     (the empty table included) is an object;
 *   - object keys are strings, written sorted by their bytes (the same table always makes
 *     the same text); numeric keys are refused unless the caller allows them, when they
 *     are written as their string form;
 *   - integers are integers; a float with an integral value below 2^53 is written as an
 *     integer (2.0 -> 2), other finite floats as %.17g; NaN and infinities are refused;
 *   - strings as they are (any bytes), booleans, and a NULL light userdata (cjson.null)
 *     as null; functions, threads and other userdata are refused, unless the caller's
 *     `special` hook writes them.
 * A refusal raises an error table (errors.h) named o->error_name with `field` set to the
 * top-level key it is under; the JSON buffer belongs to a userdata, so nothing leaks. */
#ifndef ATELIER_LJSON_H
#define ATELIER_LJSON_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/base/json.h"

typedef struct ljson_opts {
  int max_depth;          /* tables nested below the top one; deeper raises */
  bool top_object;        /* the top value must be a table of named fields (never a list) */
  bool number_keys;       /* numeric keys of an object are written as strings, not refused */
  const char *error_name; /* name of the error table raised, e.g. "InvalidInput" */
  const char *what;       /* names the whole value in messages: "inputs", "metadata" */
  const char *refused;    /* how a refused type is said: "cannot be sent to the API" */
  int level;              /* the `where` level of raised errors (errors.h; 0 = none) */
  /* Called for every value before the rules above (field: the top-level key the value is
   * under, "" for the top; depth: 0 for the top value, 1 for its members). Returns true
   * when it has written the value itself. May raise. */
  bool (*special)(lua_State *L, int idx, json_writer *w, const char *field, int depth, void *ud);
  void *ud;
} ljson_opts;

/* Writes the value at idx to w per the rules and o. Raises on a refusal. */
void ljson_write(lua_State *L, int idx, json_writer *w, const ljson_opts *o);

/* Converts the value at idx and pushes the JSON text as a Lua string (also returned,
 * len set when not NULL). Raises on a refusal or out of memory. */
const char *ljson_push(lua_State *L, int idx, const ljson_opts *o, size_t *len);

/* Raises o's error (name, message "<field or what>: <formatted>", field). */
int ljson_raise(lua_State *L, const ljson_opts *o, const char *field, const char *fmt, ...);

#endif
