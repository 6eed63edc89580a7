/* workers.c — the worker pool (see workers.h): threads take jobs from one FIFO queue,
 * run them, and put them on a finished list; the first job to land on an empty list
 * posts one delivery to the loop (loop_post, the loop's thread-safe wakeup), which hands
 * every finished job back on the loop thread. Threads touch only the queue, the
 * finished list (both under the one mutex) and the job they run. */
#include "workers.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKERS_MAX 64

struct workers {
  loop *lp;
  pthread_t *threads;
  int n;
  pthread_mutex_t mu;
  pthread_cond_t work; /* a job was queued, or stop */
  worker_job *qhead, *qtail; /* queued, not started */
  worker_job *dhead, *dtail; /* finished, not yet handed back */
  int running;
  int pending;   /* submitted and not handed back; loop thread only */
  bool posted;   /* a delivery is queued on the loop */
  bool stop;
};

int workers_default_count(void) {
  const char *env = getenv("ATELIER_WORKERS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end == '\0' && v >= 1 && v <= WORKERS_MAX) return (int)v;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus;
}

static void deliver(void *ud);

static void *thread_main(void *arg) {
  workers *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->qhead && !w->stop) pthread_cond_wait(&w->work, &w->mu);
    if (!w->qhead) break; /* stop, and nothing left that we were asked to finish */
    worker_job *j = w->qhead;
    w->qhead = j->next;
    if (!w->qhead) w->qtail = NULL;
    w->running++;
    pthread_mutex_unlock(&w->mu);
    j->run(j);
    pthread_mutex_lock(&w->mu);
    w->running--;
    j->next = NULL;
    if (w->dtail) w->dtail->next = j;
    else w->dhead = j;
    w->dtail = j;
    bool post = !w->posted && !w->stop;
    if (post) w->posted = true;
    /* Posting under the lock keeps workers_free from unposting between our decision and
     * the post; loop_post takes only the loop's own lock, never ours. */
    if (post && !loop_post(w->lp, deliver, w)) w->posted = false; /* out of memory: the next job retries */
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Loop thread: hands every finished job back. */
static void deliver(void *ud) {
  workers *w = ud;
  pthread_mutex_lock(&w->mu);
  worker_job *list = w->dhead;
  w->dhead = w->dtail = NULL;
  w->posted = false;
  pthread_mutex_unlock(&w->mu);
  while (list) {
    worker_job *j = list;
    list = j->next;
    j->next = NULL;
    w->pending--;
    loop_unref(w->lp);
    j->done(j, true);
  }
}

/* Each thread that allocates gets its own glibc malloc arena, and glibc's default mmap
 * threshold rises (up to 32 MB) each time a large mmapped block is freed, so that later
 * blocks of that size are carved from the arenas instead and kept there after free.
 * With a pool, every thread's arena ends up keeping its own copy of the largest
 * buffers it ever decoded into: a lookbook of 4096x4096 progressive JPEGs (decoded one
 * at a time, each on whichever thread is free) peaked near 120 MB with 8 threads
 * against 62 MB with 2. A fixed threshold keeps blocks of 4 MB and more out of the
 * arenas: they go back to the system when freed, whichever thread freed them. */
static void large_blocks_mmapped(void) {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
}

workers *workers_new(loop *lp, int n, char *errbuf, size_t errlen) {
  if (n < 0) n = workers_default_count();
  if (n > WORKERS_MAX) n = WORKERS_MAX;
  if (n > 1) large_blocks_mmapped();
  workers *w = calloc(1, sizeof *w);
  if (!w || (n > 0 && !(w->threads = calloc((size_t)n, sizeof *w->threads)))) {
    free(w);
    snprintf(errbuf, errlen, "out of memory starting worker threads");
    return NULL;
  }
  w->lp = lp;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->work, NULL);
  for (int i = 0; i < n; i++) {
    if (pthread_create(&w->threads[w->n], NULL, thread_main, w) != 0) break;
    w->n++;
  }
  if (n > 0 && w->n == 0) {
    snprintf(errbuf, errlen, "cannot start a worker thread");
    workers_free(w, false);
    return NULL;
  }
  return w;
}

/* 0 threads: the job ran at once; its done waits a turn like any other. */
static void inline_done(void *ud) {
  worker_job *j = ud;
  j->done(j, true);
}

bool workers_submit(workers *w, worker_job *j) {
  j->next = NULL;
  if (w->n == 0) {
    j->run(j);
    return loop_defer(w->lp, inline_done, j);
  }
  pthread_mutex_lock(&w->mu);
  if (w->qtail) w->qtail->next = j;
  else w->qhead = j;
  w->qtail = j;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->mu);
  w->pending++;
  loop_ref(w->lp);
  return true;
}

int workers_count(const workers *w) { return w->n; }
int workers_pending(const workers *w) { return w->pending; }

void workers_free(workers *w, bool finish_queued) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  worker_job *unrun = NULL;
  if (!finish_queued) { /* take the queue away: threads finish what they run, then stop */
    unrun = w->qhead;
    w->qhead = w->qtail = NULL;
  }
  w->stop = true;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->mu);
  for (int i = 0; i < w->n; i++) pthread_join(w->threads[i], NULL);
  loop_unpost(w->lp, deliver, w); /* threads are gone: nobody posts any more */
  deliver(w);
  while (unrun) {
    worker_job *j = unrun;
    unrun = j->next;
    j->next = NULL;
    w->pending--;
    loop_unref(w->lp);
    j->done(j, false);
  }
  pthread_cond_destroy(&w->work);
  pthread_mutex_destroy(&w->mu);
  free(w->threads);
  free(w);
}
