/* fashn_fetch.c — a completed prediction's outputs into bytes in hand: CDN URLs are
 * downloaded (https, or http to loopback; bounded; retried, and a truncated image is
 * retried too), data: URIs are decoded, the "<base64>_expired" marker is an error. What
 * each output is and whether its bytes are acceptable is fashn_status.c's to say. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fashn_fetch.h"

void fashn_cancel_fetches(fashn_job *j) {
  for (int i = 0; i < j->fetch.nouts; i++) {
    if (j->fetch.outs[i].req) http_cancel(j->fetch.outs[i].req);
    j->fetch.outs[i].req = NULL;
  }
}

/* Output i is in hand: the journal stores it now, before anything else can go wrong
 * (a base64 output is only served for 60 minutes). */
static void got_output(fashn_job *j, int i) {
  fashn_out *o = &j->fetch.outs[i];
  o->have = true;
  j->fetch.fetched++;
  if (j->hooks.output) {
    fashn_output out = {o->bytes, o->len, o->format, o->source};
    j->hooks.output(j->hooks.ud, i, &out);
  }
}

void fashn_forget_outputs(fashn_job *j) {
  fashn_cancel_fetches(j);
  for (int i = 0; i < j->fetch.nouts; i++) {
    free(j->fetch.outs[i].bytes);
    free(j->fetch.outs[i].source);
    memset(&j->fetch.outs[i], 0, sizeof j->fetch.outs[i]);
  }
  j->fetch.nouts = j->fetch.fetched = 0;
}

/* Fails the job for output i, which could not be taken: st and why from fashn_status.c. */
static void output_refused(fashn_job *j, int i, fashn_decode_status st, const char *why) {
  if (st == FASHN_DECODE_TOO_LARGE)
    fashn_fail(j, "OutputTooLarge", 200, false, "output %d of prediction %s is refused: %s", i + 1, j->id, why);
  else if (st == FASHN_DECODE_BAD_URI)
    fashn_fail(j, "BadOutput", 200, false, "output %d of prediction %s is a bad data: URI: %s", i + 1, j->id, why);
  else if (st == FASHN_DECODE_INCOMPLETE)
    fashn_fail(j, "BadOutput", 200, false,
               "output %d of prediction %s does not decode to a complete PNG, JPEG or WebP image", i + 1, j->id);
  else
    fashn_fail(j, "BadOutput", 200, false, "output %d of prediction %s is not an image atelier can read: %s", i + 1,
               j->id, why);
}

/* An output is complete: its header must also be one atelier can decode, within the
 * pixel limit (a header declaring 50000x50000 is a decompression bomb, not a picture).
 * False when the job failed. */
static bool header_ok(fashn_job *j, int i, const void *p, size_t n) {
  char why[200];
  fashn_decode_status st = fashn_output_check(p, n, j->c->cfg.max_output_bytes, why, sizeof why);
  if (st == FASHN_DECODED) return true;
  output_refused(j, i, st, why);
  return false;
}

static void maybe_finish(fashn_job *j) {
  if (j->state != FASHN_JOB_FETCHING || j->fetch.fetched < j->fetch.nouts) return;
  fashn_finish(j);
}

static double download_gate(void *ud) {
  fashn_job *j = ud;
  if (j->c) j->c->st.downloads++;
  return 0;
}

static bool download_retry(void *ud, const http_result *r) {
  (void)ud;
  if (r->status == 408 || r->status == 429 || r->status >= 500) return true;
  if (r->status != 200) return false;
  char fmt[8];
  return !fashn_output_complete((const unsigned char *)r->body.data, r->body.len, fmt, sizeof fmt);
}

static void download_done(http_req *req, http_result *r, void *ud) {
  fashn_job *j = ud;
  int i = 0;
  while (i < j->fetch.nouts && j->fetch.outs[i].req != req) i++;
  if (i == j->fetch.nouts) return;
  fashn_out *o = &j->fetch.outs[i];
  o->req = NULL;
  if (r->too_large) { /* refused unread (Content-Length) or cut off at the limit */
    fashn_fail(j, "OutputTooLarge", 200, false,
               "output %d of prediction %s is refused: %s (max_output_bytes; raise it and run again to "
               "fetch it by id)",
               i + 1, j->id, r->error);
    return;
  }
  if (r->outcome != HTTP_RESPONSE || r->status != 200) {
    if (r->outcome == HTTP_RESPONSE)
      fashn_fail(j, "OutputDownloadFailed", (int)r->status, true,
                 "output %d of prediction %s could not be downloaded: HTTP %ld after %d attempt%s", i + 1,
                 j->id, r->status, r->attempts, r->attempts == 1 ? "" : "s");
    else
      fashn_fail(j, "OutputDownloadFailed", 0, true,
                 "output %d of prediction %s could not be downloaded after %d attempt%s: %s", i + 1,
                 j->id, r->attempts, r->attempts == 1 ? "" : "s", r->error);
    return;
  }
  if (!fashn_output_complete((const unsigned char *)r->body.data, r->body.len, o->format, sizeof o->format)) {
    fashn_fail(j, "OutputDownloadFailed", 200, true,
               "output %d of prediction %s is not a complete PNG, JPEG or WebP image (%zu bytes, "
               "after %d attempt%s)",
               i + 1, j->id, r->body.len, r->attempts, r->attempts == 1 ? "" : "s");
    return;
  }
  if (!header_ok(j, i, r->body.data, r->body.len)) return;
  o->bytes = (unsigned char *)buf_take(&r->body, &o->len);
  got_output(j, i);
  maybe_finish(j);
}

static bool decode_data_uri(fashn_job *j, int i, const char *s, size_t len) {
  fashn_out *o = &j->fetch.outs[i];
  buf b = BUF_INIT;
  char why[200];
  fashn_decode_status st =
      fashn_output_decode(s, len, j->c->cfg.max_output_bytes, &b, o->format, sizeof o->format, why, sizeof why);
  if (st != FASHN_DECODED) {
    output_refused(j, i, st, why);
    return false;
  }
  o->bytes = (unsigned char *)buf_take(&b, &o->len);
  got_output(j, i);
  return true;
}

void fashn_fetch_outputs(fashn_job *j, const json_value *output) {
  fashn_client *c = j->c;
  size_t n = output->u.arr.n;
  j->fetch.nouts = (int)n;
  j->fetch.fetched = 0;
  for (size_t i = 0; i < n && j->state == FASHN_JOB_FETCHING; i++) {
    const json_value *v = &output->u.arr.items[i];
    const char *s = json_str(v);
    size_t len = s ? v->u.str.len : 0;
    char why[160];
    fashn_output_kind kind = fashn_output_classify(s, len, why, sizeof why);
    if (kind == FASHN_OUTPUT_NOT_STRING) {
      fashn_fail(j, "BadResponse", 200, false, "output %zu of prediction %s is not a string", i + 1, j->id);
      return;
    }
    if (kind == FASHN_OUTPUT_EXPIRED) {
      if (fashn_rebuy_gone(j, "its base64 outputs have expired at the API")) return;
      fashn_fail(j, "OutputExpired", 200, false,
                 "output %zu of prediction %s has expired (base64 outputs live 60 minutes)", i + 1, j->id);
      return;
    }
    if (kind == FASHN_OUTPUT_DATA_URI) {
      if (!decode_data_uri(j, (int)i, s, len)) return;
      continue;
    }
    if (kind == FASHN_OUTPUT_URL && strlen(s) != len) {
      kind = FASHN_OUTPUT_BAD_URL;
      snprintf(why, sizeof why, "it holds a NUL byte");
    }
    if (kind == FASHN_OUTPUT_URL && http_has_secret(s, c->api_key)) { /* it would be journaled */
      kind = FASHN_OUTPUT_BAD_URL;
      snprintf(why, sizeof why, "it holds the API key");
    }
    if (kind != FASHN_OUTPUT_URL) {
      fashn_fail(j, "BadOutput", 200, false, "output %zu of prediction %s is not a usable URL: %s", i + 1,
                 j->id, why);
      return;
    }
    j->fetch.outs[i].source = strdup(s);
    /* The image is paid for: worth about a minute of retries (0.5, 1, 2, 4, then 8 s
     * apart), not the five attempts that once gave up on one in 3000 downloads when a
     * fifth of the connections dropped. */
    http_policy p = {.max_attempts = 10, .base_delay = 0.5, .max_delay = 8, .timeout = c->cfg.download_timeout,
                     .max_body = c->cfg.max_output_bytes, .resend_unknown = true,
                     .retry_response = download_retry, .gate = download_gate, .ud = j};
    j->fetch.outs[i].req = j->fetch.outs[i].source ? http_request(c->http, "GET", s, NULL, 0, &p, download_done, j) : NULL;
    if (!j->fetch.outs[i].req) {
      fashn_fail(j, "OutOfMemory", 0, true, "out of memory starting a download");
      return;
    }
  }
  maybe_finish(j);
}
