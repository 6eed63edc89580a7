/* http.h — HTTP requests on the event loop (libcurl multi through loop_xfer): bounded
 * responses, timeouts, TLS always verified (plain http only to loopback), connection
 * reuse (HTTP/2 where offered), retries with exponential backoff + jitter honouring
 * Retry-After, and an honest account of whether a failed request may have had an effect.
 * The bearer token is sent only to its own origin and scrubbed from every message. */
#ifndef ATELIER_HTTP_H
#define ATELIER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "loop.h"

typedef struct http_client http_client;
typedef struct http_req http_req;

typedef struct http_settings {
  const char *user_agent;   /* NULL = "atelier/<version>" */
  const char *bearer;       /* secret; sent as Authorization only to auth_origin */
  const char *auth_origin;  /* "scheme://host[:port]" the bearer belongs to, or NULL */
  double connect_timeout;   /* seconds per attempt (default 10) */
  const char *cainfo;       /* CA bundle path, NULL = system default */
} http_settings;

/* Creates a client bound to lp; copies every string. NULL with errbuf on failure. */
http_client *http_client_new(loop *lp, const http_settings *s, char *errbuf, size_t errlen);
/* Cancels every live request (their callbacks are not called) and frees c. */
void http_client_free(http_client *c);

/* What became of a request, as far as anyone can know. */
typedef enum {
  HTTP_RESPONSE,   /* a complete response arrived (any status) */
  HTTP_NOT_SENT,   /* failed before a connection opened: it certainly had no effect */
  HTTP_UNKNOWN,    /* failed after the request (or part of it) went out: effect unknown */
  HTTP_LOCAL,      /* refused locally (bad URL, disallowed scheme, out of memory): never sent */
} http_outcome;

typedef struct http_result {
  http_outcome outcome;
  long status;              /* HTTP status for HTTP_RESPONSE, else 0 */
  buf body;                 /* the response body (bounded); the callback may steal it */
  buf headers;              /* raw response header lines of the final response */
  double retry_after;       /* seconds from Retry-After, or -1 */
  bool too_large;           /* the body went past max_body (outcome is HTTP_UNKNOWN); at most
                               max_body bytes were ever held */
  double size;              /* with too_large: the size the server announced, or -1 */
  int curl_code;            /* CURLcode of the last attempt (0 when it completed) */
  int attempts;             /* attempts made so far, this one included */
  double elapsed;           /* seconds from the first attempt's start */
  char error[256];          /* what went wrong, without any secret ("" when fine) */
} http_result;

/* Copies the value of response header `name` (case-insensitive) into out; false when
 * absent. */
bool http_result_header(const http_result *r, const char *name, char *out, size_t outlen);

/* How a request is retried. Everything is optional (zero = defaults). */
typedef struct http_policy {
  int max_attempts;        /* total attempts (default 1: no retry) */
  double base_delay;       /* first backoff (default 0.5 s); doubles per attempt */
  double max_delay;        /* backoff cap (default 30 s); Retry-After is capped at 300 s */
  double deadline;         /* loop_now() time after which no new attempt starts; 0 = none */
  double timeout;          /* seconds per attempt (default 30) */
  size_t max_body;         /* response bound in bytes (default 1 MiB) */
  bool resend_unknown;     /* resend after HTTP_UNKNOWN (only for idempotent requests) */
  bool fresh_connect;      /* never reuse a connection: curl silently resends a request
                              whose reused connection died, which a POST must not allow */
  /* For HTTP_RESPONSE: true to retry (default: 408, 429, 5xx). */
  bool (*retry_response)(void *ud, const http_result *r);
  /* Before every attempt: seconds to wait before it may go (0 = now). A limiter hook. */
  double (*gate)(void *ud);
  /* After every attempt, before the retry decision: for counters and logs. */
  void (*observe)(void *ud, const http_result *r);
  void *ud;
} http_policy;

/* Called once when the request is finished (no retry left or none wanted). The result
 * and the request are freed when it returns; steal r->body with buf_take if needed. */
typedef void (*http_done_fn)(http_req *req, http_result *r, void *ud);

/* Starts a GET (body NULL) or a POST with a JSON body (copied). Returns NULL only when
 * out of memory; a bad URL is reported through done with HTTP_LOCAL on a later turn. */
http_req *http_request(http_client *c, const char *method, const char *url, const char *body,
                       size_t body_len, const http_policy *p, http_done_fn done, void *ud);

/* Cancels a live request; done is not called. */
void http_cancel(http_req *req);

/* The delay before attempt n+1 after n failed ones: min(max, base * 2^(n-1)) with
 * "equal jitter" (half fixed, half random), or retry_after (+ up to 10% jitter) when
 * the server gave one. rnd is a uniform number in [0, 1). */
double http_backoff(int n, double base, double max, double retry_after, double rnd);

/* True when the request failed because the server's TLS certificate could not be
 * verified (unknown CA, wrong host name, expired) or the CA file is unusable: no retry
 * helps, and nothing was sent over that connection. */
bool http_tls_refused(const http_result *r);

/* True when URL may be fetched: https anywhere, http only to a loopback host. Fills
 * why otherwise. */
bool http_url_allowed(const char *url, char *why, size_t whylen);

/* Replaces every occurrence of secret (6 bytes or longer) in s (NUL-terminated, edited in
 * place) with "[redacted]" (truncating when it does not fit) and removes URL
 * user:password parts. Also redacted: the secret as fashn_status_sanitize would write it
 * (other bytes than [A-Za-z0-9_] as '_'), and a piece of 4 or more of its first bytes that
 * ends s (what is left of it after someone cut the text short). */
void http_redact(char *s, size_t cap, const char *secret);

/* The same on a string of any length: a malloc'd redacted copy (NULL when out of memory).
 * Redact before cutting text short, so no piece of the secret survives the cut. */
char *http_redact_dup(const char *s, const char *secret);

/* True when s holds secret (6 bytes or longer) in either form http_redact removes. */
bool http_has_secret(const char *s, const char *secret);

/* Number of live requests (curl easy handles) of all clients: for leak checks. */
long http_live_requests(void);

#endif
