/* image.c — image.h's probe/decode/encode dispatchers: they pick the per-format file
 * (image_png.c, image_jpeg.c, image_webp.c) by the bytes or the options. What those files
 * share is in image_common.c, so no codec calls back into this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"
#include "../lazy/lazy.h"

/* The name used in messages ("truncated PNG: ..."). */
static const char *upper_name(image_format f) {
  switch (f) {
  case IMAGE_PNG: return "PNG";
  case IMAGE_JPEG: return "JPEG";
  case IMAGE_WEBP: return "WebP";
  default: return "image";
  }
}

/* Loads the codec library of f (runtime/lazy/) before its first use. */
static bool codec_ready(image_format f, char *err, size_t errlen) {
  return lazy_need(f == IMAGE_PNG ? LAZY_FOR_PNG : f == IMAGE_JPEG ? LAZY_FOR_JPEG : LAZY_FOR_WEBP, err, errlen);
}

image_status image_probe(const void *data, size_t len, const image_limits *limits,
                         image_info *info, char *err, size_t errlen) {
  image_info tmp;
  if (!info) info = &tmp;
  memset(info, 0, sizeof *info);
  size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : IMAGE_DEFAULT_MAX_BYTES;
  image_format f = image_sniff(data, len);
  if (f == IMAGE_UNKNOWN) {
    if (len == 0) return img_fail(err, errlen, IMAGE_EFORMAT, "empty image data (0 bytes)");
    return img_fail(err, errlen, IMAGE_EFORMAT, "not a PNG, JPEG or WebP image (unrecognised first bytes)");
  }
  if (len > max_bytes)
    return img_fail(err, errlen, IMAGE_ETOOBIG, "%s is %zu bytes, more than the %zu-byte limit",
                    upper_name(f), len, max_bytes);
  if (!codec_ready(f, err, errlen)) return IMAGE_ENOLIB;
  image_status st = f == IMAGE_PNG    ? png_probe(data, len, info, err, errlen)
                    : f == IMAGE_JPEG ? jpeg_probe(data, len, info, err, errlen)
                                      : webp_probe(data, len, info, err, errlen);
  if (st != IMAGE_OK) return st;
  info->format = f;
  return img_check_dims(upper_name(f), info->width, info->height, limits, err, errlen);
}

image_status image_decode(const void *data, size_t len, const image_decode_opts *opts,
                          image *out, image_info *info, char *err, size_t errlen) {
  out->width = out->height = 0;
  out->rgba = NULL;
  image_info tmp;
  if (!info) info = &tmp;
  image_status st = image_probe(data, len, opts ? &opts->limits : NULL, info, err, errlen);
  if (st != IMAGE_OK) return st;
  switch (info->format) {
  case IMAGE_PNG: st = png_decode(data, len, opts, out, err, errlen); break;
  case IMAGE_JPEG: st = jpeg_decode(data, len, opts, out, err, errlen); break;
  default: st = webp_decode(data, len, opts, out, err, errlen); break;
  }
  if (st != IMAGE_OK) image_free(out);
  return st;
}

image_status image_encode(const image *im, const image_encode_opts *opts, buf *out, char *err,
                          size_t errlen) {
  if (!im || !im->rgba || im->width <= 0 || im->height <= 0)
    return img_fail(err, errlen, IMAGE_EARG, "nothing to encode (empty image)");
  if (!opts) return img_fail(err, errlen, IMAGE_EARG, "no encoding options (format)");
  if (opts->quality < 0 || opts->quality > 100)
    return img_fail(err, errlen, IMAGE_EARG, "quality %d is outside 1..100", opts->quality);
  if (opts->near_lossless < 0 || opts->near_lossless > 100)
    return img_fail(err, errlen, IMAGE_EARG, "near_lossless %d is outside 0..100", opts->near_lossless);
  image_status st;
  if (opts->meta_json && (st = img_check_meta(opts->meta_json, opts->meta_len, err, errlen)) != IMAGE_OK) return st;
  if ((opts->format == IMAGE_PNG || opts->format == IMAGE_JPEG || opts->format == IMAGE_WEBP) &&
      !codec_ready(opts->format, err, errlen))
    return IMAGE_ENOLIB;
  size_t before = out->len;
  switch (opts->format) {
  case IMAGE_PNG: st = png_encode(im, opts, out, err, errlen); break;
  case IMAGE_JPEG: st = jpeg_encode(im, opts, out, err, errlen); break;
  case IMAGE_WEBP: st = webp_encode(im, opts, out, err, errlen); break;
  default: return img_fail(err, errlen, IMAGE_EARG, "cannot encode to format '%s'", image_format_name(opts->format));
  }
  if (st == IMAGE_OK && out->oom) st = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding the image");
  if (st != IMAGE_OK && !out->oom) {
    out->len = before;
    if (out->data) out->data[before] = '\0';
  }
  return st;
}
