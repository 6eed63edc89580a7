/* task.c — the task scheduler: Lua coroutines resumed by the event loop. A waiting
 * primitive yields a unique sentinel; everything else a coroutine yields is the
 * script's own business. One function (task_resume_cb) resumes tasks, always from the
 * loop, never nested, so a task never runs inside another. */
#include "task.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "task_int.h"

#define TASK_MT "atelier.task"

/* Uservalue slots of a task handle. */
enum { UV_THREAD = 1, UV_ERROR = 2, UV_TRACEBACK = 3, UV_COUNT = 3 };

typedef enum { T_READY, T_RUNNING, T_WAITING, T_DONE, T_FAILED } task_state;
static const char *const state_names[] = {"ready", "running", "waiting", "done", "failed"};


struct task {
  sched *s;
  lua_State *co;
  int ref; /* registry ref pinning the handle while unfinished; LUA_NOREF after */
  long id;
  task_state state;
  int nargs; /* values waiting on co's stack for the next resume */
  int nres;  /* results left on co's stack when done */
  bool is_main;
  bool observed; /* a failure was handed to someone (or reported) */
  loop_timer timer;
  void (*cancel)(task *t, void *ud);
  void *cancel_ud;
  task **waiters; /* tasks blocked in gather on this one */
  int nwaiters, capwaiters;
  task *unobs_prev, *unobs_next; /* list of failed, not yet observed tasks */
};


/* Unique addresses used as registry keys and the wait sentinel. */
static const char SCHED_KEY = 0;
static const char THREADS_KEY = 0;
static const char HANDLES_KEY = 0; /* weak values: lightuserdata(task) -> handle */
static const char WAIT_SENTINEL = 0;

sched *sched_of(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &SCHED_KEY);
  sched *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!s) luaL_error(L, "atelier: the task scheduler is not running");
  return s;
}

loop *sched_loop(lua_State *L) { return sched_of(L)->lp; }
task *task_current(lua_State *L) { return sched_of(L)->current; }
lua_State *task_thread(task *t) { return t->co; }
loop_timer *task_timer(task *t) { return &t->timer; }

void task_on_cancel(task *t, void (*cancel)(task *t, void *ud), void *ud) {
  t->cancel = cancel;
  t->cancel_ud = ud;
}

int sched_live_tasks(lua_State *L) { return sched_of(L)->live; }

void sched_abort(lua_State *L) {
  sched *s = sched_of(L);
  s->main_failed = true;
  loop_stop(s->lp);
}

/* ---- handles ---------------------------------------------------------------- */

void task_push(lua_State *L, task *t) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &HANDLES_KEY);
  lua_rawgetp(L, -1, t);
  lua_remove(L, -2);
}

task *task_check(lua_State *L, int idx) { return luaL_checkudata(L, idx, TASK_MT); }

static void unobserved_remove(task *t) {
  sched *s = t->s;
  if (!t->unobs_prev && s->unobserved != t) return;
  if (t->unobs_prev) t->unobs_prev->unobs_next = t->unobs_next;
  else s->unobserved = t->unobs_next;
  if (t->unobs_next) t->unobs_next->unobs_prev = t->unobs_prev;
  t->unobs_prev = t->unobs_next = NULL;
}

/* Prints a failed task's traceback (its handle at idx); for reports nobody caught. */
static void report_failure(lua_State *L, int idx, task *t, const char *why) {
  sched *s = t->s;
  lua_getiuservalue(L, idx, UV_TRACEBACK);
  const char *tb = lua_tostring(L, -1);
  if (why) {
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s: task %ld %s", s->progname, t->id, why);
    lerr_print(stderr, prefix, tb);
  } else {
    lerr_print(stderr, s->progname, tb);
  }
  fflush(stderr);
  lua_pop(L, 1);
}

static int task_gc(lua_State *L) {
  task *t = lua_touserdata(L, 1);
  if (t->state == T_FAILED && !t->observed) {
    t->observed = true;
    t->s->reported++;
    report_failure(L, 1, t, "failed and its handle was dropped before anyone gathered it");
  }
  unobserved_remove(t);
  if (t->state == T_WAITING && t->cancel) {
    void (*cancel)(task *, void *) = t->cancel;
    t->cancel = NULL;
    cancel(t, t->cancel_ud);
  }
  loop_timer_stop(t->s->lp, &t->timer);
  free(t->waiters);
  t->waiters = NULL;
  return 0;
}

static int task_tostring(lua_State *L) {
  task *t = task_check(L, 1);
  lua_pushfstring(L, "task %d (%s)", (int)t->id, state_names[t->state]);
  return 1;
}

/* ---- running ----------------------------------------------------------------- */

static void task_resume_cb(void *ud);

static void make_ready(task *t, int nargs) {
  t->state = T_READY;
  t->nargs = nargs;
  if (!loop_defer(t->s->lp, task_resume_cb, t)) abort(); /* cannot lose a task */
}

void task_wake(task *t, int nvalues) {
  if (t->state != T_WAITING) return; /* a late second wake-up: ignore, never resume twice */
  t->cancel = NULL;
  t->cancel_ud = NULL;
  make_ready(t, nvalues);
}

int task_wait(lua_State *L, lua_KContext ctx, lua_KFunction k) {
  sched *s = sched_of(L);
  if (!s->current) return luaL_error(L, "cannot wait outside a task");
  if (!lua_isyieldable(L))
    return luaL_error(L, "cannot wait here: inside a metamethod, an iterator or a C callback "
                         "(move the waiting call out of it)");
  s->current->state = T_WAITING;
  lua_pushlightuserdata(L, (void *)&WAIT_SENTINEL);
  return lua_yieldk(L, 1, ctx, k);
}

static void unpin(task *t) {
  luaL_unref(t->s->L, LUA_REGISTRYINDEX, t->ref);
  t->ref = LUA_NOREF;
  t->s->live--;
}

static void wake_waiters(task *t) {
  for (int i = 0; i < t->nwaiters; i++) task_wake(t->waiters[i], 0);
  t->nwaiters = 0;
}

/* luaL_tolstring can run a user __tostring; keep that from escaping. */
static int tolstring_protected(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

static void push_error_text(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_pushcfunction(L, tolstring_protected);
  lua_pushvalue(L, idx);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_isstring(L, -1)) {
    lua_pop(L, 1);
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, idx));
  }
}

/* The task's coroutine ended with an error: keep the error and its traceback on the
 * handle, close the coroutine, wake whoever waits. */
static void task_failed(task *t) {
  sched *s = t->s;
  lua_State *L = s->L;
  task_push(L, t);
  int h = lua_gettop(L);
  lua_xmove(t->co, L, 1); /* the error object */
  push_error_text(L, -1);
  luaL_traceback(L, t->co, lua_tostring(L, -1), 0);
  lua_setiuservalue(L, h, UV_TRACEBACK);
  lua_pop(L, 1); /* text */
  lua_setiuservalue(L, h, UV_ERROR);
  lua_resetthread(t->co); /* runs pending to-be-closed variables */
  lua_settop(t->co, 0);
  t->state = T_FAILED;
  t->nres = 0;
  if (t->is_main) {
    t->observed = true;
    s->main_failed = true;
    report_failure(L, h, t, NULL);
    loop_stop(s->lp);
  } else {
    t->unobs_next = s->unobserved;
    if (s->unobserved) s->unobserved->unobs_prev = t;
    s->unobserved = t;
  }
  lua_pop(L, 1);
  wake_waiters(t);
  unpin(t);
}

static void task_resume_cb(void *ud) {
  task *t = ud;
  sched *s = t->s;
  if (t->state != T_READY) return;
  int nargs = t->nargs, nres = 0;
  t->nargs = 0;
  t->state = T_RUNNING;
  s->current = t;
  int st = lua_resume(t->co, s->L, nargs, &nres);
  s->current = NULL;
  if (st == LUA_YIELD) {
    bool waiting = nres >= 1 && lua_touserdata(t->co, -1) == &WAIT_SENTINEL;
    lua_pop(t->co, nres);
    /* A bare coroutine.yield() at a task's top level means "let the others run". */
    if (!waiting) make_ready(t, 0);
  } else if (st == LUA_OK) {
    t->state = T_DONE;
    t->nres = nres;
    wake_waiters(t);
    unpin(t);
  } else {
    task_failed(t);
  }
}

task *task_spawn(lua_State *L, int nargs) {
  sched *s = sched_of(L);
  luaL_checktype(L, -(nargs + 1), LUA_TFUNCTION);
  lua_State *co = lua_newthread(L); /* [fn args... co] */
  lua_rawgetp(L, LUA_REGISTRYINDEX, &THREADS_KEY);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  task *t = lua_newuserdatauv(L, sizeof *t, UV_COUNT); /* [fn args... co t] */
  memset(t, 0, sizeof *t);
  t->s = s;
  t->co = co;
  t->ref = LUA_NOREF;
  t->id = ++s->next_id;
  t->state = T_READY;
  luaL_setmetatable(L, TASK_MT);
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, UV_THREAD); /* [fn args... t] */
  lua_insert(L, -(nargs + 2));         /* [t fn args...] */
  lua_xmove(L, co, nargs + 1);         /* [t] ; co: [fn args...] */
  lua_rawgetp(L, LUA_REGISTRYINDEX, &HANDLES_KEY);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, t);
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  s->live++;
  make_ready(t, nargs);
  return t;
}

/* ---- gather -------------------------------------------------------------------- */

static bool add_waiter(lua_State *L, task *t, task *waiter) {
  if (t->nwaiters == t->capwaiters) {
    int ncap = t->capwaiters ? t->capwaiters * 2 : 4;
    task **n = realloc(t->waiters, (size_t)ncap * sizeof *n);
    if (!n) return luaL_error(L, "out of memory"), false;
    t->waiters = n;
    t->capwaiters = ncap;
  }
  t->waiters[t->nwaiters++] = waiter;
  return true;
}

/* Pushes the error of a failed task (handle at idx) and marks it observed. */
static void push_task_error(lua_State *L, int idx, task *t) {
  t->observed = true;
  unobserved_remove(t);
  lua_getiuservalue(L, idx, UV_ERROR);
}

/* Pushes the first `want` results of a finished task (all when want < 0). */
static int push_results(lua_State *L, task *t, int want) {
  int n = want < 0 || want > t->nres ? t->nres : want;
  luaL_checkstack(L, n + 1, "too many results");
  int base = lua_gettop(t->co) - t->nres + 1;
  for (int i = 0; i < n; i++) {
    lua_pushvalue(t->co, base + i);
    lua_xmove(t->co, L, 1);
  }
  for (int i = n; i < want; i++) lua_pushnil(L);
  return want < 0 ? n : want;
}

/* ctx packs first, last and the index reached (20 bits each) and the list flag. */
#define GATHER_MAX 0xFFFFF
#define PACK(first, last, i, list)                                                   \
  ((lua_KContext)(first) | ((lua_KContext)(last) << 20) | ((lua_KContext)(i) << 40) | \
   ((lua_KContext)(list) << 60))
#define UNPACK(ctx, k) ((int)(((ctx) >> (20 * (k))) & GATHER_MAX))

static int gather_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  int first = UNPACK(ctx, 0), last = UNPACK(ctx, 1), i = UNPACK(ctx, 2);
  bool as_list = (ctx >> 60) & 1;
  sched *s = sched_of(L);
  for (; i <= last; i++) {
    task *t = task_check(L, i);
    if (t->state == T_DONE || t->state == T_FAILED) continue;
    if (t == s->current) return luaL_error(L, "a task cannot gather itself (it would wait forever)");
    add_waiter(L, t, s->current);
    return task_wait(L, PACK(first, last, i, as_list), gather_k);
  }
  for (i = first; i <= last; i++) {
    task *t = task_check(L, i);
    if (t->state == T_FAILED) {
      push_task_error(L, i, t);
      return lua_error(L);
    }
  }
  if (as_list) {
    lua_createtable(L, last - first + 1, 1);
    for (i = first; i <= last; i++) {
      push_results(L, task_check(L, i), 1);
      lua_seti(L, -2, i - first + 1);
    }
    lua_pushinteger(L, last - first + 1);
    lua_setfield(L, -2, "n");
    return 1;
  }
  luaL_checkstack(L, last - first + 1, "too many tasks to gather");
  for (i = first; i <= last; i++) push_results(L, task_check(L, i), 1);
  return last - first + 1;
}

int task_gather_args(lua_State *L, int first, int last, bool as_list) {
  if (last > GATHER_MAX) return luaL_error(L, "too many tasks to gather at once");
  for (int i = first; i <= last; i++) task_check(L, i);
  return gather_k(L, LUA_OK, PACK(first, last, first, as_list));
}

/* task:wait() — waits for one task and returns all its results; raises its error. */
static int task_wait_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  task *t = task_check(L, 1);
  sched *s = sched_of(L);
  if (t->state != T_DONE && t->state != T_FAILED) {
    if (t == s->current) return luaL_error(L, "a task cannot wait for itself (it would wait forever)");
    add_waiter(L, t, s->current);
    return task_wait(L, 0, task_wait_k);
  }
  if (t->state == T_FAILED) {
    push_task_error(L, 1, t);
    return lua_error(L);
  }
  return push_results(L, t, -1);
}

static int l_task_wait(lua_State *L) {
  task_check(L, 1);
  lua_settop(L, 1);
  return task_wait_k(L, LUA_OK, 0);
}

/* task:status() -> "ready" | "running" | "waiting" | "done" | "failed" */
static int l_task_status(lua_State *L) {
  task *t = task_check(L, 1);
  lua_pushstring(L, state_names[t->state]);
  return 1;
}

/* task:result() -> true, results... | false, error — without waiting; nil if unfinished. */
static int l_task_result(lua_State *L) {
  task *t = task_check(L, 1);
  if (t->state == T_DONE) {
    lua_pushboolean(L, 1);
    return 1 + push_results(L, t, -1);
  }
  if (t->state == T_FAILED) {
    lua_pushboolean(L, 0);
    push_task_error(L, 1, t);
    return 2;
  }
  lua_pushnil(L);
  return 1;
}

/* task:traceback() -> the failure's message and traceback, or nil. */
static int l_task_traceback(lua_State *L) {
  task_check(L, 1);
  lua_getiuservalue(L, 1, UV_TRACEBACK);
  return 1;
}

/* ---- coroutines that cross waits ----------------------------------------------
 * A wait inside a user coroutine yields the sentinel through every coroutine level up
 * to the task; when the task resumes, the values flow back down the same way. */

static bool is_task_thread(lua_State *L, lua_State *co) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &THREADS_KEY);
  lua_pushthread(co);
  lua_xmove(co, L, 1);
  bool yes = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return yes;
}

enum { MODE_RESUME = 1, MODE_WRAP = 2 };

static int resume_k(lua_State *L, int status, lua_KContext mode);

/* The arguments to pass are at [base, top] of L. */
static int resume_step(lua_State *L, lua_State *co, int base, int mode) {
  int nargs = lua_gettop(L) - base + 1;
  const char *bad = NULL;
  int cst = lua_status(co);
  if (co == L) bad = "cannot resume non-suspended coroutine";
  else if (cst == LUA_OK && lua_gettop(co) == 0) bad = "cannot resume dead coroutine";
  else if (cst != LUA_OK && cst != LUA_YIELD) bad = "cannot resume dead coroutine";
  else if (is_task_thread(L, co)) bad = "cannot resume a task's coroutine (use atelier.gather or task:wait)";
  else if (!lua_checkstack(co, nargs)) bad = "too many arguments to resume";
  if (bad) {
    if (mode == MODE_WRAP) return luaL_error(L, "%s", bad);
    lua_pushboolean(L, 0);
    lua_pushstring(L, bad);
    return 2;
  }
  lua_xmove(L, co, nargs);
  int nres = 0;
  int st = lua_resume(co, L, nargs, &nres);
  if (st == LUA_YIELD && nres == 1 && lua_touserdata(co, -1) == &WAIT_SENTINEL) {
    lua_pop(co, 1);
    lua_settop(L, base - 1);
    lua_pushlightuserdata(L, (void *)&WAIT_SENTINEL);
    return lua_yieldk(L, 1, mode, resume_k);
  }
  if (st == LUA_OK || st == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      return luaL_error(L, "too many results to resume");
    }
    if (mode == MODE_RESUME) lua_pushboolean(L, 1);
    lua_xmove(co, L, nres);
    return nres + (mode == MODE_RESUME);
  }
  lua_xmove(co, L, 1); /* error object */
  if (mode == MODE_RESUME) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  /* wrap: close the dead coroutine and propagate, adding position like lcorolib does */
  if (lua_resetthread(co) != LUA_OK) lua_xmove(co, L, 1), lua_remove(L, -2);
  if (lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

static int resume_k(lua_State *L, int status, lua_KContext mode) {
  (void)status;
  if (mode == MODE_RESUME) return resume_step(L, lua_tothread(L, 1), 2, MODE_RESUME);
  return resume_step(L, lua_tothread(L, lua_upvalueindex(1)), 1, MODE_WRAP);
}

static int co_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "coroutine");
  return resume_step(L, co, 2, MODE_RESUME);
}

static int co_wrap_call(lua_State *L) {
  return resume_step(L, lua_tothread(L, lua_upvalueindex(1)), 1, MODE_WRAP);
}

static int co_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, co_wrap_call, 1);
  return 1;
}

/* ---- set-up and the main run ------------------------------------------------------ */

static int sched_gc(lua_State *L) {
  sched *s = lua_touserdata(L, 1);
  /* Jobs still queued are handed back unrun; their tasks are being torn down too. */
  workers *w = s->pool;
  s->pool = NULL;
  workers_free(w, false);
  return 0;
}

void sched_open(lua_State *L, loop *lp) {
  sched *s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  s->L = L;
  s->lp = lp;
  s->progname = "atelier";
  s->nworkers = -1;
  lua_newtable(L);
  lua_pushcfunction(L, sched_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &SCHED_KEY);

  lua_newtable(L); /* task threads, weak keys */
  lua_newtable(L);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &THREADS_KEY);

  lua_newtable(L); /* task handles by address, weak values */
  lua_newtable(L);
  lua_pushstring(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &HANDLES_KEY);

  static const luaL_Reg methods[] = {
      {"wait", l_task_wait}, {"status", l_task_status}, {"result", l_task_result},
      {"traceback", l_task_traceback}, {NULL, NULL}};
  luaL_newmetatable(L, TASK_MT);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, task_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, task_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);

  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  lua_pushcfunction(L, co_resume);
  lua_setfield(L, -2, "resume");
  lua_pushcfunction(L, co_wrap);
  lua_setfield(L, -2, "wrap");
  lua_pop(L, 1);
}

static int run_loop(lua_State *L) {
  loop_run(sched_of(L)->lp);
  return 0;
}

sched_result sched_run_main(lua_State *L, int nargs, const char *progname) {
  sched *s = sched_of(L);
  sched_result r = {0};
  s->progname = progname;
  task *main = task_spawn(L, nargs);
  main->is_main = true;
  lua_pop(L, 1);
  lua_pushcfunction(L, run_loop);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    fprintf(stderr, "%s: internal error: %s\n", progname, lua_tostring(L, -1));
    lua_pop(L, 1);
    r.main_failed = true;
  }
  r.main_failed = r.main_failed || s->main_failed;
  if (!s->main_failed) {
    r.deadlocked = s->live;
    if (s->live)
      fprintf(stderr,
              "%s: %d task(s) still waiting when nothing else could happen (a deadlock: "
              "e.g. tasks gathering each other)\n",
              progname, s->live);
  }
  r.unobserved = s->reported;
  while (s->unobserved) {
    task *t = s->unobserved;
    unobserved_remove(t);
    t->observed = true;
    task_push(L, t);
    if (!lua_isnil(L, -1)) report_failure(L, lua_gettop(L), t, "failed and nobody gathered it");
    lua_pop(L, 1);
    r.unobserved++;
  }
  return r;
}
