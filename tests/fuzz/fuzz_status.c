/* fuzz_status.c — libFuzzer target: arbitrary bytes as a GET /v1/status/{id} answer,
 * read by the same fashn_status.c functions polling uses; for completed answers every
 * output is classified and data: URIs are decoded under a small limit. Must never crash,
 * and what it reports must hold together (see the aborts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../runtime/api/fashn_inputs.h"
#include "../../runtime/fashn/fashn_status.h"
#include "../../runtime/io/http.h"

#define DECODE_LIMIT 4096

static bool identifier(const char *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

static bool is(const char *a, const char *b) { return strcmp(a, b) == 0; }

static void check_output(const json_value *item) {
  const char *s = json_str(item);
  size_t len = s ? item->u.str.len : 0;
  char why[160];
  fashn_output_kind kind = fashn_output_classify(s, len, why, sizeof why);
  if ((kind == FASHN_OUTPUT_NOT_STRING) != (!s || !len)) abort();
  if (kind == FASHN_OUTPUT_EXPIRED && (len < 8 || memcmp(s + len - 8, "_expired", 8) != 0)) abort();
  if (kind == FASHN_OUTPUT_DATA_URI && (len < 5 || strncasecmp(s, "data:", 5) != 0)) abort();
  if (kind == FASHN_OUTPUT_URL) {
    char again[160];
    if (len > FASHN_MAX_URL || !http_url_allowed(s, again, sizeof again)) abort();
  }
  if (kind == FASHN_OUTPUT_BAD_URL && !*why) abort(); /* a refusal always says why */
  if (kind != FASHN_OUTPUT_DATA_URI) return;

  buf out = BUF_INIT;
  char fmt[8], reason[200];
  fashn_decode_status st = fashn_output_decode(s, len, DECODE_LIMIT, &out, fmt, sizeof fmt, reason, sizeof reason);
  if (st == FASHN_DECODED) {
    if (!out.data || !out.len || out.len > DECODE_LIMIT) abort();
    if (!is(fmt, "png") && !is(fmt, "jpeg") && !is(fmt, "webp")) abort();
    char fmt2[8];
    if (!fashn_output_complete((const unsigned char *)out.data, out.len, fmt2, sizeof fmt2) || !is(fmt, fmt2))
      abort();
    if (fashn_output_check(out.data, out.len, DECODE_LIMIT, reason, sizeof reason) != FASHN_DECODED) abort();
  } else {
    if (out.data || out.len) abort(); /* a refused output leaves nothing to free */
    if (st != FASHN_DECODE_INCOMPLETE && !*reason) abort();
  }
  buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fashn_status_view v;
  fashn_status_read((const char *)data, size, &v);

  if (strlen(v.status) >= sizeof v.status || !identifier(v.status)) abort();
  if ((v.kind == FASHN_STATUS_BAD) != (v.why != NULL)) abort();
  if (v.kind == FASHN_STATUS_BAD && *v.status) abort();
  if ((v.output != NULL) != (v.kind == FASHN_STATUS_COMPLETED && v.outputs == FASHN_OUTPUTS_LIST)) abort();
  if (v.kind != FASHN_STATUS_COMPLETED && v.outputs != FASHN_OUTPUTS_NONE) abort();
  if (v.kind == FASHN_STATUS_PENDING && (is(v.status, "completed") || is(v.status, "failed") || is(v.status, "canceled")))
    abort();

  if (v.kind == FASHN_STATUS_ENDED) {
    if (!is(v.status, "failed") && !is(v.status, "canceled") && !is(v.status, "time_out")) abort();
    if (!*v.err_name || !identifier(v.err_name)) abort(); /* every ending has a usable name */
    if (v.failed != is(v.status, "failed")) abort();
    if (v.retry_worthy && (!v.failed || !fashn_status_retry_worthy(v.err_name))) abort();
  } else if (*v.err_name || *v.err_message || v.failed || v.retry_worthy) {
    abort();
  }

  if (v.kind == FASHN_STATUS_COMPLETED && v.outputs == FASHN_OUTPUTS_LIST) {
    if (v.output->type != JSON_ARRAY || v.output->u.arr.n == 0 || v.output->u.arr.n > FASHN_MAX_OUTPUTS) abort();
    for (size_t i = 0; i < v.output->u.arr.n; i++) check_output(&v.output->u.arr.items[i]);
  }

  /* Reading is a function of the bytes alone. */
  fashn_status_view w;
  fashn_status_read((const char *)data, size, &w);
  if (w.kind != v.kind || w.outputs != v.outputs || !is(w.status, v.status) || !is(w.err_name, v.err_name) ||
      !is(w.err_message, v.err_message) || w.retry_worthy != v.retry_worthy)
    abort();
  fashn_status_free(&w);
  fashn_status_free(&v);
  fashn_status_free(&v); /* idempotent */
  return 0;
}
