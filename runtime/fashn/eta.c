/* eta.c — the remaining time of a run from the times finished jobs took (see eta.h). */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "eta.h"

/* Slots simulated at most: a wider account changes the estimate little and the cost of
 * a redraw a lot (the queue may hold 10000 jobs). */
#define ETA_MAX_SLOTS 64

void eta_init(eta_model *m) { memset(m, 0, sizeof *m); }

void eta_observe(eta_model *m, int cls, double slot_s, double fetch_s) {
  if (cls < 0 || cls >= PP_CLASSES || !isfinite(slot_s) || slot_s < 0) return;
  if (!isfinite(fetch_s) || fetch_s < 0) fetch_s = 0;
  eta_class *c = &m->cls[cls];
  c->slot_sum += slot_s;
  c->fetch_sum += fetch_s;
  c->n++;
}

/* How much longer than pollplan's render estimate a job held its slot, over the
 * classes seen (submit, upload, the time to notice): carried to unseen classes. */
static double overhead(const eta_model *m, const pollplan *p) {
  double num = 0, den = 0;
  for (int i = 0; i < PP_CLASSES; i++) {
    const eta_class *c = &m->cls[i];
    double mu, sg;
    pp_estimate(p, i, &mu, &sg);
    if (!c->n || !(mu > 0)) continue;
    num += c->slot_sum / mu;
    den += (double)c->n;
  }
  return den > 0 ? num / den : 1;
}

double eta_slot_seconds(const eta_model *m, const pollplan *p, int cls) {
  if (cls < 0 || cls >= PP_CLASSES) cls = 0;
  const eta_class *c = &m->cls[cls];
  if (c->n) return c->slot_sum / (double)c->n;
  double mu, sg;
  pp_estimate(p, cls, &mu, &sg);
  return mu * overhead(m, p);
}

double eta_fetch_seconds(const eta_model *m) {
  double sum = 0;
  long n = 0;
  for (int i = 0; i < PP_CLASSES; i++) {
    sum += m->cls[i].fetch_sum;
    n += m->cls[i].n;
  }
  return n ? sum / (double)n : 0;
}

/* The slot that frees first. */
static int earliest(const double *slot, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (slot[i] < slot[best]) best = i;
  return best;
}

double eta_remaining(const eta_model *m, const pollplan *p, const eta_job *jobs, size_t n, int concurrency) {
  int ns = concurrency < 1 ? 1 : concurrency > ETA_MAX_SLOTS ? ETA_MAX_SLOTS : concurrency;
  double slot[ETA_MAX_SLOTS] = {0};
  double per_class[PP_CLASSES];
  for (int i = 0; i < PP_CLASSES; i++) per_class[i] = eta_slot_seconds(m, p, i);
  double fetch = eta_fetch_seconds(m), end = 0;
  bool any = false;
  /* jobs holding a slot first (a job past its expected time still needs a moment:
   * a tenth of it), then the waiting ones take the slot that frees first */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < n; i++) {
      const eta_job *j = &jobs[i];
      int cls = j->cls < 0 || j->cls >= PP_CLASSES ? 0 : j->cls;
      if (j->fetching) {
        if (pass == 0 && fetch > end) end = fetch;
        continue;
      }
      if ((pass == 0) != (j->age >= 0)) continue;
      double t = per_class[cls] * (j->stretch > 0 ? j->stretch : 1);
      if (pass == 0) t = fmax(t - j->age, 0.1 * t);
      int s = earliest(slot, ns);
      slot[s] += t;
      any = true;
    }
  }
  if (any) {
    double last = 0;
    for (int i = 0; i < ns; i++)
      if (slot[i] > last) last = slot[i];
    if (last + fetch > end) end = last + fetch;
  }
  return end;
}
