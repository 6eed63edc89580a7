/* latelier.c — the `atelier` Lua module: tasks (spawn, gather, sleep) and facts about
 * the running program, and whether a file can be written somewhere. The scheduling
 * itself lives in task.c. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/io/interrupt.h"
#include "../runtime/io/safefile.h"
#include "errors.h"
#include "modules.h"
#include "sandbox.h"
#include "task.h"

static void sleep_done(void *ud) { task_wake(ud, 0); }

static void sleep_cancel(task *t, void *ud) {
  (void)ud;
  loop_timer_stop(sched_loop(task_thread(t)), task_timer(t));
}

/* atelier.sleep(seconds) — yields the running task; others keep going. */
static int l_sleep(lua_State *L) {
  lua_Number secs = luaL_checknumber(L, 1);
  luaL_argcheck(L, secs >= 0 && isfinite(secs), 1, "expected a finite number of seconds >= 0");
  task *t = task_current(L);
  if (!t) return luaL_error(L, "atelier.sleep: not inside a task");
  loop_timer_start(sched_loop(L), task_timer(t), secs, sleep_done, t);
  task_on_cancel(t, sleep_cancel, NULL);
  return task_wait(L, 0, NULL);
}

/* atelier.spawn(fn, ...) -> task — starts fn(...) as a task on the next loop turn. */
static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  task_spawn(L, lua_gettop(L) - 1);
  return 1;
}

/* atelier.gather(t1, t2, ...) -> r1, r2, ...; atelier.gather{t1, t2} -> {r1, r2, n = 2}.
 * Waits for every task, then raises the first failure in order or returns each task's
 * first result. */
static int l_gather(lua_State *L) {
  if (lua_gettop(L) == 1 && lua_type(L, 1) == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 0 && n <= 100000, 1, "expected a list of at most 100000 tasks");
    luaL_checkstack(L, (int)n + 4, "too many tasks to gather");
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, 1, i);
      if (!luaL_testudata(L, -1, "atelier.task"))
        return luaL_argerror(L, 1, lua_pushfstring(L, "list of tasks expected, item %d is a %s", (int)i,
                                                   luaL_typename(L, -1)));
    }
    return task_gather_args(L, 2, (int)n + 1, true);
  }
  return task_gather_args(L, 1, lua_gettop(L), false);
}

/* atelier.now() -> seconds on a monotonic clock (for measuring, not for dates). */
static int l_now(lua_State *L) {
  lua_pushnumber(L, loop_now());
  return 1;
}

/* atelier.running() -> the handle of the running task. */
static int l_running(lua_State *L) {
  task *t = task_current(L);
  if (!t) return 0;
  task_push(L, t);
  return 1;
}

/* atelier.interrupted() -> true once Ctrl-C asked the run to stop submitting: a script
 * looping over work can stop starting more (what is in flight still finishes). */
/* atelier.writable(path) -> true | nil, message: whether a file can be created beside
 * path, found by creating and removing a probe (path .. ".atelier-probe") without
 * following a link: a link planted under the probe's name is removed, never written
 * through. Missing folders on the way are created, as the writers themselves would
 * (walked from --out under --sandbox), so a path whose folder cannot exist (under a
 * file, in /proc) is refused here, before anything is spent. --sandbox rules apply (a
 * refused path raises SandboxViolation). */
static int l_writable(lua_State *L) {
  const char *path = sandbox_check_write(L, luaL_checkstring(L, 1)); /* pushed */
  char probe[PATH_MAX], name[NAME_MAX + 1], err[PATH_MAX + 200];
  if (snprintf(probe, sizeof probe, "%s.atelier-probe", path) >= (int)sizeof probe) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: path too long", path);
    return 2;
  }
  int dfd = safe_open_parent(safe_write_root(), probe, SAFE_MKDIRS, name, sizeof name, err, sizeof err);
  int fd = -1;
  if (dfd >= 0) {
    fd = safe_open_in(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0666, probe, err, sizeof err);
    if (fd < 0 && errno == EEXIST && unlinkat(dfd, name, 0) == 0) /* a leftover or a planted link */
      fd = safe_open_in(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0666, probe, err, sizeof err);
    if (fd >= 0) {
      close(fd);
      unlinkat(dfd, name, 0);
    }
    close(dfd);
  }
  if (fd < 0) {
    luaL_pushfail(L);
    lua_pushstring(L, err);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int l_interrupted(lua_State *L) {
  lua_pushboolean(L, interrupt_stopping());
  return 1;
}

/* ---- argument errors for the Lua modules in scripts/ ------------------------------------
 * A wrong argument is reported as Lua reports one to a C function (luaL_argerror): a
 * string "file:line: bad argument #1 to 'lookbook.new' (table expected, got string)"
 * at the line that made the call. These two are how scripts/ modules do the same, and
 * they need no debug library (a --sandbox run has none). */

/* atelier.argerror(arg, fname, message [, level]) raises "bad argument #arg to 'fname'
 * (message)" positioned at `level`: 1 = the function calling argerror, 2 (the default) =
 * its caller, as error(msg, level) counts. */
static int l_argerror(lua_State *L) {
  lua_Integer arg = luaL_checkinteger(L, 1);
  const char *fname = luaL_checkstring(L, 2);
  const char *msg = luaL_checkstring(L, 3);
  int level = (int)luaL_optinteger(L, 4, 2);
  luaL_where(L, level < 0 ? 0 : level);
  lua_pushfstring(L, "bad argument #%I to '%s' (%s)", (LUAI_UACINT)arg, fname, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

/* atelier.checkarg(value, arg, fname, type [, type ...]) -> value: raises
 * "bad argument #arg to 'fname' (table expected, got string)" at the caller of the
 * function calling checkarg unless type(value) is one of the types; "nil" among them
 * makes the argument optional (and is left out of the message, as Lua does). */
static int l_checkarg(lua_State *L) {
  int top = lua_gettop(L);
  lua_Integer arg = luaL_checkinteger(L, 2);
  const char *fname = luaL_checkstring(L, 3);
  const char *got = lua_isnoneornil(L, 1) ? "nil" : luaL_typename(L, 1);
  for (int i = 4; i <= top; i++)
    if (strcmp(luaL_checkstring(L, i), got) == 0) {
      lua_settop(L, 1);
      return 1;
    }
  int base = lua_gettop(L);
  luaL_where(L, 2);
  lua_pushfstring(L, "bad argument #%I to '%s' (", (LUAI_UACINT)arg, fname);
  bool first = true;
  for (int i = 4; i <= top; i++) {
    if (strcmp(lua_tostring(L, i), "nil") == 0) continue;
    luaL_checkstack(L, 3, "listing the expected types");
    if (!first) lua_pushliteral(L, " or ");
    lua_pushvalue(L, i);
    first = false;
  }
  lua_pushfstring(L, " expected, got %s)", lua_isnone(L, 1) ? "no value" : luaL_typename(L, 1));
  lua_concat(L, lua_gettop(L) - base);
  return lua_error(L);
}

int luaopen_atelier(lua_State *L) {
  static const luaL_Reg funcs[] = {{"sleep", l_sleep},   {"spawn", l_spawn}, {"gather", l_gather},
                                   {"now", l_now},       {"running", l_running}, {"error", lerr_new_from_table},
                                   {"interrupted", l_interrupted}, {"writable", l_writable},
                                   {"argerror", l_argerror},       {"checkarg", l_checkarg},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushstring(L, ATELIER_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}
