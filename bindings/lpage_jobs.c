/* lpage_jobs.c — a book's ownership by a pending job: book:save on the worker pool,
 * the waits for the decode queue, and the tasks waiting their turn on a busy book.
 *
 * Files and encoded bytes given to book:add are decoded as jobs on the scheduler's
 * worker pool (task.h, sched_workers: its size is the one setting; with workers = 1
 * they are decoded at once on the script's thread). The waits for that decode queue
 * (page_queue.c) that methods need first — for room for one more file (book:add of a
 * file or bytes), for every queued image (the rest) — are not pool jobs: the task
 * yields and the book's queue hook wakes it on the loop thread when the pool hands
 * back what it waited for. A pool job that waited for them could hold the very thread
 * the decodes need. book:save then runs on the pool (drawing the pages and encoding
 * them take seconds) with the queue already empty, while the task that saves waits as
 * it waits for HTTP and other tasks keep polling. The book belongs to such a wait or
 * save until it ends: another task calling a method of the book meanwhile waits for it
 * (and raises BadOption where it cannot wait), and closing it (or its collection) hands
 * it over to the wait or save, which frees it when done. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/page/page.h"
#include "errors.h"
#include "lpage.h"
#include "lpage_int.h"
#include "task.h"

/* A task waiting for a busy book: woken (and freed) when the book's job ends, or
 * unlinked and freed when the task is torn down first. */
struct book_waiter {
  task *t;
  book_job *j;
  struct book_waiter *next;
};

static book_waiter **waiters_of(book_job *j);

static void waiter_cancel(task *t, void *ud) {
  (void)t;
  book_waiter *w = ud;
  for (book_waiter **p = waiters_of(w->j); *p; p = &(*p)->next)
    if (*p == w) {
      *p = w->next;
      break;
    }
  free(w);
}

static int again_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  return ((lua_CFunction)ctx)(L); /* the method from the start, its arguments as they were */
}

int lbook_wait_turn(lua_State *L, lbook *lb, lua_CFunction again) {
  task *t = task_current(L);
  if (!t || !lua_isyieldable(L)) return lbook_check(L, 1), 0;
  book_waiter *w = malloc(sizeof *w);
  if (!w) return lpage_raise(L, 1, "SystemError", "out of memory");
  *w = (book_waiter){.t = t, .j = lb->busy, .next = NULL};
  book_waiter **end = waiters_of(lb->busy);
  while (*end) end = &(*end)->next;
  *end = w; /* in the order they came: their calls run in that order */
  task_on_cancel(t, waiter_cancel, w);
  return task_wait(L, (lua_KContext)again, again_k);
}

/* ---- book:save on the worker pool, and tasks waiting for the decode queue ---------- */

/* On a worker thread (BOOK_SAVE only): touches only the job and its book, which no one
 * else touches until the job is handed back (other calls wait: WAIT_TURN), and whose
 * queue l_save emptied first: page_book_save's own wait for it then waits for nothing,
 * never for decodes that need a pool thread. */
static void book_run(worker_job *w) {
  book_job *j = (book_job *)w;
  page_book_wait(j->b); /* nothing queued: a no-op kept for callers without a task */
  if (page_book_take_failure(j->b, j->msg, sizeof j->msg, j->file, sizeof j->file) != PAGE_OK) {
    j->queued_failed = true;
    return;
  }
  j->ok = page_book_save(j->b, j->path, &j->files, j->msg, sizeof j->msg);
}

static book_waiter **waiters_of(book_job *j) { return &j->waiters; }

/* On the loop thread, once the work has ended (or never will): the book is free again,
 * and the tasks waiting for it try their calls again. */
static void book_job_free(task_job *tj) {
  book_job *j = (book_job *)tj;
  while (j->waiters) {
    book_waiter *w = j->waiters;
    j->waiters = w->next;
    task_wake(w->t, 0);
    free(w);
  }
  if (j->owner) j->owner->busy = NULL;
  else page_book_free(j->b); /* closed or collected while the job ran */
  page_files_free(&j->files);
  free(j->path);
  free(j);
}

static int save_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  book_job *j = (book_job *)task_job_at(L, -1); /* raises when the pool stopped first */
  if (j->queued_failed) {
    char full[1500], file[4096];
    snprintf(full, sizeof full, "book:save: an image added before was left out: %s", j->msg);
    snprintf(file, sizeof file, "%s", j->file);
    task_job_release(L, -1);
    lerr_info e = {.name = "ImageDecodeError", .message = full};
    lerr_push(L, &e, 1);
    lua_pushstring(L, file);
    lua_setfield(L, -2, "file");
    return lua_error(L);
  }
  if (!j->ok) {
    char msg[1300];
    snprintf(msg, sizeof msg, "%s", j->msg);
    task_job_release(L, -1);
    return lpage_raise(L, 1, "SaveError", "book:save: %s", msg);
  }
  lua_createtable(L, j->files.n, 0);
  for (int i = 0; i < j->files.n; i++) {
    lua_pushstring(L, j->files.paths[i]);
    lua_rawseti(L, -2, i + 1);
  }
  task_job_release(L, -2);
  return 1;
}

/* A new job on the book of lb, which it has from now on. NULL when out of memory. */
static book_job *book_job_new(lbook *lb, book_job_kind kind) {
  book_job *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->kind = kind;
  j->tj.w.run = book_run;
  j->tj.free_job = book_job_free;
  j->b = lb->b;
  j->owner = lb;
  lb->busy = j;
  return j;
}

/* Loop thread, from the book's queue (a decode was handed back): the waiting task goes
 * on once what it waits for holds. */
static void queue_changed(void *ud) {
  book_job *j = ud;
  if (j->kind == BOOK_ROOM ? page_book_queue_full(j->b) : page_book_queued(j->b) > 0) return;
  page_book_on_queue_change(j->b, NULL, NULL);
  task *t = j->t;
  j->t = NULL;
  task_wake(t, 0);
}

/* The waiting task is torn down first (e.g. at exit). */
static void queue_wait_cancel(task *t, void *ud) {
  (void)t;
  book_job *j = ud;
  page_book_on_queue_change(j->b, NULL, NULL);
  book_job_free(&j->tj);
}

static int again_after_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  book_job *j = lua_touserdata(L, -1);
  lua_CFunction again = j->again;
  if (j->owner) j->owner->rerun = j->rerun;
  book_job_free(&j->tj); /* the book is free again (or freed, when closed meanwhile) */
  lua_settop(L, (int)ctx);
  return again(L);
}

/* The running task t waits on the loop for the queue as j->kind says (a save: until it
 * is empty), j holding the book; then k(L, LUA_YIELD, ctx) runs with j on top. */
static int wait_on_queue(lua_State *L, book_job *j, task *t, lua_KContext ctx, lua_KFunction k) {
  j->t = t;
  lua_pushlightuserdata(L, j); /* freed only by k or queue_wait_cancel */
  page_book_on_queue_change(j->b, queue_changed, j);
  task_on_cancel(t, queue_wait_cancel, j);
  return task_wait(L, ctx, k);
}

/* The queue of a book being saved is empty: the save goes to the pool. */
static int save_after_wait_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  book_job *j = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return task_offload(L, &j->tj, ctx, save_k);
}

int lbook_wait_queue(lua_State *L, lbook *lb, book_job_kind kind, lua_CFunction again, int top, bool rerun) {
  task *t = task_current(L);
  if (!t || !lua_isyieldable(L)) { /* where no task can wait: here, blocking */
    if (kind == BOOK_ROOM) page_book_wait_room(lb->b);
    else page_book_wait(lb->b);
    lb->rerun = rerun;
    lua_settop(L, top);
    return again(L);
  }
  book_job *j = book_job_new(lb, kind);
  if (!j) return lpage_raise(L, 1, "SystemError", "out of memory");
  j->again = again;
  j->rerun = rerun;
  return wait_on_queue(L, j, t, top, again_after_k);
}

int lbook_save_start(lua_State *L, lbook *lb, const char *real) {
  char *copy = strdup(real);
  book_job *j = copy ? book_job_new(lb, BOOK_SAVE) : NULL;
  if (!j) {
    free(copy);
    return lpage_raise(L, 1, "SystemError", "book:save: out of memory");
  }
  j->path = copy;
  /* The queue empties first, with the task waiting on the loop and the job holding the
   * book: the save job on the pool must never wait for decodes that need a pool thread
   * themselves. */
  task *t = task_current(L);
  if (page_book_queued(lb->b) > 0 && t && lua_isyieldable(L)) return wait_on_queue(L, j, t, 0, save_after_wait_k);
  return task_offload(L, &j->tj, 0, save_k);
}
