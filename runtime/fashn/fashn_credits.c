/* fashn_credits.c — GET /v1/credits: the account's balance, asked under its own request
 * budget (credits_rl) and answered through a callback. */
#include "fashn_int.h"
#include "../base/textsafe.h"

#include <stdio.h>
#include <stdlib.h>

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
