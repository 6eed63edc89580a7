/* api.c — the endpoints of runtime/api/API.md, answering one fully read request: auth, rate
 * and concurrency limits, credits, POST /v1/run, GET /v1/status/{id}, GET /v1/credits,
 * the CDN downloads and GET /_emu/stats. Transport-level faults live in server.c. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/json.h"
#include "emu_internal.h"

void emu_reply_error(emu_reply *rp, int status, const char *name, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rp->status = status;
  rp->error_name = name;
  rp->content_type = "application/json";
  rp->json = true;
  buf_reset(&rp->body);
  json_writer w;
  jw_init(&w, &rp->body);
  jw_object_begin(&w);
  jw_key(&w, "error");
  jw_string(&w, name);
  jw_key(&w, "message");
  jw_string(&w, msg);
  jw_object_end(&w);
}

emu_endpoint emu_route(const char *method, const char *path) {
  (void)method;
  if (!strcmp(path, "/v1/run")) return EP_RUN;
  if (!strncmp(path, "/v1/status/", 11)) return EP_STATUS;
  if (!strcmp(path, "/v1/credits")) return EP_CREDITS;
  if (!strncmp(path, "/cdn/", 5)) return EP_CDN;
  return EP_OTHER;
}

static const char *ENDPOINT_LABEL[] = {"run", "status", "credits", "cdn", "other"};

/* "Bearer <token>": missing, malformed or (with --api-key) unknown keys are refused. The
 * key is never echoed back. */
static bool authorized(emu *e, const emu_request *rq, emu_reply *rp) {
  const char *h = rq->auth;
  if (!h || !*h) {
    emu_reply_error(rp, 401, "UnauthorizedAccess", "missing Authorization header (expected: Bearer <API key>)");
    return false;
  }
  if (strncasecmp(h, "Bearer ", 7) != 0) {
    emu_reply_error(rp, 401, "UnauthorizedAccess", "malformed Authorization header (expected: Bearer <API key>)");
    return false;
  }
  const char *token = h + 7;
  while (*token == ' ') token++;
  size_t n = strlen(token);
  while (n && token[n - 1] == ' ') n--;
  if (n == 0) {
    emu_reply_error(rp, 401, "UnauthorizedAccess", "empty API key");
    return false;
  }
  if (e->api_key) {
    size_t k = strlen(e->api_key);
    unsigned diff = (unsigned)(k ^ n);
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)token[i] ^ (unsigned char)e->api_key[i % (k ? k : 1)];
    if (diff) {
      emu_reply_error(rp, 401, "UnauthorizedAccess", "unknown API key");
      return false;
    }
  }
  return true;
}

static void set_retry_after(emu_reply *rp, double seconds) {
  long s = (long)ceil(seconds);
  if (s < 1) s = 1;
  snprintf(rp->retry_after, sizeof rp->retry_after, "%ld", s);
}

/* Caller holds mu. */
static bool rate_ok(emu *e, emu_endpoint ep, double now, emu_reply *rp) {
  double wait;
  if (emu_window_admit(&e->win[ep], now, &wait)) return true;
  emu_count(&e->stats.rate_limited, ENDPOINT_LABEL[ep], 1);
  emu_reply_error(rp, 429, "RateLimitExceeded", "too many %s requests: at most %d per %g s", ENDPOINT_LABEL[ep],
                  e->win[ep].limit, e->win[ep].window);
  set_retry_after(rp, wait);
  return false;
}

static void reply_json(emu_reply *rp, int status) {
  rp->status = status;
  rp->content_type = "application/json";
  rp->json = true;
}

static void refuse_run(emu *e, emu_reply *rp) {
  pthread_mutex_lock(&e->mu);
  emu_count(&e->stats.run_refused, rp->error_name ? rp->error_name : "Unknown", 1);
  pthread_mutex_unlock(&e->mu);
}

static void handle_run(emu *e, const emu_request *rq, emu_reply *rp) {
  double now = emu_now();
  if (strcmp(rq->method, "POST") != 0) {
    emu_reply_error(rp, 405, "MethodNotAllowed", "use POST for /v1/run");
    return;
  }
  if (!authorized(e, rq, rp)) return;
  pthread_mutex_lock(&e->mu);
  bool admitted = rate_ok(e, EP_RUN, now, rp);
  pthread_mutex_unlock(&e->mu);
  if (!admitted) return;
  if (rq->oversized) {
    /* What the service does with oversized (base64) bodies (runtime/api/API.md, "Errors"). */
    emu_reply_error(rp, 500, "InternalServerError", "request body larger than %zu bytes", e->cfg.max_body);
    return;
  }
  emu_inputs in;
  char msg[300];
  if (!emu_parse_run(rq->body ? rq->body : "", rq->body_len, &in, msg, sizeof msg)) {
    emu_reply_error(rp, 400, "BadRequest", "%s", msg);
    return;
  }
  char *hook = NULL;
  if (rq->webhook_url && *rq->webhook_url) {
    if (!emu_is_loopback_url(rq->webhook_url)) {
      emu_inputs_free(&in);
      emu_reply_error(rp, 400, "BadRequest",
                      "webhook_url must be an http(s) URL on a loopback address (fashn-emu contacts no other host)");
      return;
    }
    hook = strdup(rq->webhook_url);
  }
  pthread_mutex_lock(&e->mu);
  emu_advance(e, now);
  int cost = emu_credit_cost(&in);
  emu_pred *p = NULL;
  if (e->balance < cost) {
    emu_reply_error(rp, 429, "OutOfCredits", "this request needs %d credits, the balance is %lld", cost,
                    (long long)e->balance);
  } else if (e->cfg.concurrency_limit && e->unfinished >= (size_t)e->cfg.concurrency_limit) {
    emu_reply_error(rp, 429, "ConcurrencyLimitExceeded", "already %zu predictions unfinished (limit %d)",
                    e->unfinished, e->cfg.concurrency_limit);
    set_retry_after(rp, emu_next_finish(e, now));
  } else if (!(p = emu_pred_create(e, &in, hook, now))) {
    emu_reply_error(rp, 500, "InternalServerError", "out of memory");
  } else {
    hook = NULL; /* owned by p */
    reply_json(rp, 200);
  }
  if (p && e->run_body.len) { /* --run-body: the chosen bytes, whatever they are */
    buf_append(&rp->body, e->run_body.data, e->run_body.len);
  } else if (p) {
    json_writer w;
    jw_init(&w, &rp->body);
    jw_object_begin(&w);
    jw_key(&w, "id");
    jw_string(&w, e->cfg.echo_key && !strcmp(e->cfg.echo_key, "id") ? e->cfg.api_key : p->id);
    jw_key(&w, "error");
    jw_null(&w);
    jw_object_end(&w);
  }
  pthread_mutex_unlock(&e->mu);
  emu_inputs_free(&in);
  free(hook);
}

static void handle_status(emu *e, const emu_request *rq, emu_reply *rp) {
  double now = emu_now();
  if (strcmp(rq->method, "GET") != 0) {
    emu_reply_error(rp, 405, "MethodNotAllowed", "use GET for /v1/status/{id}");
    return;
  }
  pthread_mutex_lock(&e->mu);
  e->stats.status_requests++;
  pthread_mutex_unlock(&e->mu);
  if (!authorized(e, rq, rp)) return;
  const char *id = rq->path + strlen("/v1/status/");
  pthread_mutex_lock(&e->mu);
  if (rate_ok(e, EP_STATUS, now, rp)) {
    emu_advance(e, now);
    emu_pred *p = *id && strlen(id) < sizeof p->id ? emu_pred_find(e, id) : NULL;
    if (p && p->polls++ == 0) p->first_poll = now - p->created;
    if (!p) {
      emu_reply_error(rp, 404, "NotFound", "no prediction with id '%.60s'", id);
    } else if (e->status_body.len) { /* --status-body: the chosen bytes, whatever they are */
      reply_json(rp, 200);
      buf_append(&rp->body, e->status_body.data, e->status_body.len);
    } else {
      reply_json(rp, 200);
      emu_pred_json(e, p, now, &rp->body);
      if (p->finished && p->final == ST_COMPLETED)
        snprintf(rp->credits_used, sizeof rp->credits_used, "%lld", (long long)p->cost);
    }
  }
  pthread_mutex_unlock(&e->mu);
}

static void handle_credits(emu *e, const emu_request *rq, emu_reply *rp) {
  double now = emu_now();
  if (strcmp(rq->method, "GET") != 0) {
    emu_reply_error(rp, 405, "MethodNotAllowed", "use GET for /v1/credits");
    return;
  }
  pthread_mutex_lock(&e->mu);
  e->stats.credits_requests++;
  pthread_mutex_unlock(&e->mu);
  if (!authorized(e, rq, rp)) return;
  pthread_mutex_lock(&e->mu);
  if (rate_ok(e, EP_CREDITS, now, rp)) {
    emu_advance(e, now);
    reply_json(rp, 200);
    json_writer w;
    jw_init(&w, &rp->body);
    jw_object_begin(&w);
    jw_key(&w, "credits");
    jw_object_begin(&w);
    jw_key(&w, "total");
    jw_int(&w, e->balance);
    jw_key(&w, "subscription");
    jw_int(&w, 0);
    jw_key(&w, "on_demand");
    jw_int(&w, e->balance);
    jw_object_end(&w);
    jw_object_end(&w);
  }
  pthread_mutex_unlock(&e->mu);
}

/* /cdn/<id>/output_<n>.<png|jpg|mp4>: public like a CDN (no key), only for completed
 * predictions that did not ask for base64 (those outputs are never stored). */
static void handle_cdn(emu *e, const emu_request *rq, emu_reply *rp) {
  if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
    emu_reply_error(rp, 405, "MethodNotAllowed", "use GET for downloads");
    return;
  }
  const char *rest = rq->path + 5, *slash = strchr(rest, '/');
  char id[48];
  int n = -1, used = 0;
  char ext[8] = "";
  if (slash && (size_t)(slash - rest) < sizeof id) {
    memcpy(id, rest, (size_t)(slash - rest));
    id[slash - rest] = '\0';
    if (sscanf(slash, "/output_%d.%7[a-z0-9]%n", &n, ext, &used) != 2 || slash[used] != '\0') n = -1;
  }
  double now = emu_now();
  pthread_mutex_lock(&e->mu);
  e->stats.downloads++;
  emu_advance(e, now);
  emu_pred *p = n >= 0 ? emu_pred_find(e, id) : NULL;
  const char *mime = NULL, *want = NULL;
  if (p) emu_output_type(&p->in, &mime, &want);
  bool ok = p && p->finished && p->final == ST_COMPLETED && !p->in.base64 && n < p->in.num_images &&
            !strcmp(ext, want);
  if (!ok) {
    emu_reply_error(rp, 404, "NotFound", "no such output");
  } else {
    rp->status = 200;
    rp->content_type = mime;
    rp->download = true;
    buf_append(&rp->body, p->outputs[n].data, p->outputs[n].len);
    e->stats.download_bytes += (int64_t)p->outputs[n].len;
  }
  pthread_mutex_unlock(&e->mu);
}

static void handle_stats(emu *e, const emu_request *rq, emu_reply *rp) {
  if (strcmp(rq->method, "GET") != 0) {
    emu_reply_error(rp, 405, "MethodNotAllowed", "use GET for /_emu/stats");
    return;
  }
  pthread_mutex_lock(&e->mu);
  emu_advance(e, emu_now());
  emu_stats_write(e, &rp->body);
  pthread_mutex_unlock(&e->mu);
  reply_json(rp, 200);
}

static void handle_predictions(emu *e, const emu_request *rq, emu_reply *rp) {
  if (strcmp(rq->method, "GET") != 0) {
    emu_reply_error(rp, 405, "MethodNotAllowed", "use GET for /_emu/predictions");
    return;
  }
  pthread_mutex_lock(&e->mu);
  double now = emu_now();
  emu_advance(e, now);
  emu_predictions_write(e, now, &rp->body);
  pthread_mutex_unlock(&e->mu);
  reply_json(rp, 200);
}

/* /_emu/inbox: a webhook receiver for tests (webhook_url may point here). POST stores the
 * body (the newest 256 are kept), GET returns {"received": [body, ...]} oldest first,
 * each body as a string. */
#define INBOX_MAX 256
static void handle_inbox(emu *e, const emu_request *rq, emu_reply *rp) {
  pthread_mutex_lock(&e->mu);
  if (!strcmp(rq->method, "POST")) {
    emu_webhook *w = calloc(1, sizeof *w);
    if (w && !rq->oversized) {
      buf_append(&w->body, rq->body ? rq->body : "", rq->body_len);
      w->next = e->inbox;
      e->inbox = w;
      e->ninbox++;
      w = NULL;
      if (e->ninbox > INBOX_MAX) { /* drop the oldest */
        emu_webhook **pp = &e->inbox;
        while ((*pp)->next) pp = &(*pp)->next;
        w = *pp;
        *pp = NULL;
        e->ninbox--;
      }
    }
    if (w) buf_free(&w->body);
    free(w);
    buf_append_str(&rp->body, "{}");
  } else {
    json_writer jw;
    jw_init(&jw, &rp->body);
    jw_object_begin(&jw);
    jw_key(&jw, "received");
    jw_array_begin(&jw);
    const emu_webhook *items[INBOX_MAX + 1];
    size_t n = 0;
    for (const emu_webhook *w = e->inbox; w && n <= INBOX_MAX; w = w->next) items[n++] = w;
    while (n--) jw_string_len(&jw, items[n]->body.data ? items[n]->body.data : "", items[n]->body.len);
    jw_array_end(&jw);
    jw_object_end(&jw);
  }
  pthread_mutex_unlock(&e->mu);
  reply_json(rp, 200);
}

void emu_handle(emu *e, const emu_request *rq, emu_reply *rp) {
  switch (rq->ep) {
  case EP_RUN:
    handle_run(e, rq, rp);
    if (rp->status != 200) refuse_run(e, rp);
    return;
  case EP_STATUS:
    handle_status(e, rq, rp);
    return;
  case EP_CREDITS:
    handle_credits(e, rq, rp);
    return;
  case EP_CDN:
    handle_cdn(e, rq, rp);
    return;
  default:
    if (!strcmp(rq->path, "/_emu/stats")) handle_stats(e, rq, rp);
    else if (!strcmp(rq->path, "/_emu/predictions")) handle_predictions(e, rq, rp);
    else if (!strcmp(rq->path, "/_emu/inbox")) handle_inbox(e, rq, rp);
    else emu_reply_error(rp, 404, "NotFound", "no such endpoint: %s %.100s", rq->method, rq->path);
  }
}
