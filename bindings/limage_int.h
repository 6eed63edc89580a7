/* limage_int.h — what the image binding's files share: the image object, its pixel
 * cache (limage_cache.c) and its codec jobs (limage_jobs.c). Not for other bindings:
 * they go through limage.h. */
#ifndef ATELIER_LIMAGE_INT_H
#define ATELIER_LIMAGE_INT_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/image/image.h"
#include "task.h"

typedef struct limg limg;
struct limg {
  char *bytes; /* original encoded bytes (owned) */
  size_t len;
  image_format format; /* of bytes: "the format it arrived in" */
  image px;            /* decoded pixels, NULL until needed */
  bool modified;       /* px no longer matches bytes (resized, cropped) */
  char *meta;          /* attached metadata JSON (owned), or NULL: use what bytes carry */
  size_t meta_len;
  char *source; /* for messages */
  size_t charged; /* bytes counted against --max-memory (limits.h) */
  char *origin_url; /* an output of a prediction: where the API serves it (NULL: base64) */
  char *origin_id;  /* ... which prediction, and which of its outputs (1-based) */
  int origin_index;
  double origin_expires; /* Unix time the URL stops working */
  limg *prev, *next; /* the pixel cache's list, most recently used first */
  bool cached;       /* px is a droppable copy of what bytes decode to */
};

typedef struct pxcache {
  size_t budget, used;
  limg *head, *tail;
} pxcache;

/* The pixel cache of L (made on first use). */
pxcache *pxcache_of(lua_State *L);
/* Bytes of decoded pixels px holds. */
size_t pxcache_bytes(const image *px);
/* im leaves / joins (at the front) the cache's list. */
void pxcache_unlink(pxcache *c, limg *im);
void pxcache_front(pxcache *c, limg *im);
/* Drops im's pixels (they can be decoded again from its bytes). */
void pxcache_drop(lua_State *L, pxcache *c, limg *im);
/* Drops least recently used pixels, never keep's, until the cache fits its budget. */
void pxcache_trim(lua_State *L, pxcache *c, limg *keep);
/* im was just used: its cached pixels move to the front. */
void pxcache_touch(lua_State *L, limg *im);
/* Tells the collector (and --max-memory) what im holds now (limage.c). */
void limg_gc_account(lua_State *L, limg *im);
/* The name of im in messages: its source, else "image". */
static inline const char *limg_src_name(const limg *im) { return im->source ? im->source : "image"; }
/* The metadata a save writes: attached JSON, else what im's bytes carry (pushed as a
 * string so it lives on the stack), else NULL (limage.c). */
const char *limg_meta_for_output(lua_State *L, limg *im, size_t *len);
/* image.configure{workers =, cache =} (limage_cache.c). */
int limage_configure(lua_State *L);

/* ---- codec jobs on the worker pool (limage_jobs.c) ---- */

typedef enum { IMG_JOB_DECODE, IMG_JOB_RESIZE, IMG_JOB_ENCODE } img_job_op;

typedef struct img_job {
  task_job tj; /* first: the pool hands this pointer back */
  img_job_op op;
  /* input: pixels (a copy), else encoded bytes (a copy) to decode */
  image src;
  char *bytes;
  size_t len;
  int box_w, box_h; /* IMG_JOB_RESIZE: decode straight to about this size (0 = native) */
  bool box_cover;
  int out_w, out_h; /* IMG_JOB_RESIZE: resample to exactly this size, or ... */
  int crop_w, crop_h; /* ... IMG_JOB_RESIZE with fit = "crop": image_resize_fit's box */
  image_encode_opts eo; /* IMG_JOB_ENCODE; eo.meta_json is owned */
  /* output */
  image px; /* IMG_JOB_DECODE, IMG_JOB_RESIZE */
  buf out;  /* IMG_JOB_ENCODE */
  const char *failed; /* NULL, or the step that failed: "decode", "resize", "encode" */
  char err[256];
} img_job;

/* A new job on a copy of im's pixels (else of its bytes); owns meta (may be NULL) at
 * once. Raises on out of memory, leaking nothing. */
img_job *img_job_new(lua_State *L, limg *im, img_job_op op, char *meta);
/* The finished job on top of the stack, or NULL when no work was needed; raises its
 * failure as an ImageDecodeError / ImageEncodeError naming im. */
img_job *img_job_result(lua_State *L, limg *im);
/* Continues with k once im has pixels (decoded on a worker when it has none); k calls
 * img_job_with_pixels_done first. */
int img_job_with_pixels(lua_State *L, limg *im, lua_KFunction k);
void img_job_with_pixels_done(lua_State *L, limg *im);
/* Makes sure im has pixels, decoding on this thread: for C callers that cannot wait. */
void img_job_need_pixels_now(lua_State *L, limg *im);
/* Starts encoding im as f with the options table at opts_idx (`where` names the call in
 * messages): NULL with the result string pushed when no codec work is needed, else the
 * job to offload; the continuation calls img_job_encode_end, which leaves the string on
 * top. img_job_encode_now does both here and now, for C callers that cannot wait. */
img_job *img_job_encode_begin(lua_State *L, limg *im, image_format f, int opts_idx, const char *where);
void img_job_encode_end(lua_State *L, limg *im);
void img_job_encode_now(lua_State *L, limg *im, image_format f, int opts_idx);

#endif
