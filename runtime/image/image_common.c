/* image_common.c — the format-independent half of image.h that every image file shares:
 * sniffing, names, limits, pixel buffers, fit arithmetic, error formatting. Calls no
 * codec: the dispatchers that do are in image.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image_internal.h"

image_status img_fail(char *err, size_t errlen, image_status st, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return st;
}

const char *img_fmt_pixels(uint64_t px, char out[24]) {
  static const struct {
    double unit;
    const char *name;
  } units[] = {{1e9, "Gpx"}, {1e6, "Mpx"}, {1e3, "kpx"}};
  for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
    if ((double)px >= units[i].unit) {
      double v = (double)px / units[i].unit;
      if (px % (uint64_t)units[i].unit == 0) snprintf(out, 24, "%.0f %s", v, units[i].name);
      else snprintf(out, 24, "%.1f %s", v, units[i].name);
      return out;
    }
  }
  snprintf(out, 24, "%llu px", (unsigned long long)px);
  return out;
}

uint64_t img_max_pixels(const image_limits *lim) {
  return lim && lim->max_pixels ? lim->max_pixels : IMAGE_DEFAULT_MAX_PIXELS;
}

image_status img_check_dims(const char *fmt_name, int w, int h, const image_limits *lim,
                            char *err, size_t errlen) {
  if (w <= 0 || h <= 0)
    return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt %s: invalid size %dx%d", fmt_name, w, h);
  uint64_t px = (uint64_t)w * (uint64_t)h, max = img_max_pixels(lim);
  if (px > max || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE) {
    char a[24], b[24];
    if (px > max)
      return img_fail(err, errlen, IMAGE_ETOOBIG, "image is %dx%d (%s), more than the %s limit", w, h,
                      img_fmt_pixels(px, a), img_fmt_pixels(max, b));
    return img_fail(err, errlen, IMAGE_ETOOBIG, "image is %dx%d, more than %d pixels on a side", w, h,
                    IMAGE_MAX_SIDE);
  }
  return IMAGE_OK;
}

image_format image_sniff(const void *data, size_t len) {
  const uint8_t *d = data;
  if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return IMAGE_PNG;
  if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return IMAGE_JPEG;
  if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) return IMAGE_WEBP;
  return IMAGE_UNKNOWN;
}

const char *image_format_name(image_format f) {
  switch (f) {
  case IMAGE_PNG: return "png";
  case IMAGE_JPEG: return "jpeg";
  case IMAGE_WEBP: return "webp";
  default: return "unknown";
  }
}

const char *image_format_mime(image_format f) {
  switch (f) {
  case IMAGE_PNG: return "image/png";
  case IMAGE_JPEG: return "image/jpeg";
  case IMAGE_WEBP: return "image/webp";
  default: return NULL;
  }
}

image_format image_format_from_name(const char *name) {
  if (!name) return IMAGE_UNKNOWN;
  if (strncasecmp(name, "image/", 6) == 0) name += 6;
  if (strcasecmp(name, "png") == 0) return IMAGE_PNG;
  if (strcasecmp(name, "jpeg") == 0 || strcasecmp(name, "jpg") == 0) return IMAGE_JPEG;
  if (strcasecmp(name, "webp") == 0) return IMAGE_WEBP;
  return IMAGE_UNKNOWN;
}

image_format image_format_from_path(const char *path) {
  if (!path) return IMAGE_UNKNOWN;
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash) || strncasecmp(dot + 1, "image/", 6) == 0) return IMAGE_UNKNOWN;
  return image_format_from_name(dot + 1);
}

const char *image_strerror(image_status s) {
  switch (s) {
  case IMAGE_OK: return "ok";
  case IMAGE_EFORMAT: return "unsupported image format";
  case IMAGE_ECORRUPT: return "corrupt image data";
  case IMAGE_ETRUNCATED: return "truncated image data";
  case IMAGE_ETOOBIG: return "image too large";
  case IMAGE_ENOMEM: return "out of memory";
  case IMAGE_EARG: return "invalid argument";
  case IMAGE_ENOMETA: return "no embedded metadata";
  case IMAGE_EIO: return "input/output error";
  case IMAGE_ENOLIB: return "codec library missing";
  }
  return "unknown image error";
}

image_status image_alloc(image *im, int width, int height, char *err, size_t errlen) {
  im->width = im->height = 0;
  im->rgba = NULL;
  if (width <= 0 || height <= 0 || width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
    return img_fail(err, errlen, IMAGE_EARG, "invalid image size %dx%d", width, height);
  uint64_t px = (uint64_t)width * (uint64_t)height;
  if (px > IMAGE_DEFAULT_MAX_PIXELS) {
    char a[24], b[24];
    return img_fail(err, errlen, IMAGE_ETOOBIG, "image is %dx%d (%s), more than the %s limit", width,
                    height, img_fmt_pixels(px, a), img_fmt_pixels(IMAGE_DEFAULT_MAX_PIXELS, b));
  }
  im->rgba = calloc((size_t)px, 4);
  if (!im->rgba)
    return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory for a %dx%d image", width, height);
  im->width = width;
  im->height = height;
  return IMAGE_OK;
}

void image_free(image *im) {
  if (!im) return;
  free(im->rgba);
  im->rgba = NULL;
  im->width = im->height = 0;
}

bool image_is_opaque(const image *im) {
  size_t n = (size_t)im->width * (size_t)im->height;
  const uint8_t *p = im->rgba + 3;
  uint8_t all = 0xFF;
  for (size_t i = 0; i < n; i++) all &= p[i * 4];
  return all == 0xFF;
}

static int64_t round_div(int64_t a, int64_t b) { return (a + b / 2) / b; }

static int clamp_side(int64_t v) { return v < 1 ? 1 : v > IMAGE_MAX_SIDE ? IMAGE_MAX_SIDE : (int)v; }

bool image_fit_size(int sw, int sh, int bw, int bh, image_fit mode, int *w, int *h) {
  if (sw <= 0 || sh <= 0 || bw < 0 || bh < 0 || (bw == 0 && bh == 0)) return false;
  int64_t W, H;
  if (bh == 0) {
    W = bw;
    H = round_div((int64_t)sh * bw, sw);
  } else if (bw == 0) {
    H = bh;
    W = round_div((int64_t)sw * bh, sh);
  } else if (mode == IMAGE_FILL) {
    W = bw;
    H = bh;
  } else {
    /* Is the source relatively wider than the box? Then FIT is bound by the width and
     * CROP (cover) by the height. */
    bool wider = (int64_t)sw * bh > (int64_t)sh * bw;
    if (wider == (mode == IMAGE_FIT)) {
      W = bw;
      H = round_div((int64_t)sh * bw, sw);
    } else {
      H = bh;
      W = round_div((int64_t)sw * bh, sh);
    }
  }
  *w = clamp_side(W);
  *h = clamp_side(H);
  return true;
}

void img_decode_target(int sw, int sh, const image_decode_opts *o, int *tw, int *th) {
  *tw = sw;
  *th = sh;
  if (!o || (o->box_width <= 0 && o->box_height <= 0)) return;
  int w, h;
  if (!image_fit_size(sw, sh, o->box_width > 0 ? o->box_width : 0, o->box_height > 0 ? o->box_height : 0,
                      o->cover ? IMAGE_CROP : IMAGE_FIT, &w, &h))
    return;
  if (w > sw || h > sh || (w == sw && h == sh)) return; /* never enlarge */
  *tw = w;
  *th = h;
}
