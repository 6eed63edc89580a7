/* test_eta.c — the run's remaining time learns from the jobs that finished (eta.h):
 * synthetic runs whose jobs take longer than the contract says, with two classes mixed,
 * checked against the time the simulated run really took. */
#include <math.h>
#include <stdbool.h>

#include "../../runtime/fashn/eta.h"
#include "unit.h"

#define NEAR(a, b, tol) CHECK(fabs((a) - (b)) <= (tol))

TEST(eta_before_any_completion_uses_the_plan_per_class) {
  pollplan p;
  pp_init(&p, 1, 0.1, 1);
  eta_model m;
  eta_init(&m);
  int plain = pp_class_of(false, 1), face = pp_class_of(true, 1);
  NEAR(eta_slot_seconds(&m, &p, plain), 12, 1e-9);
  NEAR(eta_slot_seconds(&m, &p, face), 37, 1e-9);
  /* 6 slots, 6 face jobs waiting and 6 plain: the face ones are not priced as plain */
  eta_job jobs[12];
  for (int i = 0; i < 12; i++) jobs[i] = (eta_job){.cls = i < 6 ? face : plain, .age = -1};
  NEAR(eta_remaining(&m, &p, jobs, 12, 6), 37 + 12, 1e-9);
  /* one running for 10 s of its 12: 2 s left */
  jobs[0] = (eta_job){.cls = plain, .age = 10};
  NEAR(eta_remaining(&m, &p, jobs, 1, 6), 2, 1e-9);
  CHECK(eta_remaining(&m, &p, NULL, 0, 6) == 0);
}

TEST(eta_prices_a_stretched_job_at_its_own_longer_time) {
  pollplan p;
  pp_init(&p, 1, 0.1, 1);
  eta_model m;
  eta_init(&m);
  int plain = pp_class_of(false, 1);
  eta_job slow = {.cls = plain, .age = -1, .stretch = 2.5}, usual = {.cls = plain, .age = -1};
  NEAR(eta_remaining(&m, &p, &slow, 1, 6), 30, 1e-9); /* quality 2k: 2.5 x 12 s */
  NEAR(eta_remaining(&m, &p, &usual, 1, 6), 12, 1e-9); /* no stretch given counts as 1 */
  /* what a stretched job took, divided by its stretch, is its class's time */
  eta_observe(&m, plain, 30.0 / 2.5, 0);
  NEAR(eta_slot_seconds(&m, &p, plain), 12, 1e-9);
}

TEST(eta_learns_the_observed_times_and_carries_the_overhead_to_unseen_classes) {
  pollplan p;
  pp_init(&p, 1, 0.1, 1);
  eta_model m;
  eta_init(&m);
  int plain = pp_class_of(false, 1), face = pp_class_of(true, 1);
  for (int i = 0; i < 4; i++) eta_observe(&m, plain, 24, 1); /* twice the contract's 12 s */
  NEAR(eta_slot_seconds(&m, &p, plain), 24, 1e-9);
  NEAR(eta_slot_seconds(&m, &p, face), 74, 1e-9); /* 37 x the same factor 2 */
  NEAR(eta_fetch_seconds(&m), 1, 1e-9);
  eta_observe(&m, face, NAN, 0);  /* ignored */
  eta_observe(&m, face, -1, 0);   /* ignored */
  eta_observe(&m, 99, 5, 0);      /* ignored */
  NEAR(eta_slot_seconds(&m, &p, face), 74, 1e-9);
  /* a job far past its expected time still needs a moment, not zero */
  eta_job late = {.cls = plain, .age = 100};
  CHECK(eta_remaining(&m, &p, &late, 1, 6) > 1);
}

/* A run of n jobs (every third with face_reference) through `slots` slots whose true
 * times are `factor` x the contract's plus one second of overhead each, simulated event
 * by event; at every completion from the `after`-th on (while more than a plain job's
 * time is left), the estimate is compared with the time the run really had left. Returns the worst ratio estimate/actual seen on
 * each side. */
static void simulate(int n, int slots, double factor, int after, double *lo, double *hi) {
  pollplan p;
  pp_init(&p, 1, 0.1, 1);
  eta_model m;
  eta_init(&m);
  int cls[64];
  double dur[64], start[64], end[64];
  const double fetch = 0.5;
  for (int i = 0; i < n; i++) {
    bool face = i % 3 == 2;
    cls[i] = pp_class_of(face, 1);
    dur[i] = (face ? 37 : 12) * factor + 1 + (i % 4) * 0.5; /* some spread */
    start[i] = end[i] = -1;
  }
  /* list scheduling: the real run's order of events */
  double slot_free[16] = {0};
  for (int i = 0; i < n; i++) {
    int s = 0;
    for (int k = 1; k < slots; k++)
      if (slot_free[k] < slot_free[s]) s = k;
    start[i] = slot_free[s];
    end[i] = start[i] + dur[i];
    slot_free[s] = end[i];
  }
  double finish = 0;
  for (int i = 0; i < n; i++)
    if (end[i] + fetch > finish) finish = end[i] + fetch;
  /* completions in time order */
  bool seen[64] = {false};
  *lo = INFINITY;
  *hi = 0;
  for (int done = 0; done < n; done++) {
    int next = -1;
    for (int i = 0; i < n; i++)
      if (!seen[i] && (next < 0 || end[i] < end[next])) next = i;
    seen[next] = true;
    double t = end[next];
    eta_observe(&m, cls[next], dur[next], fetch);
    /* the last seconds of a run (under one plain job's time) are not judged by ratio */
    if (done + 1 < after || finish - t < 12 * factor) continue;
    eta_job jobs[64];
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (seen[i]) continue;
      jobs[k++] = (eta_job){.cls = cls[i], .age = start[i] <= t ? t - start[i] : -1};
    }
    double est = eta_remaining(&m, &p, jobs, (size_t)k, slots), actual = finish - t;
    double r = est / actual;
    if (r < *lo) *lo = r;
    if (r > *hi) *hi = r;
  }
}

TEST(eta_is_within_a_reasonable_factor_after_completions) {
  double lo, hi;
  /* jobs twice as slow as the contract, classes mixed: once a few have finished the
   * estimate stays within -30% / +40% of the truth (the old one priced every waiting
   * job at the plain class's time, and was 1.5 to 2.5 times too low on such a run) */
  simulate(40, 6, 2.0, 6, &lo, &hi);
  CHECK(lo > 0.7);
  CHECK(hi < 1.4);
  simulate(30, 4, 0.5, 4, &lo, &hi); /* faster than the contract */
  CHECK(lo > 0.7);
  CHECK(hi < 1.4);
}
