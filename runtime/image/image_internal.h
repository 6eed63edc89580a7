/* image_internal.h — what the image_*.c files share and nobody else should use: error
 * formatting, limit checks, the per-format entry points behind image.h's dispatchers, and
 * the streaming area-averaging reducer (rows in, smaller image out). */
#ifndef ATELIER_IMAGE_INTERNAL_H
#define ATELIER_IMAGE_INTERNAL_H

#include "image.h"

/* Formats a message into err (may be NULL) and returns st. */
image_status img_fail(char *err, size_t errlen, image_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "2.5 Gpx", "100 Mpx", "12.3 kpx", "640 px" into out[24]. */
const char *img_fmt_pixels(uint64_t px, char out[24]);

/* Checks w x h against the pixel limit (and sanity); the message names the format. */
image_status img_check_dims(const char *fmt_name, int w, int h, const image_limits *lim,
                            char *err, size_t errlen);
uint64_t img_max_pixels(const image_limits *lim);

/* Checks that metadata is a JSON object within IMAGE_META_MAX (image_meta.c). */
image_status img_check_meta(const char *json, size_t n, char *err, size_t errlen);

/* The size to decode to for opts' box (never larger than the source). */
void img_decode_target(int sw, int sh, const image_decode_opts *o, int *tw, int *th);

/* Per-format code (image_png.c, image_jpeg.c, image_webp.c). `probe` fills info from the
 * header; `decode` is called after the byte limit was checked. */
image_status png_probe(const uint8_t *d, size_t n, image_info *info, char *err, size_t errlen);
image_status png_decode(const uint8_t *d, size_t n, const image_decode_opts *o, image *out,
                        char *err, size_t errlen);
image_status png_encode(const image *im, const image_encode_opts *o, buf *out, char *err,
                        size_t errlen);
image_status jpeg_probe(const uint8_t *d, size_t n, image_info *info, char *err, size_t errlen);
image_status jpeg_decode(const uint8_t *d, size_t n, const image_decode_opts *o, image *out,
                         char *err, size_t errlen);
image_status jpeg_encode(const image *im, const image_encode_opts *o, buf *out, char *err,
                         size_t errlen);
image_status webp_probe(const uint8_t *d, size_t n, image_info *info, char *err, size_t errlen);
image_status webp_decode(const uint8_t *d, size_t n, const image_decode_opts *o, image *out,
                         char *err, size_t errlen);
image_status webp_encode(const image *im, const image_encode_opts *o, buf *out, char *err,
                         size_t errlen);

/* Streaming area-averaging downscaler: feed the sw x sh source one RGBA row at a time
 * (top to bottom) and get an exactly dw x dh image (dw <= sw, dh <= sh) where each output
 * pixel is the alpha-weighted average of the source area it covers (fractional edges
 * included). Memory: a few rows of floats plus the output. */
typedef struct area_reducer {
  int sw, sh, dw, dh;
  int y, oy;          /* next source row; output row being accumulated */
  int *xo;            /* per source x: the first output column it touches */
  float *xw;          /* per source x: weight into xo (the rest goes to xo + 1) */
  float *hrow;        /* one source row reduced horizontally, premultiplied, (dw+1)*4 */
  float *acc, *next;  /* output rows oy and oy + 1 being accumulated, (dw+1)*4 each */
  image out;
} area_reducer;

image_status area_init(area_reducer *r, int sw, int sh, int dw, int dh, char *err, size_t errlen);
void area_push_row(area_reducer *r, const uint8_t *rgba);
/* After all sh rows: moves the result into *dst. */
void area_finish(area_reducer *r, image *dst);
void area_free(area_reducer *r);

#endif
