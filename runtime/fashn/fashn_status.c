/* fashn_status.c — reads a GET /v1/status/{id} answer and its outputs without a job:
 * the pure half of polling and fetching (fashn_poll.c and fashn_fetch.c act on it), and
 * the error body any API answer may carry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/base64.h"
#include "../api/fashn_inputs.h"
#include "fashn_status.h"
#include "../io/http.h"
#include "../image/image.h"
#include "../base/textsafe.h"

bool fashn_id_valid(const char *id, size_t len) {
  if (!id || len == 0 || len > FASHN_ID_MAX) return false;
  if ((len == 1 && id[0] == '.') || (len == 2 && id[0] == '.' && id[1] == '.')) return false;
  for (size_t i = 0; i < len; i++) {
    char ch = id[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
          ch == '_' || ch == '.'))
      return false; /* unreserved URL characters only: nothing that changes the request */
  }
  return true;
}

/* Copies server text into out (cap bytes): redacted while whole, then cut. */
static void copy_redacted(char *out, size_t cap, const char *s, const char *secret) {
  char *r = http_redact_dup(s, secret);
  snprintf(out, cap, "%s", r ? r : "");
  free(r);
}

bool fashn_status_retry_worthy(const char *name) {
  static const char *const names[] = {"ThirdPartyError", "UnavailableError", "PipelineError",
                                      "InternalServerError", NULL};
  for (int i = 0; names[i]; i++)
    if (strcmp(name, names[i]) == 0) return true;
  return false;
}

void fashn_status_sanitize(char *s) {
  for (char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
      *p = '_';
}

/* status "failed", "canceled" or "time_out": the error, with a name for every ending. */
static void read_ended(fashn_status_view *v, const json_value *root, const char *status, const char *secret) {
  const json_value *e = json_get(root, "error");
  const char *n = json_str(json_get(e, "name")), *m = json_str(json_get(e, "message"));
  if (!n) n = json_str(e); /* tolerate "error": "Name" */
  if (!n || !*n)
    n = strcmp(status, "canceled") == 0 ? "PredictionCanceled"
        : strcmp(status, "time_out") == 0 ? "PredictionTimedOut" : "PredictionFailed";
  copy_redacted(v->err_name, sizeof v->err_name, n, secret);
  fashn_status_sanitize(v->err_name);
  copy_redacted(v->err_message, sizeof v->err_message, m ? m : "", secret);
  text_escape_inplace(v->err_message, sizeof v->err_message);
  v->failed = strcmp(status, "failed") == 0;
  v->retry_worthy = v->failed && fashn_status_retry_worthy(v->err_name);
}

static void read_completed(fashn_status_view *v, const json_value *root) {
  const json_value *out = json_get(root, "output");
  if (json_is_null(out) || (out->type == JSON_ARRAY && out->u.arr.n == 0))
    v->outputs = FASHN_OUTPUTS_NONE;
  else if (out->type != JSON_ARRAY)
    v->outputs = FASHN_OUTPUTS_NOT_LIST;
  else if (out->u.arr.n > FASHN_MAX_OUTPUTS)
    v->outputs = FASHN_OUTPUTS_TOO_MANY;
  else {
    v->outputs = FASHN_OUTPUTS_LIST;
    v->output = out;
  }
}

void fashn_status_read(const char *body, size_t len, fashn_status_view *v) {
  fashn_status_read_secret(body, len, NULL, v);
}

void fashn_status_read_secret(const char *body, size_t len, const char *secret, fashn_status_view *v) {
  memset(v, 0, sizeof *v);
  v->kind = FASHN_STATUS_BAD;
  v->outputs = FASHN_OUTPUTS_NONE;
  char err[256];
  v->doc = json_parse(body ? body : "", len, 16, err, sizeof err);
  const json_value *root = json_root(v->doc);
  const char *status = json_str(json_get(root, "status"));
  if (!v->doc || !status) {
    v->why = v->doc ? "the status answer has no status" : "the status answer is not valid JSON";
    if (!v->doc && strstr(err, "nested deeper")) v->why = "the status answer is nested too deep";
    else if (!v->doc && strstr(err, "invalid UTF-8")) v->why = "the status answer is not valid UTF-8";
    else if (!v->doc && strstr(err, "control character")) v->why = "the status answer has a control character in a string";
    /* ... and it ends like whole JSON: a cut in the middle of a character reads as
     * invalid UTF-8 too, but then the answer does not end with its closing bracket. */
    size_t e = len;
    while (e > 0 && (body[e - 1] == ' ' || body[e - 1] == '\n' || body[e - 1] == '\r' || body[e - 1] == '\t')) e--;
    v->malformed = v->doc == NULL && strcmp(v->why, "the status answer is not valid JSON") != 0 && e > 0 &&
                   (body[e - 1] == '}' || body[e - 1] == ']');
    return;
  }
  copy_redacted(v->status, sizeof v->status, status, secret);
  fashn_status_sanitize(v->status);
  if (strcmp(status, "completed") == 0) {
    v->kind = FASHN_STATUS_COMPLETED;
    read_completed(v, root);
  } else if (strcmp(status, "failed") == 0 || strcmp(status, "canceled") == 0 || strcmp(status, "time_out") == 0) {
    v->kind = FASHN_STATUS_ENDED;
    read_ended(v, root, status, secret);
  } else { /* starting, in_queue, processing, or a word from a newer API: not done */
    v->kind = FASHN_STATUS_PENDING;
  }
}

void fashn_status_free(fashn_status_view *v) {
  json_doc_free(v->doc);
  v->doc = NULL;
  v->output = NULL;
}

fashn_output_kind fashn_output_classify(const char *s, size_t len, char *why, size_t whylen) {
  if (whylen) *why = '\0';
  if (!s || !len) return FASHN_OUTPUT_NOT_STRING;
  if (len >= 8 && strcmp(s + len - 8, "_expired") == 0) return FASHN_OUTPUT_EXPIRED;
  if (len >= 5 && strncasecmp(s, "data:", 5) == 0) return FASHN_OUTPUT_DATA_URI;
  if (len > FASHN_MAX_URL) {
    snprintf(why, whylen, "too long");
    return FASHN_OUTPUT_BAD_URL;
  }
  return http_url_allowed(s, why, whylen) ? FASHN_OUTPUT_URL : FASHN_OUTPUT_BAD_URL;
}

/* The top-level boxes of an ISO media file (size, type; size 1 = 64-bit size follows,
 * 0 = to the end) add up to exactly n bytes: a cut download does not. */
static bool mp4_boxes_complete(const unsigned char *p, size_t n) {
  size_t at = 0;
  while (at < n) {
    if (n - at < 8) return false;
    uint64_t size = (uint64_t)p[at] << 24 | (uint64_t)p[at + 1] << 16 | (uint64_t)p[at + 2] << 8 | p[at + 3];
    if (size == 1) {
      if (n - at < 16) return false;
      size = 0;
      for (int k = 0; k < 8; k++) size = size << 8 | p[at + 8 + k];
      if (size < 16) return false;
    } else if (size == 0) {
      return true;
    } else if (size < 8) {
      return false;
    }
    if (size > n - at) return false;
    at += (size_t)size;
  }
  return true;
}

bool fashn_output_complete(const unsigned char *p, size_t n, char *fmt, size_t fmtlen) {
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
  if (n >= 8 + 12 + 12 && memcmp(p, png_sig, 8) == 0) {
    snprintf(fmt, fmtlen, "png");
    return memcmp(p + n - 12, iend, 12) == 0;
  }
  if (n >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) {
    snprintf(fmt, fmtlen, "jpeg");
    /* EOI, allowing a little padding some encoders leave after it */
    for (size_t i = n - 1, k = 0; i > 2 && k < 64; i--, k++)
      if (p[i] == 0xd9 && p[i - 1] == 0xff) return true;
    return false;
  }
  if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) {
    snprintf(fmt, fmtlen, "webp");
    uint32_t size = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    return (size_t)size + 8 <= n;
  }
  if (n >= 16 && memcmp(p + 4, "ftyp", 4) == 0) { /* an MP4 (image-to-video): its boxes fill it exactly */
    snprintf(fmt, fmtlen, "mp4");
    return mp4_boxes_complete(p, n);
  }
  snprintf(fmt, fmtlen, "unknown");
  return false;
}

fashn_decode_status fashn_output_check(const void *p, size_t n, size_t max_bytes, char *why, size_t whylen) {
  if (n >= 16 && memcmp((const char *)p + 4, "ftyp", 4) == 0) { /* video: no pixels to check here */
    if (n <= max_bytes) return FASHN_DECODED;
    snprintf(why, whylen, "%zu bytes, more than the %zu-byte limit (max_output_bytes)", n, max_bytes);
    return FASHN_DECODE_TOO_LARGE;
  }
  image_limits lim = {.max_bytes = max_bytes};
  image_status st = image_probe(p, n, &lim, NULL, why, whylen);
  if (st == IMAGE_OK) return FASHN_DECODED;
  return st == IMAGE_ETOOBIG ? FASHN_DECODE_TOO_LARGE : FASHN_DECODE_UNREADABLE;
}

fashn_decode_status fashn_output_decode(const char *s, size_t len, size_t max_bytes, buf *out, char *fmt,
                                        size_t fmtlen, char *why, size_t whylen) {
  if (whylen) *why = '\0';
  snprintf(fmt, fmtlen, "unknown");
  if (len / 4 * 3 > max_bytes + max_bytes / 8 + 64) { /* clearly more, whatever whitespace it holds */
    snprintf(why, whylen, "about %zu bytes, more than the %zu-byte limit (max_output_bytes)", len / 4 * 3,
             max_bytes);
    return FASHN_DECODE_TOO_LARGE;
  }
  buf b = BUF_INIT;
  char mime[DATA_URI_MIME_MAX];
  fashn_decode_status st = FASHN_DECODE_BAD_URI;
  if (data_uri_parse(s, len, B64_WHITESPACE, max_bytes, mime, &b, why, whylen)) {
    st = FASHN_DECODE_INCOMPLETE;
    if (fashn_output_complete((const unsigned char *)b.data, b.len, fmt, fmtlen))
      st = fashn_output_check(b.data, b.len, max_bytes, why, whylen);
  }
  if (st != FASHN_DECODED) {
    buf_free(&b);
    return st;
  }
  *out = b;
  return FASHN_DECODED;
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
