/* fashn.c — the FASHN client's queue and job life cycle: local checks, the concurrency
 * gate and credit cap, POST /v1/run with its never-twice rule, endings and credits.
 * Polling is in fashn_poll.c, outputs in fashn_fetch.c. */
#include "fashn_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long live_jobs;
static void dispatch_cb(void *ud);
long fashn_live_jobs(void) { return live_jobs; }

char *fashn_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

void fashn_config_defaults(fashn_config *c) {
  memset(c, 0, sizeof *c);
  c->concurrency = 6;
  c->run_limit = 48;
  c->run_window = 60.5;
  c->status_limit = 45;
  c->status_window = 10.5;
  c->status_rate = 4.5;
  c->credits_limit = 25;
  c->credits_window = 10.5;
  c->time_scale = 1;
  c->poll_min_interval = 0.1;
  c->poll_max_interval = 0.8;
  c->timeout = 900;
  c->request_timeout = 30;
  c->connect_timeout = 10;
  c->max_output_bytes = (size_t)64 << 20;
  c->retry_failed = 1;
  c->max_credits = -1;
}

void fashn_redact(const fashn_client *c, char *s, size_t cap) { http_redact(s, cap, c->api_key); }

void fashn_notice(fashn_client *c, const fashn_job *j, const char *fmt, ...) {
  if (!c->cfg.on_event) return;
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  fashn_redact(c, text, sizeof text);
  fashn_event ev = {FASHN_EV_NOTICE, j, text};
  c->cfg.on_event(c->cfg.event_ud, &ev);
}

static void emit(fashn_client *c, fashn_event_kind kind, const fashn_job *j, const char *text) {
  if (!c->cfg.on_event) return;
  fashn_event ev = {kind, j, text ? text : ""};
  c->cfg.on_event(c->cfg.event_ud, &ev);
}

void fashn_emit(fashn_client *c, fashn_event_kind kind, const fashn_job *j, const char *text) {
  emit(c, kind, j, text);
}

/* ---- client ---------------------------------------------------------------------- */

static bool limits_init(fashn_client *c) {
  const fashn_config *f = &c->cfg;
  rl_free(&c->run_rl);
  rl_free(&c->status_rl);
  rl_free(&c->credits_rl);
  /* The bucket may save up a third of the window: jobs started together finish together,
   * and that is when polls are worth most. The window log alone keeps the hard limit. */
  double burst = f->status_limit / 3.0 > f->concurrency ? f->status_limit / 3.0 : f->concurrency;
  return rl_init(&c->run_rl, f->run_limit, f->run_window, 0, 1) &&
         rl_init(&c->status_rl, f->status_limit, f->status_window, f->status_rate, burst) &&
         rl_init(&c->credits_rl, f->credits_limit, f->credits_window, 0, 1);
}

fashn_client *fashn_client_new(loop *lp, const fashn_config *cfg, char *errbuf, size_t errlen) {
  fashn_client *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  c->lp = lp;
  c->cfg = *cfg;
  c->started = loop_now();
  if (c->cfg.concurrency < 1) c->cfg.concurrency = 1;
  c->base_url = fashn_strdup(cfg->base_url);
  c->api_key = fashn_strdup(cfg->api_key);
  c->cainfo = fashn_strdup(cfg->cainfo);
  c->cfg.base_url = c->base_url;
  c->cfg.api_key = c->api_key;
  c->cfg.cainfo = c->cainfo;
  if (c->base_url) { /* "https://host/" -> "https://host" */
    size_t n = strlen(c->base_url);
    while (n && c->base_url[n - 1] == '/') c->base_url[--n] = '\0';
  }
  if (!limits_init(c)) {
    snprintf(errbuf, errlen, "invalid rate limits (each needs a limit >= 1 and a window > 0)");
    fashn_client_free(c);
    return NULL;
  }
  pp_init(&c->plan, c->cfg.time_scale, c->cfg.poll_min_interval, c->cfg.poll_max_interval);
  if (!cfg->dry_run) {
    char why[160];
    if (!c->base_url || !http_url_allowed(c->base_url, why, sizeof why)) {
      snprintf(errbuf, errlen, "bad API base URL: %s", c->base_url ? why : "none given");
      fashn_client_free(c);
      return NULL;
    }
    http_settings hs = {.bearer = c->api_key, .auth_origin = c->base_url,
                        .connect_timeout = c->cfg.connect_timeout, .cainfo = c->cainfo};
    c->http = http_client_new(lp, &hs, errbuf, errlen);
    if (!c->http) {
      fashn_client_free(c);
      return NULL;
    }
  }
  return c;
}

void fashn_client_reconfigure(fashn_client *c, const fashn_config *f) {
  bool limits = f->run_limit != c->cfg.run_limit || f->run_window != c->cfg.run_window ||
                f->status_limit != c->cfg.status_limit || f->status_window != c->cfg.status_window ||
                f->status_rate != c->cfg.status_rate || f->credits_limit != c->cfg.credits_limit ||
                f->credits_window != c->cfg.credits_window || f->concurrency != c->cfg.concurrency;
  bool scale = f->time_scale != c->cfg.time_scale;
  fashn_config keep = c->cfg;
  c->cfg = *f;
  c->cfg.base_url = keep.base_url;
  c->cfg.api_key = keep.api_key;
  c->cfg.cainfo = keep.cainfo;
  c->cfg.dry_run = keep.dry_run;
  c->cfg.on_event = keep.on_event;
  c->cfg.event_ud = keep.event_ud;
  c->cfg.stop_submitting = keep.stop_submitting;
  if (c->cfg.concurrency < 1) c->cfg.concurrency = 1;
  if (limits && !limits_init(c)) {
    c->cfg = keep;
    limits_init(c);
  }
  if (scale) pp_init(&c->plan, c->cfg.time_scale, c->cfg.poll_min_interval, c->cfg.poll_max_interval);
  c->plan.min_interval = c->cfg.poll_min_interval > 0 ? c->cfg.poll_min_interval : 0.1;
  c->plan.max_interval = c->cfg.poll_max_interval > c->plan.min_interval ? c->cfg.poll_max_interval
                                                                         : c->plan.min_interval;
  fashn_dispatch(c);
  fashn_poll_schedule(c);
}

const fashn_config *fashn_client_config(const fashn_client *c) { return &c->cfg; }

static void job_detach(fashn_job *j) {
  fashn_client *c = j->c;
  if (j->req) http_cancel(j->req);
  j->req = NULL;
  fashn_cancel_fetches(j);
  if (c) loop_timer_stop(c->lp, &j->timer);
  if (j->prev) j->prev->next = j->next;
  else if (c && c->jobs == j) c->jobs = j->next;
  if (j->next) j->next->prev = j->prev;
  j->prev = j->next = NULL;
  j->c = NULL;
}

void fashn_client_free(fashn_client *c) {
  if (!c) return;
  loop_timer_stop(c->lp, &c->dispatch_timer);
  loop_timer_stop(c->lp, &c->poll_timer);
  while (c->jobs) {
    fashn_job *j = c->jobs;
    job_detach(j);
    j->on_done = NULL;
    fashn_job_unref(j); /* the client's reference */
  }
  http_client_free(c->http);
  rl_free(&c->run_rl);
  rl_free(&c->status_rl);
  rl_free(&c->credits_rl);
  if (c->api_key) memset(c->api_key, 0, strlen(c->api_key));
  free(c->api_key);
  free(c->base_url);
  free(c->cainfo);
  free(c);
}

/* ---- jobs ------------------------------------------------------------------------- */

void fashn_job_ref(fashn_job *j) { j->refs++; }

void fashn_job_unref(fashn_job *j) {
  if (!j || --j->refs > 0) return;
  job_detach(j);
  for (int i = 0; i < j->nouts; i++) {
    free(j->outs[i].bytes);
    free(j->outs[i].source);
  }
  free(j->inputs);
  free(j->body);
  free(j->id);
  free(j->err_name);
  free(j->err_message);
  if (j->hooks.release) j->hooks.release(j->hooks.ud);
  free(j);
  live_jobs--;
}

void fashn_job_on_done(fashn_job *j, void (*cb)(fashn_job *, void *), void *ud) {
  j->on_done = cb;
  j->on_done_ud = ud;
}

static void queue_remove(fashn_client *c, fashn_job *j) {
  fashn_job **pp = &c->qhead, *prev = NULL;
  while (*pp && *pp != j) {
    prev = *pp;
    pp = &(*pp)->qnext;
  }
  if (!*pp) return;
  *pp = j->qnext;
  if (c->qtail == j) c->qtail = prev;
  j->qnext = NULL;
}

/* The job has ended: leave the client's lists, tell whoever waits, drop the client's
 * reference. */
static void job_end(fashn_job *j) {
  fashn_client *c = j->c;
  j->t_done = loop_now();
  if (c) {
    if (j->reserved) {
      c->reserved -= j->facts.credits;
      j->reserved = false;
    }
    emit(c, j->state == FASHN_JOB_DONE ? FASHN_EV_COMPLETED : FASHN_EV_FAILED, j,
         j->state == FASHN_JOB_DONE ? "completed" : j->err_message);
  }
  if (j->hooks.ended) j->hooks.ended(j->hooks.ud, j); /* recorded before anyone sees it */
  void (*cb)(fashn_job *, void *) = j->on_done;
  j->on_done = NULL;
  if (cb) cb(j, j->on_done_ud);
  if (c) {
    job_detach(j);
    fashn_job_unref(j);
    fashn_dispatch(c);
  }
}

/* An unknown outcome may have started a prediction we cannot see: keep its slot busy
 * for about as long as one would run, so the account's limit is not overrun. Kept as
 * expiry times, not timers, so a ghost never keeps the program alive. */
static void hold_ghost_slot(fashn_job *j) {
  fashn_client *c = j->c;
  double mu, sg, now = loop_now();
  pp_estimate(&c->plan, j->cls, &mu, &sg);
  int slot = 0;
  for (int i = 1; i < 16; i++)
    if (c->ghost_until[i] < c->ghost_until[slot]) slot = i;
  if (c->ghost_until[slot] < now + mu + 3 * sg) c->ghost_until[slot] = now + mu + 3 * sg;
}

/* Number of ghost slots still held, and when the next one frees. */
static int ghosts(const fashn_client *c, double now, double *next) {
  int n = 0;
  *next = 0;
  for (int i = 0; i < 16; i++) {
    if (c->ghost_until[i] <= now) continue;
    n++;
    if (!*next || c->ghost_until[i] < *next) *next = c->ghost_until[i];
  }
  return n;
}

void fashn_release_slot(fashn_job *j) {
  fashn_client *c = j->c;
  if (!c) return;
  if (j->state == FASHN_JOB_SUBMITTING || j->state == FASHN_JOB_RUNNING) c->inflight--;
}

void fashn_fail(fashn_job *j, const char *name, int http_status, bool retryable, const char *fmt, ...) {
  if (j->state == FASHN_JOB_DONE || j->state == FASHN_JOB_FAILED) return;
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (j->c) fashn_redact(j->c, msg, sizeof msg);
  free(j->err_name);
  free(j->err_message);
  j->err_name = fashn_strdup(name);
  j->err_message = fashn_strdup(msg);
  j->err_http = http_status;
  j->err_retryable = retryable;
  if (j->req) http_cancel(j->req);
  j->req = NULL;
  fashn_cancel_fetches(j);
  if (j->c) {
    fashn_release_slot(j);
    if (j->state == FASHN_JOB_QUEUED) queue_remove(j->c, j);
    loop_timer_stop(j->c->lp, &j->timer);
  }
  j->state = FASHN_JOB_FAILED;
  snprintf(j->status, sizeof j->status, "failed");
  if (j->c) j->c->st.failed++;
  job_end(j);
}

void fashn_finish(fashn_job *j) {
  fashn_client *c = j->c;
  if (c) {
    int charged = j->credits >= 0 ? j->credits : j->facts.credits;
    c->spent += charged;
    c->st.credits_spent += charged;
    c->st.done++;
  }
  j->state = FASHN_JOB_DONE;
  snprintf(j->status, sizeof j->status, "completed");
  job_end(j);
}

/* ---- submit ----------------------------------------------------------------------- */

fashn_job *fashn_job_alloc(fashn_client *c, const char *inputs_json, size_t len, const fashn_job_opts *o,
                           char *field, size_t fieldlen, char *errbuf, size_t errlen) {
  char perr[160];
  field[0] = '\0';
  json_doc *d = json_parse(inputs_json, len, 16, perr, sizeof perr);
  if (!d) {
    snprintf(errbuf, errlen, "the inputs are not valid JSON: %s", perr);
    return NULL;
  }
  fashn_input_facts facts;
  fashn_input_error ie;
  bool ok = fashn_inputs_check(json_root(d), &facts, &ie);
  json_doc_free(d);
  if (!ok) {
    snprintf(field, fieldlen, "%s", ie.field);
    snprintf(errbuf, errlen, "%s", ie.message);
    return NULL;
  }
  fashn_job *j = calloc(1, sizeof *j);
  buf body = BUF_INIT;
  buf_append_str(&body, "{\"model_name\":\"" FASHN_MODEL "\",\"inputs\":");
  buf_append(&body, inputs_json, len);
  buf_append_char(&body, '}');
  if (!j || body.oom || !(j->inputs = malloc(len + 1))) {
    free(j);
    buf_free(&body);
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  live_jobs++;
  memcpy(j->inputs, inputs_json, len);
  j->inputs[len] = '\0';
  j->body = buf_take(&body, &j->body_len);
  j->c = c;
  j->refs = 1;
  j->seq = ++c->seq;
  j->facts = facts;
  j->cls = pp_class_of(facts.face, facts.resolution_k);
  j->credits = -1;
  j->retry_unknown = o && o->retry_unknown >= 0 ? o->retry_unknown == 1 : c->cfg.retry_unknown;
  j->timeout = o && o->timeout > 0 ? o->timeout : c->cfg.timeout;
  if (o && o->hooks) j->hooks = *o->hooks;
  j->rebuy_if_gone = o && o->rebuy_if_gone;
  j->t_queued = loop_now();
  return j;
}

fashn_job *fashn_submit(fashn_client *c, const char *inputs_json, size_t len,
                        const fashn_job_opts *o, char *field, size_t fieldlen, char *errbuf,
                        size_t errlen) {
  fashn_job *j = fashn_job_alloc(c, inputs_json, len, o, field, fieldlen, errbuf, errlen);
  if (!j) return NULL;
  c->st.jobs++;
  j->refs = 2; /* the caller's and the client's (dropped when the job ends) */
  j->state = FASHN_JOB_QUEUED;
  snprintf(j->status, sizeof j->status, "queued");
  j->next = c->jobs;
  if (c->jobs) c->jobs->prev = j;
  c->jobs = j;
  if (c->qtail) c->qtail->qnext = j;
  else c->qhead = j;
  c->qtail = j;
  emit(c, FASHN_EV_QUEUED, j, NULL);
  if (!loop_timer_armed(&c->dispatch_timer)) /* dispatch next turn: the caller gets the job first */
    loop_timer_start(c->lp, &c->dispatch_timer, 0, dispatch_cb, c);
  return j;
}

/* The journal refused an attempt (hooks.sending): fail the job from a timer of its own,
 * not from inside the HTTP layer's attempt that asked the gate. */
static void refused_cb(void *ud) {
  fashn_job *j = ud;
  fashn_fail(j, j->refused_name, 0, false, "%s", j->refused_msg);
}

static double run_gate(void *ud) {
  fashn_job *j = ud;
  fashn_client *c = j->c;
  double now = loop_now();
  double w = rl_wait(&c->run_rl, now);
  if (w > 0) return w;
  /* The last moment before the request may leave: the journal records it, or it stays. */
  if (j->hooks.sending && !j->hooks.sending(j->hooks.ud, j->refused_name, sizeof j->refused_name, j->refused_msg,
                                            sizeof j->refused_msg)) {
    loop_timer_start(c->lp, &j->timer, 0, refused_cb, j);
    return 3600; /* never reached: refused_cb cancels the request first */
  }
  rl_take(&c->run_rl, now);
  c->st.run_requests++;
  if (!j->t_submit) j->t_submit = now;
  return 0;
}

static void count_result(fashn_client *c, const http_result *r) {
  if (r->outcome == HTTP_RESPONSE && r->status == 429) c->st.http_429++;
  if (r->outcome == HTTP_RESPONSE && r->status >= 500) c->st.http_5xx++;
  if (r->outcome == HTTP_NOT_SENT || r->outcome == HTTP_UNKNOWN) c->st.connection_errors++;
  if (r->attempts > 1) c->st.retries++;
}

static void run_observe(void *ud, const http_result *r) {
  fashn_job *j = ud;
  count_result(j->c, r);
  if (j->hooks.not_created) { /* certainly nothing created: never connected, or refused */
    char name[64], msg[64];
    if (r->outcome == HTTP_NOT_SENT ||
        (r->outcome == HTTP_RESPONSE && fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg)))
      j->hooks.not_created(j->hooks.ud);
  }
  if (r->outcome == HTTP_RESPONSE && r->status == 429) {
    char name[64], msg[64];
    if (fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg) && strcmp(name, "RateLimitExceeded") == 0)
      rl_pause(&j->c->run_rl, loop_now() + (r->retry_after > 0 ? r->retry_after : 1.0));
  }
}

/* A response to POST /v1/run is retried only when it is a refusal that says so in an
 * error body and carries no id: only then did it certainly create nothing. */
static bool run_retry_response(void *ud, const http_result *r) {
  fashn_job *j = ud;
  if (r->status < 400) return false;
  char name[64], msg[64];
  bool refusal = fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg);
  if (!refusal) return j->retry_unknown && r->status >= 500;
  if (r->status == 429) return strcmp(name, "OutOfCredits") != 0;
  return r->status >= 500 || r->status == 408;
}

static void submit_done(http_req *req, http_result *r, void *ud);

static void submit_start(fashn_job *j) {
  fashn_client *c = j->c;
  char url[1024];
  snprintf(url, sizeof url, "%s/v1/run", c->base_url);
  http_policy p = {.max_attempts = 8, .base_delay = 0.5, .max_delay = 20, .deadline = j->deadline,
                   .timeout = c->cfg.request_timeout, .max_body = 64 * 1024,
                   .resend_unknown = false, .fresh_connect = true,
                   .retry_response = run_retry_response, .gate = run_gate, .observe = run_observe,
                   .ud = j};
  j->req = http_request(c->http, "POST", url, j->body, j->body_len, &p, submit_done, j);
  if (!j->req) fashn_fail(j, "OutOfMemory", 0, true, "out of memory starting the submit request");
}

static void dispatch_queue(fashn_client *c);
static void dispatch_cb(void *ud) { fashn_dispatch(ud); }

static void dry_run(fashn_job *j) {
  fashn_client *c = j->c;
  char text[700];
  size_t n = strlen(j->inputs);
  snprintf(text, sizeof text, "would submit %s %.*s%s (%d credit%s)", FASHN_MODEL, n > 500 ? 500 : (int)n,
           j->inputs, n > 500 ? "..." : "", j->facts.credits, j->facts.credits == 1 ? "" : "s");
  emit(c, FASHN_EV_DRY_RUN, j, text);
  c->spent += j->facts.credits; /* what the run would spend, for the cap */
  j->dry = true;
  j->credits = 0;
  c->st.done++;
  j->state = FASHN_JOB_DONE;
  snprintf(j->status, sizeof j->status, "dry_run");
  job_end(j);
}

void fashn_dispatch(fashn_client *c) {
  loop_timer_stop(c->lp, &c->dispatch_timer);
  if (c->dispatching) return; /* a job ending inside the loop below: the loop goes on */
  c->dispatching = true;
  dispatch_queue(c);
  c->dispatching = false;
}

static void dispatch_queue(fashn_client *c) {
  while (c->qhead) {
    fashn_job *j = c->qhead;
    if (c->cfg.stop_submitting && c->cfg.stop_submitting()) {
      fashn_fail(j, "Interrupted", 0, true, "not submitted: the run was interrupted");
      continue;
    }
    if (c->out_of_credits) {
      fashn_fail(j, "OutOfCredits", 429, false, "no credits left on the account (not submitted)");
      continue;
    }
    long cap = c->cfg.max_credits;
    if (cap >= 0 && c->spent + c->reserved + j->facts.credits > cap) {
      if (c->reserved > 0 && c->spent + j->facts.credits <= cap) return; /* may fit later */
      fashn_fail(j, "CreditLimitExceeded", 0, false,
                 "not submitted: it costs %d credit%s and %ld of the --max-credits %ld are spent "
                 "or committed",
                 j->facts.credits, j->facts.credits == 1 ? "" : "s", c->spent + c->reserved, cap);
      continue;
    }
    if (c->cfg.dry_run) {
      queue_remove(c, j);
      dry_run(j);
      continue;
    }
    double now = loop_now(), ghost_free;
    int held = ghosts(c, now, &ghost_free);
    if (c->inflight + held >= c->cfg.concurrency) {
      if (held && c->inflight < c->cfg.concurrency) /* only ghosts block: look again then */
        loop_timer_start(c->lp, &c->dispatch_timer, ghost_free - now, dispatch_cb, c);
      return;
    }
    queue_remove(c, j);
    c->inflight++;
    c->reserved += j->facts.credits;
    j->reserved = true;
    j->state = FASHN_JOB_SUBMITTING;
    snprintf(j->status, sizeof j->status, "submitting");
    if (!j->deadline) j->deadline = loop_now() + j->timeout;
    submit_start(j);
  }
}

static void resubmit_cb(void *ud) {
  fashn_job *j = ud;
  if (j->c && j->state == FASHN_JOB_SUBMITTING) submit_start(j);
}

void fashn_resubmit_later(fashn_job *j, double delay) {
  fashn_client *c = j->c;
  free(j->id);
  j->id = NULL;
  j->t_accepted = j->t_noticed = 0;
  j->lo_age = 0;
  j->polls = j->poll_failures = j->not_found = j->null_outputs = 0;
  /* A RUNNING job (its prediction failed) still holds its slot; only a job that gave
   * its slot back (FETCHING) takes one again. Counting RUNNING here too leaked a slot
   * per resubmission, shrinking the concurrency for the rest of the run. */
  if (j->state != FASHN_JOB_SUBMITTING && j->state != FASHN_JOB_RUNNING) c->inflight++;
  j->state = FASHN_JOB_SUBMITTING;
  j->resumed = false;
  snprintf(j->status, sizeof j->status, "submitting");
  loop_timer_start(c->lp, &j->timer, delay, resubmit_cb, j);
}

bool fashn_error_body(const buf *body, char *name, size_t namelen, char *msg, size_t msglen) {
  name[0] = msg[0] = '\0';
  if (!body->len) return false;
  json_doc *d = json_parse(body->data, body->len, 8, NULL, 0);
  if (!d) return false;
  const json_value *root = json_root(d);
  const json_value *e = json_get(root, "error");
  const char *n = json_str(e), *m = json_str(json_get(root, "message"));
  if (!n && e && e->type == JSON_OBJECT) {
    n = json_str(json_get(e, "name"));
    m = json_str(json_get(e, "message"));
  }
  bool ok = n && *n && json_is_null(json_get(root, "id"));
  if (ok) {
    snprintf(name, namelen, "%s", n);
    for (char *p = name; *p; p++)
      if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
        *p = '_';
    snprintf(msg, msglen, "%s", m ? m : "");
  }
  json_doc_free(d);
  return ok;
}

static bool valid_id(const char *s) {
  size_t n = strlen(s);
  if (!n || n > FASHN_MAX_ID) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_' || ch == '.'))
      return false; /* it goes into a URL path: keep it to unreserved characters */
  }
  return true;
}

/* The request went out and nothing trustworthy came back. */
static void submit_unknown(fashn_job *j, const char *why) {
  fashn_client *c = j->c;
  c->st.unknown_outcomes++;
  if (j->retry_unknown && j->unknown_resends < 3) {
    j->unknown_resends++;
    fashn_notice(c, j, "job %ld: submit outcome unknown (%s); resending because retry_unknown is set",
                 j->seq, why);
    c->spent += j->facts.credits; /* the lost one may have been charged */
    c->st.credits_spent += j->facts.credits;
    hold_ghost_slot(j);
    fashn_resubmit_later(j, 1.0);
    return;
  }
  c->spent += j->facts.credits; /* may have been charged: count it against the cap */
  c->st.credits_spent += j->facts.credits;
  hold_ghost_slot(j);
  fashn_fail(j, "SubmitOutcomeUnknown", 0, false,
             "the submit request was sent but no usable answer came back (%s): a prediction may "
             "have been created and charged, so it was not resubmitted (retry_unknown = true "
             "allows that)",
             why);
}

static void submit_done(http_req *req, http_result *r, void *ud) {
  (void)req;
  fashn_job *j = ud;
  fashn_client *c = j->c;
  j->req = NULL;
  char name[64], msg[400];
  switch (r->outcome) {
    case HTTP_LOCAL:
      fashn_fail(j, "RequestFailed", 0, false, "the submit request could not be made: %s", r->error);
      return;
    case HTTP_NOT_SENT:
      fashn_fail(j, "ConnectionFailed", 0, true,
                 "could not connect to the API after %d attempt%s (nothing was submitted): %s",
                 r->attempts, r->attempts == 1 ? "" : "s", r->error);
      return;
    case HTTP_UNKNOWN:
      submit_unknown(j, r->error);
      return;
    case HTTP_RESPONSE:
      break;
  }
  if (r->status == 200) {
    json_doc *d = json_parse(r->body.data ? r->body.data : "", r->body.len, 8, NULL, 0);
    const char *id = d ? json_str(json_get(json_root(d), "id")) : NULL;
    if (id && valid_id(id)) {
      j->id = fashn_strdup(id);
      json_doc_free(d);
      if (!j->id) {
        fashn_fail(j, "OutOfMemory", 0, false, "out of memory");
        return;
      }
      j->t_accepted = loop_now();
      j->state = FASHN_JOB_RUNNING;
      snprintf(j->status, sizeof j->status, "starting");
      if (j->hooks.accepted) j->hooks.accepted(j->hooks.ud, j->id);
      emit(c, FASHN_EV_SUBMITTED, j, j->id);
      fashn_poll_start_job(j);
      return;
    }
    bool refusal = d && fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg);
    json_doc_free(d);
    if (refusal) {
      fashn_fail(j, name, 200, false, "the API refused the job: %s", msg);
      return;
    }
    submit_unknown(j, "a 200 answer without a valid prediction id");
    return;
  }
  if (fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg)) {
    bool retryable = r->status == 429 ? strcmp(name, "OutOfCredits") != 0 : r->status >= 500;
    if (strcmp(name, "OutOfCredits") == 0) c->out_of_credits = true;
    fashn_fail(j, name, (int)r->status, retryable, "%s%s(after %d attempt%s)", msg, *msg ? " " : "",
               r->attempts, r->attempts == 1 ? "" : "s");
    return;
  }
  if (r->status >= 500) {
    char why[96];
    snprintf(why, sizeof why, "HTTP %ld without an error body", r->status);
    submit_unknown(j, why);
    return;
  }
  fashn_fail(j, "HTTPError", (int)r->status, false, "the API answered HTTP %ld to the submit request",
             r->status);
}

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

static void credits_observe(void *ud, const http_result *r) { count_result(((credits_call *)ud)->c, r); }

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
  } else if (r->outcome == HTTP_RESPONSE && fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg)) {
  } else if (r->outcome == HTTP_RESPONSE) {
    snprintf(name, sizeof name, "HTTPError");
    snprintf(msg, sizeof msg, "HTTP %ld", r->status);
  } else {
    snprintf(name, sizeof name, "ConnectionFailed");
    snprintf(msg, sizeof msg, "%s", r->error);
  }
  fashn_redact(k->c, msg, sizeof msg);
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
  out->live_jobs = live_jobs;
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
