/* http.c — HTTP requests over the loop's curl multi handle with retries (see http.h).
 * Callbacks only append to buffers; the decisions happen when a transfer is done. */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netaddr.h"
#include "../base/rand.h"
#include "../base/version.h"

#define MAX_HEADER_BYTES (64 * 1024)
#define RETRY_AFTER_CAP 300.0

struct http_client {
  loop *lp;
  char *user_agent;
  char *bearer;
  char *auth_header; /* "Authorization: Bearer ..." */
  char *auth_origin; /* normalised "scheme://host:port" */
  char *cainfo;
  double connect_timeout;
  http_req *live;
  rand_state rng; /* jitter for retry delays */
};

struct http_req {
  http_client *c;
  loop_xfer x;
  loop_timer timer;
  char *method, *url, *body;
  size_t body_len;
  http_policy p;
  http_done_fn done;
  void *ud;
  http_result r;
  struct curl_slist *hdrs;
  char errbuf[CURL_ERROR_SIZE];
  double t_first;
  bool with_auth, https, loopback;
  http_req *prev, *next;
};

static long live_requests;
long http_live_requests(void) { return live_requests; }

/* ---- small helpers --------------------------------------------------------- */

double http_backoff(int n, double base, double max, double retry_after, double rnd) {
  if (retry_after >= 0) {
    if (retry_after > RETRY_AFTER_CAP) retry_after = RETRY_AFTER_CAP;
    return retry_after + retry_after * 0.1 * rnd + 0.01;
  }
  if (n < 1) n = 1;
  double d = base;
  for (int i = 1; i < n && d < max; i++) d *= 2;
  if (d > max) d = max;
  return d / 2 + d / 2 * rnd;
}

/* "scheme://host:port" of url (lower-case, default ports filled in), or false. */
static bool url_origin(const char *url, char *out, size_t outlen, bool *https, bool *loopback) {
  CURLU *u = curl_url();
  if (!u) return false;
  bool ok = false;
  char *scheme = NULL, *host = NULL, *port = NULL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    for (char *p = scheme; *p; p++) *p = (char)tolower((unsigned char)*p);
    for (char *p = host; *p; p++) *p = (char)tolower((unsigned char)*p);
    snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
    if (https) *https = strcmp(scheme, "https") == 0;
    /* Loopback by the program's one rule (netaddr.h), read from the text as written AND
     * from the host curl will connect to: curl turns 0x7f.1 into 127.0.0.1, and the raw
     * text alone could in theory be read differently by curl; both must say loopback. */
    if (loopback) *loopback = net_url_is_loopback(url) && net_host_is_loopback(host);
    ok = true;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return ok;
}

bool http_url_allowed(const char *url, char *why, size_t whylen) {
  char origin[512];
  bool https = false, loopback = false;
  if (!url || strlen(url) > 8192 || !url_origin(url, origin, sizeof origin, &https, &loopback)) {
    snprintf(why, whylen, "not a valid URL");
    return false;
  }
  if (https) return true;
  if (strncmp(origin, "http://", 7) == 0) {
    if (loopback) return true;
    snprintf(why, whylen, "plain http is only allowed to a loopback address (use https)");
    return false;
  }
  snprintf(why, whylen, "only http(s) URLs are allowed");
  return false;
}

static bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* How many bytes of secret (sl bytes) match at p, as written or as sanitized (every byte
 * outside [A-Za-z0-9_] turned into '_'); stops at the end of p. */
static size_t secret_match(const char *p, const char *secret, size_t sl) {
  size_t i = 0;
  while (i < sl && p[i] && (p[i] == secret[i] || (p[i] == '_' && !is_word_byte(secret[i])))) i++;
  return i;
}

static const char REDACT_MARK[] = "[redacted]";

/* The redaction itself, into out. */
static void redact_into(buf *out, const char *s, const char *secret) {
  /* A key of a few letters would turn every word that contains them into "[redacted]";
   * real API keys are long, so short ones (test stand-ins) are left alone. */
  size_t sl = secret ? strlen(secret) : 0;
  if (sl < 6) sl = 0;
  const char *p = s;
  while (*p) {
    if (sl) {
      size_t m = secret_match(p, secret, sl);
      if (m == sl || (m >= 4 && p[m] == '\0')) { /* whole, or a cut-off start at the end */
        buf_append_str(out, REDACT_MARK);
        p += m;
        continue;
      }
    }
    if (strncmp(p, "://", 3) == 0) { /* scheme://user:pass@host -> scheme://[redacted]@host */
      buf_append(out, p, 3);
      p += 3;
      const char *end = p;
      while (*end && *end != '@' && *end != '/' && *end != ' ' && *end != '"' && *end != '\'') end++;
      if (*end == '@') {
        buf_append_str(out, REDACT_MARK);
        p = end;
      }
      continue;
    }
    buf_append_char(out, *p++);
  }
}

void http_redact(char *s, size_t cap, const char *secret) {
  if (!s || !cap) return;
  buf out = BUF_INIT;
  redact_into(&out, s, secret);
  if (out.oom) { /* cannot rebuild it: say nothing rather than risk the secret */
    snprintf(s, cap, "%s", REDACT_MARK);
  } else {
    size_t n = out.len < cap - 1 ? out.len : cap - 1;
    memcpy(s, out.data ? out.data : "", n);
    s[n] = '\0';
  }
  buf_free(&out);
}

char *http_redact_dup(const char *s, const char *secret) {
  buf out = BUF_INIT;
  redact_into(&out, s ? s : "", secret);
  buf_append_char(&out, '\0');
  if (out.oom) {
    buf_free(&out);
    return NULL;
  }
  return out.data;
}

bool http_has_secret(const char *s, const char *secret) {
  size_t sl = secret ? strlen(secret) : 0;
  if (sl < 6 || !s) return false;
  for (const char *p = s; *p; p++)
    if (secret_match(p, secret, sl) == sl) return true;
  return false;
}

bool http_result_header(const http_result *r, const char *name, char *out, size_t outlen) {
  size_t nl = strlen(name);
  const char *p = r->headers.len ? r->headers.data : "";
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
      const char *v = p + nl + 1;
      const char *e = p + len;
      while (v < e && (*v == ' ' || *v == '\t')) v++;
      while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
      size_t vl = (size_t)(e - v);
      if (vl >= outlen) vl = outlen - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return true;
    }
    if (!eol) break;
    p = eol + 1;
  }
  return false;
}

/* ---- client -------------------------------------------------------------------- */

http_client *http_client_new(loop *lp, const http_settings *s, char *errbuf, size_t errlen) {
  if (!loop_curl_ready(errbuf, errlen)) return NULL; /* libcurl loads here, on first use */
  http_client *c = calloc(1, sizeof *c);
  if (!c) goto oom;
  c->lp = lp;
  c->connect_timeout = s->connect_timeout > 0 ? s->connect_timeout : 10;
  rand_seed(&c->rng, (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid() ^ (uintptr_t)c);
  char ua[64];
  snprintf(ua, sizeof ua, "atelier/%s", ATELIER_VERSION);
  c->user_agent = strdup(s->user_agent ? s->user_agent : ua);
  if (!c->user_agent) goto oom;
  if (s->cainfo && !(c->cainfo = strdup(s->cainfo))) goto oom;
  if (s->bearer && *s->bearer) {
    if (strpbrk(s->bearer, "\r\n")) {
      snprintf(errbuf, errlen, "the API key contains a line break");
      http_client_free(c);
      return NULL;
    }
    char origin[512];
    if (!s->auth_origin || !url_origin(s->auth_origin, origin, sizeof origin, NULL, NULL)) {
      snprintf(errbuf, errlen, "the API base URL is not a valid URL");
      http_client_free(c);
      return NULL;
    }
    buf h = BUF_INIT;
    buf_printf(&h, "Authorization: Bearer %s", s->bearer);
    c->auth_header = buf_take(&h, NULL);
    c->bearer = strdup(s->bearer);
    c->auth_origin = strdup(origin);
    if (!c->auth_header || !c->bearer || !c->auth_origin) goto oom;
  }
  return c;
oom:
  snprintf(errbuf, errlen, "out of memory creating the HTTP client");
  http_client_free(c);
  return NULL;
}

static void req_free(http_req *q);

void http_client_free(http_client *c) {
  if (!c) return;
  while (c->live) req_free(c->live);
  if (c->auth_header) memset(c->auth_header, 0, strlen(c->auth_header));
  if (c->bearer) memset(c->bearer, 0, strlen(c->bearer));
  free(c->auth_header);
  free(c->bearer);
  free(c->auth_origin);
  free(c->user_agent);
  free(c->cainfo);
  free(c);
}

/* ---- requests ------------------------------------------------------------------- */

static void req_free(http_req *q) {
  http_client *c = q->c;
  if (q->x.active) loop_xfer_cancel(c->lp, &q->x);
  loop_timer_stop(c->lp, &q->timer);
  if (q->prev) q->prev->next = q->next;
  else c->live = q->next;
  if (q->next) q->next->prev = q->prev;
  if (q->x.easy) {
    curl_easy_cleanup(q->x.easy);
    live_requests--;
  }
  curl_slist_free_all(q->hdrs);
  buf_free(&q->r.body);
  buf_free(&q->r.headers);
  free(q->method);
  free(q->url);
  free(q->body);
  free(q);
}

void http_cancel(http_req *q) {
  if (q) req_free(q);
}

static void finish(http_req *q) {
  q->r.elapsed = loop_now() - q->t_first;
  if (q->r.error[0]) http_redact(q->r.error, sizeof q->r.error, q->c->bearer);
  q->done(q, &q->r, q->ud);
  req_free(q);
}

static void finish_cb(void *ud) { finish(ud); }

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  http_req *q = ud;
  size_t len = size * n;
  if (q->r.body.len + len > q->p.max_body) {
    q->r.too_large = true;
    return 0; /* makes curl stop with CURLE_WRITE_ERROR */
  }
  if (!buf_append(&q->r.body, data, len)) return 0;
  return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  http_req *q = ud;
  size_t len = size * n;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) buf_reset(&q->r.headers); /* a new response */
  if (q->r.headers.len + len <= MAX_HEADER_BYTES) buf_append(&q->r.headers, data, len);
  return len;
}

static bool set_headers(http_req *q) {
  http_client *c = q->c;
  struct curl_slist *h = NULL, *t;
#define ADD(s)                              \
  do {                                      \
    if (!(t = curl_slist_append(h, (s)))) { \
      curl_slist_free_all(h);               \
      return false;                         \
    }                                       \
    h = t;                                  \
  } while (0)
  if (q->with_auth) ADD(c->auth_header);
  if (q->body) {
    ADD("Content-Type: application/json");
    ADD("Expect:"); /* no 100-continue round trip, and no second way to resend */
  }
  ADD(q->with_auth ? "Accept: application/json" : "Accept: */*");
#undef ADD
  q->hdrs = h;
  return true;
}

static void xfer_done(loop_xfer *x, CURLcode code);

static bool setup_easy(http_req *q) {
  http_client *c = q->c;
  CURL *e = q->x.easy;
  curl_easy_reset(e);
  buf_reset(&q->r.body);
  buf_reset(&q->r.headers);
  q->r.too_large = false;
  q->r.size = -1;
  q->r.retry_after = -1;
  q->r.status = 0;
  q->r.curl_code = 0;
  q->r.error[0] = '\0';
  q->errbuf[0] = '\0';
  curl_easy_setopt(e, CURLOPT_URL, q->url);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
  /* Loopback traffic never goes through a proxy (it may be plain http with the key):
   * "" disables the proxy whatever the environment says, for all of 127.0.0.0/8. */
  if (q->loopback) curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (c->cainfo) curl_easy_setopt(e, CURLOPT_CAINFO, c->cainfo);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout * 1000));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(q->p.timeout * 1000));
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)q->p.max_body);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
  if (!q->with_auth) { /* downloads may be redirected, but only to https */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  }
  if (q->p.fresh_connect) curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  if (q->body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
  }
  if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "POST") != 0)
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
  q->x.done = xfer_done;
  q->x.ud = q;
  return true;
}

static void attempt(void *ud) {
  http_req *q = ud;
  if (q->p.gate) {
    double wait = q->p.gate(q->p.ud);
    if (wait > 0) {
      loop_timer_start(q->c->lp, &q->timer, wait, attempt, q);
      return;
    }
  }
  if (!q->r.attempts) q->t_first = loop_now();
  q->r.attempts++;
  setup_easy(q);
  int rc = loop_xfer_start(q->c->lp, &q->x);
  if (rc != 0) {
    q->r.outcome = HTTP_LOCAL;
    snprintf(q->r.error, sizeof q->r.error, "cannot start the transfer: %s",
             curl_multi_strerror((CURLMcode)rc));
    loop_timer_start(q->c->lp, &q->timer, 0, finish_cb, q);
  }
}

/* Failures that no retry can fix (bad certificate, bad URL, unsupported protocol). */
static bool permanent_failure(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_FILESIZE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

/* Was the request certainly never sent? Only trusted on a fresh connection: on a
 * reused one curl itself may have sent it once before reconnecting. */
static bool never_sent(http_req *q, CURLcode code) {
  bool reuse_possible = !q->p.fresh_connect && strcmp(q->method, "GET") != 0;
  if (reuse_possible) return false;
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
      code == CURLE_COULDNT_CONNECT)
    return true;
  if (code == CURLE_OPERATION_TIMEDOUT || code == CURLE_SSL_CONNECT_ERROR ||
      code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE) {
    curl_off_t connect = 0, app = 0;
    curl_easy_getinfo(q->x.easy, CURLINFO_CONNECT_TIME_T, &connect);
    curl_easy_getinfo(q->x.easy, CURLINFO_APPCONNECT_TIME_T, &app);
    long fresh = 0;
    curl_easy_getinfo(q->x.easy, CURLINFO_NUM_CONNECTS, &fresh);
    if (fresh == 0 && !q->p.fresh_connect) return false;
    return connect == 0 || (q->https && app == 0);
  }
  return false;
}

bool http_tls_refused(const http_result *r) {
  return r->outcome != HTTP_RESPONSE &&
         (r->curl_code == CURLE_PEER_FAILED_VERIFICATION || r->curl_code == CURLE_SSL_CACERT_BADFILE ||
          r->curl_code == CURLE_SSL_CERTPROBLEM);
}

static bool default_retry_response(const http_result *r) {
  return r->status == 408 || r->status == 429 || (r->status >= 500 && r->status <= 599);
}

static void xfer_done(loop_xfer *x, CURLcode code) {
  http_req *q = x->ud;
  http_result *r = &q->r;
  r->curl_code = (int)code;
  if (code == CURLE_OK) {
    r->outcome = HTTP_RESPONSE;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_off_t ra = -1;
    if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
      r->retry_after = (double)ra;
    if (r->body.oom) {
      r->outcome = HTTP_UNKNOWN;
      snprintf(r->error, sizeof r->error, "out of memory reading the response");
    }
  } else if (r->too_large || code == CURLE_FILESIZE_EXCEEDED) {
    r->too_large = true;
    r->outcome = HTTP_UNKNOWN;
    curl_off_t announced = -1; /* Content-Length: curl refused before reading the body */
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    char cl[32]; /* curl reports -1 when the write callback, not MAXFILESIZE, stopped it */
    if (announced <= 0 && http_result_header(r, "content-length", cl, sizeof cl)) {
      char *end;
      long long v = strtoll(cl, &end, 10);
      if (end != cl && *end == '\0' && v > 0) announced = (curl_off_t)v;
    }
    r->size = announced > 0 ? (double)announced : -1;
    if (announced > 0)
      snprintf(r->error, sizeof r->error, "the response is %lld bytes, more than the %zu-byte limit",
               (long long)announced, q->p.max_body);
    else
      snprintf(r->error, sizeof r->error, "the response is more than the %zu-byte limit (reading stopped there)",
               q->p.max_body);
  } else {
    r->outcome = never_sent(q, code) ? HTTP_NOT_SENT : HTTP_UNKNOWN;
    bool tls = code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
               code == CURLE_SSL_CERTPROBLEM;
    snprintf(r->error, sizeof r->error, "%s%.200s", tls ? "TLS: the server's certificate was not accepted: " : "",
             q->errbuf[0] ? q->errbuf : curl_easy_strerror(code));
    size_t n = strlen(r->error);
    while (n && (r->error[n - 1] == '\n' || r->error[n - 1] == '\r')) r->error[--n] = '\0';
  }
  if (r->error[0]) http_redact(r->error, sizeof r->error, q->c->bearer);
  if (q->p.observe) q->p.observe(q->p.ud, r);

  bool retry = false;
  switch (r->outcome) {
    case HTTP_RESPONSE:
      retry = q->p.retry_response ? q->p.retry_response(q->p.ud, r) : default_retry_response(r);
      break;
    case HTTP_NOT_SENT: retry = !permanent_failure(code); break;
    case HTTP_UNKNOWN: retry = q->p.resend_unknown && !r->too_large && !permanent_failure(code); break;
    case HTTP_LOCAL: retry = false; break;
  }
  if (retry && r->attempts < q->p.max_attempts) {
    double delay = http_backoff(r->attempts, q->p.base_delay, q->p.max_delay, r->retry_after,
                                rand_unit(&q->c->rng));
    if (!q->p.deadline || loop_now() + delay < q->p.deadline) {
      loop_timer_start(q->c->lp, &q->timer, delay, attempt, q);
      return;
    }
  }
  finish(q);
}

http_req *http_request(http_client *c, const char *method, const char *url, const char *body,
                       size_t body_len, const http_policy *p, http_done_fn done, void *ud) {
  http_req *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->c = c;
  q->done = done;
  q->ud = ud;
  q->p = *p;
  if (q->p.max_attempts < 1) q->p.max_attempts = 1;
  if (q->p.base_delay <= 0) q->p.base_delay = 0.5;
  if (q->p.max_delay <= 0) q->p.max_delay = 30;
  if (q->p.timeout <= 0) q->p.timeout = 30;
  if (!q->p.max_body) q->p.max_body = 1 << 20;
  q->r.retry_after = -1;
  q->method = strdup(method);
  q->url = strdup(url);
  if (body) {
    q->body = malloc(body_len + 1);
    if (q->body) {
      memcpy(q->body, body, body_len);
      q->body[body_len] = '\0';
    }
    q->body_len = body_len;
  }
  q->next = c->live;
  if (c->live) c->live->prev = q;
  c->live = q;
  if (!q->method || !q->url || (body && !q->body)) {
    req_free(q);
    return NULL;
  }
  q->t_first = loop_now();
  char origin[512], why[128];
  if (!http_url_allowed(url, why, sizeof why) ||
      !url_origin(url, origin, sizeof origin, &q->https, &q->loopback)) {
    q->r.outcome = HTTP_LOCAL;
    snprintf(q->r.error, sizeof q->r.error, "refused URL: %s", why);
    loop_timer_start(c->lp, &q->timer, 0, finish_cb, q);
    return q;
  }
  q->with_auth = c->auth_origin && strcmp(origin, c->auth_origin) == 0;
  q->x.easy = curl_easy_init();
  if (q->x.easy) live_requests++;
  if (!q->x.easy || !set_headers(q)) {
    req_free(q);
    return NULL;
  }
  /* Never call back from inside http_request: the first attempt starts next turn. */
  loop_timer_start(c->lp, &q->timer, 0, attempt, q);
  return q;
}
