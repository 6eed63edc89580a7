/* limits.h — the run's bounds: a cap on the Lua heap (a counting allocator, which
 * image objects' pixels are charged to as well) and a
 * wall-time limit (a count hook for Lua code that never yields, a loop timer for a run
 * that waits, a watchdog alarm for C code that never returns). Crossing either stops
 * the run the way a failing main task does: nothing more runs or is submitted, what the
 * journal holds stays as it is, jobs in flight are resumed by a rerun. */
#ifndef ATELIER_LIMITS_H
#define ATELIER_LIMITS_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/io/loop.h"

typedef struct run_limits run_limits;

/* A new Lua state whose allocator counts bytes and refuses to grow past max_bytes
 * (0 = no cap): the refusal is Lua's ordinary memory error. *out is the bookkeeping,
 * freed by limits_free after lua_close. NULL when out of memory. */
lua_State *limits_newstate(size_t max_bytes, run_limits **out);

/* Counts memory that C code holds on behalf of the Lua state (image objects' pixels and
 * bytes): delta > 0 when taken, < 0 when given back. A charge past the cap, after a
 * full collection gave back what garbage held, crosses the memory limit as a refused
 * allocation would: the run stops at the next Lua instruction. Raises nothing itself
 * (callers may hold resources); a no-op for a state limits_newstate did not make. */
void limits_external(lua_State *L, ptrdiff_t delta);

/* Arms the checks for a run of L on lp: the wall-time limit (seconds, 0 = none) and,
 * when either limit is set, the hook and timer that stop the run once one is crossed.
 * Call just before sched_run_main. */
void limits_start(run_limits *rl, lua_State *L, loop *lp, double max_time);

/* After sched_run_main: disarms everything. Returns the limit crossed as an error
 * name ("MemoryLimit", "TimeLimit") with its message in *message, or NULL. *reported
 * tells whether a Lua error with that name was raised (and so most likely reported
 * with a traceback already). */
const char *limits_finish(run_limits *rl, lua_State *L, const char **message, bool *reported);

void limits_free(run_limits *rl);

#endif
