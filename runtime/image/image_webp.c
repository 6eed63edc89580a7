/* image_webp.c — WebP through libwebp: header probe (WebPGetFeatures), decoding to RGBA
 * straight into our buffer (libwebp's own scaler when a smaller size is asked for) and
 * encoding (lossy quality, lossless, near-lossless) through a writer that appends to the
 * output buf, so the bitstream is never copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "image_internal.h"

static image_status status_fail(VP8StatusCode s, char *err, size_t errlen) {
  switch (s) {
  case VP8_STATUS_NOT_ENOUGH_DATA:
    return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated WebP: the data ends too soon");
  case VP8_STATUS_OUT_OF_MEMORY: return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory decoding WebP");
  case VP8_STATUS_UNSUPPORTED_FEATURE:
    return img_fail(err, errlen, IMAGE_EFORMAT, "unsupported WebP: a feature libwebp cannot decode");
  default: return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt WebP: invalid bitstream (libwebp status %d)", (int)s);
  }
}

image_status webp_probe(const uint8_t *d, size_t n, image_info *info, char *err, size_t errlen) {
  WebPBitstreamFeatures f;
  VP8StatusCode s = WebPGetFeatures(d, n, &f);
  if (s != VP8_STATUS_OK) return status_fail(s, err, errlen);
  info->width = f.width;
  info->height = f.height;
  info->has_alpha = f.has_alpha != 0;
  info->animated = f.has_animation != 0;
  info->progressive = false;
  return IMAGE_OK;
}

image_status webp_decode(const uint8_t *d, size_t n, const image_decode_opts *o, image *out,
                         char *err, size_t errlen) {
  WebPDecoderConfig cfg;
  if (!WebPInitDecoderConfig(&cfg)) return img_fail(err, errlen, IMAGE_ENOMEM, "cannot start the WebP decoder");
  VP8StatusCode s = WebPGetFeatures(d, n, &cfg.input);
  if (s != VP8_STATUS_OK) return status_fail(s, err, errlen);
  if (cfg.input.has_animation)
    return img_fail(err, errlen, IMAGE_EFORMAT, "unsupported WebP: animated images are not supported");
  int w = cfg.input.width, h = cfg.input.height;
  image_status st = img_check_dims("WebP", w, h, o ? &o->limits : NULL, err, errlen);
  if (st != IMAGE_OK) return st;
  int tw, th;
  img_decode_target(w, h, o, &tw, &th);
  if (tw != w || th != h) {
    cfg.options.use_scaling = 1;
    cfg.options.scaled_width = tw;
    cfg.options.scaled_height = th;
  }
  if ((st = image_alloc(out, tw, th, err, errlen)) != IMAGE_OK) return st;
  cfg.output.colorspace = MODE_RGBA;
  cfg.output.is_external_memory = 1;
  cfg.output.u.RGBA.rgba = out->rgba;
  cfg.output.u.RGBA.stride = tw * 4;
  cfg.output.u.RGBA.size = (size_t)tw * th * 4;
  s = WebPDecode(d, n, &cfg);
  WebPFreeDecBuffer(&cfg.output);
  if (s != VP8_STATUS_OK) {
    image_free(out);
    return status_fail(s, err, errlen);
  }
  return IMAGE_OK;
}

static int on_write(const uint8_t *data, size_t n, const WebPPicture *pic) {
  return buf_append((buf *)pic->custom_ptr, data, n) ? 1 : 0;
}

static const char *enc_error(WebPEncodingError e) {
  switch (e) {
  case VP8_ENC_ERROR_OUT_OF_MEMORY:
  case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: return "out of memory";
  case VP8_ENC_ERROR_BAD_DIMENSION: return "invalid dimensions";
  case VP8_ENC_ERROR_PARTITION0_OVERFLOW:
  case VP8_ENC_ERROR_PARTITION_OVERFLOW: return "partition overflow (try a lower quality)";
  case VP8_ENC_ERROR_FILE_TOO_BIG: return "file bigger than 4 GB";
  case VP8_ENC_ERROR_BAD_WRITE: return "out of memory writing the output";
  default: return "encoder error";
  }
}

/* Adds the XMP chunk through libwebpmux (image_meta.c). */
image_status img_webp_insert_meta(buf *out, size_t start, const image_encode_opts *o, char *err, size_t errlen);

image_status webp_encode(const image *im, const image_encode_opts *o, buf *out, char *err, size_t errlen) {
  if (im->width > WEBP_MAX_DIMENSION || im->height > WEBP_MAX_DIMENSION)
    return img_fail(err, errlen, IMAGE_ETOOBIG, "image is %dx%d, larger than WebP's %d-pixel limit", im->width,
                    im->height, WEBP_MAX_DIMENSION);
  WebPConfig cfg;
  WebPPicture pic;
  if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
    return img_fail(err, errlen, IMAGE_EARG, "libwebp version mismatch");
  bool lossless = o->lossless || o->near_lossless > 0;
  cfg.quality = (float)(o->quality ? o->quality : lossless ? 75 : 90);
  cfg.lossless = lossless;
  if (o->near_lossless > 0) cfg.near_lossless = o->near_lossless;
  if (o->effort >= 1) cfg.method = o->effort >= 7 ? 6 : o->effort - 1;
  cfg.thread_level = 1; /* libwebp's helper thread: same bytes, less waiting (cwebp -mt) */
  if (!WebPValidateConfig(&cfg)) return img_fail(err, errlen, IMAGE_EARG, "invalid WebP options");
  pic.width = im->width;
  pic.height = im->height;
  pic.use_argb = lossless; /* what cwebp does: lossy goes straight to YUV */
  int ok = image_is_opaque(im) ? WebPPictureImportRGBX(&pic, im->rgba, im->width * 4)
                               : WebPPictureImportRGBA(&pic, im->rgba, im->width * 4);
  if (!ok) {
    WebPPictureFree(&pic);
    return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding WebP");
  }
  size_t start = out->len;
  pic.writer = on_write;
  pic.custom_ptr = out;
  image_status st = IMAGE_OK;
  if (!WebPEncode(&cfg, &pic))
    st = img_fail(err, errlen, pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY ? IMAGE_ENOMEM : IMAGE_EARG,
                  "cannot encode WebP: %s", enc_error(pic.error_code));
  WebPPictureFree(&pic);
  if (st == IMAGE_OK && o->meta_json) st = img_webp_insert_meta(out, start, o, err, errlen);
  return st;
}
