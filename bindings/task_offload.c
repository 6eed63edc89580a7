/* task_offload.c — a task's CPU-heavy work (decode, encode, resize) on the scheduler's
 * worker pool: the task yields while the job runs off the loop thread and is resumed
 * on the loop when it is handed back, as it is for HTTP (see task.h). */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "task_int.h"

/* ---- work on the worker pool ------------------------------------------------------ */

static const char *const JOB_MT = "atelier.task_job";

static workers *pool_of(lua_State *L, sched *s) {
  if (!s->pool) {
    char err[128];
    int n = s->nworkers < 0 ? workers_default_count() : s->nworkers;
    /* One worker is the loop thread itself: the codecs run where they always ran. */
    s->pool = workers_new(s->lp, n <= 1 ? 0 : n, err, sizeof err);
    if (!s->pool) luaL_error(L, "%s", err);
  }
  return s->pool;
}

void sched_set_workers(lua_State *L, int n) {
  sched *s = sched_of(L);
  workers *old = s->pool;
  s->pool = NULL;
  s->nworkers = n;
  workers_free(old, true); /* what was asked of the old pool still gets done */
}

workers *sched_workers(lua_State *L) { return pool_of(L, sched_of(L)); }

int sched_workers_count(lua_State *L) {
  sched *s = sched_of(L);
  int n = workers_count(pool_of(L, s));
  return n < 1 ? 1 : n;
}

/* Loop thread: the job came back from the pool. */
static void job_done(worker_job *w, bool ran) {
  task_job *j = (task_job *)w;
  if (j->abandoned) {
    j->free_job(j);
    return;
  }
  j->delivered = true;
  j->ran = ran;
  task *t = j->t;
  j->t = NULL;
  if (t) task_wake(t, 0);
}

static void job_cancel(task *t, void *ud) {
  (void)t;
  ((task_job *)ud)->t = NULL;
}

static int jobbox_gc(lua_State *L) {
  task_job **box = luaL_checkudata(L, 1, JOB_MT);
  task_job *j = *box;
  *box = NULL;
  if (!j) return 0;
  if (!j->submitted || j->delivered) {
    j->free_job(j);
  } else { /* still on a worker: its done frees it */
    j->abandoned = true;
    j->t = NULL;
  }
  return 0;
}

int task_offload(lua_State *L, task_job *j, lua_KContext ctx, lua_KFunction k) {
  sched *s = sched_of(L);
  task_job **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = j;
  if (luaL_newmetatable(L, JOB_MT)) {
    lua_pushcfunction(L, jobbox_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  j->w.done = job_done;
  task *t = s->current;
  if (t && lua_isyieldable(L) && workers_count(pool_of(L, s)) > 0 && workers_submit(s->pool, &j->w)) {
    j->submitted = true;
    j->t = t;
    task_on_cancel(t, job_cancel, j);
    return task_wait(L, ctx, k);
  }
  j->w.run(&j->w); /* here and now: today's behaviour, or where nothing can wait */
  j->delivered = j->ran = true;
  return k(L, LUA_OK, ctx);
}

task_job *task_job_at(lua_State *L, int idx) {
  task_job **box = luaL_testudata(L, idx, JOB_MT);
  if (!box) return NULL;
  task_job *j = *box;
  if (!j) luaL_error(L, "internal error: a worker job read after it was released");
  if (!j->ran) {
    task_job_release(L, idx);
    luaL_error(L, "the worker pool stopped before this work could run");
  }
  return j;
}

void task_job_release(lua_State *L, int idx) {
  task_job **box = luaL_testudata(L, idx, JOB_MT);
  if (!box) return;
  task_job *j = *box;
  *box = NULL;
  if (j) j->free_job(j);
}

