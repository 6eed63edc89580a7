/* test_interrupt.c — Ctrl-C handling: the first SIGINT is acted upon on the loop (not
 * in the handler), exactly once; loop_on_wakeup runs after wakeups only. */
#include <signal.h>

#include "../../runtime/io/interrupt.h"
#include "unit.h"

static int stops, wakes;
static void on_stop(void *ud) {
  (void)ud;
  stops++;
}
static void on_wake(void *ud) {
  (void)ud;
  wakes++;
}

TEST(loop_on_wakeup_runs_after_a_wakeup_only) {
  char err[200];
  loop *lp = loop_new(err, sizeof err);
  REQUIRE(lp != NULL);
  loop_on_wakeup(lp, on_wake, NULL);
  wakes = 0;
  loop_run_once(lp, 0);
  CHECK_INT(wakes, 0);
  loop_wakeup(lp);
  loop_run_once(lp, 1.0);
  CHECK_INT(wakes, 1);
  loop_on_wakeup(lp, NULL, NULL);
  loop_wakeup(lp);
  loop_run_once(lp, 1.0);
  CHECK_INT(wakes, 1);
  loop_free(lp);
}

TEST(interrupt_first_sigint_stops_on_the_loop_once) {
  char err[200];
  loop *lp = loop_new(err, sizeof err);
  REQUIRE(lp != NULL);
  stops = 0;
  struct sigaction before; /* SIG_DFL, or SIG_IGN under a shell's background job */
  sigaction(SIGINT, NULL, &before);
  REQUIRE(interrupt_install(lp, on_stop, NULL, "bye\n"));
  CHECK(!interrupt_stopping());
  interrupt_request(); /* the handler runs now; it only flags and wakes */
  CHECK_INT(stops, 0);
  CHECK(!interrupt_stopping());
  loop_run_once(lp, 1.0); /* the loop acts on it */
  CHECK_INT(stops, 1);
  CHECK(interrupt_stopping());
  loop_wakeup(lp);
  loop_run_once(lp, 1.0);
  CHECK_INT(stops, 1); /* once */
  interrupt_uninstall();
  struct sigaction now;
  sigaction(SIGINT, NULL, &now);
  CHECK(now.sa_handler == before.sa_handler); /* restored for the rest of the test binary */
  loop_free(lp);
}
