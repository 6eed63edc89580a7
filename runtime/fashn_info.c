/* fashn_info.c — what the client tells: GET /v1/credits, a job's state, outputs and
 * timings, and the counters of the whole client (for progress, stats and tests). */
#include "fashn_int.h"
#include "textsafe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ---- credits ---------------------------------------------------------------------- */

typedef struct credits_call {
  fashn_client *c;
  fashn_credits_fn cb;
  void *ud;
} credits_call;

static double credits_gate(void *ud) {
  credits_call *k = ud;
  double now = loop_now(), w = rl_wait(&k->c->credits_rl, now);
  if (w > 0) return w;
  rl_take(&k->c->credits_rl, now);
  k->c->st.credits_requests++;
  return 0;
}

static void credits_observe(void *ud, const http_result *r) { fashn_count_result(((credits_call *)ud)->c, r); }

static void credits_done(http_req *req, http_result *r, void *ud) {
  (void)req;
  credits_call *k = ud;
  fashn_balance b = {0};
  fashn_error e = {0};
  char name[64] = "", msg[400] = "";
  bool ok = false;
  if (r->outcome == HTTP_RESPONSE && r->status == 200) {
    json_doc *d = json_parse(r->body.data ? r->body.data : "", r->body.len, 8, NULL, 0);
    const json_value *cr = d ? json_get(json_root(d), "credits") : NULL;
    ok = json_num(json_get(cr, "total"), &b.total);
    json_num(json_get(cr, "subscription"), &b.subscription);
    json_num(json_get(cr, "on_demand"), &b.on_demand);
    json_doc_free(d);
    if (!ok) snprintf(msg, sizeof msg, "the credits answer has no credits.total");
    snprintf(name, sizeof name, "BadResponse");
  } else if (r->outcome == HTTP_RESPONSE && fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, k->c->api_key)) {
  } else if (r->outcome == HTTP_RESPONSE) {
    snprintf(name, sizeof name, "HTTPError");
    snprintf(msg, sizeof msg, "HTTP %ld", r->status);
  } else {
    snprintf(name, sizeof name, "ConnectionFailed");
    snprintf(msg, sizeof msg, "%s", r->error);
  }
  fashn_redact(k->c, msg, sizeof msg);
  text_escape_inplace(msg, sizeof msg);
  e.name = name;
  e.message = msg;
  e.http_status = r->outcome == HTTP_RESPONSE ? (int)r->status : 0;
  e.retryable = r->status == 429 || r->status >= 500 || r->outcome != HTTP_RESPONSE;
  k->cb(k->ud, ok, ok ? &b : NULL, ok ? NULL : &e);
  free(k);
}

bool fashn_credits(fashn_client *c, fashn_credits_fn cb, void *ud) {
  if (!c->http) return false;
  credits_call *k = calloc(1, sizeof *k);
  if (!k) return false;
  *k = (credits_call){c, cb, ud};
  char url[1024];
  snprintf(url, sizeof url, "%s/v1/credits", c->base_url);
  http_policy p = {.max_attempts = 5, .timeout = c->cfg.request_timeout, .max_body = 64 * 1024,
                   .resend_unknown = true, .gate = credits_gate, .observe = credits_observe, .ud = k};
  if (!http_request(c->http, "GET", url, NULL, 0, &p, credits_done, k)) {
    free(k);
    return false;
  }
  return true;
}

/* ---- reading a job ------------------------------------------------------------------ */

fashn_job_state fashn_job_state_of(const fashn_job *j) { return j->state; }
const char *fashn_job_status(const fashn_job *j) { return j->status; }
const char *fashn_job_id(const fashn_job *j) { return j->id; }
const char *fashn_job_inputs(const fashn_job *j) { return j->inputs; }
bool fashn_job_dry(const fashn_job *j) { return j->dry; }
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

int fashn_job_outputs(const fashn_job *j) { return j->state == FASHN_JOB_DONE ? j->nouts : 0; }

bool fashn_job_output(const fashn_job *j, int i, fashn_output *out) {
  if (j->state != FASHN_JOB_DONE || i < 0 || i >= j->nouts || !j->outs[i].bytes) return false;
  out->bytes = j->outs[i].bytes;
  out->len = j->outs[i].len;
  out->format = j->outs[i].format;
  out->source = j->outs[i].source ? j->outs[i].source : "data:";
  return true;
}

void fashn_job_release_outputs(fashn_job *j) {
  for (int i = 0; i < j->nouts; i++) {
    free(j->outs[i].bytes);
    j->outs[i].bytes = NULL;
    j->outs[i].len = 0;
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
  /* ETA: the running ones finish in about mu from their start, then the queue drains
   * concurrency at a time. */
  double now = loop_now(), eta = 0;
  for (const fashn_job *j = c->jobs; j; j = j->next) {
    if (j->state != FASHN_JOB_RUNNING) continue;
    double m, s;
    pp_estimate(&c->plan, j->cls, &m, &s);
    double left = m - (now - j->t_accepted);
    if (left > eta) eta = left;
  }
  long waiting = out->queued + out->submitting;
  if (waiting) eta += ceil((double)waiting / c->cfg.concurrency) * mu;
  out->eta = eta;
}

