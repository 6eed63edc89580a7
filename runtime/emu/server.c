/* server.c — fashn-emu's HTTP side on libmicrohttpd: start/stop on 127.0.0.1 (HTTPS with
 * --tls-cert/--tls-key), read each request (bounded body), hand it to api.c, and inject
 * the transport faults (dropped connections, 429s, 500/503, slow and malformed answers,
 * truncated downloads). */
#include <arpa/inet.h>
#include <errno.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "emu_internal.h"
#include "../lazy/lazy.h"

typedef struct conn_ctx {
  emu_endpoint ep;
  buf body;
  size_t received;
  bool oversized;
  bool drop_after;
} conn_ctx;

/* A request body past this many times --max-body is not even drained: the connection is
 * closed, so a runaway client cannot keep a thread busy forever. */
#define DRAIN_FACTOR 8

static void count_fault(emu *e, const char *name) {
  pthread_mutex_lock(&e->mu);
  emu_count(&e->stats.faults, name, 1);
  pthread_mutex_unlock(&e->mu);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

typedef struct cut_body {
  char *data;
  size_t cut;
} cut_body;

static ssize_t cut_reader(void *cls, uint64_t pos, char *out, size_t max) {
  cut_body *c = cls;
  if (pos >= c->cut) return MHD_CONTENT_READER_END_WITH_ERROR; /* promise broken: close */
  size_t n = c->cut - (size_t)pos;
  if (n > max) n = max;
  memcpy(out, c->data + pos, n);
  return (ssize_t)n;
}

static void cut_free(void *cls) {
  cut_body *c = cls;
  free(c->data);
  free(c);
}

/* Garbles a JSON answer the ways proxies and crashing servers do: cut in the middle,
 * or replaced with something that is not JSON at all. */
static void garble(emu_reply *rp, emu_fault_variant kind, uint64_t bits) {
  bool cut = kind == EMU_AFTER_OR_TRUNCATED || (kind == EMU_EITHER && (bits & 1));
  if (cut && rp->body.len > 2) {
    rp->body.len /= 2;
    rp->body.data[rp->body.len] = '\0';
  } else {
    buf_reset(&rp->body);
    buf_append_str(&rp->body, "{\"id\": \"<html>502 Bad Gateway</html>");
  }
}

static enum MHD_Result send_reply(emu *e, struct MHD_Connection *c, conn_ctx *x, emu_reply *rp) {
  bool faultable = emu_fault_endpoint(&e->faults, x->ep);
  uint64_t bits = 0;
  bool malformed = false, truncated = false, slow = false;
  if (faultable) {
    pthread_mutex_lock(&e->mu);
    if (rp->json && rp->status == 200)
      malformed = emu_fault_roll(&e->faults, FK_MALFORMED, e->cfg.malformed_rate, &bits);
    if (malformed) {
      garble(rp, e->faults.malformed_kind, bits);
      emu_count(&e->stats.faults, "malformed", 1);
    }
    if (rp->download) truncated = emu_fault_roll(&e->faults, FK_TRUNCATE, e->cfg.truncate_rate, &bits);
    if (e->cfg.slow_ms > 0) slow = emu_fault_roll(&e->faults, FK_SLOW, e->cfg.slow_rate, NULL);
    if (slow) emu_count(&e->stats.faults, "slow", 1);
    pthread_mutex_unlock(&e->mu);
    if (slow) sleep_ms(e->cfg.slow_ms); /* a thread per connection: only this one waits */
  }
  if (rp->body.oom) return MHD_NO;
  size_t len = rp->body.len;
  char *data = buf_take(&rp->body, &len);
  struct MHD_Response *r;
  if (truncated && len > 1) {
    cut_body *cb = malloc(sizeof *cb);
    if (!cb) {
      free(data);
      return MHD_NO;
    }
    cb->data = data;
    cb->cut = len / 2 + (size_t)(bits % (len / 2));
    r = MHD_create_response_from_callback(len, 64 * 1024, cut_reader, cb, cut_free);
    if (!r) cut_free(cb);
    count_fault(e, "truncated");
  } else {
    r = MHD_create_response_from_buffer(len, data ? data : (void *)"", data ? MHD_RESPMEM_MUST_FREE
                                                                          : MHD_RESPMEM_PERSISTENT);
    if (!r) free(data);
  }
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", rp->content_type ? rp->content_type : "application/json");
  if (rp->retry_after[0]) MHD_add_response_header(r, "Retry-After", rp->retry_after);
  if (rp->credits_used[0]) MHD_add_response_header(r, "x-fashn-credits-used", rp->credits_used);
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)rp->status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)version;
  emu *e = cls;
  conn_ctx *x = *con_cls;
  if (!x) {
    if (!(x = calloc(1, sizeof *x))) return MHD_NO;
    *con_cls = x;
    x->ep = emu_route(method, url);
    if (emu_fault_endpoint(&e->faults, x->ep)) {
      pthread_mutex_lock(&e->mu);
      bool drop = emu_fault_roll(&e->faults, FK_DROP, e->cfg.drop_rate, NULL);
      bool after = drop && emu_fault_roll(&e->faults, FK_DROP_WHEN, 0.5, NULL);
      if (drop && e->faults.drop_when != EMU_EITHER) after = e->faults.drop_when == EMU_AFTER_OR_TRUNCATED;
      if (drop) emu_count(&e->stats.faults, after ? "drop_after" : "drop_before", 1);
      pthread_mutex_unlock(&e->mu);
      if (drop && !after) return MHD_NO; /* closed before the body was read */
      x->drop_after = after;
    }
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    x->received += n;
    if (x->received > e->cfg.max_body) {
      x->oversized = true;
      buf_free(&x->body);
      if (x->received / DRAIN_FACTOR > e->cfg.max_body) return MHD_NO;
    } else {
      buf_append(&x->body, upload_data, n);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }

  /* The whole request is here. */
  if (x->drop_after && x->ep != EP_RUN) return MHD_NO;
  emu_reply rp = {0};
  if (x->body.oom) {
    emu_reply_error(&rp, 500, "InternalServerError", "out of memory");
  } else if (emu_fault_endpoint(&e->faults, x->ep)) {
    uint64_t bits;
    pthread_mutex_lock(&e->mu);
    /* A 429 before the request is handled: nothing is created, as with the real limits.
     * ConcurrencyLimitExceeded and OutOfCredits only exist for /v1/run; CDN downloads
     * are not the API and have no such answers. */
    const char *n429 = e->faults.http429_name;
    bool applies = x->ep == EP_RUN || (x->ep != EP_CDN && !strcmp(n429, "RateLimitExceeded"));
    if (applies && emu_fault_roll(&e->faults, FK_HTTP429, e->cfg.http429_rate, NULL)) {
      emu_count(&e->stats.faults, "http_429", 1);
      if (x->ep == EP_RUN) emu_count(&e->stats.run_refused, n429, 1);
      /* No Retry-After: the contract documents none, so clients must back off on their own. */
      emu_reply_error(&rp, 429, n429, "emulated refusal (fashn-emu --http-429-rate)");
    }
    bool fault = !rp.status && emu_fault_roll(&e->faults, FK_HTTP500, e->cfg.http500_rate, &bits);
    if (fault) {
      emu_count(&e->stats.faults, bits & 1 ? "http_503" : "http_500", 1);
      if (x->ep == EP_RUN) emu_count(&e->stats.run_refused, bits & 1 ? "ServiceUnavailable" : "InternalServerError", 1);
    }
    pthread_mutex_unlock(&e->mu);
    if (fault && (bits & 1)) {
      /* What a load balancer in front of the service sends: not the API's JSON. */
      rp.status = 503;
      rp.content_type = "text/html";
      buf_append_str(&rp.body, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n");
    } else if (fault) {
      emu_reply_error(&rp, 500, "InternalServerError", "emulated server fault (fashn-emu --http-500-rate)");
    }
  }
  if (!rp.status) {
    emu_request rq = {
        .method = method,
        .path = url,
        .auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .webhook_url = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "webhook_url"),
        .body = x->body.data,
        .body_len = x->body.len,
        .oversized = x->oversized,
        .ep = x->ep,
    };
    emu_handle(e, &rq, &rp);
  }
  if (e->cfg.verbose) fprintf(stderr, "fashn-emu: %s %s -> %d\n", method, url, rp.status);
  enum MHD_Result ret = MHD_NO;
  if (!x->drop_after) ret = send_reply(e, c, x, &rp); /* else: the answer is lost */
  buf_free(&rp.body);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)c, (void)toe;
  conn_ctx *x = *con_cls;
  if (!x) return;
  buf_free(&x->body);
  free(x);
  *con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap) {
  emu *e = cls;
  if (!e->cfg.verbose) return; /* dropped connections are deliberate; stay quiet */
  fputs("fashn-emu (microhttpd): ", stderr);
  vfprintf(stderr, fmt, ap);
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

/* A listening TCP socket on 127.0.0.1:port (0 = the OS chooses); *bound gets the port.
 * Never on another address: the emulator must not be reachable from another host. */
static int listen_loopback(int port, int *bound, char *err, size_t errlen) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* restart after TIME_WAIT */
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 128) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
    snprintf(err, errlen, "cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
    close(fd);
    return -1;
  }
  *bound = ntohs(addr.sin_port);
  return fd;
}

/* Reads a whole file (at most max bytes) into out, NUL-terminated. */
static bool read_file(const char *flag, const char *path, size_t max, buf *out, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "--%s %s: %s", flag, path, strerror(errno));
    return false;
  }
  char chunk[65536];
  size_t n;
  bool ok = true;
  while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (out->len + n > max) {
      snprintf(err, errlen, "--%s %s: larger than %zu bytes", flag, path, max);
      ok = false;
    } else if (!buf_append(out, chunk, n)) {
      snprintf(err, errlen, "--%s %s: out of memory", flag, path);
      ok = false;
    }
  }
  if (ok && ferror(f)) {
    snprintf(err, errlen, "--%s %s: read error", flag, path);
    ok = false;
  }
  fclose(f);
  if (ok && !out->len) {
    snprintf(err, errlen, "--%s %s: the file is empty", flag, path);
    ok = false;
  }
  if (ok && !buf_append_char(out, '\0')) ok = false;
  if (ok) out->len--; /* the NUL stays after the bytes, for the PEM readers */
  return ok;
}

emu *emu_start(const emu_config *c, char *err, size_t errlen) {
  if (c->time_scale < 0 || c->port < 0 || c->port > 65535 || c->render_threads < 1 || c->max_body < 1) {
    snprintf(err, errlen, "invalid configuration (time_scale >= 0, port 0..65535, render_threads >= 1)");
    return NULL;
  }
  /* It serves, fetches reference images, draws and encodes its placeholder outputs. */
  if (!lazy_need(LAZY_FOR_SERVER | LAZY_FOR_HTTP | LAZY_FOR_PAGE | LAZY_FOR_PNG | LAZY_FOR_JPEG | LAZY_FOR_WEBP, err,
                 errlen))
    return NULL;
  emu *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  e->cfg = *c;
  e->api_key = dup_or_null(c->api_key);
  e->fail_names = dup_or_null(c->fail_names);
  e->fault_endpoints = dup_or_null(c->fault_endpoints);
  e->http429_name = dup_or_null(c->http429_name);
  e->drop_when = dup_or_null(c->drop_when);
  e->malformed_kind = dup_or_null(c->malformed_kind);
  e->cfg.api_key = e->api_key;
  e->cfg.fail_names = e->fail_names;
  e->cfg.fault_endpoints = e->fault_endpoints;
  e->cfg.http429_name = e->http429_name;
  e->cfg.drop_when = e->drop_when;
  e->cfg.malformed_kind = e->malformed_kind;
  e->fail_message = dup_or_null(c->fail_message);
  e->echo_key = dup_or_null(c->echo_key);
  e->cfg.fail_message = e->fail_message;
  e->cfg.echo_key = e->echo_key;
  e->cfg.output_file = e->cfg.tls_cert = e->cfg.tls_key = e->cfg.status_body = e->cfg.run_body = NULL;
  e->balance = c->credits;
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->engine_cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&e->render_cv, NULL);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (!emu_window_init(&e->win[EP_RUN], c->run_limit, c->run_window) ||
      !emu_window_init(&e->win[EP_STATUS], c->status_limit, c->status_window) ||
      !emu_window_init(&e->win[EP_CREDITS], c->credits_limit, c->credits_window)) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  if (!emu_faults_init(&e->faults, &e->cfg, err, errlen)) goto fail;
  if (c->output_file && !read_file("output-file", c->output_file, (size_t)1 << 30, &e->output_file, err, errlen))
    goto fail;
  if (c->run_body && !read_file("run-body", c->run_body, (size_t)1 << 30, &e->run_body, err, errlen))
    goto fail;
  if (c->status_body && !read_file("status-body", c->status_body, (size_t)1 << 30, &e->status_body, err, errlen))
    goto fail;
  if (c->echo_key && strcmp(c->echo_key, "id") != 0 && strcmp(c->echo_key, "error") != 0) {
    snprintf(err, errlen, "--echo-key: '%s' is not one of id, error", c->echo_key);
    goto fail;
  }
  if (c->echo_key && (!c->api_key || !*c->api_key)) {
    snprintf(err, errlen, "--echo-key needs --api-key (the key it leaks)");
    goto fail;
  }
  if (!c->tls_cert != !c->tls_key) {
    snprintf(err, errlen, "--tls-cert and --tls-key go together");
    goto fail;
  }
  if (c->tls_cert) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      snprintf(err, errlen, "this libmicrohttpd was built without TLS support");
      goto fail;
    }
    if (!read_file("tls-cert", c->tls_cert, 1 << 20, &e->tls_cert, err, errlen) ||
        !read_file("tls-key", c->tls_key, 1 << 20, &e->tls_key, err, errlen))
      goto fail;
  }
  /* The socket is bound before any thread starts, so the port and URL every thread reads
   * are settled first and the OS-chosen port is known without asking the daemon. */
  int fd = listen_loopback(c->port, &e->port, err, errlen);
  if (fd < 0) goto fail;
  snprintf(e->url, sizeof e->url, "%s://127.0.0.1:%d", e->tls_cert.len ? "https" : "http", e->port);
  if (!emu_engine_start(e, err, errlen) || !emu_workers_start(e, err, errlen)) {
    close(fd);
    goto fail;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (e->tls_cert.len) {
    e->daemon = MHD_start_daemon(
        flags | MHD_USE_TLS, 0, NULL, NULL, on_request, e, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, e, MHD_OPTION_EXTERNAL_LOGGER, on_log, e,
        MHD_OPTION_HTTPS_MEM_CERT, e->tls_cert.data, MHD_OPTION_HTTPS_MEM_KEY, e->tls_key.data, MHD_OPTION_END);
  } else {
    e->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, e, MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)120, MHD_OPTION_NOTIFY_COMPLETED, on_completed, e,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_log, e, MHD_OPTION_END);
  }
  if (!e->daemon) {
    close(fd);
    snprintf(err, errlen, "cannot start the HTTP server on %s%s", e->url,
             e->tls_cert.len ? " (is --tls-key the key of --tls-cert, both PEM?)" : "");
    goto fail;
  }
  return e;
fail:
  emu_stop(e);
  return NULL;
}

int emu_port(const emu *e) { return e->port; }
const char *emu_url(const emu *e) { return e->url; }

bool emu_stats_json(emu *e, buf *out) {
  pthread_mutex_lock(&e->mu);
  emu_advance(e, emu_now());
  emu_stats_write(e, out);
  pthread_mutex_unlock(&e->mu);
  return !out->oom;
}

void emu_stop(emu *e) {
  if (!e) return;
  if (e->daemon) MHD_stop_daemon(e->daemon); /* waits for every connection thread */
  pthread_mutex_lock(&e->mu);
  __atomic_store_n(&e->stopping, true, __ATOMIC_RELAXED); /* workers peek between images */
  pthread_cond_broadcast(&e->engine_cv);
  pthread_cond_broadcast(&e->render_cv);
  pthread_mutex_unlock(&e->mu);
  emu_engine_join(e);
  emu_workers_join(e);
  emu_preds_free(e);
  for (int i = 0; i < EP_COUNT; i++) emu_window_free(&e->win[i]);
  emu_faults_free(&e->faults);
  curl_global_cleanup();
  pthread_cond_destroy(&e->engine_cv);
  pthread_cond_destroy(&e->render_cv);
  pthread_mutex_destroy(&e->mu);
  free(e->api_key);
  free(e->fail_names);
  free(e->fault_endpoints);
  free(e->http429_name);
  free(e->drop_when);
  free(e->malformed_kind);
  buf_free(&e->output_file);
  buf_free(&e->status_body);
  buf_free(&e->run_body);
  free(e->fail_message);
  free(e->echo_key);
  if (e->tls_key.data) memset(e->tls_key.data, 0, e->tls_key.len); /* a test key, but still a key */
  buf_free(&e->tls_cert);
  buf_free(&e->tls_key);
  free(e);
}
