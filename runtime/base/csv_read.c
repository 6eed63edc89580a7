/* csv_read.c — CSV through Debian's libcsv (see csv_read.h). libcsv is a streaming
 * parser that reports fields and row ends by callback; we feed it one physical line at a
 * time, so at every callback we know which line of the file it came from. */
#include "csv_read.h"

#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parse_state {
  csv_doc *d;
  csv_row cur; /* the row being read */
  int cap;     /* of cur.fields */
  int line;    /* the line being fed */
  size_t chunk_end; /* the offset after that line */
  size_t after;     /* the offset after the line the last complete row ended on */
  int after_line;   /* the number of the line at that offset */
  bool failed;
  char *err;
  size_t errlen;
} parse_state;

static bool utf8_ok(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

static void failf(parse_state *s, const char *msg) {
  if (s->failed) return;
  s->failed = true;
  snprintf(s->err, s->errlen, "line %d: %s", s->line, msg);
}

static void on_field(void *data, size_t len, void *ud) {
  parse_state *s = ud;
  if (s->failed) return;
  if (len > CSV_MAX_FIELD_BYTES) return failf(s, "a field is over 1 MiB");
  if (memchr(data, '\0', len)) return failf(s, "a NUL byte: not a text file");
  if (!utf8_ok(data, len)) return failf(s, "not valid UTF-8 (save the file as UTF-8)");
  if (s->cur.n == 0) { /* the row starts where its first field started */
    int breaks = 0;
    for (size_t i = 0; i < len; i++) breaks += ((const char *)data)[i] == '\n';
    s->cur.line = s->line - breaks;
  }
  if (s->cur.n == CSV_MAX_FIELDS) return failf(s, "more than 4096 fields in a row");
  if (s->cur.n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 16;
    char **f = realloc(s->cur.fields, sizeof *f * (size_t)cap);
    if (!f) return failf(s, "out of memory");
    s->cur.fields = f;
    s->cap = cap;
  }
  char *v = malloc(len + 1);
  if (!v) return failf(s, "out of memory");
  if (len) memcpy(v, data, len);
  v[len] = '\0';
  s->cur.fields[s->cur.n++] = v;
}

static void on_row(int c, void *ud) {
  (void)c;
  parse_state *s = ud;
  if (s->failed) return;
  csv_doc *d = s->d;
  if (d->nrows == CSV_MAX_ROWS) return failf(s, "more than a million rows");
  if (d->nrows == d->cap) {
    int cap = d->cap ? d->cap * 2 : 64;
    csv_row *r = realloc(d->rows, sizeof *r * (size_t)cap);
    if (!r) return failf(s, "out of memory");
    d->rows = r;
    d->cap = cap;
  }
  d->rows[d->nrows++] = s->cur;
  s->after = s->chunk_end;
  s->after_line = s->line + 1;
  s->cur = (csv_row){0};
  s->cap = 0;
}

static void row_free(csv_row *r) {
  for (int i = 0; i < r->n; i++) free(r->fields[i]);
  free(r->fields);
}

void csv_doc_free(csv_doc *d) {
  for (int i = 0; i < d->nrows; i++) row_free(&d->rows[i]);
  free(d->rows);
  *d = (csv_doc){0};
}

static int no_space(unsigned char c) {
  (void)c;
  return 0; /* RFC 4180: spaces belong to the field */
}

bool csv_doc_parse(const char *data, size_t len, char delim, csv_doc *d, char *err, size_t errlen) {
  *d = (csv_doc){0};
  if (delim != ',' && delim != ';' && delim != '\t') {
    snprintf(err, errlen, "delimiter: expected \",\", \";\" or a tab");
    return false;
  }
  if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) data += 3, len -= 3; /* the BOM Excel writes */
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  csv_set_delim(&p, (unsigned char)delim);
  csv_set_space_func(&p, no_space);
  parse_state s = {.d = d, .line = 1, .after_line = 1, .err = err, .errlen = errlen};
  size_t pos = 0;
  while (pos < len && !s.failed) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) + 1 : len - pos;
    s.chunk_end = pos + n;
    if (csv_parse(&p, data + pos, n, on_field, on_row, &s) != n && !s.failed)
      failf(&s, csv_error(&p) == CSV_EPARSE
                    ? "a quote in the wrong place (a field with quotes, commas or line breaks must be in double "
                      "quotes, and a quote inside it doubled: \"\")"
                    : csv_strerror(csv_error(&p)));
    pos += n;
    if (nl) s.line++;
  }
  if (!s.failed && csv_fini(&p, on_field, on_row, &s) != 0 && !s.failed) {
    /* the unfinished row starts at the first non-blank line after the last whole one */
    size_t q = s.after;
    s.line = s.after_line;
    while (q < len && (data[q] == '\n' || (data[q] == '\r' && q + 1 < len && data[q + 1] == '\n'))) {
      if (data[q] == '\n') s.line++;
      q++;
    }
    if (s.cur.n) s.line = s.cur.line;
    failf(&s, "a quoted field that starts here is never closed (a closing quote is missing)");
  }
  csv_free(&p);
  row_free(&s.cur);
  if (s.failed) {
    csv_doc_free(d);
    return false;
  }
  return true;
}
