/* interrupt.c — the SIGINT handler and its loop-side half (see interrupt.h). */
#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupts; /* written by the handler only */
static bool stopping;                    /* loop thread only */
static loop *the_loop;
static void (*stop_cb)(void *ud);
static void *stop_ud;
static const char *exit_msg;
static struct sigaction previous;
static bool installed;

static void on_sigint(int sig) {
  (void)sig;
  if (interrupts >= 1) {
    /* Second Ctrl-C: leave now, even if the loop is stuck. Only async-signal-safe calls. */
    if (exit_msg) {
      ssize_t r = write(STDERR_FILENO, exit_msg, strlen(exit_msg));
      (void)r;
    }
    _exit(130);
  }
  interrupts = 1;
  if (the_loop) loop_wakeup(the_loop);
}

/* Runs on the loop after every wakeup; acts on the first interrupt once. */
static void check_interrupt(void *ud) {
  (void)ud;
  if (!interrupts || stopping) return;
  stopping = true;
  if (stop_cb) stop_cb(stop_ud);
}

bool interrupt_install(loop *lp, void (*on_stop)(void *ud), void *ud, const char *exit_message) {
  the_loop = lp;
  stop_cb = on_stop;
  stop_ud = ud;
  exit_msg = exit_message;
  interrupts = 0;
  stopping = false;
  loop_on_wakeup(lp, check_interrupt, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  installed = sigaction(SIGINT, &sa, &previous) == 0;
  return installed;
}

void interrupt_uninstall(void) {
  if (installed) sigaction(SIGINT, &previous, NULL);
  installed = false;
  if (the_loop) loop_on_wakeup(the_loop, NULL, NULL);
  the_loop = NULL;
  stop_cb = NULL;
  stopping = false; /* a later run (tests run several in one process) starts afresh */
  interrupts = 0;
}

bool interrupt_stopping(void) { return stopping; }

void interrupt_request(void) { raise(SIGINT); }
