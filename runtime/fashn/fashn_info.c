/* fashn_info.c — what the client tells: a job's state, outputs and timings, and the
 * counters of the whole client (for progress, stats and tests). */
#include "fashn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading a job ------------------------------------------------------------------ */

fashn_job_state fashn_job_state_of(const fashn_job *j) { return j->state; }
const char *fashn_job_status(const fashn_job *j) { return j->status; }
const char *fashn_job_id(const fashn_job *j) { return j->id; }
const char *fashn_job_inputs(const fashn_job *j) { return j->inputs; }
bool fashn_job_dry(const fashn_job *j) { return j->dry; }
const char *fashn_job_model(const fashn_job *j) { return j->facts.model->name; }

int fashn_job_estimated_credits(const fashn_job *j) { return j->facts.credits; }
int fashn_job_credits(const fashn_job *j) {
  if (j->dry || j->cached) return 0;
  return j->credits >= 0 ? j->credits : j->facts.credits;
}
double fashn_job_elapsed(const fashn_job *j) {
  return (j->t_done ? j->t_done : loop_now()) - j->t_queued;
}

bool fashn_job_error(const fashn_job *j, fashn_error *out) {
  if (j->state != FASHN_JOB_FAILED) return false;
  out->name = j->err_name ? j->err_name : "Error";
  out->message = j->err_message ? j->err_message : "";
  out->http_status = j->err_http;
  out->retryable = j->err_retryable;
  return true;
}

void fashn_job_times(const fashn_job *j, fashn_times *out) {
  double q = j->t_queued;
  out->submitted = j->t_submit ? j->t_submit - q : -1;
  out->accepted = j->t_accepted ? j->t_accepted - q : -1;
  out->noticed = j->t_noticed ? j->t_noticed - q : -1;
  out->done = j->t_done ? j->t_done - q : -1;
}

int fashn_job_outputs(const fashn_job *j) { return j->state == FASHN_JOB_DONE ? j->fetch.nouts : 0; }

bool fashn_job_output(const fashn_job *j, int i, fashn_output *out) {
  if (j->state != FASHN_JOB_DONE || i < 0 || i >= j->fetch.nouts || !j->fetch.outs[i].bytes) return false;
  out->bytes = j->fetch.outs[i].bytes;
  out->len = j->fetch.outs[i].len;
  out->format = j->fetch.outs[i].format;
  out->source = j->fetch.outs[i].source ? j->fetch.outs[i].source : "data:";
  return true;
}

void fashn_job_release_outputs(fashn_job *j) {
  for (int i = 0; i < j->fetch.nouts; i++) {
    free(j->fetch.outs[i].bytes);
    j->fetch.outs[i].bytes = NULL;
    j->fetch.outs[i].len = 0;
  }
}

void fashn_client_stats(const fashn_client *c, fashn_stats *out) {
  *out = c->st;
  out->queued = out->submitting = out->running = out->fetching = 0;
  for (const fashn_job *j = c->jobs; j; j = j->next) {
    switch (j->state) {
      case FASHN_JOB_QUEUED: out->queued++; break;
      case FASHN_JOB_SUBMITTING: out->submitting++; break;
      case FASHN_JOB_RUNNING: out->running++; break;
      case FASHN_JOB_FETCHING: out->fetching++; break;
      default: break;
    }
  }
  out->credits_reserved = c->reserved;
  out->live_jobs = fashn_live_jobs();
  out->live_requests = http_live_requests();
  double mu, sg;
  pp_estimate(&c->plan, pp_class_of(false, 1), &mu, &sg);
  out->expected_seconds = mu;
  /* ETA: what finished jobs took, per class, for those holding a slot (less their
   * age) and those waiting for one (eta.h). */
  size_t n = 0;
  for (const fashn_job *j = c->jobs; j; j = j->next) n++;
  eta_job small[64], *list = n <= 64 ? small : malloc(n * sizeof *list);
  double eta = 0;
  if (list) {
    double now = loop_now();
    size_t k = 0;
    for (const fashn_job *j = c->jobs; j && k < n; j = j->next) {
      if (j->state != FASHN_JOB_QUEUED && j->state != FASHN_JOB_SUBMITTING && j->state != FASHN_JOB_RUNNING &&
          j->state != FASHN_JOB_FETCHING)
        continue;
      double since = j->resumed ? j->t_accepted : j->t_slot;
      list[k++] = (eta_job){.cls = j->cls,
                            .age = j->state == FASHN_JOB_QUEUED || !(since > 0) ? -1 : now - since,
                            .fetching = j->state == FASHN_JOB_FETCHING,
                            .stretch = j->stretch};
    }
    eta = eta_remaining(&c->eta, &c->plan, list, k, c->cfg.concurrency);
    if (list != small) free(list);
  }
  out->eta = eta;
}

