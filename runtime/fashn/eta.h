/* eta.h — how long until the jobs of a run are all done, learned from the jobs that
 * finished: each one tells how long it held a concurrency slot (from its submit to the
 * moment its completion was noticed) and how long its outputs took to download, per
 * class (pollplan's: face_reference or not x resolution). Until a class has finished
 * jobs, its time is pollplan's render estimate scaled by the overhead the other classes
 * showed. The remaining time is then a small simulation: the jobs holding slots finish
 * in what is left of their expected time, and each waiting job takes the slot that
 * frees first, at its own class's time. Pure arithmetic, unit-tested with synthetic
 * completions. */
#ifndef ATELIER_ETA_H
#define ATELIER_ETA_H

#include <stddef.h>

#include "pollplan.h"

typedef struct eta_class {
  double slot_sum, fetch_sum; /* seconds, over n finished jobs */
  long n;
} eta_class;

typedef struct eta_model {
  eta_class cls[PP_CLASSES];
} eta_model;

/* A job not yet over, as the estimate sees it. */
typedef struct eta_job {
  int cls;      /* pollplan class */
  double age;   /* seconds since it was submitted; < 0: waiting for a slot */
  bool fetching; /* done at the API, outputs still downloading */
  double stretch; /* its expected time over its class's (a slower mode); 0 counts as 1 */
} eta_job;

void eta_init(eta_model *m);

/* A job of class cls finished: it held its slot slot_s seconds (divided by its stretch,
 * so a slower mode teaches its class its usual time) and downloaded its outputs in
 * fetch_s. Non-finite or negative times are ignored. */
void eta_observe(eta_model *m, int cls, double slot_s, double fetch_s);

/* Expected seconds a job of class cls holds a slot, and downloads afterwards. */
double eta_slot_seconds(const eta_model *m, const pollplan *p, int cls);
double eta_fetch_seconds(const eta_model *m);

/* Seconds until every job in jobs[0..n) is done with `concurrency` slots. */
double eta_remaining(const eta_model *m, const pollplan *p, const eta_job *jobs, size_t n, int concurrency);

#endif
