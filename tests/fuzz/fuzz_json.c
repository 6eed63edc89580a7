/* fuzz_json.c — libFuzzer target: the JSON reader on arbitrary bytes must never crash,
 * and what it accepts must survive a write + re-read unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  json_doc *d = json_parse((const char *)data, size, 32, err, sizeof err);
  if (!d) return 0;
  buf a = BUF_INIT, b = BUF_INIT;
  json_writer w;
  jw_init(&w, &a);
  jw_value(&w, json_root(d));
  json_doc *again = json_parse(a.data, a.len, 40, err, sizeof err);
  if (!again) abort(); /* we wrote something we cannot read */
  jw_init(&w, &b);
  jw_value(&w, json_root(again));
  if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
  json_doc_free(again);
  json_doc_free(d);
  buf_free(&a);
  buf_free(&b);
  return 0;
}
