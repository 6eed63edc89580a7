/* textsafe.c — escaping outside text for terminals and logs (see textsafe.h). */
#include "textsafe.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid, printable UTF-8 sequence at p (at most n bytes), or 0 when the
 * byte at p has to be escaped. */
static size_t safe_char(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  if (c < 0x20 || c == 0x7f) return 0;
  if (c < 0x80) return 1;
  size_t need;
  unsigned cp, min;
  if (c >= 0xc2 && c <= 0xdf) need = 2, cp = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) need = 3, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) need = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n < need) return 0;
  for (size_t i = 1; i < need; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0; /* overlong, surrogate */
  if (cp >= 0x80 && cp <= 0x9f) return 0;                                     /* C1 controls */
  return need;
}

static void escape(buf *out, const char *s, size_t len, bool lines) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    size_t k = lines && (p[i] == '\n' || p[i] == '\t') ? 1 : safe_char(p + i, len - i);
    if (k) {
      buf_append(out, p + i, k);
      i += k;
      continue;
    }
    char e[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 15]};
    buf_append(out, e, 4);
    i++;
  }
}

void text_escape(buf *out, const char *s, size_t len) { escape(out, s, len, false); }

void text_escape_lines(buf *out, const char *s, size_t len) { escape(out, s, len, true); }

bool text_is_safe(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0, k; i < len; i += k)
    if (!(k = safe_char(p + i, len - i))) return false;
  return true;
}

size_t text_cut_len(const char *e, size_t len, size_t max) {
  if (len <= max) return len;
  const unsigned char *q = (const unsigned char *)e;
  size_t i = 0, k;
  while (i < max) {
    k = q[i] == '\\' && i + 1 < len && q[i + 1] == 'x' ? 4 : safe_char(q + i, len - i);
    if (!k) k = 1; /* not escaped text after all: plain bytes */
    if (i + k > max) break;
    i += k;
  }
  return i;
}

void text_escape_inplace(char *s, size_t cap) {
  if (!s || !cap) return;
  size_t len = strlen(s);
  if (text_is_safe(s, len)) return;
  buf b = BUF_INIT;
  text_escape(&b, s, len);
  if (b.oom) { /* cannot escape: keep only the safe prefix */
    size_t i = 0, k;
    while (i < len && (k = safe_char((const unsigned char *)s + i, len - i))) i += k;
    s[i] = '\0';
    buf_free(&b);
    return;
  }
  size_t n = text_cut_len(b.data, b.len, cap - 1);
  memcpy(s, b.data, n);
  s[n] = '\0';
  buf_free(&b);
}

char *text_escape_dup(const char *s) {
  if (!s) return NULL;
  buf b = BUF_INIT;
  text_escape(&b, s, strlen(s));
  if (b.oom) {
    buf_free(&b);
    return NULL;
  }
  if (!b.data) return calloc(1, 1);
  return buf_take(&b, NULL);
}
