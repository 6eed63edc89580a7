/* fetch.c — the only outgoing HTTP fashn-emu does: fetching input images and posting
 * webhooks, both restricted to loopback addresses so the emulator never contacts another
 * host (tests serve their images and receive their webhooks on 127.0.0.1). */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../io/netaddr.h"
#include "emu_internal.h"

/* The program's one loopback rule (netaddr.h): 127.0.0.0/8 as a dotted quad, [::1], localhost. */
bool emu_is_loopback_url(const char *url) { return net_url_is_loopback(url); }

typedef struct sink {
  buf *out;
  size_t max;
  bool too_big;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
  sink *s = ud;
  size_t len = size * n;
  if (s->out->len + len > s->max) {
    s->too_big = true;
    return 0; /* aborts the transfer */
  }
  return buf_append(s->out, p, len) ? len : 0;
}

/* Common options: loopback only (checked by the caller), no redirects (they could lead
 * elsewhere), http(s) only, short timeouts, no signals (we run on worker threads). */
static CURL *easy_new(const char *url, char *errbuf) {
  CURL *h = curl_easy_init();
  if (!h) return NULL;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "fashn-emu");
  return h;
}

bool emu_fetch_image(const char *url, size_t max, buf *out, char *err, size_t errlen) {
  if (!emu_is_loopback_url(url)) {
    snprintf(err, errlen, "cannot fetch %.80s: fashn-emu only fetches loopback URLs", url);
    return false;
  }
  char cerr[CURL_ERROR_SIZE] = "";
  CURL *h = easy_new(url, cerr);
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  sink s = {out, max, false};
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  char *ctype = NULL;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
  bool ok = false;
  if (s.too_big) snprintf(err, errlen, "%.80s: image larger than %zu bytes", url, max);
  else if (rc != CURLE_OK) snprintf(err, errlen, "%.80s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
  else if (code != 200) snprintf(err, errlen, "%.80s: HTTP %ld", url, code);
  else if (!ctype || strncasecmp(ctype, "image/", 6) != 0)
    snprintf(err, errlen, "%.80s: Content-Type %.40s is not an image type", url, ctype ? ctype : "(none)");
  else ok = true;
  curl_easy_cleanup(h);
  return ok;
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p, (void)ud;
  return size * n;
}

bool emu_post_json(const char *url, const char *body, size_t len, char *err, size_t errlen) {
  if (!emu_is_loopback_url(url)) {
    snprintf(err, errlen, "refusing a webhook to a non-loopback URL");
    return false;
  }
  char cerr[CURL_ERROR_SIZE] = "";
  CURL *h = easy_new(url, cerr);
  if (!h) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  bool ok = rc == CURLE_OK && code >= 200 && code < 300;
  if (!ok) {
    if (rc != CURLE_OK) snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
    else snprintf(err, errlen, "HTTP %ld", code);
  }
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  return ok;
}
