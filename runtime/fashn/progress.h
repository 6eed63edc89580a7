/* progress.h — what atelier says about jobs while a recipe runs: on a terminal one
 * live line on stderr (queued / running / done / failed, credits, ETA) redrawn in
 * place; elsewhere (CI, pipes) plain log lines, one per event worth knowing. */
#ifndef ATELIER_PROGRESS_H
#define ATELIER_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "fashn.h"

typedef struct progress progress;

/* live: draw the in-place line (a terminal); otherwise log lines. quiet: say nothing
 * but dry-run listings (which go to `listing`, usually stdout). */
progress *progress_new(FILE *out, FILE *listing, bool live, bool quiet, const char *progname);
void progress_free(progress *p);

/* The jobs run on the embedded emulator: its credits are emulated, and every line says
 * so ("emulated credits"), never "spent". */
void progress_set_emulated(progress *p, bool emulated);

/* An event of the client, with its counters at that moment. */
void progress_event(progress *p, const fashn_event *ev, const fashn_stats *st);
/* Redraws the live line (call a few times a second while jobs are active). */
void progress_tick(progress *p, const fashn_stats *st);
/* Erases the live line (before other output, and at the end). */
void progress_clear(progress *p);
/* True when the live line is on the terminal now (progress_clear would erase it). */
bool progress_drawn(const progress *p);
/* True when this progress draws the live line (not plain log lines). */
bool progress_live(const progress *p);
/* A final line summing up the run, when any job ran. */
void progress_summary(progress *p, const fashn_stats *st, double seconds);

#endif
