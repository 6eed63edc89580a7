/* pollplan.c — duration estimates from censored observations (EM for an interval-
 * censored normal) and the poll schedule built on them (see pollplan.h). */
#include "pollplan.h"

#include <math.h>
#include <string.h>

static const double NOMINAL = 12.0;      /* contract: about 12 s */
static const double FACE_EXTRA = 25.0;   /* contract: +20-30 s with face_reference */

int pp_class_of(bool face, int resolution_k) {
  int r = resolution_k >= 4 ? 2 : resolution_k >= 2 ? 1 : 0;
  return (face ? 3 : 0) + r;
}

int pp_model_class(int slot, bool face) {
  if (slot < 0 || slot >= PP_MODEL_SLOTS) slot = PP_MODEL_SLOTS - 1;
  return PP_BASE_CLASSES + 2 * slot + (face ? 1 : 0);
}

void pp_set_prior(pollplan *p, int cls, double mu, double sigma) {
  if (cls < 0 || cls >= PP_CLASSES || !(mu > 0) || !(sigma > 0)) return;
  pp_class *c = &p->cls[cls];
  c->prior_mu = mu * p->time_scale;
  c->prior_sigma = sigma * p->time_scale;
  if (c->n == 0) {
    c->mu = c->prior_mu;
    c->sigma = c->prior_sigma;
  }
}

void pp_init(pollplan *p, double time_scale, double min_interval, double max_interval) {
  memset(p, 0, sizeof *p);
  if (!(time_scale > 0)) time_scale = 1;
  p->min_interval = min_interval > 0 ? min_interval : 0.1;
  p->max_interval = max_interval > p->min_interval ? max_interval : p->min_interval;
  p->spacing = 0.35;
  p->time_scale = time_scale;
  p->probe = time_scale == 1;
  for (int i = PP_BASE_CLASSES; i < PP_CLASSES; i++) { /* until the client sets them */
    p->cls[i].prior_mu = p->cls[i].mu = NOMINAL * time_scale;
    p->cls[i].prior_sigma = p->cls[i].sigma = 1.2 * time_scale;
  }
  for (int face = 0; face < 2; face++) {
    for (int r = 0; r < 3; r++) {
      pp_class *c = &p->cls[face * 3 + r];
      double res = r == 2 ? 2.0 : 1.0; /* 4k renders longer; learned anyway */
      c->prior_mu = (NOMINAL * res + (face ? FACE_EXTRA : 0)) * time_scale;
      c->prior_sigma = (face ? 3.0 : 1.2) * time_scale;
      c->mu = c->prior_mu;
      c->sigma = c->prior_sigma;
    }
  }
}

static double phi(double x) { return exp(-0.5 * x * x) / sqrt(2 * M_PI); }
static double Phi(double x) { return 0.5 * erfc(-x / sqrt(2)); }

/* First and second moments of N(mu, sg) restricted to (lo, hi]. */
static void moments(double lo, double hi, double mu, double sg, double *m1, double *m2) {
  if (hi - lo < 1e-9) {
    *m1 = hi;
    *m2 = hi * hi;
    return;
  }
  double a = (lo - mu) / sg, b = (hi - mu) / sg;
  double z = Phi(b) - Phi(a);
  if (z < 1e-12) { /* the interval is far in a tail: its near end carries the mass */
    double e = b < 0 ? hi : lo;
    *m1 = e;
    *m2 = e * e + sg * sg * 1e-4;
    return;
  }
  double d = (phi(a) - phi(b)) / z;
  double mean = mu + sg * d;
  double var = sg * sg * (1 + (a * phi(a) - b * phi(b)) / z - d * d);
  if (var < 0) var = 0;
  *m1 = mean;
  *m2 = var + mean * mean;
}

/* The ratio observed/prior of classes with observations, weighted by their counts:
 * a time scale learned on one class carries over to the others. */
static double learned_ratio(const pollplan *p) {
  double num = 0, den = 0;
  for (int i = 0; i < PP_CLASSES; i++) {
    const pp_class *c = &p->cls[i];
    if (!c->n || !(c->prior_mu > 0)) continue;
    num += c->n * (c->mu / c->prior_mu);
    den += c->n;
  }
  return den > 0 ? num / den : 1;
}

static void refit(pollplan *p, pp_class *c) {
  int n = c->n;
  bool two_sided = false;
  double min_hi = INFINITY;
  for (int i = 0; i < n; i++) {
    if (c->obs[i].lo > 0) two_sided = true;
    if (c->obs[i].hi < min_hi) min_hi = c->obs[i].hi;
  }
  if (!two_sided) {
    /* Only "already done at the first look": the true time is below every bound but
     * how far is unknown (e.g. an emulator with an unknown time scale). Probe at half
     * the smallest bound, never later than the current belief. */
    double mu = fmin(c->mu, min_hi * 0.5);
    c->mu = mu;
    c->sigma = fmax(mu * 0.1, 0.005);
    return;
  }
  double mu = c->mu, sg = fmax(c->sigma, 1e-3);
  for (int it = 0; it < 60; it++) {
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
      double m1, m2;
      moments(c->obs[i].lo, c->obs[i].hi, mu, sg, &m1, &m2);
      s1 += m1;
      s2 += m2;
    }
    double nmu = s1 / n;
    double var = s2 / n - nmu * nmu;
    double floor = fmax(0.01 * fabs(nmu), 0.003);
    double nsg = var > floor * floor ? sqrt(var) : floor;
    bool done = fabs(nmu - mu) < 1e-6 && fabs(nsg - sg) < 1e-6;
    mu = nmu;
    sg = nsg;
    if (done) break;
  }
  if (mu < 0.01) mu = 0.01;
  /* Few observations say little about the spread: keep some of the prior's, rescaled. */
  double prior_sg = c->prior_sigma * (mu / c->prior_mu);
  if (sg < prior_sg / n) sg = prior_sg / n;
  c->mu = mu;
  c->sigma = sg;
  (void)p;
}

void pp_observe(pollplan *p, int cls, double lo, double hi) {
  if (cls < 0 || cls >= PP_CLASSES || !(hi > 0) || !isfinite(hi)) return;
  if (!(lo >= 0) || lo > hi) lo = 0;
  pp_class *c = &p->cls[cls];
  if (c->n < PP_SAMPLES) {
    c->obs[c->n++] = (pp_obs){lo, hi};
  } else {
    c->obs[c->head] = (pp_obs){lo, hi};
    c->head = (c->head + 1) % PP_SAMPLES;
  }
  refit(p, c);
}

void pp_estimate(const pollplan *p, int cls, double *mu, double *sigma) {
  const pp_class *c = &p->cls[cls < 0 || cls >= PP_CLASSES ? 0 : cls];
  if (c->n) {
    *mu = c->mu;
    *sigma = c->sigma;
    return;
  }
  double k = learned_ratio(p);
  *mu = c->prior_mu * k;
  *sigma = c->prior_sigma * k;
}

/* Nothing seen of any class on a clock nobody told: the priors may be off by any factor
 * (an emulator's clock, a busy day), and the first wave of a batch holds every slot
 * until it is seen done. Looks before the prior's time, a tenth of the age apart, bound
 * how late that wave is noticed to a tenth of its time, for a few requests once a run. */
static bool probing(const pollplan *p) {
  if (!p->probe) return false;
  for (int i = 0; i < PP_CLASSES; i++)
    if (p->cls[i].n) return false;
  return true;
}

double pp_first_poll(const pollplan *p, int cls) {
  double mu, sg;
  pp_estimate(p, cls, &mu, &sg);
  double first = mu - sg;
  const pp_class *c = &p->cls[cls < 0 || cls >= PP_CLASSES ? 0 : cls];
  if (!c->n) {
    /* Nothing seen of this class yet: the ratio to their priors that other classes showed
     * need not carry over (a queue time of a few seconds doubles a 2 s model's time and
     * adds 3 % to a 60 s one), and a look too late costs its whole lateness while one too
     * early costs a request. Look no later than its own prior says. */
    double own = c->prior_mu - c->prior_sigma;
    if (own < first) first = own;
  }
  if (probing(p) && 0.5 * mu < first) first = 0.5 * mu;
  return first > p->min_interval ? first : p->min_interval;
}

double pp_zscore(const pollplan *p, int cls, double age) {
  double mu, sg;
  pp_estimate(p, cls, &mu, &sg);
  return (age - mu) / sg;
}

double pp_next_poll(const pollplan *p, int cls, double age) {
  double mu, sg;
  pp_estimate(p, cls, &mu, &sg);
  if (probing(p) && age + p->min_interval < mu - sg) {
    double next = age + fmax(0.1 * age, p->min_interval);
    return next < mu - sg ? next : mu - sg;
  }
  double step = p->spacing * sg;
  double late = age - (mu + 3 * sg);
  if (late > 0) step *= 1 + late / fmax(mu, 1e-3); /* far past the estimate: ease off */
  if (step < p->min_interval) step = p->min_interval;
  if (step > p->max_interval) step = p->max_interval;
  return age + step;
}

double pp_queue_priority(const pollplan *p, int cls, double factor, double waited) {
  double mu, sg;
  pp_estimate(p, cls, &mu, &sg);
  return mu * (factor > 0 ? factor : 1) + (waited > 0 ? waited : 0);
}
