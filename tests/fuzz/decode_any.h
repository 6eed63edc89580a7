/* decode_any.h — the body the per-format image fuzz targets share (fuzz_png.c,
 * fuzz_jpeg.c, fuzz_webp.c): probing, decoding (native and into a small box) and
 * reading/embedding metadata of arbitrary bytes must never crash, leak or allocate past
 * the limits; a successful decode must re-encode. The targets differ only in the corpus
 * libFuzzer mutates, which is what steers it deep into one decoder. */
#ifndef ATELIER_FUZZ_DECODE_ANY_H
#define ATELIER_FUZZ_DECODE_ANY_H

#include <stdint.h>
#include <string.h>

#include "../../runtime/image/image.h"

static int fuzz_decode_any(const uint8_t *data, size_t size) {
  char err[256];
  image_info info;
  /* Small limits keep each run fast and prove the limits hold. */
  image_decode_opts o = {.limits = {.max_bytes = 1 << 22, .max_pixels = 1 << 22}};
  image_probe(data, size, &o.limits, &info, err, sizeof err);
  image im = IMAGE_INIT;
  if (image_decode(data, size, &o, &im, &info, err, sizeof err) == IMAGE_OK) {
    if (!im.rgba || (uint64_t)im.width * im.height > o.limits.max_pixels) __builtin_trap();
    buf b = BUF_INIT;
    image_encode_opts e = {.format = IMAGE_PNG, .effort = 1};
    if (image_encode(&im, &e, &b, err, sizeof err) != IMAGE_OK) __builtin_trap();
    buf_free(&b);
    image_free(&im);
    o.box_width = 7;
    o.box_height = 5;
    if (image_decode(data, size, &o, &im, NULL, err, sizeof err) == IMAGE_OK && (im.width > 7 || im.height > 5))
      __builtin_trap();
    image_free(&im);
  }
  buf m = BUF_INIT;
  image_meta_read(data, size, &m, err, sizeof err);
  buf_reset(&m);
  image_meta_embed(data, size, "{\"seed\":1}", 10, &m, err, sizeof err);
  buf_free(&m);
  return 0;
}

#endif
