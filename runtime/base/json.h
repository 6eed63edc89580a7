/* json.h — a strict JSON reader (RFC 8259: UTF-8 checked, depth-limited, errors name the
 * byte offset) and a small writer over buf. For API bodies in C: fashn-emu's requests,
 * the client's responses. */
#ifndef ATELIER_JSON_H
#define ATELIER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

typedef struct json_value json_value;
typedef struct json_member json_member;

struct json_value {
  json_type type;
  union {
    bool boolean;
    struct {
      double d;
      int64_t i;   /* exact value when is_int */
      bool is_int; /* written without fraction/exponent and fits int64 */
    } num;
    struct {
      const char *s; /* NUL-terminated (may also contain NULs from \u0000) */
      size_t len;
    } str;
    struct {
      json_value *items;
      size_t n;
    } arr;
    struct {
      json_member *members; /* in document order; json_get finds the first of duplicates */
      size_t n;
    } obj;
  } u;
};

struct json_member {
  const char *key;
  size_t keylen;
  json_value value;
};

typedef struct json_doc json_doc; /* owns every value and string of one parse */

#define JSON_DEFAULT_DEPTH 64
#define JSON_MAX_DEPTH 1024 /* the reader recurses once per level: no caller may ask for more */

/* Parses exactly one JSON value (surrounding whitespace allowed). NULL on error, with
 * errbuf saying what and at which byte. max_depth <= 0 means JSON_DEFAULT_DEPTH; above
 * JSON_MAX_DEPTH it means JSON_MAX_DEPTH. */
json_doc *json_parse(const char *text, size_t len, int max_depth, char *errbuf, size_t errlen);
const json_value *json_root(const json_doc *d);
void json_doc_free(json_doc *d);

/* Lookups that tolerate NULL and wrong types (they return NULL/false). */
const json_value *json_get(const json_value *obj, const char *key);
const char *json_str(const json_value *v);
bool json_is_null(const json_value *v); /* missing (NULL) or JSON null */
bool json_int(const json_value *v, int64_t *out);
bool json_num(const json_value *v, double *out);
bool json_bool(const json_value *v, bool *out);

/* Writer: appends compact JSON to a buf; commas and nesting are handled. */
typedef struct json_writer {
  buf *out;
  int depth;
  bool first[64]; /* per level: no value written yet */
  bool after_key;
} json_writer;

void jw_init(json_writer *w, buf *out);
void jw_object_begin(json_writer *w);
void jw_object_end(json_writer *w);
void jw_array_begin(json_writer *w);
void jw_array_end(json_writer *w);
void jw_key(json_writer *w, const char *key);
void jw_key_len(json_writer *w, const char *key, size_t len); /* keys may hold \u0000 */
void jw_string(json_writer *w, const char *s);
void jw_string_len(json_writer *w, const char *s, size_t len);
void jw_int(json_writer *w, int64_t v);
void jw_double(json_writer *w, double v);
void jw_bool(json_writer *w, bool v);
void jw_null(json_writer *w);
/* Writes a value already in JSON form (e.g. copied from a parsed document). */
void jw_value(json_writer *w, const json_value *v);

/* Appends s as a quoted, escaped JSON string. */
void json_escape(buf *out, const char *s, size_t len);

#endif
