/* lopts.h — the one reader of options tables in the bindings: every binding reads its
 * options (lookbook.new, fashn.configure, img:encode, img:resize, ...) through these, so
 * the same value means the same thing everywhere and a wrong one fails the same way.
 *
 * The rules:
 *   - an absent option (nil) keeps the caller's default;
 *   - an integer option takes a number with an integral value, as math.tointeger does:
 *     2 and 2.0 are the integer 2, 2.5 and "2" are refused;
 *   - a number option takes any number in range (NaN never is);
 *   - a string option takes a string only (not a number), a boolean one true or false;
 *   - an enum option takes one of its names;
 *   - a name that is not an option is refused, naming it and listing the known ones.
 * A refusal raises a BadOption error table (errors.h) whose message starts with where the
 * options went and the option's name ("lookbook.new: columns: expected an integer from 1
 * to 32, got 0") and whose `field` is the option's name ("poll.rate" inside a nested
 * table). */
#ifndef ATELIER_LOPTS_H
#define ATELIER_LOPTS_H

#include <lua.h>
#include <stdbool.h>

typedef struct lopts {
  int idx;            /* stack index of the options table */
  const char *where;  /* the function the options went to: "lookbook.new" */
  const char *prefix; /* a nested table's name ("margin", "poll"), or NULL at the top */
  int level;          /* the `where` level of errors (errors.h: 1 = the C function's caller) */
} lopts;

/* An options table at idx for `where`, errors at `level`; idx made absolute. */
lopts lopts_at(lua_State *L, int idx, const char *where, int level);
/* The nested options table at idx, named `name` inside parent. */
lopts lopts_nested(lua_State *L, const lopts *parent, int idx, const char *name);

/* Raises BadOption about option `name` (NULL: the table as a whole): message
 * "<where>: <prefix.name>: <formatted>" (lua_pushfstring formats). */
int lopts_raise(lua_State *L, const lopts *o, const char *name, const char *fmt, ...);

/* Refuses every key of the table that is not in known (NULL-ended). */
void lopts_check_keys(lua_State *L, const lopts *o, const char *const *known);

/* Integer option in [lo, hi], def when absent. `also` names another accepted form for the
 * message (e.g. "or \"auto\""; the caller handles it before), or NULL. */
lua_Integer lopts_integer_or(lua_State *L, const lopts *o, const char *name, lua_Integer lo, lua_Integer hi,
                             lua_Integer def, const char *also);
#define lopts_integer(L, o, name, lo, hi, def) lopts_integer_or(L, o, name, lo, hi, def, NULL)

/* Number option in [lo, hi], def when absent. */
double lopts_number(lua_State *L, const lopts *o, const char *name, double lo, double hi, double def);

/* String option (kept alive by the options table), def when absent; `what` says what is
 * expected ("a page size such as \"A4\""), or NULL for "a string". */
const char *lopts_string(lua_State *L, const lopts *o, const char *name, const char *what, const char *def);

/* Boolean option, def when absent. */
bool lopts_boolean(lua_State *L, const lopts *o, const char *name, bool def);

/* The index in names (NULL-ended) of the option's value, def when absent. */
int lopts_enum(lua_State *L, const lopts *o, const char *name, const char *const *names, int def);

#endif
