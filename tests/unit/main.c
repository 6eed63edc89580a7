/* main.c — runs every registered C unit test (optionally only names containing argv[1])
 * and ends with the line the aggregate runner reads: RESULT passed=N failed=N skipped=0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

static unit_test *head, **tail = &head;
static int current_failures;
static jmp_buf current_test; /* where REQUIRE's unit_stop returns to */
static pid_t runner_pid;      /* a test's forked child must not jump back into the runner */

void unit_register(unit_test *t) {
  *tail = t; /* keep registration (file, then source) order */
  tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "    %s:%d: ", file, line);
  vfprintf(stdout, fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
  current_failures++;
}

_Noreturn void unit_stop(void) {
  /* In a child a test forked (to crash it on purpose), the jump would land in a copy of
   * this loop and run the remaining tests a second time: the child just ends instead. */
  if (getpid() != runner_pid) {
    fflush(stdout);
    _exit(2);
  }
  longjmp(current_test, 1);
}

/* Runs one test; its own function so that no local of main's loop lives across setjmp. */
static void run_one(void (*fn)(void)) {
  if (setjmp(current_test) == 0) fn(); /* else a REQUIRE failed and ended it */
}

int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : NULL;
  int passed = 0, failed = 0;
  runner_pid = getpid();
  for (unit_test *t = head; t; t = t->next) {
    if (filter && !strstr(t->name, filter)) continue;
    current_failures = 0;
    run_one(t->fn);
    if (current_failures) {
      printf("FAIL c: %s\n", t->name);
      failed++;
    } else {
      printf("ok   c: %s\n", t->name);
      passed++;
    }
    fflush(stdout);
  }
  printf("RESULT passed=%d failed=%d skipped=0\n", passed, failed);
  return failed ? 1 : 0;
}
