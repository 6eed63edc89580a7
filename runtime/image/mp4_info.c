/* mp4_info.c — an MP4's picture size and length from its box tree (see mp4_info.h):
 * moov/mvhd for the duration, moov/trak/tkhd for the size. */
#include "mp4_info.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

bool mp4_is(const void *data, size_t len) { return len >= 16 && memcmp((const char *)data + 4, "ftyp", 4) == 0; }

/* The next box of [p, end): its type and content. False at the end or on a broken size. */
static bool next_box(const unsigned char **p, const unsigned char *end, char type[5], const unsigned char **body,
                     size_t *body_len) {
  size_t left = (size_t)(end - *p);
  if (left < 8) return false;
  uint64_t size = be32(*p), head = 8;
  if (size == 1) {
    if (left < 16) return false;
    size = be64(*p + 8);
    head = 16;
  } else if (size == 0) {
    size = left;
  }
  if (size < head || size > left) return false;
  memcpy(type, *p + 4, 4);
  type[4] = '\0';
  *body = *p + head;
  *body_len = (size_t)(size - head);
  *p += size;
  return true;
}

/* tkhd: version 0 or 1, then fields up to 16.16 width and height as its last 8 bytes. */
static void read_tkhd(const unsigned char *b, size_t n, mp4_info *out) {
  if (n < 84 || out->width) return;
  int w = (int)(be32(b + n - 8) >> 16), h = (int)(be32(b + n - 4) >> 16);
  if (w > 0 && h > 0) out->width = w, out->height = h;
}

static void read_mvhd(const unsigned char *b, size_t n, mp4_info *out) {
  if (n < 32) return;
  uint64_t scale, duration;
  if (b[0] == 1) scale = be32(b + 20), duration = be64(b + 24);
  else scale = be32(b + 12), duration = be32(b + 16);
  if (scale) out->seconds = (double)duration / (double)scale;
}

bool mp4_probe(const void *data, size_t len, mp4_info *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!mp4_is(data, len)) {
    snprintf(err, errlen, "not an MP4 (no ftyp box)");
    return false;
  }
  const unsigned char *p = data, *end = p + len, *body;
  size_t n;
  char type[5];
  bool moov = false;
  while (p < end) {
    if (!next_box(&p, end, type, &body, &n)) {
      snprintf(err, errlen, "a broken MP4: a box runs past the end of the file");
      return false;
    }
    if (strcmp(type, "moov") != 0) continue;
    moov = true;
    const unsigned char *q = body, *qend = body + n, *b2;
    size_t n2;
    while (next_box(&q, qend, type, &b2, &n2)) {
      if (strcmp(type, "mvhd") == 0) read_mvhd(b2, n2, out);
      if (strcmp(type, "trak") != 0) continue;
      const unsigned char *r = b2, *rend = b2 + n2, *b3;
      size_t n3;
      while (next_box(&r, rend, type, &b3, &n3))
        if (strcmp(type, "tkhd") == 0) read_tkhd(b3, n3, out);
    }
  }
  if (!moov) {
    snprintf(err, errlen, "an MP4 without a movie header (moov)");
    return false;
  }
  return true;
}
