/* fashn_submit.c — the submit stage: POST /v1/run and its never-twice rule. Each attempt
 * waits for the run budget (and the journal's say-so), a refusal with an error body and
 * no id is resent, anything else that went out and came back unusable is an unknown
 * outcome: SubmitOutcomeUnknown unless the job opted in to resending. */
#include "fashn_submit.h"
#include "../base/textsafe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The journal refused an attempt (hooks.sending): fail the job from a timer of its own,
 * not from inside the HTTP layer's attempt that asked the gate. */
static void refused_cb(void *ud) {
  fashn_job *j = ud;
  fashn_fail(j, j->submit.refused_name, 0, false, "%s", j->submit.refused_msg);
}

static double run_gate(void *ud) {
  fashn_job *j = ud;
  fashn_client *c = j->c;
  double now = loop_now();
  double w = rl_wait(&c->run_rl, now);
  if (w > 0) return w;
  /* The last moment before the request may leave: the journal records it, or it stays. */
  if (j->hooks.sending && !j->hooks.sending(j->hooks.ud, j->submit.refused_name, sizeof j->submit.refused_name, j->submit.refused_msg,
                                            sizeof j->submit.refused_msg)) {
    loop_timer_start(c->lp, &j->timer, 0, refused_cb, j);
    return 3600; /* never reached: refused_cb cancels the request first */
  }
  rl_take(&c->run_rl, now);
  c->st.run_requests++;
  if (!j->t_submit) j->t_submit = now;
  return 0;
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
static bool count_possible_charge(fashn_job *j) {
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
  if (!refusal) return j->retry_unknown && r->status >= 500 && count_possible_charge(j);
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
  if (j->retry_unknown && j->submit.unknown_resends < 3 && count_possible_charge(j)) {
    j->submit.unknown_resends++;
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
      j->id = strdup(id);
      json_doc_free(d);
      if (!j->id) {
        fashn_fail(j, "OutOfMemory", 0, false, "out of memory");
        return;
      }
      fashn_job_accepted(j);
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

