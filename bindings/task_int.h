/* task_int.h — what the scheduler's files share: the per-state scheduler (task.c owns
 * it; task_offload.c runs tasks' codec work on its worker pool). Not for other bindings:
 * they go through task.h. */
#ifndef ATELIER_TASK_INT_H
#define ATELIER_TASK_INT_H

#include <lua.h>
#include <stdbool.h>

#include "task.h"

typedef struct sched sched;

struct sched {
  lua_State *L; /* the main state; tasks are its threads */
  loop *lp;
  task *current;
  task *unobserved;
  int live; /* tasks not yet done or failed */
  long next_id;
  const char *progname;
  bool main_failed;
  int reported; /* unobserved failures already printed */
  workers *pool; /* started on first use */
  int nworkers;  /* the pool's size to be: < 0 = workers_default_count() */
};

/* The scheduler of L; raises when none runs. */
sched *sched_of(lua_State *L);

#endif
