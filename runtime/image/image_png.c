/* image_png.c — PNG through libpng: header probe (parsed by hand, no libpng needed),
 * decoding to RGBA (row by row through the area reducer when a smaller size is asked
 * for, so a large PNG never sits in memory at full size) and encoding into a buf.
 * libpng reports errors by longjmp: everything allocated lives in a context struct that
 * the code after setjmp frees, so no local needs to be volatile. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

image_status png_probe(const uint8_t *d, size_t n, image_info *info, char *err, size_t errlen) {
  if (n < 33) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated PNG: %zu bytes, too short for a header", n);
  if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
    return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt PNG: the first chunk is not a 13-byte IHDR");
  uint32_t w = be32(d + 16), h = be32(d + 20);
  uint8_t depth = d[24], ctype = d[25], interlace = d[28];
  if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff)
    return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt PNG: invalid size %ux%u", w, h);
  bool depth_ok = false;
  switch (ctype) {
  case 0: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16; break;
  case 3: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8; break;
  case 2: case 4: case 6: depth_ok = depth == 8 || depth == 16; break;
  default: break;
  }
  if (!depth_ok)
    return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt PNG: invalid colour type %u with bit depth %u", ctype, depth);
  if (interlace > 1) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt PNG: invalid interlace method %u", interlace);
  /* Dimensions beyond int range are reported by the limit check, not as corruption. */
  info->width = w > IMAGE_MAX_SIDE * 2u ? IMAGE_MAX_SIDE * 2 : (int)w;
  info->height = h > IMAGE_MAX_SIDE * 2u ? IMAGE_MAX_SIDE * 2 : (int)h;
  info->progressive = interlace == 1;
  info->has_alpha = ctype == 4 || ctype == 6;
  /* Every chunk before IDAT must fit in the data: libpng allocates a chunk's declared
   * length before reading it, so an 85-byte file could otherwise ask for gigabytes.
   * A tRNS chunk on the way also means transparency. */
  for (size_t p = 33;;) {
    if (n - p < 8) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated PNG: the data ends before the image data");
    uint32_t len = be32(d + p);
    if (memcmp(d + p + 4, "IDAT", 4) == 0) break;
    if (len > n - p - 8 || n - p - 8 - len < 4)
      return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated PNG: chunk '%.4s' at byte %zu claims %u bytes, %zu remain",
                      (const char *)d + p + 4, p, len, n - p - 8);
    if (memcmp(d + p + 4, "tRNS", 4) == 0) info->has_alpha = true;
    p += 12 + (size_t)len;
  }
  return IMAGE_OK;
}

/* ---- decoding ------------------------------------------------------------------------------ */

typedef struct png_ctx {
  jmp_buf jmp;
  const uint8_t *data;
  size_t len, pos;
  bool truncated;
  char msg[200];
  png_structp png;
  png_infop info;
  uint8_t *row;     /* one row (streaming path) */
  png_bytep *rows;  /* row pointers (full-image path) */
  area_reducer area;
  bool area_live;
  image full;       /* full-size pixels (interlaced or native-size path) */
} png_ctx;

static void on_error(png_structp png, png_const_charp msg) {
  png_ctx *c = png_get_error_ptr(png);
  snprintf(c->msg, sizeof c->msg, "%s", msg);
  longjmp(c->jmp, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg; /* ancillary problems (bad CRC in a text chunk, ...) do not stop a decode */
}

static void on_read(png_structp png, png_bytep out, size_t n) {
  png_ctx *c = png_get_io_ptr(png);
  if (n > c->len - c->pos) {
    c->truncated = true;
    png_error(png, "unexpected end of data");
  }
  memcpy(out, c->data + c->pos, n);
  c->pos += n;
}

/* libpng's allocations go through here: none legitimately needs more than a row of a
 * 65535-pixel-wide 16-bit RGBA image or a capped ancillary chunk, so anything larger is
 * an attack on memory and is refused (libpng then reports an out-of-memory error). */
#define PNG_ALLOC_MAX ((size_t)32 << 20)

static png_voidp bounded_malloc(png_structp png, png_alloc_size_t n) {
  (void)png;
  return n <= PNG_ALLOC_MAX ? malloc(n) : NULL;
}

static void bounded_free(png_structp png, png_voidp p) {
  (void)png;
  free(p);
}

static void ctx_free(png_ctx *c) {
  if (c->png) png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
  free(c->row);
  free(c->rows);
  if (c->area_live) area_free(&c->area);
  image_free(&c->full);
}

static image_status decode_rows(png_ctx *c, const image_decode_opts *o, image *out, char *err, size_t errlen) {
  png_structp png = c->png;
  png_infop info = c->info;
  png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE); /* the pixel limit is ours, below */
  png_set_chunk_malloc_max(png, 16u << 20);         /* bounds ancillary chunks (text, iCCP) */
  png_set_read_fn(png, c, on_read);
  png_read_info(png, info);
  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  image_status st = img_check_dims("PNG", (int)w, (int)h, o ? &o->limits : NULL, err, errlen);
  if (st != IMAGE_OK) return st;
  png_set_expand(png); /* palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha */
  png_set_scale_16(png);
  png_set_gray_to_rgb(png);
  png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER); /* no-op when alpha is already there */
  int tw, th;
  img_decode_target((int)w, (int)h, o, &tw, &th);
  /* An interlaced (Adam7) image wanted at a quarter of its height or less: the 7th pass alone
   * holds every odd row in full, in order, so those rows stream into the reducer as a
   * w x h/2 image and the full-size pixels never exist. Passes 1-6 (the even rows) are
   * read and dropped a row at a time. Each output row still averages two or more source
   * rows, so skipping every other one costs nothing visible at these reductions
   * (thumbnails, lookbook cells); milder ones decode the whole image first. */
  bool odd_rows = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7 && (png_uint_32)th * 4 <= h;
  int passes = odd_rows ? 7 : png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != (size_t)w * 4)
    return img_fail(err, errlen, IMAGE_EFORMAT, "unsupported PNG layout (%zu bytes per row for width %u)",
                    (size_t)png_get_rowbytes(png, info), w);
  if (odd_rows) {
    if ((st = area_init(&c->area, (int)w, (int)(h / 2), tw, th, err, errlen)) != IMAGE_OK) return st;
    c->area_live = true;
    if (!(c->row = malloc((size_t)w * 4))) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory decoding PNG");
    for (int pass = 0; pass < passes; pass++) {
      png_uint_32 rows = PNG_PASS_ROWS(h, pass);
      if (rows == 0 || PNG_PASS_COLS(w, pass) == 0) continue; /* libpng skips empty passes too */
      for (png_uint_32 y = 0; y < rows; y++) {
        png_read_row(png, c->row, NULL); /* a pass's row: PNG_PASS_COLS pixels */
        if (pass == 6) area_push_row(&c->area, c->row); /* pass 7: odd row 2y+1, full width */
      }
    }
    png_read_end(png, NULL);
    area_finish(&c->area, out);
    return IMAGE_OK;
  }
  if (passes == 1 && (tw != (int)w || th != (int)h)) {
    /* Streaming: one row buffer, rows go straight into the area reducer. */
    if ((st = area_init(&c->area, (int)w, (int)h, tw, th, err, errlen)) != IMAGE_OK) return st;
    c->area_live = true;
    if (!(c->row = malloc((size_t)w * 4))) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory decoding PNG");
    for (png_uint_32 y = 0; y < h; y++) {
      png_read_row(png, c->row, NULL);
      area_push_row(&c->area, c->row);
    }
    png_read_end(png, NULL);
    area_finish(&c->area, out);
    return IMAGE_OK;
  }
  if ((st = image_alloc(&c->full, (int)w, (int)h, err, errlen)) != IMAGE_OK) return st;
  if (!(c->rows = malloc(sizeof *c->rows * h))) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory decoding PNG");
  for (png_uint_32 y = 0; y < h; y++) c->rows[y] = c->full.rgba + (size_t)y * w * 4;
  png_read_image(png, c->rows);
  png_read_end(png, NULL);
  if (tw == (int)w && th == (int)h) {
    *out = c->full;
    c->full = (image)IMAGE_INIT;
    return IMAGE_OK;
  }
  return image_resize(&c->full, tw, th, out, err, errlen);
}

image_status png_decode(const uint8_t *d, size_t n, const image_decode_opts *o, image *out,
                        char *err, size_t errlen) {
  png_ctx *c = calloc(1, sizeof *c);
  if (!c) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory decoding PNG");
  c->data = d;
  c->len = n;
  image_status st;
  c->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, c, on_error, on_warning, NULL, bounded_malloc, bounded_free);
  if (c->png) c->info = png_create_info_struct(c->png);
  if (!c->png || !c->info) {
    st = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory decoding PNG");
  } else if (setjmp(c->jmp) == 0) {
    st = decode_rows(c, o, out, err, errlen);
  } else if (c->truncated) {
    image_free(out);
    st = img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated PNG: the data ends after %zu bytes", n);
  } else {
    image_free(out);
    st = img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt PNG: %s", c->msg);
  }
  ctx_free(c);
  free(c);
  return st;
}

/* ---- encoding ------------------------------------------------------------------------------ */

typedef struct png_wctx {
  jmp_buf jmp;
  buf *out;
  char msg[200];
  png_structp png;
  png_infop info;
  png_bytep *rows;
  uint8_t *rgb; /* opaque images are written as RGB: a packed copy */
  png_text text[3];
} png_wctx;

static void on_werror(png_structp png, png_const_charp msg) {
  png_wctx *c = png_get_error_ptr(png);
  snprintf(c->msg, sizeof c->msg, "%s", msg);
  longjmp(c->jmp, 1);
}

static void on_write(png_structp png, png_bytep data, size_t n) {
  png_wctx *c = png_get_io_ptr(png);
  if (!buf_append(c->out, data, n)) png_error(png, "out of memory");
}

static void on_flush(png_structp png) { (void)png; }

/* Adds the metadata text chunks (see image_meta.c) — declared there. */
int img_png_text_chunks(const image_encode_opts *o, png_text *text, int max);

static image_status encode_rows(png_wctx *c, const image *im, const image_encode_opts *o, char *err, size_t errlen) {
  png_structp png = c->png;
  bool opaque = image_is_opaque(im);
  size_t w = (size_t)im->width, h = (size_t)im->height;
  png_set_write_fn(png, c, on_write, on_flush);
  png_set_compression_level(png, o->effort >= 1 && o->effort <= 9 ? o->effort : 6);
  png_set_IHDR(png, c->info, (png_uint_32)w, (png_uint_32)h, 8, opaque ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA,
               o->progressive ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  int ntext = img_png_text_chunks(o, c->text, 3);
  if (ntext > 0) png_set_text(png, c->info, c->text, ntext);
  if (!(c->rows = malloc(sizeof *c->rows * h))) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding PNG");
  if (opaque) {
    if (!(c->rgb = malloc(w * h * 3))) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding PNG");
    const uint8_t *s = im->rgba;
    uint8_t *d = c->rgb;
    for (size_t i = 0; i < w * h; i++, s += 4, d += 3) {
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
    for (size_t y = 0; y < h; y++) c->rows[y] = c->rgb + y * w * 3;
  } else {
    for (size_t y = 0; y < h; y++) c->rows[y] = im->rgba + y * w * 4;
  }
  png_set_rows(png, c->info, c->rows);
  png_write_png(png, c->info, PNG_TRANSFORM_IDENTITY, NULL);
  return IMAGE_OK;
}

image_status png_encode(const image *im, const image_encode_opts *o, buf *out, char *err, size_t errlen) {
  png_wctx *c = calloc(1, sizeof *c);
  if (!c) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding PNG");
  c->out = out;
  image_status st;
  c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, on_werror, on_warning);
  if (c->png) c->info = png_create_info_struct(c->png);
  if (!c->png || !c->info) st = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding PNG");
  else if (setjmp(c->jmp) == 0) st = encode_rows(c, im, o, err, errlen);
  else st = img_fail(err, errlen, out->oom ? IMAGE_ENOMEM : IMAGE_EARG, "cannot encode PNG: %s", c->msg);
  if (c->png) png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
  free(c->rows);
  free(c->rgb);
  free(c);
  return st;
}
