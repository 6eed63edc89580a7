/* fuzz_jpeg.c — libFuzzer target: probing, decoding (native and into a small box) and
 * reading/embedding metadata of arbitrary bytes presented as jpeg must never crash, leak
 * or allocate past the limits; a successful decode must re-encode. */
#include <stdint.h>
#include <string.h>

#include "../../runtime/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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
