/* buf.h — a growable byte buffer, the one way runtime/ accumulates bytes (response
 * bodies, encoded images, JSON text). Allocation failure is sticky: `oom` is set, later
 * appends do nothing, and the caller checks once at the end. */
#ifndef ATELIER_BUF_H
#define ATELIER_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct buf {
  char *data; /* NUL-terminated when len > 0 or after buf_cstr; owned by the buf */
  size_t len;
  size_t cap;
  bool oom;
} buf;

#define BUF_INIT {NULL, 0, 0, false}

/* Ensures room for `extra` more bytes (plus a NUL). False on overflow/OOM. */
bool buf_reserve(buf *b, size_t extra);
bool buf_append(buf *b, const void *data, size_t len);
bool buf_append_str(buf *b, const char *s);
bool buf_append_char(buf *b, char c);
bool buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A NUL-terminated view of the contents ("" when empty); NULL after OOM. */
const char *buf_cstr(buf *b);
/* Hands the storage to the caller (who frees it) and resets b. */
char *buf_take(buf *b, size_t *len);
void buf_reset(buf *b); /* len = 0, keeps storage */
void buf_free(buf *b);

#endif
