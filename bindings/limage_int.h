/* limage_int.h — what the image binding's files share: the image object and its pixel
 * cache (limage_cache.c). Not for other bindings: they go through limage.h. */
#ifndef ATELIER_LIMAGE_INT_H
#define ATELIER_LIMAGE_INT_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/image/image.h"

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
/* image.configure{workers =, cache =} (limage_cache.c). */
int limage_configure(lua_State *L);

#endif
