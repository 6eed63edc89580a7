/* fashn_ref.c — reference image files to data: URIs (see fashn_ref.h). */
#include "fashn_ref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fashn_inputs.h"

static bool read_file(const char *path, buf *out, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
    return false;
  }
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (out->len + n > FASHN_REF_MAX_FILE) {
      fclose(f);
      snprintf(err, errlen, "'%s' is larger than %zu MiB", path, FASHN_REF_MAX_FILE >> 20);
      return false;
    }
    if (!buf_append(out, chunk, n)) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad || out->oom) {
    snprintf(err, errlen, "cannot read '%s'%s", path, out->oom ? ": out of memory" : "");
    return false;
  }
  return true;
}

/* Width and height from a PNG IHDR or a JPEG SOF marker. */
static bool dimensions(const unsigned char *p, size_t n, const char **mime, int *w, int *h) {
  if (n >= 24 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8) && !memcmp(p + 12, "IHDR", 4)) {
    *mime = "image/png";
    *w = (int)((uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19]);
    *h = (int)((uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23]);
    return *w > 0 && *h > 0;
  }
  if (n >= 4 && p[0] == 0xff && p[1] == 0xd8) {
    *mime = "image/jpeg";
    size_t i = 2;
    while (i + 9 < n) {
      if (p[i] != 0xff) return false;
      unsigned m = p[i + 1];
      if (m == 0xff) { i++; continue; }
      if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
      size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
      if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
        *h = p[i + 5] << 8 | p[i + 6];
        *w = p[i + 7] << 8 | p[i + 8];
        return *w > 0 && *h > 0;
      }
      i += 2 + len;
    }
  }
  return false;
}

bool fashn_ref_from_file(const char *path, int max_edge, buf *out, bool *resized, char *err,
                         size_t errlen) {
  *resized = false;
  buf file = BUF_INIT;
  if (!read_file(path, &file, err, errlen)) {
    buf_free(&file);
    return false;
  }
  const char *mime = NULL;
  int w = 0, h = 0;
  bool ok = dimensions((const unsigned char *)file.data, file.len, &mime, &w, &h);
  if (!ok) {
    snprintf(err, errlen, "'%s' is not a PNG or JPEG image", path);
  } else if (w > max_edge || h > max_edge) {
    ok = false;
    snprintf(err, errlen, "'%s' is %dx%d; references are sent with the longest edge at most %d px", path, w,
             h, max_edge);
  } else if (b64_encoded_len(file.len) + 64 > FASHN_MAX_REFERENCE) {
    ok = false;
    snprintf(err, errlen, "'%s' is %zu bytes, too large to send as a reference", path, file.len);
  } else if (!data_uri_build(out, mime, file.data, file.len)) {
    ok = false;
    snprintf(err, errlen, "out of memory encoding '%s'", path);
  }
  buf_free(&file);
  return ok;
}
