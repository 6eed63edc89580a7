/* task.h — Lua tasks on the event loop: every script runs as a coroutine ("task");
 * a primitive that must wait yields its task with task_wait and the C code that
 * finishes the work hands results back with task_wake. */
#ifndef ATELIER_TASK_H
#define ATELIER_TASK_H

#include <lua.h>
#include <stdbool.h>

#include "../runtime/io/loop.h"
#include "../runtime/io/workers.h"

typedef struct task task;

/* Creates the scheduler for L (stored in its registry), replaces coroutine.resume and
 * coroutine.wrap with versions that let a task's waits cross user coroutines.
 * The loop is borrowed; it must outlive L. */
void sched_open(lua_State *L, loop *lp);

/* The loop and the running task of L's scheduler (NULL outside any task). */
loop *sched_loop(lua_State *L);
task *task_current(lua_State *L);

/* Starts a task running the function at index -(nargs+1) with the nargs values above
 * it (all popped). Pushes the task's handle (userdata "atelier.task"). The task starts
 * on the next turn of the loop. */
task *task_spawn(lua_State *L, int nargs);

/* Yields the running task until task_wake. Use as `return task_wait(L);` from a
 * lua_CFunction; the C function then returns the values given to task_wake.
 * With k != NULL, k(L, LUA_YIELD, ctx) runs on resumption instead (lua_yieldk rules).
 * Raises a Lua error when called where no task can wait (outside a task, inside a
 * metamethod or a C callback such as table.sort's comparator). */
int task_wait(lua_State *L, lua_KContext ctx, lua_KFunction k);

/* The thread to push wake-up values onto before task_wake(t, nvalues). */
lua_State *task_thread(task *t);

/* Marks a waiting task ready; it resumes on the next turn of the loop with the
 * nvalues values on top of task_thread(t) as the results of its wait. */
void task_wake(task *t, int nvalues);

/* The task's own timer, free for whatever the task is waiting on (sleep, timeouts).
 * At most one user at a time: only the running primitive arms it. */
loop_timer *task_timer(task *t);

/* Lets a waiting primitive undo its work if the task is torn down before waking
 * (e.g. at exit). Called at most once; cleared by task_wake. */
void task_on_cancel(task *t, void (*cancel)(task *t, void *ud), void *ud);

/* Pushes the handle of t. */
void task_push(lua_State *L, task *t);
/* The task behind the handle at idx, or raises an argument error. */
task *task_check(lua_State *L, int idx);

/* Waits for the tasks at stack positions [first, last] of L (handles) and returns
 * their first results in order — as that many values, or as one list {r1, ..., n = N}
 * when as_list — then raises the first failure in order, if any. Nothing below
 * `last` may be popped by the caller before it returns. Implements atelier.gather. */
int task_gather_args(lua_State *L, int first, int last, bool as_list);

/* ---- work on the worker pool ------------------------------------------------------
 * CPU-heavy C work (decoding, encoding, resizing) runs on the scheduler's worker pool
 * while the task that asked for it waits, as it waits for HTTP: other tasks keep
 * polling and downloading meanwhile. The job's run function touches only the job (never
 * Lua); its results are read back on the loop thread in the continuation. */
typedef struct task_job {
  worker_job w; /* the caller sets w.run; the scheduler owns the rest */
  void (*free_job)(struct task_job *j); /* frees the whole job with what it owns (caller's) */
  /* the scheduler's: */
  task *t;
  bool submitted, delivered, ran, abandoned;
} task_job;

/* Runs j on the pool while the running task waits, then continues with
 * k(L, LUA_YIELD, ctx); j's handle is then on top of the stack (read it with
 * task_job_at(L, -1)). Runs j at once on this thread (then calls k(L, LUA_OK, ctx))
 * where no task can wait (outside a task, in a metamethod or C callback) or when the
 * pool has no threads. The handle owns j: j is freed with it, or once its work ended if
 * the task went away first. Use as `return task_offload(L, j, ctx, k);`. */
int task_offload(lua_State *L, task_job *j, lua_KContext ctx, lua_KFunction k);

/* The job behind the handle at idx, its work done, or NULL when idx holds no job handle
 * (a continuation called directly, with no work offloaded). Raises a Lua error (freeing
 * the job) when the pool stopped before running it. */
task_job *task_job_at(lua_State *L, int idx);

/* Frees the job behind the handle at idx now (results that were moved out stay). */
void task_job_release(lua_State *L, int idx);

/* The number of threads doing codec work (n < 0: the default, one per CPU or
 * ATELIER_WORKERS; 1: the loop thread alone, no pool: the work runs where the task
 * asked for it, as before the pool). A running pool first finishes its queue. */
void sched_set_workers(lua_State *L, int n);
/* The number of threads doing codec work: the pool's, or 1 (the loop thread). */
int sched_workers_count(lua_State *L);
/* The scheduler's pool itself (started on first use; 0 threads with workers = 1), for
 * C code that queues its own jobs on it and hands results back on the loop thread (the
 * lookbook's decodes). Valid until sched_set_workers replaces it: fetch it per use. */
workers *sched_workers(lua_State *L);

/* Outcome of running the main task to completion on the loop. */
typedef struct sched_result {
  bool main_failed;     /* the main task raised; its report has been printed */
  int unobserved;       /* failed tasks nobody gathered (each reported) */
  int deadlocked;       /* tasks still waiting when the loop ran dry */
} sched_result;

/* Runs the function on top of L (with nargs args) as the main task, drives the loop
 * until every task has ended, reports errors to stderr prefixed with progname. */
sched_result sched_run_main(lua_State *L, int nargs, const char *progname);

/* Ends the run now, as a failing main task does: the loop stops, no deadlock is
 * reported for the tasks left waiting (the caller says why the run stopped). */
void sched_abort(lua_State *L);

/* Counts of tasks by state, for tests and progress. */
int sched_live_tasks(lua_State *L);

#endif
