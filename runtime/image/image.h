/* image.h — PNG, JPEG and WebP in and out of 8-bit RGBA: format sniffing, header probing,
 * bounded decoding (optionally straight to a smaller size), encoding into a buf, and
 * high-quality resizing and cropping. Every function is safe on untrusted bytes: limits
 * are checked from the header before anything large is allocated, and failures return a
 * status plus a message in a caller-owned buffer that names the format and the problem,
 * e.g. "truncated PNG: ..." or "image is 50000x50000 (2.5 Gpx), more than the 100 Mpx
 * limit". Thread-safe: no global state (fashn-emu decodes on its own thread). */
#ifndef ATELIER_IMAGE_H
#define ATELIER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

typedef enum {
  IMAGE_UNKNOWN = 0,
  IMAGE_PNG,
  IMAGE_JPEG,
  IMAGE_WEBP,
} image_format;

typedef enum {
  IMAGE_OK = 0,
  IMAGE_EFORMAT = -1,    /* not PNG, JPEG or WebP (or an unsupported variant) */
  IMAGE_ECORRUPT = -2,   /* the data is malformed */
  IMAGE_ETRUNCATED = -3, /* the data ends too soon */
  IMAGE_ETOOBIG = -4,    /* over a limit (bytes, pixels, dimensions) */
  IMAGE_ENOMEM = -5,
  IMAGE_EARG = -6,       /* a bad argument from the caller (size, option, rectangle) */
  IMAGE_ENOMETA = -7,    /* image_meta_read: the image carries no atelier metadata */
  IMAGE_EIO = -8,        /* image_read_file / image_write_file: the system said no */
  IMAGE_ENOLIB = -9,     /* the format's codec library cannot be loaded (runtime/lazy/) */
} image_status;

/* Defaults used when a limit field is 0. 100 Mpx is ~400 MB of RGBA: far above the API's
 * 4k outputs (~16 Mpx), far below what a decompression bomb asks for. */
#define IMAGE_DEFAULT_MAX_BYTES ((size_t)256 << 20)
#define IMAGE_DEFAULT_MAX_PIXELS ((uint64_t)100000000)
#define IMAGE_MAX_SIDE 65535 /* JPEG's own limit; WebP's is 16383 */

/* Decoded pixels: width * height * 4 bytes, rows top to bottom, RGBA, straight (not
 * premultiplied) alpha, stride = width * 4. Owned by the struct: image_free releases. */
typedef struct image {
  int width, height;
  uint8_t *rgba;
} image;

#define IMAGE_INIT {0, 0, NULL}

/* What the header says, without decoding pixels. */
typedef struct image_info {
  image_format format;
  int width, height;
  bool has_alpha;   /* the format/header declares an alpha channel (or PNG tRNS) */
  bool progressive; /* progressive JPEG / interlaced PNG */
  bool animated;    /* animated WebP (only the first frame is decoded) */
} image_info;

/* ---- formats ---------------------------------------------------------------------------- */

/* By magic bytes: PNG signature, JPEG SOI + marker, RIFF....WEBP. */
image_format image_sniff(const void *data, size_t len);
/* "png", "jpeg", "webp" ("unknown" for IMAGE_UNKNOWN). */
const char *image_format_name(image_format f);
/* "image/png", "image/jpeg", "image/webp" (NULL for IMAGE_UNKNOWN). */
const char *image_format_mime(image_format f);
/* Case-insensitive "png", "jpg", "jpeg", "webp", or a mime type "image/png", ... */
image_format image_format_from_name(const char *name);
/* From a path's extension (.png .jpg .jpeg .webp, any case); IMAGE_UNKNOWN otherwise. */
image_format image_format_from_path(const char *path);
/* A short English description of a status. */
const char *image_strerror(image_status s);

/* ---- probing and decoding --------------------------------------------------------------- */

/* Reads the header only (no pixel decoding, no large allocation). Checks max_bytes and
 * the pixel limit too, so a probe that succeeds promises a decode will not be refused for
 * size. `limits` may be NULL (defaults). */
typedef struct image_limits {
  size_t max_bytes;    /* encoded input; 0 = IMAGE_DEFAULT_MAX_BYTES */
  uint64_t max_pixels; /* width * height of the source; 0 = IMAGE_DEFAULT_MAX_PIXELS */
} image_limits;

image_status image_probe(const void *data, size_t len, const image_limits *limits,
                         image_info *info, char *err, size_t errlen);

typedef struct image_decode_opts {
  image_limits limits;
  /* Target box (0 = native size). With a box the image is decoded straight to a smaller
   * size when it is larger than the box (never enlarged): JPEG through DCT scaling (1/2 ..
   * 1/8) then a high-quality resize; non-interlaced PNG row by row through an area-averaging
   * reducer, so the full-size image never exists in memory; WebP through libwebp's scaler.
   * The result keeps the aspect ratio and either fits inside the box (cover = false) or
   * covers it (cover = true; crop afterwards for an exact cell). One of box_width /
   * box_height may be 0 to leave that side free. */
  int box_width, box_height;
  bool cover;
} image_decode_opts;

/* Decodes a PNG, JPEG or WebP (sniffed) to RGBA. opts may be NULL (native size, default
 * limits). On success *out owns new pixels (out must not own any before); info (may be
 * NULL) describes the source. On failure *out is left empty. */
image_status image_decode(const void *data, size_t len, const image_decode_opts *opts,
                          image *out, image_info *info, char *err, size_t errlen);

/* ---- encoding --------------------------------------------------------------------------- */

typedef struct image_encode_opts {
  image_format format;
  int quality;       /* JPEG / lossy WebP, 1..100; 0 = default (JPEG 92, WebP 90) */
  bool lossless;     /* WebP: lossless */
  int near_lossless; /* WebP: 0 = off; 1..100 = libwebp's near-lossless level (lower =
                        more preprocessing; 100 = exact); implies lossless */
  bool progressive;  /* JPEG: progressive; PNG: Adam7 interlacing */
  int effort;        /* 0 = default; 1 (fastest) .. 9: PNG zlib level; WebP method effort-1,
                        at most 6 */
  /* Generation metadata to embed (a JSON object, see image_meta.h), or NULL. */
  const char *meta_json;
  size_t meta_len;
} image_encode_opts;

/* Appends the encoded image to out. JPEG has no alpha: translucent pixels are composited
 * over white. Opaque images are written without an alpha channel (PNG RGB, WebP without
 * ALPH). On failure out is left as it was. */
image_status image_encode(const image *im, const image_encode_opts *opts, buf *out, char *err,
                          size_t errlen);

/* ---- pixels ------------------------------------------------------------------------------ */

/* Allocates width x height zeroed (transparent black) pixels; checks the size. */
image_status image_alloc(image *im, int width, int height, char *err, size_t errlen);
void image_free(image *im); /* releases the pixels and zeroes *im; safe on IMAGE_INIT */
/* True when every pixel has alpha 255. */
bool image_is_opaque(const image *im);

typedef enum {
  IMAGE_FIT,  /* scale to fit inside the box, keeping the aspect ratio */
  IMAGE_FILL, /* scale to exactly the box, ignoring the aspect ratio (stretch) */
  IMAGE_CROP, /* scale to cover the box keeping the aspect ratio, then crop the centre */
} image_fit;

/* The scaled size (before any crop) of a sw x sh image for a box of bw x bh under mode.
 * bw or bh may be 0 (the other side decides, aspect kept, for every mode). Results are
 * at least 1x1. Returns false when both box sides are 0 or an input is not positive. */
bool image_fit_size(int sw, int sh, int bw, int bh, image_fit mode, int *w, int *h);

/* Resamples src to exactly width x height into *dst (which must be empty): Lanczos-3
 * with premultiplied alpha; strong reductions (3x and more) first average areas, so
 * downscaling is both sharp and free of aliasing. src == dst is not allowed. */
image_status image_resize(const image *src, int width, int height, image *dst, char *err,
                          size_t errlen);

/* image_fit_size + image_resize (+ centre crop for IMAGE_CROP): the result is the box
 * size for FILL and CROP, and fits inside it for FIT. */
image_status image_resize_fit(const image *src, int bw, int bh, image_fit mode, image *dst,
                              char *err, size_t errlen);

/* Copies the rectangle (x, y, width, height) of src into *dst; the rectangle must lie
 * inside src and be non-empty. */
image_status image_crop(const image *src, int x, int y, int width, int height, image *dst,
                        char *err, size_t errlen);

/* ---- files ------------------------------------------------------------------------------ */

/* Appends the whole file at path to out, refusing files over max_bytes (0 = the default
 * IMAGE_DEFAULT_MAX_BYTES) before reading them. Messages name the path and the reason. */
image_status image_read_file(const char *path, size_t max_bytes, buf *out, char *err,
                             size_t errlen);

/* Writes data to path atomically: a temporary file in the same directory renamed over
 * path, so a reader (or a run resumed after a kill) never sees half an image. Not synced
 * to disk (no fsync: milliseconds per image). The file gets 0666 & ~umask permissions. */
image_status image_write_file(const char *path, const void *data, size_t len, char *err,
                              size_t errlen);

/* Where --info finds the generation metadata of a file that embeds none (a video saved
 * as delivered, an image saved without it): appends a JSON object to meta and returns
 * true, or returns false. */
typedef bool (*image_meta_lookup)(void *ud, const void *data, size_t len, buf *meta);

/* `atelier --info`: prints path's format, size and generation parameters to out (errors
 * to errout): an image's embedded ones, else (and for an MP4, described from its boxes,
 * never decoded) what lookup finds, when given. Returns 0, or 1 when the file cannot be
 * read or is neither an image nor an MP4. */
#include <stdio.h>
int image_print_info(const char *path, FILE *out, FILE *errout, image_meta_lookup lookup, void *ud);

/* ---- generation metadata ---------------------------------------------------------------- */

/* Metadata is one JSON object (by convention: model, prompt, seed, inputs{...}, id; see
 * README), at most IMAGE_META_MAX bytes, stored as:
 *  - PNG: an uncompressed iTXt chunk with keyword "atelier", right after IHDR;
 *  - JPEG: an XMP packet in an APP1 segment (after SOI and any JFIF/Exif segments);
 *  - WebP: an XMP packet in the "XMP " chunk (libwebpmux; the file becomes VP8X).
 * The XMP packet carries the JSON as <atelier:generation>, the prompt (when there is one)
 * as dc:description and xmp:CreatorTool = atelier, so other tools show something useful. */
#define IMAGE_META_MAX 60000

/* Appends to out a copy of the encoded image (data, len) carrying meta_json, replacing
 * any atelier metadata already there, without re-encoding pixels. meta_json must be a
 * JSON object. */
image_status image_meta_embed(const void *data, size_t len, const char *meta_json,
                              size_t meta_len, buf *out, char *err, size_t errlen);

/* Appends the embedded JSON object to out; IMAGE_ENOMETA when the image has none. */
image_status image_meta_read(const void *data, size_t len, buf *out, char *err,
                             size_t errlen);

#endif
