/* fashn_submit.c — POST /v1/run and its never-twice rule: a job is checked and queued,
 * each attempt waits for the run budget (and the journal's say-so), a refusal with an
 * error body and no id is resent, anything else that went out and came back unusable is
 * an unknown outcome: SubmitOutcomeUnknown unless the job opted in to resending. */
#include "fashn_int.h"
#include "textsafe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  /* The size again: file references were only read after the first check. */
  bool ok = fashn_inputs_check(json_root(d), &facts, &ie) && fashn_inputs_check_size(json_root(d), len, &ie);
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
  fashn_count_live(1);
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

void fashn_count_result(fashn_client *c, const http_result *r) {
  if (r->outcome == HTTP_RESPONSE && r->status == 429) c->st.http_429++;
  if (r->outcome == HTTP_RESPONSE && r->status >= 500) c->st.http_5xx++;
  if (r->outcome == HTTP_NOT_SENT || r->outcome == HTTP_UNKNOWN) c->st.connection_errors++;
  if (r->attempts > 1) c->st.retries++;
}

static void run_observe(void *ud, const http_result *r) {
  fashn_job *j = ud;
  fashn_count_result(j->c, r);
  if (j->hooks.not_created) { /* certainly nothing created: never connected, or refused */
    char name[64], msg[64];
    if (r->outcome == HTTP_NOT_SENT ||
        (r->outcome == HTTP_RESPONSE && fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, j->c->api_key)))
      j->hooks.not_created(j->hooks.ud);
  }
  if (r->outcome == HTTP_RESPONSE && r->status == 429) {
    char name[64], msg[64];
    if (fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, j->c->api_key) && strcmp(name, "RateLimitExceeded") == 0)
      rl_pause(&j->c->run_rl, loop_now() + (r->retry_after > 0 ? r->retry_after : 1.0));
  }
}

/* A response to POST /v1/run is retried only when it is a refusal that says so in an
 * error body and carries no id: only then did it certainly create nothing. */
/* Before resending after an unknown outcome (retry_unknown): the lost attempt may have
 * been charged, so it counts as spent — and when that leaves no room under --max-credits
 * for the resend as well, there is no resend. */
bool fashn_count_possible_charge(fashn_job *j) {
  fashn_client *c = j->c;
  long cap = c->cfg.max_credits;
  if (cap >= 0 && c->spent + c->reserved + j->facts.credits > cap) return false;
  c->spent += j->facts.credits;
  c->st.credits_spent += j->facts.credits;
  c->st.unknown_outcomes++;
  return true;
}

static bool run_retry_response(void *ud, const http_result *r) {
  fashn_job *j = ud;
  if (r->status < 400) return false;
  char name[64], msg[64];
  bool refusal = fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, j->c->api_key);
  if (!refusal) return j->retry_unknown && r->status >= 500 && fashn_count_possible_charge(j);
  if (r->status == 429) return strcmp(name, "OutOfCredits") != 0;
  return r->status >= 500 || r->status == 408;
}

static void submit_done(http_req *req, http_result *r, void *ud);

void fashn_submit_start(fashn_job *j) {
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


bool fashn_error_body(const buf *body, char *name, size_t namelen, char *msg, size_t msglen, const char *secret) {
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
  if (ok) { /* server text: redacted while whole, then cut, kept to a name, escaped */
    char *rn = http_redact_dup(n, secret), *rm = http_redact_dup(m ? m : "", secret);
    snprintf(name, namelen, "%s", rn ? rn : "BadResponse");
    fashn_status_sanitize(name);
    snprintf(msg, msglen, "%s", rm ? rm : "");
    text_escape_inplace(msg, msglen);
    free(rn);
    free(rm);
  }
  json_doc_free(d);
  return ok;
}

/* A 200 answer whose id cannot be used: not one the API could send (fashn_id_valid), or
 * one that carries the API key. A prediction may have been created and charged all the
 * same, so this is an unknown outcome in everything but its name: counted as spent, its
 * slot held, never resent (a server that answers like this would answer so again), and
 * the journal keeps the job `unknown` so a rerun does not buy it blindly. */
static void submit_bad_id(fashn_job *j, const char *why) {
  fashn_client *c = j->c;
  c->st.unknown_outcomes++;
  c->spent += j->facts.credits;
  c->st.credits_spent += j->facts.credits;
  fashn_hold_ghost_slot(j);
  fashn_fail(j, "BadResponse", 200, false,
             "the API accepted the job but its answer carries %s: a prediction may have been created "
             "and charged, so it was not resubmitted",
             why);
}

/* The request went out and nothing trustworthy came back. */
static void submit_unknown(fashn_job *j, const char *why) {
  fashn_client *c = j->c;
  if (j->retry_unknown && j->unknown_resends < 3 && fashn_count_possible_charge(j)) {
    j->unknown_resends++;
    fashn_notice(c, j, "job %ld: submit outcome unknown (%s); resending because retry_unknown is set",
                 j->seq, why);
    fashn_hold_ghost_slot(j);
    fashn_resubmit_later(j, 1.0);
    return;
  }
  c->st.unknown_outcomes++;
  c->spent += j->facts.credits; /* may have been charged: count it against the cap */
  c->st.credits_spent += j->facts.credits;
  fashn_hold_ghost_slot(j);
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
      if (http_tls_refused(r)) { /* verification is never switched off: say what would fix it */
        fashn_fail(j, "TLSError", 0, false,
                   "could not connect to the API securely (nothing was submitted): %s. If the server's "
                   "certificate comes from a private CA, trust that CA with --cacert FILE (or "
                   "fashn.configure{cacert = FILE})",
                   r->error);
        return;
      }
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
    const json_value *idv = d ? json_get(json_root(d), "id") : NULL;
    const char *id = json_str(idv);
    if (id && fashn_id_usable(c, id, idv->u.str.len)) {
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
      fashn_emit(c, FASHN_EV_SUBMITTED, j, j->id);
      fashn_poll_start_job(j);
      return;
    }
    bool refusal = d && fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, j->c->api_key);
    bool has_id = d && idv && !json_is_null(idv);
    bool key_id = id && http_has_secret(id, c->api_key);
    json_doc_free(d);
    if (refusal) {
      fashn_fail(j, name, 200, false, "the API refused the job: %s", msg);
      return;
    }
    if (has_id) {
      submit_bad_id(j, key_id ? "a prediction id that holds the API key" : "an invalid prediction id");
      return;
    }
    submit_unknown(j, "a 200 answer without a valid prediction id");
    return;
  }
  if (fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, j->c->api_key)) {
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

