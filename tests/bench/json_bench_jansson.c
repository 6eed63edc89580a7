/* json_bench_jansson.c — the peer in json_bench.c: jansson reading the same text, kept in
 * its own file because jansson.h and runtime/base/json.h name their types alike
 * (json_type, JSON_NULL, json_is_null). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Parses text as the reader is asked to (strict, any top-level value, \u0000 allowed);
 * false when jansson refuses it. */
bool jansson_parse_once(const char *text, size_t len) {
  json_error_t e;
  json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  bool ok = j != NULL;
  json_decref(j);
  return ok;
}

/* Writes s as one JSON string with json_dumpb into a fresh buffer; returns its length (0
 * on failure) and the buffer in *out (the caller frees it). */
size_t jansson_dump_string(const char *s, size_t len, char **out) {
  json_t *j = json_stringn_nocheck(s, len);
  size_t need = j ? json_dumpb(j, NULL, 0, JSON_ENCODE_ANY) : 0;
  *out = need ? malloc(need) : NULL;
  if (*out && json_dumpb(j, *out, need, JSON_ENCODE_ANY) != need) need = 0;
  json_decref(j);
  return need;
}
