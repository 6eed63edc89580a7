/* fashn.c — the FASHN client and its jobs' life cycle: the client, a job's constructor,
 * the local queue with its concurrency gate and credit cap, and the state machine that
 * moves a job from stage to stage — it calls the stages' entry points (fashn_submit.h,
 * fashn_poll.h, fashn_fetch.h) and the stages report back through the transitions in
 * fashn_int.h — up to its ending (done / failed), plus ghost slots after unknown outcomes.
 * Credits are in fashn_credits.c, reading a job in fashn_info.c. */
#include "fashn_fetch.h"
#include "fashn_int.h"
#include "fashn_poll.h"
#include "fashn_submit.h"
#include "../base/textsafe.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void plan_model_priors(pollplan *p);

static long live_jobs;
long fashn_live_jobs(void) { return live_jobs; }
static void fashn_count_live(int delta) { live_jobs += delta; }

static void fashn_dispatch(fashn_client *c);
static void dispatch_cb(void *ud) { fashn_dispatch(ud); }
static void fashn_dispatch_soon(fashn_client *c) {
  if (!loop_timer_armed(&c->dispatch_timer)) /* next turn: the caller gets the job first */
    loop_timer_start(c->lp, &c->dispatch_timer, 0, dispatch_cb, c);
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
  c->download_timeout = 300;
  c->connect_timeout = 10;
  c->max_output_bytes = (size_t)64 << 20;
  c->max_queued = 10000;
  c->retry_failed = 1;
  c->max_credits = -1;
}

void fashn_redact(const fashn_client *c, char *s, size_t cap) { http_redact(s, cap, c->api_key); }

bool fashn_id_usable(const fashn_client *c, const char *id, size_t len) {
  return fashn_id_valid(id, len) && !http_has_secret(id, c->api_key);
}

void fashn_notice(fashn_client *c, const fashn_job *j, const char *fmt, ...) {
  if (!c->cfg.on_event) return;
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  fashn_redact(c, text, sizeof text);
  text_escape_inplace(text, sizeof text);
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

void fashn_count_result(fashn_client *c, const http_result *r) {
  if (r->outcome == HTTP_RESPONSE && r->status == 429) c->st.http_429++;
  if (r->outcome == HTTP_RESPONSE && r->status >= 500) c->st.http_5xx++;
  if (r->outcome == HTTP_NOT_SENT || r->outcome == HTTP_UNKNOWN) c->st.connection_errors++;
  if (r->attempts > 1) c->st.retries++;
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
  c->base_url = cfg->base_url ? strdup(cfg->base_url) : NULL;
  c->api_key = cfg->api_key ? strdup(cfg->api_key) : NULL;
  c->cainfo = cfg->cainfo ? strdup(cfg->cainfo) : NULL;
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
  plan_model_priors(&c->plan);
  { /* a dry run too: it talks to its private rehearsal server (backend.h) */
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
  if (scale) {
    pp_init(&c->plan, c->cfg.time_scale, c->cfg.poll_min_interval, c->cfg.poll_max_interval);
    plan_model_priors(&c->plan);
    eta_init(&c->eta);
  }
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

/* The poll-plan class of a job: model-create's by face and resolution, the others' by
 * model and face, each with its model's typical time as the prior. */
int fashn_plan_class(const fashn_model *m, bool face, int resolution_k) {
  if (m == fashn_models[0]) return pp_class_of(face, resolution_k);
  int slot = 0;
  while (fashn_models[slot + 1] && fashn_models[slot + 1] != m) slot++;
  return pp_model_class(slot, face);
}

double fashn_plan_stretch(const fashn_input_facts *f) {
  const fashn_model *m = f->model;
  if (!m) return 1;
  static const char *const tiers[] = {NULL, "1k", "2k", NULL, "4k"};
  fashn_price_inputs base = {.face = f->face};
  if (m == fashn_models[0] && f->resolution_k >= 1 && f->resolution_k <= 4) base.resolution = tiers[f->resolution_k];
  double usual = fashn_model_seconds(m, &base);
  double s = usual > 0 ? f->seconds / usual : 1;
  return isfinite(s) && s > 1 ? s : 1;
}

static void plan_model_priors(pollplan *p) {
  for (int i = 1; fashn_models[i]; i++) {
    const fashn_model *m = fashn_models[i];
    double mu = m->typical_seconds > 0 ? m->typical_seconds : 12;
    pp_set_prior(p, fashn_plan_class(m, false, 1), mu, mu * 0.1 + 1);
    pp_set_prior(p, fashn_plan_class(m, true, 1), mu + m->face_seconds, (mu + m->face_seconds) * 0.1 + 2);
  }
}

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
  const char *model_name = o && o->model ? o->model : FASHN_DEFAULT_MODEL;
  const fashn_model *m = fashn_model_find(model_name);
  if (!m) {
    json_doc_free(d);
    snprintf(errbuf, errlen, "unknown model \"%.64s\"", model_name);
    return NULL;
  }
  /* The size again: file references were only read after the first check. */
  bool ok = fashn_inputs_check_model(m, json_root(d), &facts, &ie) &&
            fashn_inputs_check_size(json_root(d), len, &ie);
  buf body = BUF_INIT;
  if (ok) fashn_inputs_write_body(facts.model, json_root(d), &body); /* passthrough fields flattened */
  json_doc_free(d);
  if (!ok) {
    snprintf(field, fieldlen, "%s", ie.field);
    snprintf(errbuf, errlen, "%s", ie.message);
    return NULL;
  }
  fashn_job *j = calloc(1, sizeof *j);
  if (!j || body.oom || !(j->inputs = malloc(len + 1))) {
    free(j);
    buf_free(&body);
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  fashn_count_live(1);
  memcpy(j->inputs, inputs_json, len);
  j->inputs[len] = '\0';
  j->body = buf_take(&body, &j->body_len);
  j->c = c;
  j->refs = 1;
  j->seq = ++c->seq;
  j->facts = facts;
  j->cls = fashn_plan_class(facts.model, facts.face, facts.resolution_k);
  j->stretch = fashn_plan_stretch(&facts);
  j->credits = -1;
  j->retry_unknown = o && o->retry_unknown >= 0 ? o->retry_unknown == 1 : c->cfg.retry_unknown;
  j->timeout = o && o->timeout > 0 ? o->timeout : c->cfg.timeout;
  if (o && o->hooks) j->hooks = *o->hooks;
  j->rebuy_if_gone = o && o->rebuy_if_gone;
  j->dry = c->cfg.dry_run; /* a rehearsal: its images are placeholders, nothing is bought */
  if (o && o->journal_holds && j->dry) { /* a real run would serve it from the journal */
    j->cached = true;
    j->facts.credits = 0;
  }
  j->t_queued = loop_now();
  return j;
}

bool fashn_queue_full(const fashn_client *c, char *errbuf, size_t errlen) {
  if (c->nqueued < c->cfg.max_queued) return false;
  snprintf(errbuf, errlen,
           "%d jobs are already waiting to be submitted (max_queued): wait for some to finish "
           "(fashn.gather) before submitting more, or raise fashn.configure{max_queued = n}",
           c->nqueued);
  return true;
}

fashn_job *fashn_submit(fashn_client *c, const char *inputs_json, size_t len,
                        const fashn_job_opts *o, char *field, size_t fieldlen, char *errbuf,
                        size_t errlen) {
  if (fashn_queue_full(c, errbuf, errlen)) {
    snprintf(field, fieldlen, "%s", "");
    return NULL;
  }
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
  c->nqueued++;
  fashn_emit(c, FASHN_EV_QUEUED, j, NULL);
  fashn_dispatch_soon(c);
  return j;
}

void fashn_job_ref(fashn_job *j) { j->refs++; }

void fashn_job_unref(fashn_job *j) {
  if (!j || --j->refs > 0) return;
  job_detach(j);
  fashn_forget_outputs(j);
  free(j->inputs);
  free(j->body);
  free(j->id);
  free(j->err_name);
  free(j->err_message);
  if (j->hooks.release) j->hooks.release(j->hooks.ud);
  free(j);
  fashn_count_live(-1);
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
  c->nqueued--;
}

/* The job has ended: leave the client's lists, tell whoever waits, drop the client's
 * reference. */
static void job_end(fashn_job *j) {
  fashn_client *c = j->c;
  j->t_done = loop_now();
  if (c && j->state == FASHN_JOB_DONE && !j->resumed && !j->dry && j->t_slot > 0 && j->t_noticed >= j->t_slot)
    eta_observe(&c->eta, j->cls, (j->t_noticed - j->t_slot) / j->stretch, j->t_done - j->t_noticed);
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
void fashn_hold_ghost_slot(fashn_job *j) {
  fashn_client *c = j->c;
  double mu, sg, now = loop_now();
  pp_estimate(&c->plan, j->cls, &mu, &sg);
  mu *= j->stretch;
  sg *= j->stretch;
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

/* The prediction finished server-side (or never will): its slot is free. */
static void fashn_release_slot(fashn_job *j) {
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
  /* Everything a failure says may hold server text: no key, no control bytes, from here
   * to every place it goes (error tables, the journal, progress lines). */
  char nm[64];
  snprintf(nm, sizeof nm, "%s", name);
  if (j->c) {
    fashn_redact(j->c, msg, sizeof msg);
    fashn_redact(j->c, nm, sizeof nm);
  }
  text_escape_inplace(msg, sizeof msg);
  fashn_status_sanitize(nm);
  free(j->err_name);
  free(j->err_message);
  j->err_name = strdup(nm);
  j->err_message = strdup(msg);
  j->err_http = http_status;
  j->err_retryable = retryable;
  if (j->req) http_cancel(j->req);
  j->req = NULL;
  fashn_cancel_fetches(j);
  if (j->c && j->state == FASHN_JOB_FETCHING) {
    /* It completed at the API (charged) and then its outputs failed here: the credits
     * count against --max-credits all the same, or the cap would let more through. */
    int charged = j->credits >= 0 ? j->credits : j->facts.credits;
    j->c->spent += charged;
    j->c->st.credits_spent += charged;
  }
  if (j->c) {
    fashn_release_slot(j);
    if (j->state == FASHN_JOB_QUEUED) queue_remove(j->c, j);
    loop_timer_stop(j->c->lp, &j->timer);
  }
  j->state = FASHN_JOB_FAILED;
  snprintf(j->status, sizeof j->status, "failed");
  if (j->c) {
    j->c->st.failed++;
    if (!fashn_job_sent(j)) j->c->st.not_submitted++;
  }
  job_end(j);
}

void fashn_finish(fashn_job *j) {
  fashn_client *c = j->c;
  if (c) {
    int charged = j->cached ? 0 : j->credits >= 0 ? j->credits : j->facts.credits;
    c->spent += charged;
    c->st.credits_spent += charged;
    c->st.done++;
  }
  j->state = FASHN_JOB_DONE;
  snprintf(j->status, sizeof j->status, "completed");
  job_end(j);
}

static void dispatch_queue(fashn_client *c);

static void fashn_dispatch(fashn_client *c) {
  loop_timer_stop(c->lp, &c->dispatch_timer);
  if (c->dispatching) return; /* a job ending inside the loop below: the loop goes on */
  c->dispatching = true;
  dispatch_queue(c);
  c->dispatching = false;
}

/* The queued job to submit next. Under a credit cap, the first submitted: the order the
 * user wrote decides which jobs get bought. Otherwise the one with the highest
 * pp_queue_priority — expected to hold its slot longest, counting the time it has waited
 * already — so the long jobs of a mixed batch start early instead of running alone at
 * its end (longest first is the simple rule that finishes a batch of known durations
 * soonest on a fixed number of slots), jobs of one class keep their order, and a short
 * job is never passed for longer than the difference between the two expected times. */
static fashn_job *queue_next(fashn_client *c, double now) {
  fashn_job *best = c->qhead;
  if (!best || c->cfg.max_credits >= 0) return best; /* a dry run too: it rehearses the real order */
  /* The queue may hold 10000 jobs and this runs at every free slot: each class's estimate
   * once (pp_queue_priority is linear in the factor and the wait), then arithmetic. */
  double base[PP_CLASSES];
  for (int i = 0; i < PP_CLASSES; i++) base[i] = pp_queue_priority(&c->plan, i, 1, 0);
  double best_p = -INFINITY;
  for (fashn_job *j = best; j; j = j->qnext) {
    double waited = now - j->t_queued;
    /* a slower mode or tier stretches a job past its class's time (fashn_plan_stretch, >= 1) */
    double pr = base[j->cls] * j->stretch + (waited > 0 ? waited : 0);
    if (pr > best_p) best = j, best_p = pr;
  }
  return best;
}

static void dispatch_queue(fashn_client *c) {
  while (c->qhead) {
    fashn_job *j = queue_next(c, loop_now());
    if (c->cfg.stop_submitting && c->cfg.stop_submitting()) {
      fashn_fail(j, "Interrupted", 0, true, "not submitted: the run was interrupted");
      continue;
    }
    if (c->out_of_credits) {
      fashn_fail(j, "OutOfCredits", 429, false, "not submitted: no credits left on the account");
      continue;
    }
    long cap = c->cfg.dry_run ? -1 : c->cfg.max_credits; /* a dry run compares its plan at the end */
    if (cap >= 0 && c->spent + c->reserved + j->facts.credits > cap) {
      if (c->reserved > 0 && c->spent + j->facts.credits <= cap) return; /* may fit later */
      fashn_fail(j, "CreditLimitExceeded", 0, false,
                 "not submitted: it costs %d credit%s and %ld of the --max-credits %ld are spent "
                 "or committed",
                 j->facts.credits, j->facts.credits == 1 ? "" : "s", c->spent + c->reserved, cap);
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
    if (!j->t_slot) j->t_slot = now;
    if (!j->deadline) j->deadline = loop_now() + j->timeout;
    fashn_submit_start(j);
  }
}

/* ---- what the stages report: the transitions between them ------------------------- */

void fashn_job_accepted(fashn_job *j) {
  fashn_client *c = j->c;
  j->t_accepted = loop_now();
  j->state = FASHN_JOB_RUNNING;
  snprintf(j->status, sizeof j->status, "starting");
  if (j->hooks.accepted) j->hooks.accepted(j->hooks.ud, j->id);
  fashn_emit(c, FASHN_EV_SUBMITTED, j, j->id);
  fashn_poll_start_job(j);
}

void fashn_job_completed(fashn_job *j, const json_value *output) {
  fashn_client *c = j->c;
  fashn_release_slot(j);
  j->state = FASHN_JOB_FETCHING;
  snprintf(j->status, sizeof j->status, "fetching");
  fashn_dispatch(c); /* the slot is free: the next job goes now */
  fashn_fetch_outputs(j, output);
}

static void resubmit_cb(void *ud) {
  fashn_job *j = ud;
  if (j->c && j->state == FASHN_JOB_SUBMITTING) fashn_submit_start(j);
}

void fashn_resubmit_later(fashn_job *j, double delay) {
  fashn_client *c = j->c;
  free(j->id);
  j->id = NULL;
  j->t_accepted = j->t_noticed = 0;
  fashn_poll_reset(j);
  /* A RUNNING job (its prediction failed) still holds its slot; only a job that gave
   * its slot back (FETCHING) takes one again. Counting RUNNING here too leaked a slot
   * per resubmission, shrinking the concurrency for the rest of the run. */
  if (j->state != FASHN_JOB_SUBMITTING && j->state != FASHN_JOB_RUNNING) c->inflight++;
  j->state = FASHN_JOB_SUBMITTING;
  j->resumed = false;
  snprintf(j->status, sizeof j->status, "submitting");
  loop_timer_start(c->lp, &j->timer, delay, resubmit_cb, j);
}

bool fashn_rebuy_gone(fashn_job *j, const char *why) {
  if (!j->rebuy_if_gone || !j->c) return false;
  j->rebuy_if_gone = false; /* once */
  fashn_notice(j->c, j, "job %ld: the stored images of prediction %s were lost and %s; submitting it again", j->seq,
               j->id, why);
  fashn_forget_outputs(j);
  fashn_resubmit_later(j, 0);
  return true;
}
