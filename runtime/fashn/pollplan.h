/* pollplan.h — when to poll a running prediction. Learns how long predictions take
 * (per class: face_reference or not, resolution) from what polls observed — each
 * finished job tells that its duration lies in (last "not done" age, "done" age] — by
 * fitting a normal distribution to those censored intervals, then plans each job's
 * polls around the expected finish: the first a little before it, then at a spacing
 * that keeps the expected delay between finishing and being noticed small. Pure
 * arithmetic on ages in seconds, so it is unit-tested without a server. */
#ifndef ATELIER_POLLPLAN_H
#define ATELIER_POLLPLAN_H

#include <stdbool.h>

/* model-create's six classes (face x resolution), then two per other model (without and
 * with face_reference), whose priors the client sets from the model's typical time. */
#define PP_BASE_CLASSES 6
#define PP_MODEL_SLOTS 16
#define PP_CLASSES (PP_BASE_CLASSES + 2 * PP_MODEL_SLOTS)
#define PP_SAMPLES 48

typedef struct pp_obs {
  double lo, hi; /* the duration lies in (lo, hi]; lo = 0 when the first poll saw it done */
} pp_obs;

typedef struct pp_class {
  double prior_mu, prior_sigma; /* from the contract, time-scaled */
  pp_obs obs[PP_SAMPLES];       /* ring of the most recent observations */
  int n, head;
  double mu, sigma;             /* current estimate (the prior until observed) */
} pp_class;

typedef struct pollplan {
  pp_class cls[PP_CLASSES];
  double min_interval; /* never poll one job more often than this */
  double max_interval; /* never leave a job unpolled longer than this once it is due */
  double spacing;      /* spacing between polls near the expected finish, in sigmas */
  double time_scale;   /* pp_init's, for priors set later */
  bool probe;          /* told no clock (time scale 1): probe early until a first job is seen */
} pollplan;

/* Sets the contract's priors (12 s; +25 s with face_reference; 4k slower), multiplied
 * by time_scale, and the interval bounds (seconds, not scaled: they are about how soon
 * a finish is noticed). A time scale of 1 is what a client told nothing has: until the
 * first job of any class is seen, its looks then start at half the expected time and
 * come a tenth of the age apart (the priors may be off by any factor). */
void pp_init(pollplan *p, double time_scale, double min_interval, double max_interval);

/* The class of a job: face_reference or not x resolution in {1, 2, 4} (k). */
int pp_class_of(bool face, int resolution_k);

/* The class of a job of the slot-th other model (0 <= slot < PP_MODEL_SLOTS). */
int pp_model_class(int slot, bool face);

/* Sets a class's prior (before any time_scale: this multiplies by the one pp_init got)
 * and resets its estimate to it when nothing was observed yet. */
void pp_set_prior(pollplan *p, int cls, double mu, double sigma);

/* Records that a job of class cls finished after more than lo and at most hi seconds. */
void pp_observe(pollplan *p, int cls, double lo, double hi);

/* The current estimate of a class: mean and standard deviation of the duration. */
void pp_estimate(const pollplan *p, int cls, double *mu, double *sigma);

/* Age (seconds since the job was accepted) at which to poll it first. */
double pp_first_poll(const pollplan *p, int cls);

/* How far past its expected finish a job of age `age` is, in standard deviations:
 * the higher, the likelier it is done (0 = as likely done as not). */
double pp_zscore(const pollplan *p, int cls, double age);

/* Age at which to poll next after a poll at age `age` saw it unfinished. */
double pp_next_poll(const pollplan *p, int cls, double age);

/* How soon a job waiting for a slot should get one, relative to the others waiting: the
 * seconds it is expected to take (its class's estimate times `factor`, the job's own
 * multiple of it) plus the seconds it has waited (`waited`). The longest expected goes
 * first; a shorter one catches up by waiting out the difference. */
double pp_queue_priority(const pollplan *p, int cls, double factor, double waited);

#endif
