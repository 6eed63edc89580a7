/* test_workers.c — the worker pool: every job runs once off the loop thread and is handed
 * back once on it; the loop stays alive until then; shutting down with jobs queued hands
 * them back unrun. Also built alone with ThreadSanitizer (tests/run, phase tsan). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../runtime/io/workers.h"
#include "unit.h"

typedef struct tjob {
  worker_job w; /* first: the pool hands back this pointer */
  pthread_t loop_thread;
  int input;
  long output;        /* written by run, read by done */
  bool ran_off_loop;  /* run saw a thread other than the loop's */
  int ran, dones;     /* run count (written off-loop), done count (loop thread) */
  bool done_ran_flag; /* the ran argument done got */
  bool done_on_loop;
  int *delivered; /* loop-thread counter shared by a test's jobs */
  useconds_t sleep_us;
} tjob;

static void tjob_run(worker_job *w) {
  tjob *j = (tjob *)w;
  j->ran_off_loop = !pthread_equal(pthread_self(), j->loop_thread);
  if (j->sleep_us) usleep(j->sleep_us);
  long s = 0;
  for (int i = 0; i <= j->input; i++) s += i;
  j->output = s;
  j->ran++;
}

static void tjob_done(worker_job *w, bool ran) {
  tjob *j = (tjob *)w;
  j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
  j->done_ran_flag = ran;
  j->dones++;
  (*j->delivered)++;
}

static loop *new_loop(void) {
  char err[128];
  loop *lp = loop_new(err, sizeof err);
  if (!lp) fprintf(stderr, "loop_new: %s\n", err);
  REQUIRE(lp != NULL);
  return lp;
}

static workers *new_pool(loop *lp, int n) {
  char err[128];
  workers *w = workers_new(lp, n, err, sizeof err);
  if (!w) fprintf(stderr, "workers_new: %s\n", err);
  REQUIRE(w != NULL);
  return w;
}

static void init_job(tjob *j, int input, int *delivered) {
  memset(j, 0, sizeof *j);
  j->w.run = tjob_run;
  j->w.done = tjob_done;
  j->loop_thread = pthread_self();
  j->input = input;
  j->delivered = delivered;
}

TEST(workers_run_many_jobs_off_the_loop_and_hand_each_back_once_on_it) {
  loop *lp = new_loop();
  workers *w = new_pool(lp, 3);
  CHECK_INT(workers_count(w), 3);
  enum { N = 500 };
  tjob *jobs = calloc(N, sizeof *jobs);
  REQUIRE(jobs != NULL);
  int delivered = 0;
  for (int i = 0; i < N; i++) {
    init_job(&jobs[i], i, &delivered);
    REQUIRE(workers_submit(w, &jobs[i].w));
  }
  CHECK_INT(workers_pending(w), N);
  CHECK(loop_alive(lp)); /* pending jobs keep the loop alive */
  loop_run(lp);          /* returns only once every job came back */
  CHECK_INT(delivered, N);
  CHECK_INT(workers_pending(w), 0);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    tjob *j = &jobs[i];
    if (j->ran != 1 || j->dones != 1 || !j->ran_off_loop || !j->done_on_loop || !j->done_ran_flag ||
        j->output != (long)i * (i + 1) / 2)
      bad++;
  }
  CHECK_INT(bad, 0);
  workers_free(w, false);
  free(jobs);
  loop_free(lp);
}

/* A timer keeps firing while a long job runs: the loop is not blocked by the work. */
typedef struct ticker {
  loop *lp;
  loop_timer t;
  int ticks;
  int *delivered;
} ticker;

static void tick(void *ud) {
  ticker *k = ud;
  k->ticks++;
  if (*k->delivered == 0) loop_timer_start(k->lp, &k->t, 0.005, tick, k);
}

TEST(workers_leave_the_loop_free_while_a_job_runs) {
  loop *lp = new_loop();
  workers *w = new_pool(lp, 1);
  int delivered = 0;
  tjob j;
  init_job(&j, 10, &delivered);
  j.sleep_us = 200000;
  REQUIRE(workers_submit(w, &j.w));
  ticker k = {.lp = lp, .delivered = &delivered};
  loop_timer_start(lp, &k.t, 0.005, tick, &k);
  loop_run(lp);
  CHECK_INT(delivered, 1);
  CHECK(k.ticks >= 10); /* ~40 expected in 0.2 s; at least a few even on a loaded machine */
  workers_free(w, false);
  loop_free(lp);
}

TEST(workers_shutdown_with_jobs_queued_hands_them_back_unrun) {
  loop *lp = new_loop();
  workers *w = new_pool(lp, 2);
  enum { N = 40 };
  tjob jobs[N];
  int delivered = 0;
  for (int i = 0; i < N; i++) {
    init_job(&jobs[i], i, &delivered);
    jobs[i].sleep_us = 20000;
    REQUIRE(workers_submit(w, &jobs[i].w));
  }
  usleep(30000); /* let the threads take a job or two */
  workers_free(w, false);
  CHECK_INT(delivered, N); /* every job handed back, on this (the loop) thread */
  int ran = 0, unrun = 0, wrong = 0;
  for (int i = 0; i < N; i++) {
    if (jobs[i].dones != 1 || !jobs[i].done_on_loop) wrong++;
    if (jobs[i].done_ran_flag) {
      ran++;
      if (jobs[i].ran != 1) wrong++;
    } else {
      unrun++;
      if (jobs[i].ran != 0) wrong++;
    }
  }
  CHECK_INT(wrong, 0);
  CHECK(ran >= 1);
  CHECK(unrun >= 1);
  CHECK(!loop_alive(lp)); /* the refs of handed-back jobs are gone */
  loop_run_once(lp, 0);   /* a delivery posted before the shutdown must not run */
  CHECK_INT(delivered, N);
  loop_free(lp);
}

TEST(workers_shutdown_can_finish_the_queue) {
  loop *lp = new_loop();
  workers *w = new_pool(lp, 2);
  enum { N = 20 };
  tjob jobs[N];
  int delivered = 0;
  for (int i = 0; i < N; i++) {
    init_job(&jobs[i], i, &delivered);
    jobs[i].sleep_us = 1000;
    REQUIRE(workers_submit(w, &jobs[i].w));
  }
  workers_free(w, true);
  int ran = 0;
  for (int i = 0; i < N; i++) ran += jobs[i].done_ran_flag && jobs[i].ran == 1 && jobs[i].dones == 1;
  CHECK_INT(delivered, N);
  CHECK_INT(ran, N);
  loop_free(lp);
}

TEST(workers_with_no_threads_run_on_the_loop_thread) {
  loop *lp = new_loop();
  workers *w = new_pool(lp, 0);
  CHECK_INT(workers_count(w), 0);
  int delivered = 0;
  tjob j;
  init_job(&j, 4, &delivered);
  REQUIRE(workers_submit(w, &j.w));
  CHECK_INT(j.ran, 1); /* ran at once */
  CHECK(!j.ran_off_loop);
  CHECK_INT(delivered, 0); /* done waits a turn */
  loop_run(lp);
  CHECK_INT(delivered, 1);
  CHECK_INT(j.output, 10);
  workers_free(w, false);
  loop_free(lp);
}

TEST(workers_default_count_follows_the_environment) {
  const char *old = getenv("ATELIER_WORKERS");
  char saved[32] = "";
  if (old) snprintf(saved, sizeof saved, "%s", old);
  setenv("ATELIER_WORKERS", "3", 1);
  CHECK_INT(workers_default_count(), 3);
  setenv("ATELIER_WORKERS", "1", 1);
  CHECK_INT(workers_default_count(), 1);
  setenv("ATELIER_WORKERS", "0", 1);
  CHECK(workers_default_count() >= 1); /* out of range: one per CPU */
  setenv("ATELIER_WORKERS", "lots", 1);
  CHECK(workers_default_count() >= 1); /* nonsense: one per CPU */
  if (old) setenv("ATELIER_WORKERS", saved, 1);
  else unsetenv("ATELIER_WORKERS");
}
