/* test_loop.c — the event loop: timer order, cancellation, deferred and posted callbacks. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../runtime/io/loop.h"
#include "unit.h"

typedef struct record {
  int order[16];
  int n;
} record;

typedef struct tagged {
  record *r;
  int tag;
} tagged;

static void note(void *ud) {
  tagged *t = ud;
  t->r->order[t->r->n++] = t->tag;
}

static loop *new_loop(void) {
  char err[128];
  loop *lp = loop_new(err, sizeof err);
  if (!lp) fprintf(stderr, "loop_new: %s\n", err);
  REQUIRE(lp != NULL); /* called from test bodies only: ends the test that needed it */
  return lp;
}

TEST(timers_fire_in_deadline_order_and_equal_deadlines_in_arming_order) {
  loop *lp = new_loop();
  record r = {0};
  tagged a = {&r, 1}, b = {&r, 2}, c = {&r, 3}, d = {&r, 4};
  loop_timer ta = {0}, tb = {0}, tc = {0}, td = {0};
  loop_timer_start(lp, &ta, 0.03, note, &a);
  loop_timer_start(lp, &tb, 0.01, note, &b);
  loop_timer_start(lp, &tc, 0.02, note, &c);
  loop_timer_start(lp, &td, 0.02, note, &d);
  loop_run(lp);
  CHECK_INT(r.n, 4);
  CHECK_INT(r.order[0], 2);
  CHECK_INT(r.order[1], 3);
  CHECK_INT(r.order[2], 4);
  CHECK_INT(r.order[3], 1);
  loop_free(lp);
}

TEST(a_stopped_timer_never_fires_and_rearming_moves_it) {
  loop *lp = new_loop();
  record r = {0};
  tagged a = {&r, 1}, b = {&r, 2};
  loop_timer ta = {0}, tb = {0};
  loop_timer_start(lp, &ta, 0.01, note, &a);
  loop_timer_start(lp, &tb, 0.02, note, &b);
  loop_timer_stop(lp, &ta);
  CHECK(!loop_timer_armed(&ta));
  loop_timer_start(lp, &tb, 0.0, note, &b); /* moved earlier */
  loop_run(lp);
  CHECK_INT(r.n, 1);
  CHECK_INT(r.order[0], 2);
  loop_free(lp);
}

TEST(the_loop_waits_for_timers_rather_than_spinning) {
  loop *lp = new_loop();
  record r = {0};
  tagged a = {&r, 1};
  loop_timer ta = {0};
  double t0 = loop_now();
  loop_timer_start(lp, &ta, 0.05, note, &a);
  loop_run(lp);
  double took = loop_now() - t0;
  CHECK(took >= 0.05);
  CHECK(took < 1.0);
  loop_free(lp);
}

enum { MANY = 400 };
typedef struct heap_probe {
  loop_timer t;
  double deadline;
  double *last;
  int *fired;
  int *out_of_order;
} heap_probe;

static void probe_fire(void *ud) {
  heap_probe *p = ud;
  if (p->deadline < *p->last) (*p->out_of_order)++;
  *p->last = p->deadline;
  (*p->fired)++;
}

TEST(many_timers_with_some_stopped_fire_in_order) {
  loop *lp = new_loop();
  static heap_probe ps[MANY];
  double last = -1;
  int fired = 0, out_of_order = 0;
  for (int i = 0; i < MANY; i++) {
    ps[i] = (heap_probe){.deadline = ((i * 7919) % 97) / 500.0, .last = &last, .fired = &fired,
                         .out_of_order = &out_of_order};
    loop_timer_start(lp, &ps[i].t, ps[i].deadline, probe_fire, &ps[i]);
  }
  int stopped = 0;
  for (int i = 0; i < MANY; i += 3, stopped++) loop_timer_stop(lp, &ps[i].t);
  loop_run(lp);
  CHECK_INT(fired, MANY - stopped);
  CHECK_INT(out_of_order, 0);
  loop_free(lp);
}

static void defer_chain(void *ud) {
  int *n = ud;
  (*n)++;
}

TEST(deferred_callbacks_run_in_fifo_order) {
  loop *lp = new_loop();
  record r = {0};
  tagged t[5];
  for (int i = 0; i < 5; i++) {
    t[i] = (tagged){&r, i};
    CHECK(loop_defer(lp, note, &t[i]));
  }
  int n = 0;
  loop_defer(lp, defer_chain, &n);
  loop_run(lp);
  CHECK_INT(r.n, 5);
  for (int i = 0; i < 5; i++) CHECK_INT(r.order[i], i);
  CHECK_INT(n, 1);
  loop_free(lp);
}

typedef struct poster {
  loop *lp;
  int *flag;
} poster;

static void set_flag(void *ud) {
  int *f = ud;
  *f = 42;
}

static void *post_from_thread(void *ud) {
  poster *p = ud;
  usleep(20000);
  loop_post(p->lp, set_flag, p->flag);
  return NULL;
}

static void release_ref(void *ud) { loop_unref(ud); }

TEST(a_worker_thread_can_post_a_result_and_wake_the_loop) {
  loop *lp = new_loop();
  int flag = 0;
  poster p = {lp, &flag};
  loop_ref(lp); /* the posted result is pending */
  pthread_t th;
  pthread_create(&th, NULL, post_from_thread, &p);
  double t0 = loop_now();
  while (!flag) loop_run_once(lp, 5.0); /* would sit 5 s without the wakeup */
  CHECK(loop_now() - t0 < 2.0);
  CHECK_INT(flag, 42);
  pthread_join(th, NULL);
  loop_defer(lp, release_ref, lp);
  loop_run(lp);
  CHECK(!loop_alive(lp));
  loop_free(lp);
}

static void xfer_done(loop_xfer *x, CURLcode result) {
  *(CURLcode *)x->ud = result;
  curl_easy_cleanup(x->easy);
}

/* A transfer that finishes inside the turn's first curl_multi_perform leaves nothing
 * to wait for: the turn must not then sleep its whole max_wait (60 s in loop_run),
 * which is what a dry run ending with a job submitted and never gathered did. */
TEST(a_transfer_finishing_in_the_turn_leaves_the_loop_without_a_wait) {
  char err[256];
  REQUIRE(loop_curl_ready(err, sizeof err));
  char path[] = "/tmp/atelier-loop-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "x", 1) == 1);
  close(fd);
  char url[64];
  snprintf(url, sizeof url, "file://%s", path);
  loop *lp = new_loop();
  CURLcode result = CURL_LAST;
  loop_xfer x = {.easy = curl_easy_init(), .done = xfer_done, .ud = &result};
  REQUIRE(x.easy != NULL);
  curl_easy_setopt(x.easy, CURLOPT_URL, url);
  curl_easy_setopt(x.easy, CURLOPT_WRITEFUNCTION, fwrite);
  FILE *sink = fopen("/dev/null", "w");
  REQUIRE(sink != NULL);
  curl_easy_setopt(x.easy, CURLOPT_WRITEDATA, sink);
  REQUIRE(loop_xfer_start(lp, &x) == 0);
  double t0 = loop_now();
  loop_run_once(lp, 30.0); /* the transfer ends in this turn, with nothing after it */
  double took = loop_now() - t0;
  CHECK_INT(result, CURLE_OK);
  CHECK(!loop_alive(lp));
  CHECK(took < 10.0); /* it slept its max_wait before: 30 s */
  fclose(sink);
  unlink(path);
  loop_free(lp);
}
