/* workers.h — a small pool of worker threads that run pure C jobs (decoding, encoding,
 * resizing, rasterising) off the event loop's thread and hand each finished job back to
 * the loop thread through loop_post, so the loop keeps polling and downloading while the
 * CPU-heavy work runs on the other cores. */
#ifndef ATELIER_WORKERS_H
#define ATELIER_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

typedef struct workers workers;
typedef struct worker_job worker_job;

/* A job is owned by the caller (usually embedded at the start of a bigger struct) and
 * must stay alive until its done callback has run. `run` executes on a worker thread and
 * may touch nothing but the job (no Lua, no loop, no shared state). `done` runs exactly
 * once on the loop thread: ran = false when the pool was freed before the job started. */
struct worker_job {
  void (*run)(worker_job *j);
  void (*done)(worker_job *j, bool ran);
  worker_job *next; /* the pool's */
};

/* The number of threads a pool gets by default: ATELIER_WORKERS when set (1..64), else
 * one per online CPU (at most 16). */
int workers_default_count(void);

/* A pool of n threads (n < 0: workers_default_count()) on the loop lp. A pool of 0
 * threads never starts any: workers_submit then runs each job at once on the caller's
 * thread. NULL (errbuf filled) when memory runs out or no thread can start. */
workers *workers_new(loop *lp, int n, char *errbuf, size_t errlen);

/* Queues j; its done callback runs on a later loop turn (the loop stays alive until it
 * has). With 0 threads, runs j->run now and defers j->done. False only when out of memory. */
bool workers_submit(workers *w, worker_job *j);

/* The number of threads (0 = jobs run on the loop thread). */
int workers_count(const workers *w);

/* Jobs submitted and not yet handed back (queued, running or finished). */
int workers_pending(const workers *w);

/* Stops the pool on the loop thread: waits for running jobs (and, with finish_queued,
 * for every queued one too), joins the threads, and calls done for every job not yet
 * handed back — ran = false for those never started. NULL is a no-op. */
void workers_free(workers *w, bool finish_queued);

#endif
