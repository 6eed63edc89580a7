/* interrupt.h — Ctrl-C for a run that spends money. The first SIGINT asks the run to
 * stop submitting: jobs in flight finish and are saved, nothing new is bought. The
 * second ends the process at once; that is as safe as kill -9, which the journal is
 * built to survive (every step is committed as it happens), so the next run resumes.
 * The signal handler only counts and wakes the loop (loop_wakeup is async-signal-safe);
 * the first interrupt's work runs on the loop, in the callback given here. */
#ifndef ATELIER_INTERRUPT_H
#define ATELIER_INTERRUPT_H

#include <stdbool.h>

#include "loop.h"

/* Installs the SIGINT handler for a run on lp. on_stop(ud) runs once, on the loop, after
 * the first interrupt. exit_message is written (with write(2), the only output allowed
 * in a handler) before the second interrupt's _exit(130); it must stay valid. */
bool interrupt_install(loop *lp, void (*on_stop)(void *ud), void *ud, const char *exit_message);

/* Restores the previous SIGINT disposition, stops using lp and forgets the interrupt
 * (read interrupt_stopping() before). */
void interrupt_uninstall(void);

/* True once the first interrupt has been handled on the loop: stop submitting. */
bool interrupt_stopping(void);

/* Acts as one Ctrl-C (raises SIGINT at this process); for tests and for callers that
 * want the same graceful stop. */
void interrupt_request(void);

#endif
