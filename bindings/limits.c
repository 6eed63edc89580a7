/* limits.c — --max-memory and --max-time (see limits.h). The allocator refuses growth
 * past the cap; once Lua's emergency collection could not make room (or a refused
 * buffer was not retried), the limit counts as crossed, the cap gets a little headroom
 * (so the error can be reported and the state closed) and a count hook raises the
 * limit's error at every Lua instruction, so a pcall cannot swallow it and carry on. */
#include "limits.h"

#include <lauxlib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "task.h"

#define HOOK_EVERY 1000   /* instructions between two looks at the clock */
#define CHECK_EVERY 0.1   /* seconds between two looks from the loop (--max-time) */
#define WATCHDOG_GRACE 5  /* seconds past --max-time before the process is ended outright */

struct run_limits {
  size_t used;     /* bytes the Lua state holds */
  size_t max;      /* the cap, 0 = none */
  size_t reserve;  /* headroom once the cap was hit: reporting and closing need some */
  bool mem_hit, time_hit, raised, disarmed;
  bool tentative;          /* mem_hit by a refusal Lua may retry after collecting */
  const void *refused_ptr; /* ... that request */
  size_t refused_osize, refused_nsize;
  double deadline; /* loop_now() time, 0 = none */
  double max_time;
  lua_State *L;
  loop *lp;
  loop_timer timer;
  bool watchdog;
  struct sigaction old_alarm;
  char msg[256];
};

static void check_cb(void *ud);

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  run_limits *rl = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    rl->used -= old;
    return NULL;
  }
  bool retry = false;
  if (rl->max && nsize > old) { /* shrinking never fails: Lua relies on that */
    retry = rl->tentative && ptr == rl->refused_ptr && osize == rl->refused_osize && nsize == rl->refused_nsize;
    if (rl->tentative && !retry) rl->tentative = false; /* no retry came: the refusal stands */
    size_t cap = rl->mem_hit && !rl->tentative ? rl->max + rl->reserve : rl->max;
    size_t grow = nsize - old;
    if (grow > cap || rl->used > cap - grow) {
      if (retry) rl->tentative = false; /* the emergency collection made no room */
      if (!rl->mem_hit) {
        /* Lua collects and asks once more; the buffers of string.rep and friends do
         * not. Tentative until the next request shows which. */
        rl->mem_hit = rl->tentative = true;
        rl->refused_ptr = ptr;
        rl->refused_osize = osize;
        rl->refused_nsize = nsize;
        /* The loop stops the run too, should the recipe catch the error and wait. */
        if (rl->lp && !rl->disarmed) loop_defer(rl->lp, check_cb, rl);
      }
      return NULL;
    }
  }
  void *p = realloc(ptr, nsize);
  if (!p) return NULL;
  if (retry) rl->mem_hit = rl->tentative = false; /* the collection made room after all */
  rl->used = rl->used - old + nsize;
  return p;
}

/* As luaL_newstate's: say what went wrong before the process aborts. */
static int panic(lua_State *L) {
  const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error object is not a string";
  fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n", msg);
  return 0;
}

lua_State *limits_newstate(size_t max_bytes, run_limits **out) {
  run_limits *rl = calloc(1, sizeof *rl);
  if (!rl) return NULL;
  rl->max = max_bytes;
  rl->reserve = max_bytes / 8 + ((size_t)1 << 20);
  if (rl->reserve > ((size_t)64 << 20)) rl->reserve = (size_t)64 << 20;
  lua_State *L = lua_newstate(counting_alloc, rl);
  if (!L) {
    free(rl);
    return NULL;
  }
  lua_atpanic(L, panic);
  *out = rl;
  return L;
}

static run_limits *limits_of(lua_State *L) {
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

/* Fills rl->msg for the limit crossed (once) and returns its error name. */
static const char *crossed(run_limits *rl) {
  if (!rl->mem_hit && !rl->time_hit && rl->deadline > 0 && loop_now() >= rl->deadline) rl->time_hit = true;
  if (!rl->mem_hit && !rl->time_hit) return NULL;
  if (!rl->msg[0]) {
    if (rl->mem_hit)
      snprintf(rl->msg, sizeof rl->msg,
               "the recipe's memory (Lua and image objects) reached the --max-memory cap (%zu MiB): the "
               "run stops; what the "
               "journal holds is kept, a rerun resumes jobs in flight",
               rl->max >> 20);
    else
      snprintf(rl->msg, sizeof rl->msg,
               "the run went past --max-time (%g s): the run stops; what the journal holds is kept, a rerun "
               "resumes jobs in flight",
               rl->max_time);
  }
  return rl->mem_hit ? "MemoryLimit" : "TimeLimit";
}

static void hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  run_limits *rl = limits_of(L);
  if (rl->disarmed) return;
  const char *name = crossed(rl);
  if (!name) return;
  lua_sethook(L, hook, LUA_MASKCOUNT, 1); /* again at the next instruction, past any pcall */
  rl->raised = true;
  lerr_raisef(L, name, "%s", rl->msg);
}

void limits_external(lua_State *L, ptrdiff_t delta) {
  void *ud;
  if (lua_getallocf(L, &ud) != counting_alloc) return;
  run_limits *rl = ud;
  if (delta < 0) {
    rl->used -= (size_t)-delta;
    return;
  }
  rl->used += (size_t)delta;
  if (!rl->max || rl->disarmed || rl->mem_hit || rl->used <= rl->max) return;
  lua_gc(L, LUA_GCCOLLECT, 0); /* garbage images give their memory back first */
  if (rl->used <= rl->max) return;
  rl->mem_hit = true;
  rl->tentative = false;
  rl->reserve += rl->used - rl->max; /* the headroom for stopping starts from here */
  lua_sethook(L, hook, LUA_MASKCOUNT, 1); /* stop at this thread's next instruction */
  if (rl->lp) loop_defer(rl->lp, check_cb, rl);
}

static void arm(run_limits *rl) {
  double delay = CHECK_EVERY;
  if (rl->deadline > 0 && rl->deadline - loop_now() < delay) delay = rl->deadline - loop_now();
  loop_timer_start(rl->lp, &rl->timer, delay > 0 ? delay : 0, check_cb, rl);
}

/* From the loop: a run that waits (on jobs, timers) runs no Lua for the hook to stop. */
static void check_cb(void *ud) {
  run_limits *rl = ud;
  if (rl->disarmed) return;
  if (crossed(rl)) {
    sched_abort(rl->L);
    return;
  }
  /* Keep watching the clock only while the run has work: the timer must not keep an
   * otherwise finished loop alive. */
  if (rl->deadline > 0 && !loop_timer_armed(&rl->timer) && loop_alive(rl->lp)) arm(rl);
}

static char watchdog_msg[320];

static void on_alarm(int sig) {
  (void)sig;
  ssize_t r = write(STDERR_FILENO, watchdog_msg, strlen(watchdog_msg));
  (void)r;
  _exit(1);
}

void limits_start(run_limits *rl, lua_State *L, loop *lp, double max_time) {
  rl->L = L;
  rl->lp = lp;
  rl->max_time = max_time;
  rl->deadline = max_time > 0 ? loop_now() + max_time : 0;
  if (!rl->max && !max_time) return;
  lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY); /* threads made later inherit it */
  if (rl->deadline > 0) arm(rl);
  if (max_time > 0) {
    /* A C function that never returns (a pathological string pattern) runs neither hook
     * nor loop: end the process, which the journal survives like kill -9. */
    snprintf(watchdog_msg, sizeof watchdog_msg,
             "\natelier: TimeLimit: still running %d s past --max-time (%g s), inside code that cannot be "
             "interrupted: quitting now; everything recorded so far is in the journal, a rerun resumes it\n",
             WATCHDOG_GRACE, max_time);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    rl->watchdog = sigaction(SIGALRM, &sa, &rl->old_alarm) == 0;
    double secs = ceil(max_time) + WATCHDOG_GRACE;
    if (rl->watchdog) alarm(secs > 3e7 ? 30000000u : (unsigned)secs);
  }
}

const char *limits_finish(run_limits *rl, lua_State *L, const char **message, bool *reported) {
  if (rl->watchdog) {
    alarm(0);
    sigaction(SIGALRM, &rl->old_alarm, NULL);
    rl->watchdog = false;
  }
  if (rl->lp) loop_timer_stop(rl->lp, &rl->timer);
  const char *name = rl->disarmed ? NULL : (rl->mem_hit || rl->time_hit) ? crossed(rl) : NULL;
  rl->disarmed = true; /* finalizers run at lua_close: no limit errors in them */
  rl->max = 0;         /* and closing the state never fails for want of memory */
  lua_sethook(L, NULL, 0, 0);
  *message = rl->msg;
  *reported = rl->raised;
  return name;
}

void limits_free(run_limits *rl) { free(rl); }
