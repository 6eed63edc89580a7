/* ljournal.h — the run journal as the bindings see it: one per Lua state, configured
 * from the command line (--journal, --fresh, --retry-unknown), opened on first use so a
 * script that submits nothing leaves no file behind, and the helpers the fashn binding
 * calls around a job's life: the key of an inputs table, the plan for a submission, the
 * in-run table that makes two identical submissions share one prediction. */
#ifndef ATELIER_LJOURNAL_H
#define ATELIER_LJOURNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/jobkey.h"
#include "../runtime/journal.h"

/* Records the command line's choices for L (path NULL = the default). Once, at start. */
void ljournal_configure(lua_State *L, const char *path, bool fresh, bool retry_unknown);

/* The journal of L, opened on first call (creating its directory). NULL with errbuf set
 * when it cannot be opened; every later call fails the same way, so no job of the run
 * is submitted without a record. */
journal *ljournal_get(lua_State *L, char *errbuf, size_t errlen);

/* --retry-unknown: the default of the script's retry_unknown option. */
bool ljournal_retry_unknown(lua_State *L);

/* The key of (backend, model, the inputs table at idx). The table is read as JSON would
 * carry it (string keys, numbers, strings, booleans, nested tables); local image paths
 * are hashed by content (jobkey.h). False with errbuf set on a value JSON cannot carry
 * or an unreadable reference file. Free k with jobkey_free. */
bool ljournal_key(lua_State *L, int idx, const char *backend, const char *model_name, jobkey *k, char *errbuf,
                  size_t errlen);

/* The in-run table key -> job value (any Lua value, usually the job userdata): pushes
 * the job submitted earlier in this run with that key, or nil. */
void ljournal_push_shared(lua_State *L, const char *key);
/* Remembers the value on top of the stack (not popped) as the job for key. */
void ljournal_set_shared(lua_State *L, const char *key);

/* Closes the journal (run end); later ljournal_get calls reopen it. For tests/exit. */
void ljournal_close(lua_State *L);

#endif
