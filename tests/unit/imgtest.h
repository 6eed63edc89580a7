/* imgtest.h — helpers shared by the image unit tests: synthetic images and comparisons. */
#ifndef ATELIER_IMGTEST_H
#define ATELIER_IMGTEST_H

#include <stdlib.h>

#include "../../runtime/image/image.h"
#include "unit.h" /* the helpers run inside test bodies: one that cannot make its image
                     * ends that test with a REQUIRE rather than abort() the runner */

/* A smooth colour gradient (compresses well, survives lossy codecs) with optional alpha
 * ramp across x. */
static inline image imgtest_gradient(int w, int h, bool alpha) {
  image im = IMAGE_INIT;
  REQUIRE_INT(image_alloc(&im, w, h, NULL, 0), IMAGE_OK);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = im.rgba + ((size_t)y * w + x) * 4;
      p[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
      p[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
      p[2] = (uint8_t)((x + y) * 127 / (w + h));
      p[3] = alpha ? (uint8_t)(64 + x * 191 / (w > 1 ? w - 1 : 1)) : 255;
    }
  return im;
}

static inline image imgtest_solid(int w, int h, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {
  image im = IMAGE_INIT;
  REQUIRE_INT(image_alloc(&im, w, h, NULL, 0), IMAGE_OK);
  for (size_t i = 0; i < (size_t)w * h; i++) {
    im.rgba[i * 4] = r, im.rgba[i * 4 + 1] = g, im.rgba[i * 4 + 2] = b, im.rgba[i * 4 + 3] = a;
  }
  return im;
}

/* Largest absolute channel difference over RGB (and alpha when with_alpha); -1 when the
 * sizes differ. */
static inline int imgtest_maxdiff(const image *a, const image *b, bool with_alpha) {
  if (a->width != b->width || a->height != b->height) return -1;
  int m = 0;
  for (size_t i = 0; i < (size_t)a->width * a->height * 4; i++) {
    if (!with_alpha && i % 4 == 3) continue;
    int d = abs((int)a->rgba[i] - (int)b->rgba[i]);
    if (d > m) m = d;
  }
  return m;
}

/* Mean absolute channel difference (RGB). */
static inline double imgtest_meandiff(const image *a, const image *b) {
  double s = 0;
  size_t n = (size_t)a->width * a->height;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++) s += abs((int)a->rgba[i * 4 + c] - (int)b->rgba[i * 4 + c]);
  return s / (double)(n * 3);
}

static inline buf imgtest_encode(const image *im, image_format f, int quality, bool lossless) {
  buf b = BUF_INIT;
  image_encode_opts o = {.format = f, .quality = quality, .lossless = lossless};
  char err[200];
  REQUIRE_INT(image_encode(im, &o, &b, err, sizeof err), IMAGE_OK);
  return b;
}

#endif
