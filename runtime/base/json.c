/* json.c — strict JSON reader and compact writer (see json.h). Values live in one arena
 * per document so a parse is freed in one call whatever its shape. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------------- */

typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} arena_block;

struct json_doc {
  arena_block *blocks;
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
  free(d);
}

const json_value *json_root(const json_doc *d) { return d ? &d->root : NULL; }

/* ---- parser ------------------------------------------------------------------ */

typedef struct parser {
  const unsigned char *p, *start, *end;
  json_doc *doc;
  int depth, max_depth;
  char *err;
  size_t errlen;
  bool failed;
} parser;

static bool fail(parser *ps, const char *fmt, ...) {
  if (ps->failed) return false;
  ps->failed = true;
  if (!ps->err || !ps->errlen) return false;
  int n = snprintf(ps->err, ps->errlen, "invalid JSON at byte %zu: ", (size_t)(ps->p - ps->start));
  if (n < 0 || (size_t)n >= ps->errlen) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return false;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static bool parse_value(parser *ps, json_value *out);

static bool literal(parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return fail(ps, "expected a value");
  ps->p += n;
  return true;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool read_hex4(parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return fail(ps, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(ps->p[i]);
    if (h < 0) return fail(ps, "bad hex digit in \\u escape");
    v = v * 16 + (unsigned)h;
  }
  ps->p += 4;
  *out = v;
  return true;
}

static void put_utf8(buf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) u[0] = (char)cp, n = 1;
  else if (cp < 0x800) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
    u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  buf_append(b, u, n);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned char c = p[0];
  size_t n;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return n;
}

static bool parse_string(parser *ps, const char **out, size_t *outlen) {
  ps->p++; /* opening quote */
  const unsigned char *run = ps->p;
  /* Fast path: no escapes — copy the run straight into the arena. */
  while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20 && *ps->p < 0x80) ps->p++;
  buf tmp = BUF_INIT;
  buf_append(&tmp, run, (size_t)(ps->p - run));
  while (ps->p < ps->end && *ps->p != '"') {
    unsigned char c = *ps->p;
    if (c < 0x20) {
      buf_free(&tmp);
      return fail(ps, "control character in a string");
    }
    if (c == '\\') {
      if (ps->end - ps->p < 2) break;
      unsigned char e = ps->p[1];
      ps->p += 2;
      switch (e) {
      case '"': buf_append_char(&tmp, '"'); break;
      case '\\': buf_append_char(&tmp, '\\'); break;
      case '/': buf_append_char(&tmp, '/'); break;
      case 'b': buf_append_char(&tmp, '\b'); break;
      case 'f': buf_append_char(&tmp, '\f'); break;
      case 'n': buf_append_char(&tmp, '\n'); break;
      case 'r': buf_append_char(&tmp, '\r'); break;
      case 't': buf_append_char(&tmp, '\t'); break;
      case 'u': {
        unsigned cp;
        if (!read_hex4(ps, &cp)) {
          buf_free(&tmp);
          return false;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
            buf_free(&tmp);
            return fail(ps, "unpaired surrogate in \\u escape");
          }
          ps->p += 2;
          if (!read_hex4(ps, &lo)) {
            buf_free(&tmp);
            return false;
          }
          if (lo < 0xDC00 || lo > 0xDFFF) {
            buf_free(&tmp);
            return fail(ps, "unpaired surrogate in \\u escape");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          buf_free(&tmp);
          return fail(ps, "unpaired surrogate in \\u escape");
        }
        put_utf8(&tmp, cp);
        break;
      }
      default:
        ps->p -= 1;
        buf_free(&tmp);
        return fail(ps, "unknown escape \\%c", e);
      }
    } else {
      size_t n = utf8_len(ps->p, ps->end);
      if (!n) {
        buf_free(&tmp);
        return fail(ps, "invalid UTF-8 in a string");
      }
      buf_append(&tmp, ps->p, n);
      ps->p += n;
    }
  }
  if (ps->p >= ps->end) {
    buf_free(&tmp);
    return fail(ps, "unterminated string");
  }
  ps->p++; /* closing quote */
  if (tmp.oom) {
    buf_free(&tmp);
    return fail(ps, "out of memory");
  }
  char *s = arena_alloc(ps->doc, tmp.len + 1);
  if (!s) {
    buf_free(&tmp);
    return fail(ps, "out of memory");
  }
  if (tmp.len) memcpy(s, tmp.data, tmp.len);
  s[tmp.len] = '\0';
  *out = s;
  *outlen = tmp.len;
  buf_free(&tmp);
  return true;
}

static bool parse_number(parser *ps, json_value *out) {
  const unsigned char *s = ps->p;
  bool is_int = true;
  if (ps->p < ps->end && *ps->p == '-') ps->p++;
  if (ps->p >= ps->end) return fail(ps, "truncated number");
  if (*ps->p == '0') ps->p++;
  else if (*ps->p >= '1' && *ps->p <= '9')
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  else return fail(ps, "expected a digit");
  if (ps->p < ps->end && *ps->p == '.') {
    is_int = false;
    ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "expected a digit after '.'");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    is_int = false;
    ps->p++;
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "expected a digit in the exponent");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
  }
  char tmp[64];
  size_t n = (size_t)(ps->p - s);
  out->type = JSON_NUMBER;
  out->u.num.is_int = false;
  if (n < sizeof tmp) {
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    out->u.num.d = strtod(tmp, NULL);
    if (is_int) {
      errno = 0;
      long long v = strtoll(tmp, NULL, 10);
      if (errno == 0) {
        out->u.num.i = v;
        out->u.num.is_int = true;
      }
    }
  } else {
    char *big = malloc(n + 1);
    if (!big) return fail(ps, "out of memory");
    memcpy(big, s, n);
    big[n] = '\0';
    out->u.num.d = strtod(big, NULL);
    free(big);
  }
  if (!isfinite(out->u.num.d)) return fail(ps, "number out of range");
  return true;
}

/* Arrays and objects collect their elements in a growing heap list (their size is not
 * known until the closing bracket), then move them into the arena in one piece. */
/* Room for element n: list itself, or a larger copy; NULL (list freed) when out of memory. */
static void *grow_list(parser *ps, void *list, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return list;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *nl = realloc(list, ncap * size);
  if (!nl) {
    free(list);
    fail(ps, "out of memory");
    return NULL;
  }
  *cap = ncap;
  return nl;
}

/* Moves n elements of list into the arena (*out; NULL when empty) and frees list. */
static bool settle_list(parser *ps, void *list, size_t n, size_t size, void **out) {
  *out = NULL;
  if (n) {
    *out = arena_alloc(ps->doc, n * size);
    if (*out) memcpy(*out, list, n * size);
  }
  free(list);
  return !n || *out ? true : fail(ps, "out of memory");
}

static bool parse_array(parser *ps, json_value *out) {
  ps->p++;
  json_value *items = NULL;
  size_t n = 0, cap = 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
  } else {
    for (;;) {
      if (!(items = grow_list(ps, items, &cap, n, sizeof *items))) return false;
      if (!parse_value(ps, &items[n])) {
        free(items);
        return false;
      }
      n++;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        break;
      }
      free(items);
      return fail(ps, ps->p < ps->end ? "expected ',' or ']'" : "unterminated array");
    }
  }
  out->type = JSON_ARRAY;
  out->u.arr.n = n;
  void *settled;
  bool ok = settle_list(ps, items, n, sizeof *items, &settled);
  out->u.arr.items = settled;
  return ok;
}

static bool parse_object(parser *ps, json_value *out) {
  ps->p++;
  json_member *ms = NULL;
  size_t n = 0, cap = 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
  } else {
    for (;;) {
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != '"') {
        free(ms);
        return fail(ps, ps->p < ps->end ? "expected a string key" : "unterminated object");
      }
      if (!(ms = grow_list(ps, ms, &cap, n, sizeof *ms))) return false;
      if (!parse_string(ps, &ms[n].key, &ms[n].keylen)) {
        free(ms);
        return false;
      }
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        free(ms);
        return fail(ps, "expected ':'");
      }
      ps->p++;
      if (!parse_value(ps, &ms[n].value)) {
        free(ms);
        return false;
      }
      n++;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        break;
      }
      free(ms);
      return fail(ps, ps->p < ps->end ? "expected ',' or '}'" : "unterminated object");
    }
  }
  out->type = JSON_OBJECT;
  out->u.obj.n = n;
  void *settled;
  bool ok = settle_list(ps, ms, n, sizeof *ms, &settled);
  out->u.obj.members = settled;
  return ok;
}

static bool parse_value(parser *ps, json_value *out) {
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, "unexpected end of input");
  switch (*ps->p) {
  case '{':
  case '[': {
    if (++ps->depth > ps->max_depth) return fail(ps, "nested deeper than %d levels", ps->max_depth);
    bool ok = *ps->p == '{' ? parse_object(ps, out) : parse_array(ps, out);
    ps->depth--;
    return ok;
  }
  case '"':
    out->type = JSON_STRING;
    return parse_string(ps, &out->u.str.s, &out->u.str.len);
  case 't':
    out->type = JSON_BOOL;
    out->u.boolean = true;
    return literal(ps, "true");
  case 'f':
    out->type = JSON_BOOL;
    out->u.boolean = false;
    return literal(ps, "false");
  case 'n':
    out->type = JSON_NULL;
    return literal(ps, "null");
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps, out);
    return fail(ps, "unexpected character '%c'", *ps->p >= 0x20 && *ps->p < 0x7f ? *ps->p : '?');
  }
}

json_doc *json_parse(const char *text, size_t len, int max_depth, char *errbuf, size_t errlen) {
  json_doc *d = calloc(1, sizeof *d);
  if (!d) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "out of memory parsing JSON");
    return NULL;
  }
  parser ps = {.p = (const unsigned char *)text, .start = (const unsigned char *)text,
               .end = (const unsigned char *)text + len, .doc = d,
               .max_depth = max_depth <= 0 ? JSON_DEFAULT_DEPTH : max_depth > JSON_MAX_DEPTH ? JSON_MAX_DEPTH : max_depth, .err = errbuf, .errlen = errlen};
  if (!text) ps.p = ps.start = ps.end = (const unsigned char *)"";
  bool ok = parse_value(&ps, &d->root);
  if (ok) {
    skip_ws(&ps);
    if (ps.p != ps.end) ok = fail(&ps, "unexpected data after the value");
  }
  if (!ok) {
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
