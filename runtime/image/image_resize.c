/* image_resize.c — resampling: a streaming area-averaging reducer (exact fractional pixel
 * coverage, used by the PNG decoder and for strong reductions), a separable Lanczos-3
 * resampler whose vertical pass keeps only a ring of filtered rows (memory stays a few
 * rows wide whatever the source height), fit/fill/crop on top, and cropping. All
 * filtering happens on premultiplied alpha, so transparent pixels never bleed colour. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

static uint8_t to_u8(float v) {
  if (!(v > 0.0f)) return 0; /* also catches NaN */
  if (v >= 255.0f) return 255;
  return (uint8_t)(v + 0.5f);
}

/* Writes one premultiplied float row (n pixels) as straight-alpha RGBA. */
static void unpremultiply_row(const float *src, uint8_t *dst, int n) {
  for (int x = 0; x < n; x++, src += 4, dst += 4) {
    float a = src[3];
    if (a <= 0.0f) {
      dst[0] = dst[1] = dst[2] = dst[3] = 0;
      continue;
    }
    float k = 255.0f / a;
    dst[0] = to_u8(src[0] * k);
    dst[1] = to_u8(src[1] * k);
    dst[2] = to_u8(src[2] * k);
    dst[3] = to_u8(a);
  }
}

/* ---- area reducer ----------------------------------------------------------------------- */

image_status area_init(area_reducer *r, int sw, int sh, int dw, int dh, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  if (dw <= 0 || dh <= 0 || dw > sw || dh > sh)
    return img_fail(err, errlen, IMAGE_EARG, "area reduction from %dx%d to %dx%d is not a reduction", sw, sh, dw, dh);
  r->sw = sw;
  r->sh = sh;
  r->dw = dw;
  r->dh = dh;
  image_status st = image_alloc(&r->out, dw, dh, err, errlen);
  if (st != IMAGE_OK) return st;
  size_t row = (size_t)(dw + 1) * 4;
  r->xo = malloc(sizeof *r->xo * (size_t)sw);
  r->xw = malloc(sizeof *r->xw * (size_t)sw);
  r->hrow = calloc(row, sizeof(float));
  r->acc = calloc(row, sizeof(float));
  r->next = calloc(row, sizeof(float));
  if (!r->xo || !r->xw || !r->hrow || !r->acc || !r->next) {
    area_free(r);
    return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory resizing to %dx%d", dw, dh);
  }
  /* In units where a source pixel is dw long and an output pixel sw long, source pixel x
   * spans [x*dw, (x+1)*dw): its overlap with output xo, divided by sw, is its weight. */
  for (int x = 0; x < sw; x++) {
    int64_t a = (int64_t)x * dw, b = a + dw;
    int o = (int)(a / sw);
    int64_t edge = (int64_t)(o + 1) * sw;
    r->xo[x] = o;
    r->xw[x] = (float)((b < edge ? b : edge) - a) / (float)sw;
  }
  return IMAGE_OK;
}

void area_push_row(area_reducer *r, const uint8_t *rgba) {
  if (r->y >= r->sh) return;
  float *h = r->hrow;
  memset(h, 0, sizeof(float) * (size_t)(r->dw + 1) * 4);
  const float full = (float)r->dw / (float)r->sw;
  for (int x = 0; x < r->sw; x++, rgba += 4) {
    float a = rgba[3], k = a * (1.0f / 255.0f);
    float pr = rgba[0] * k, pg = rgba[1] * k, pb = rgba[2] * k;
    float w0 = r->xw[x], w1 = full - w0;
    float *p = h + (size_t)r->xo[x] * 4;
    p[0] += pr * w0, p[1] += pg * w0, p[2] += pb * w0, p[3] += a * w0;
    p[4] += pr * w1, p[5] += pg * w1, p[6] += pb * w1, p[7] += a * w1;
  }
  /* Vertically the same split: row y spans [y*dh, (y+1)*dh) against output rows of sh. */
  int64_t a = (int64_t)r->y * r->dh, b = a + r->dh, edge = (int64_t)(r->oy + 1) * r->sh;
  float v0 = (float)((b < edge ? b : edge) - a) / (float)r->sh;
  float v1 = (float)r->dh / (float)r->sh - v0;
  size_t n = (size_t)r->dw * 4;
  for (size_t i = 0; i < n; i++) {
    r->acc[i] += h[i] * v0;
    r->next[i] += h[i] * v1;
  }
  r->y++;
  if (b >= edge || r->y == r->sh) { /* output row oy is complete */
    if (r->oy < r->dh) unpremultiply_row(r->acc, r->out.rgba + (size_t)r->oy * r->dw * 4, r->dw);
    float *t = r->acc;
    r->acc = r->next;
    r->next = t;
    memset(r->next, 0, sizeof(float) * (size_t)(r->dw + 1) * 4);
    r->oy++;
  }
}

void area_finish(area_reducer *r, image *dst) {
  *dst = r->out;
  r->out = (image)IMAGE_INIT;
}

void area_free(area_reducer *r) {
  free(r->xo);
  free(r->xw);
  free(r->hrow);
  free(r->acc);
  free(r->next);
  image_free(&r->out);
  memset(r, 0, sizeof *r);
}

/* ---- Lanczos-3 ---------------------------------------------------------------------------- */

typedef struct kernel {
  int n;       /* taps per output sample (the maximum; unused taps have weight 0) */
  int *start;  /* first source index per output sample */
  float *w;    /* out * n weights */
} kernel;

static double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return sin(x) / x;
}

static double lanczos3(double x) { return (x > -3.0 && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

/* Weights for resampling `in` samples to `out` (the support widens when reducing). */
static bool kernel_make(kernel *k, int in, int out) {
  double scale = (double)in / out, fs = scale > 1.0 ? scale : 1.0, support = 3.0 * fs;
  k->n = (int)ceil(support) * 2 + 1;
  if (k->n > in) k->n = in;
  k->start = malloc(sizeof *k->start * (size_t)out);
  k->w = calloc((size_t)out * (size_t)k->n, sizeof *k->w);
  if (!k->start || !k->w) return false;
  for (int o = 0; o < out; o++) {
    double center = (o + 0.5) * scale;
    int lo = (int)floor(center - support + 0.5), hi = (int)floor(center + support + 0.5);
    if (lo < 0) lo = 0;
    if (hi > in) hi = in;
    if (hi - lo > k->n) hi = lo + k->n;
    if (lo > in - k->n) lo = in - k->n; /* keep the window inside; extra taps weigh 0 */
    k->start[o] = lo;
    float *w = k->w + (size_t)o * k->n;
    double sum = 0.0;
    for (int j = 0; j < k->n && lo + j < in; j++) {
      double v = lanczos3((lo + j + 0.5 - center) / fs);
      w[j] = (float)v;
      sum += v;
    }
    if (sum != 0.0)
      for (int j = 0; j < k->n; j++) w[j] = (float)(w[j] / sum);
  }
  return true;
}

static void kernel_free(kernel *k) {
  free(k->start);
  free(k->w);
}

/* One source row: premultiply, then filter horizontally into dst (dw * 4 floats). */
static void filter_row(const uint8_t *src, int sw, const kernel *kx, int dw, float *pm, float *dst) {
  for (int x = 0; x < sw; x++) {
    float a = src[x * 4 + 3], k = a * (1.0f / 255.0f);
    pm[x * 4] = src[x * 4] * k;
    pm[x * 4 + 1] = src[x * 4 + 1] * k;
    pm[x * 4 + 2] = src[x * 4 + 2] * k;
    pm[x * 4 + 3] = a;
  }
  for (int o = 0; o < dw; o++) {
    const float *w = kx->w + (size_t)o * kx->n, *p = pm + (size_t)kx->start[o] * 4;
    float r = 0, g = 0, b = 0, a = 0;
    for (int j = 0; j < kx->n; j++, p += 4) {
      r += p[0] * w[j];
      g += p[1] * w[j];
      b += p[2] * w[j];
      a += p[3] * w[j];
    }
    dst[o * 4] = r, dst[o * 4 + 1] = g, dst[o * 4 + 2] = b, dst[o * 4 + 3] = a;
  }
}

static image_status lanczos(const image *src, int dw, int dh, image *dst, char *err, size_t errlen) {
  int sw = src->width, sh = src->height;
  kernel kx = {0}, ky = {0};
  float *pm = NULL, *ring = NULL, *acc = NULL;
  image_status st = image_alloc(dst, dw, dh, err, errlen);
  if (st != IMAGE_OK) return st;
  if (!kernel_make(&kx, sw, dw) || !kernel_make(&ky, sh, dh) || !(pm = malloc(sizeof *pm * 4 * (size_t)sw)) ||
      !(ring = malloc(sizeof *ring * 4 * (size_t)dw * (size_t)ky.n)) || !(acc = malloc(sizeof *acc * 4 * (size_t)dw))) {
    image_free(dst);
    st = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory resizing to %dx%d", dw, dh);
    goto done;
  }
  /* Source rows are filtered horizontally once each, in order, into a ring of ky.n rows:
   * the windows of successive output rows only move down. */
  int next = 0;
  size_t rowf = (size_t)dw * 4;
  for (int oy = 0; oy < dh; oy++) {
    int lo = ky.start[oy];
    for (; next < lo + ky.n && next < sh; next++)
      filter_row(src->rgba + (size_t)next * sw * 4, sw, &kx, dw, pm, ring + (size_t)(next % ky.n) * rowf);
    memset(acc, 0, sizeof *acc * rowf);
    const float *w = ky.w + (size_t)oy * ky.n;
    for (int j = 0; j < ky.n && lo + j < sh; j++) {
      if (w[j] == 0.0f) continue;
      const float *r = ring + (size_t)((lo + j) % ky.n) * rowf;
      for (size_t i = 0; i < rowf; i++) acc[i] += r[i] * w[j];
    }
    unpremultiply_row(acc, dst->rgba + (size_t)oy * dw * 4, dw);
  }
done:
  kernel_free(&kx);
  kernel_free(&ky);
  free(pm);
  free(ring);
  free(acc);
  return st;
}

image_status image_resize(const image *src, int width, int height, image *dst, char *err, size_t errlen) {
  dst->width = dst->height = 0;
  dst->rgba = NULL;
  if (!src || !src->rgba || src->width <= 0 || src->height <= 0)
    return img_fail(err, errlen, IMAGE_EARG, "nothing to resize (empty image)");
  if (width <= 0 || height <= 0 || width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
    return img_fail(err, errlen, IMAGE_EARG, "invalid target size %dx%d", width, height);
  int sw = src->width, sh = src->height;
  if (width == sw && height == sh) {
    image_status st = image_alloc(dst, sw, sh, err, errlen);
    if (st == IMAGE_OK) memcpy(dst->rgba, src->rgba, (size_t)sw * sh * 4);
    return st;
  }
  /* Strong reductions: average areas down to twice the target, then Lanczos the rest
   * (sharp, no aliasing, and the Lanczos support stays small). */
  if (sw >= 3 * width && sh >= 3 * height) {
    area_reducer r;
    image mid = IMAGE_INIT;
    image_status st = area_init(&r, sw, sh, width * 2, height * 2, err, errlen);
    if (st != IMAGE_OK) return st;
    for (int y = 0; y < sh; y++) area_push_row(&r, src->rgba + (size_t)y * sw * 4);
    area_finish(&r, &mid);
    area_free(&r);
    st = lanczos(&mid, width, height, dst, err, errlen);
    image_free(&mid);
    return st;
  }
  return lanczos(src, width, height, dst, err, errlen);
}

image_status image_crop(const image *src, int x, int y, int width, int height, image *dst, char *err,
                        size_t errlen) {
  dst->width = dst->height = 0;
  dst->rgba = NULL;
  if (!src || !src->rgba) return img_fail(err, errlen, IMAGE_EARG, "nothing to crop (empty image)");
  if (x < 0 || y < 0 || width <= 0 || height <= 0 || x > src->width - width || y > src->height - height)
    return img_fail(err, errlen, IMAGE_EARG, "crop rectangle %dx%d at (%d,%d) is not inside the %dx%d image", width,
                    height, x, y, src->width, src->height);
  image_status st = image_alloc(dst, width, height, err, errlen);
  if (st != IMAGE_OK) return st;
  for (int r = 0; r < height; r++)
    memcpy(dst->rgba + (size_t)r * width * 4, src->rgba + ((size_t)(y + r) * src->width + (size_t)x) * 4,
           (size_t)width * 4);
  return IMAGE_OK;
}

image_status image_resize_fit(const image *src, int bw, int bh, image_fit mode, image *dst, char *err,
                              size_t errlen) {
  dst->width = dst->height = 0;
  dst->rgba = NULL;
  if (!src || !src->rgba) return img_fail(err, errlen, IMAGE_EARG, "nothing to resize (empty image)");
  int w, h;
  if (!image_fit_size(src->width, src->height, bw, bh, mode, &w, &h))
    return img_fail(err, errlen, IMAGE_EARG, "invalid resize box %dx%d", bw, bh);
  if (mode != IMAGE_CROP || bw == 0 || bh == 0 || (w == bw && h == bh))
    return image_resize(src, w, h, dst, err, errlen);
  image scaled = IMAGE_INIT;
  image_status st = image_resize(src, w, h, &scaled, err, errlen);
  if (st == IMAGE_OK) st = image_crop(&scaled, (w - bw) / 2, (h - bh) / 2, bw, bh, dst, err, errlen);
  image_free(&scaled);
  return st;
}
