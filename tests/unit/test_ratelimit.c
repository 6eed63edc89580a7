/* test_ratelimit.c — the request budget: no window ever holds more than the limit,
 * the bucket spaces requests evenly, a pause holds everything. */
#include <math.h>

#include "../../runtime/io/ratelimit.h"
#include "unit.h"

/* Sends as fast as rl allows for `seconds`, returning the most sends seen in any window. */
static int busiest_window(ratelimit *rl, double seconds, double *times, int *n) {
  double now = 0;
  *n = 0;
  while (now < seconds && *n < 10000) {
    double w = rl_wait(rl, now);
    if (w > 0) {
      now += w;
      continue;
    }
    rl_take(rl, now);
    times[(*n)++] = now;
  }
  int best = 0;
  for (int i = 0; i < *n; i++) {
    int k = 0;
    for (int j = i; j < *n && times[j] < times[i] + rl->window - 1e-9; j++) k++;
    if (k > best) best = k;
  }
  return best;
}

TEST(a_window_log_never_lets_more_than_the_limit_into_any_window) {
  ratelimit rl;
  REQUIRE(rl_init(&rl, 45, 10.0, 0, 1));
  static double times[10000];
  int n;
  int best = busiest_window(&rl, 60, times, &n);
  CHECK_INT(best, 45);
  CHECK(n >= 45 * 6 && n <= 45 * 7);
  rl_free(&rl);
}

TEST(the_bucket_spreads_requests_at_its_rate_after_a_burst) {
  ratelimit rl;
  REQUIRE(rl_init(&rl, 45, 10.0, 4.5, 6));
  static double times[10000];
  int n;
  int best = busiest_window(&rl, 30, times, &n);
  CHECK(best <= 45);
  CHECK(times[5] < 1e-9);                 /* a burst of 6 at once */
  CHECK(fabs((times[7] - times[6]) - 1 / 4.5) < 1e-6); /* then evenly spaced */
  CHECK(n >= 4.5 * 30 - 2 && n <= 4.5 * 30 + 7);
  rl_free(&rl);
}

TEST(a_pause_holds_every_send_until_it_ends) {
  ratelimit rl;
  REQUIRE(rl_init(&rl, 10, 1.0, 0, 1));
  rl_pause(&rl, 5.0);
  CHECK(fabs(rl_wait(&rl, 2.0) - 3.0) < 1e-9);
  rl_pause(&rl, 4.0); /* an earlier end does not shorten it */
  CHECK(fabs(rl_wait(&rl, 2.0) - 3.0) < 1e-9);
  CHECK(rl_wait(&rl, 5.0) == 0);
  rl_free(&rl);
}

TEST(nonsense_limits_are_refused) {
  ratelimit rl;
  CHECK(!rl_init(&rl, 0, 10, 0, 1));
  CHECK(!rl_init(&rl, 5, 0, 0, 1));
  CHECK(!rl_init(&rl, 5, 1, -1, 1));
}
