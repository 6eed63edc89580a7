/* lpage_int.h — what the `page` binding's files share: the book userdata (lpage.c) and
 * its ownership by a save or a wait for the decode queue (lpage_jobs.c). Not for other
 * bindings. */
#ifndef ATELIER_LPAGE_INT_H
#define ATELIER_LPAGE_INT_H

#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>

#include "../runtime/page/page.h"
#include "task.h"

#define BOOK_MT "atelier.page"

typedef struct book_job book_job;
typedef struct book_waiter book_waiter;

typedef struct lbook {
  page_book *b;   /* NULL once closed */
  book_job *busy; /* book:save on the worker pool, or a task waiting for the decode
                   * queue, has the book until it ends */
  bool rerun;     /* book:add runs again after its wait for the queue (see l_add) */
} lbook;

typedef enum {
  BOOK_SAVE,  /* save (on the pool; the queue is empty by then) */
  BOOK_DRAIN, /* wait until every queued image is in the book */
  BOOK_ROOM,  /* wait until the queue takes one more without waiting */
} book_job_kind;

struct book_job {
  task_job tj; /* first: the pool hands this pointer back */
  book_job_kind kind;
  lua_CFunction again; /* BOOK_DRAIN, BOOK_ROOM: the method to run again afterwards */
  bool rerun;          /* ... telling it so (lbook.rerun) */
  task *t;             /* the task waiting for the queue (page_book_on_queue_change), until woken */
  book_waiter *waiters; /* tasks that called a method of the book meanwhile */
  page_book *b;
  lbook *owner; /* the book's userdata; NULL once it let go of b: the job frees b then */
  char *path;   /* where to save (the sandbox's answer, copied) */
  page_files files;
  bool ok;
  bool queued_failed; /* an image added before was left out: msg names it, file its path */
  char file[4096];
  char msg[1300];
};

/* The open, free book at idx; raises BadOption when it is closed or, where
 * lbook_wait_turn could not wait, busy. */
lbook *lbook_check(lua_State *L, int idx);

/* The book at 1 is busy with a job (a save, a wait for the decode queue): the running
 * task waits until that job has ended, then the method `again` runs from the start. Called
 * first thing, before a method pushes anything. Raises (lbook_check) where no task can wait. */
int lbook_wait_turn(lua_State *L, lbook *lb, lua_CFunction again);

/* A method's first statement: while a job has the book at 1, the task waits its turn. */
#define WAIT_TURN(L, again)                                                              \
  do {                                                                                   \
    lbook *lb_ = luaL_checkudata(L, 1, BOOK_MT);                                         \
    if (lb_->b && lb_->busy) return lbook_wait_turn(L, lb_, again);                      \
  } while (0)

int lbook_wait_queue(lua_State *L, lbook *lb, book_job_kind kind, lua_CFunction again, int top, bool rerun);

/* In a method, after WAIT_TURN and before it changes anything: when the book has
 * queued images that the method would wait for (kind BOOK_DRAIN), or no room for one
 * more decode (BOOK_ROOM), the task yields until the queue's hook sees that hold, then
 * the method runs from the start (its arguments at 1..top, as they came). Blocks the
 * script's thread where no task can wait. */
#define WAIT_QUEUE(L, lb, kind, again, top, rerun)                                        \
  do {                                                                                    \
    if ((kind) == BOOK_DRAIN ? page_book_queued((lb)->b) > 0 : page_book_queue_full((lb)->b)) \
      return lbook_wait_queue(L, lb, kind, again, top, rerun);                            \
  } while (0)

/* book:save's work once its arguments are checked: the book (its queue emptied first)
 * is saved to `real` on the worker pool; returns (yields) as the method does. */
int lbook_save_start(lua_State *L, lbook *lb, const char *real);

#endif
