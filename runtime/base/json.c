/* json.c — the JSON glue (see json.h): jansson reads, and its tree is laid out as our
 * json_value nodes in one arena per document (strings and keys stay in jansson's tree,
 * which the document keeps); the writer streams compact JSON into a buf itself, because
 * its exact bytes are hashed into job keys (see the writer section). */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson names its type enum and enumerators as json.h does (json_type, JSON_NULL, ...)
 * and has a json_is_null macro. Here alone both are needed, so jansson's are renamed
 * JANSSON_* while its header is read; use json_typeof() == JANSSON_*, never its
 * json_is_* macros (they would name our enumerators). */
#define json_type jansson_type
#define JSON_OBJECT JANSSON_OBJECT
#define JSON_ARRAY JANSSON_ARRAY
#define JSON_STRING JANSSON_STRING
#define JSON_INTEGER JANSSON_INTEGER
#define JSON_REAL JANSSON_REAL
#define JSON_TRUE JANSSON_TRUE
#define JSON_FALSE JANSSON_FALSE
#define JSON_NULL JANSSON_NULL
#include <jansson.h>
#undef json_type
#undef JSON_OBJECT
#undef JSON_ARRAY
#undef JSON_STRING
#undef JSON_INTEGER
#undef JSON_REAL
#undef JSON_TRUE
#undef JSON_FALSE
#undef JSON_NULL
#undef json_is_null

/* ---- reading: jansson parses, we lay its tree out as json_values ------------ */

typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} arena_block;

struct json_doc {
  json_t *tree;        /* jansson's parse: every string and key points into it */
  arena_block *blocks; /* our json_value nodes */
  json_value root;
};

static void *arena_alloc(json_doc *d, size_t n) {
  n = (n + 15) & ~(size_t)15;
  arena_block *b = d->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 16384 ? n : 16384;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->used = 0;
    b->cap = cap;
    b->next = d->blocks;
    d->blocks = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  return p;
}

void json_doc_free(json_doc *d) {
  if (!d) return;
  arena_block *b = d->blocks;
  while (b) {
    arena_block *n = b->next;
    free(b);
    b = n;
  }
  json_decref(d->tree);
  free(d);
}

const json_value *json_root(const json_doc *d) { return d ? &d->root : NULL; }

/* Copies jansson's message, replacing bytes that are not printable ASCII: its "near '...'"
 * quotes the input, which may be invalid UTF-8, and our messages end up in JSON bodies. */
static void set_error(char *errbuf, size_t errlen, size_t at, const char *text) {
  if (!errbuf || !errlen) return;
  int n = snprintf(errbuf, errlen, "invalid JSON at byte %zu: ", at);
  if (n < 0 || (size_t)n >= errlen) return;
  size_t i = (size_t)n;
  for (; *text && i + 1 < errlen; text++) errbuf[i++] = (*text >= 0x20 && *text < 0x7f) ? *text : '?';
  errbuf[i] = '\0';
}

/* The byte offset of the first bracket opening level max_depth + 1 in text, which jansson
 * has accepted (so strings are well formed and brackets balanced). Only called on the
 * error path, to name the place. */
static size_t too_deep_at(const char *text, size_t len, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return len;
}

typedef struct layout {
  json_doc *doc;
  int max_depth;
  bool too_deep, oom;
} layout;

/* Fills out from j; depth counts the arrays and objects around out. */
static bool lay_out(layout *l, const json_t *j, json_value *out, int depth) {
  switch (json_typeof(j)) {
  case JANSSON_NULL: out->type = JSON_NULL; return true;
  case JANSSON_TRUE:
  case JANSSON_FALSE:
    out->type = JSON_BOOL;
    out->u.boolean = json_typeof(j) == JANSSON_TRUE;
    return true;
  case JANSSON_INTEGER:
    out->type = JSON_NUMBER;
    out->u.num.i = json_integer_value(j);
    out->u.num.d = (double)out->u.num.i;
    out->u.num.is_int = true;
    return true;
  case JANSSON_REAL:
    out->type = JSON_NUMBER;
    out->u.num.d = json_real_value(j);
    out->u.num.i = 0;
    out->u.num.is_int = false;
    return true;
  case JANSSON_STRING:
    out->type = JSON_STRING;
    out->u.str.s = json_string_value(j);
    out->u.str.len = json_string_length(j);
    return true;
  case JANSSON_ARRAY: {
    if (depth + 1 > l->max_depth) return !(l->too_deep = true);
    size_t n = json_array_size(j);
    json_value *items = n ? arena_alloc(l->doc, n * sizeof *items) : NULL;
    if (n && !items) return !(l->oom = true);
    for (size_t i = 0; i < n; i++)
      if (!lay_out(l, json_array_get(j, i), &items[i], depth + 1)) return false;
    out->type = JSON_ARRAY;
    out->u.arr.items = items;
    out->u.arr.n = n;
    return true;
  }
  case JANSSON_OBJECT: {
    if (depth + 1 > l->max_depth) return !(l->too_deep = true);
    size_t n = json_object_size(j), i = 0;
    json_member *ms = n ? arena_alloc(l->doc, n * sizeof *ms) : NULL;
    if (n && !ms) return !(l->oom = true);
    /* jansson iterates in document order (it keeps insertion order since 2.8) */
    for (void *it = json_object_iter((json_t *)j); it && i < n; it = json_object_iter_next((json_t *)j, it), i++) {
      ms[i].key = json_object_iter_key(it);
      ms[i].keylen = json_object_iter_key_len(it);
      if (!lay_out(l, json_object_iter_value(it), &ms[i].value, depth + 1)) return false;
    }
    out->type = JSON_OBJECT;
    out->u.obj.members = ms;
    out->u.obj.n = i;
    return true;
  }
  }
  return !(l->oom = true); /* no other jansson type exists */
}

json_doc *json_parse(const char *text, size_t len, int max_depth, char *errbuf, size_t errlen) {
  if (!text) text = "", len = 0;
  if (max_depth <= 0) max_depth = JSON_DEFAULT_DEPTH;
  json_doc *d = calloc(1, sizeof *d);
  if (!d) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "out of memory parsing JSON");
    return NULL;
  }
  /* Any value at the top; \u0000 in strings (our strings carry their length); a key given
   * twice is an error, not a silent choice between two values. */
  const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES;
  json_error_t e;
  d->tree = json_loadb(text, len, flags, &e);
  /* An integer beyond int64: read the document again with integers as doubles, as the
   * old reader did (such a number is outside every range we accept, and its validation
   * message is clearer than "too big integer"). */
  if (!d->tree && json_error_code(&e) == json_error_numeric_overflow && !strncmp(e.text, "too big integer", 15))
    d->tree = json_loadb(text, len, flags | JSON_DECODE_INT_AS_REAL, &e);
  if (!d->tree) {
    set_error(errbuf, errlen, (size_t)(e.position > 0 ? e.position : 0), e.text);
    json_doc_free(d);
    return NULL;
  }
  layout l = {.doc = d, .max_depth = max_depth};
  if (!lay_out(&l, d->tree, &d->root, 0)) {
    if (l.too_deep) {
      char what[64];
      snprintf(what, sizeof what, "nested deeper than %d levels", max_depth);
      set_error(errbuf, errlen, too_deep_at(text, len, max_depth), what);
    } else if (errbuf && errlen) {
      snprintf(errbuf, errlen, "out of memory parsing JSON");
    }
    json_doc_free(d);
    return NULL;
  }
  return d;
}

/* ---- lookups ----------------------------------------------------------------- */

const json_value *json_get(const json_value *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i < obj->u.obj.n; i++) {
    const json_member *m = &obj->u.obj.members[i];
    if (m->keylen == kl && memcmp(m->key, key, kl) == 0) return &m->value;
  }
  return NULL;
}

const char *json_str(const json_value *v) { return v && v->type == JSON_STRING ? v->u.str.s : NULL; }

bool json_is_null(const json_value *v) { return !v || v->type == JSON_NULL; }

bool json_int(const json_value *v, int64_t *out) {
  if (!v || v->type != JSON_NUMBER) return false;
  if (v->u.num.is_int) {
    *out = v->u.num.i;
    return true;
  }
  double d = v->u.num.d; /* 7.0 or 1e3 still name an integer */
  if (d != floor(d) || d < -9.2e18 || d > 9.2e18) return false;
  *out = (int64_t)d;
  return true;
}

bool json_num(const json_value *v, double *out) {
  if (!v || v->type != JSON_NUMBER) return false;
  *out = v->u.num.d;
  return true;
}

bool json_bool(const json_value *v, bool *out) {
  if (!v || v->type != JSON_BOOL) return false;
  *out = v->u.boolean;
  return true;
}

/* ---- writer ------------------------------------------------------------------ */

/* Written here rather than with jansson's json_dumpb: the canonical inputs of a job are
 * written with this writer and hashed into its journal key, so these exact bytes are part
 * of every journal already on disk (jansson would write \u001F where we write \u001f, and
 * \b, \f where we write \u0008, \u000c — other keys, so a resumed run would buy again).
 * It also streams straight into the caller's buf: no tree is built for a body that holds
 * a multi-megabyte data: URI. */

void json_escape(buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  buf_reserve(out, len + 2);
  buf_append_char(out, '"');
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    buf_append(out, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': buf_append(out, "\\\"", 2); break;
    case '\\': buf_append(out, "\\\\", 2); break;
    case '\n': buf_append(out, "\\n", 2); break;
    case '\r': buf_append(out, "\\r", 2); break;
    case '\t': buf_append(out, "\\t", 2); break;
    default: {
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_append(out, u, 6);
    }
    }
  }
  buf_append(out, s + run, len - run);
  buf_append_char(out, '"');
}

void jw_init(json_writer *w, buf *out) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->first[0] = true;
}

static void before_value(json_writer *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (!w->first[w->depth]) buf_append_char(w->out, ',');
  w->first[w->depth] = false;
}

static void open_level(json_writer *w, char c) {
  before_value(w);
  buf_append_char(w->out, c);
  if (w->depth < (int)(sizeof w->first / sizeof *w->first) - 1) w->depth++;
  w->first[w->depth] = true;
}

static void close_level(json_writer *w, char c) {
  buf_append_char(w->out, c);
  if (w->depth > 0) w->depth--;
}

void jw_object_begin(json_writer *w) { open_level(w, '{'); }
void jw_object_end(json_writer *w) { close_level(w, '}'); }
void jw_array_begin(json_writer *w) { open_level(w, '['); }
void jw_array_end(json_writer *w) { close_level(w, ']'); }

void jw_key_len(json_writer *w, const char *key, size_t len) {
  before_value(w);
  json_escape(w->out, key, len);
  buf_append_char(w->out, ':');
  w->after_key = true;
}

void jw_key(json_writer *w, const char *key) { jw_key_len(w, key, strlen(key)); }

void jw_string_len(json_writer *w, const char *s, size_t len) {
  before_value(w);
  json_escape(w->out, s, len);
}

void jw_string(json_writer *w, const char *s) { jw_string_len(w, s, strlen(s)); }

void jw_int(json_writer *w, int64_t v) {
  before_value(w);
  buf_printf(w->out, "%lld", (long long)v);
}

void jw_double(json_writer *w, double v) {
  before_value(w);
  if (!isfinite(v)) buf_append_str(w->out, "null");
  else if (v == floor(v) && fabs(v) < 9e15) buf_printf(w->out, "%lld", (long long)v); /* -0 -> 0 */
  else buf_printf(w->out, "%.17g", v);
}

void jw_bool(json_writer *w, bool v) {
  before_value(w);
  buf_append_str(w->out, v ? "true" : "false");
}

void jw_null(json_writer *w) {
  before_value(w);
  buf_append_str(w->out, "null");
}

void jw_value(json_writer *w, const json_value *v) {
  switch (v->type) {
  case JSON_NULL: jw_null(w); break;
  case JSON_BOOL: jw_bool(w, v->u.boolean); break;
  case JSON_NUMBER:
    if (v->u.num.is_int) jw_int(w, v->u.num.i);
    else jw_double(w, v->u.num.d);
    break;
  case JSON_STRING: jw_string_len(w, v->u.str.s, v->u.str.len); break;
  case JSON_ARRAY:
    jw_array_begin(w);
    for (size_t i = 0; i < v->u.arr.n; i++) jw_value(w, &v->u.arr.items[i]);
    jw_array_end(w);
    break;
  case JSON_OBJECT:
    jw_object_begin(w);
    for (size_t i = 0; i < v->u.obj.n; i++) {
      const json_member *m = &v->u.obj.members[i];
      before_value(w);
      json_escape(w->out, m->key, m->keylen);
      buf_append_char(w->out, ':');
      w->after_key = true;
      jw_value(w, &m->value);
    }
    jw_object_end(w);
    break;
  }
}
