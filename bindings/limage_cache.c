/* limage_cache.c — decoded pixels as a cache: an image keeps its encoded bytes, and
 * pixels decoded from them stay for the next use while the total is under a budget
 * (least recently used dropped first, rebuilt on demand); image.configure sets the
 * budget and the worker pool's size. */
#include <lauxlib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limage_int.h"
#include "lopts.h"
#include "task.h"

/* ---- the pixel cache -------------------------------------------------------------------
 * Pixels decoded from an unmodified image's bytes are kept for the next use while the
 * total stays under a budget (image.configure{cache = ...}); beyond it the least
 * recently used are dropped. Only the loop thread touches it. */

#define PXCACHE_DEFAULT ((size_t)64 << 20)


static const char PXCACHE_KEY = 0;

pxcache *pxcache_of(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &PXCACHE_KEY);
  pxcache *c = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!c) {
    c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    c->budget = PXCACHE_DEFAULT;
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PXCACHE_KEY);
  }
  return c;
}

size_t pxcache_bytes(const image *px) { return px->rgba ? (size_t)px->width * (size_t)px->height * 4 : 0; }

void pxcache_unlink(pxcache *c, limg *im) {
  if (!im->cached) return;
  if (im->prev) im->prev->next = im->next;
  else c->head = im->next;
  if (im->next) im->next->prev = im->prev;
  else c->tail = im->prev;
  im->prev = im->next = NULL;
  im->cached = false;
  c->used -= pxcache_bytes(&im->px);
}

void pxcache_front(pxcache *c, limg *im) {
  im->prev = NULL;
  im->next = c->head;
  if (c->head) c->head->prev = im;
  else c->tail = im;
  c->head = im;
  im->cached = true;
  c->used += pxcache_bytes(&im->px);
}


/* Drops the pixels of im (they can be decoded again from its bytes). */
void pxcache_drop(lua_State *L, pxcache *c, limg *im) {
  pxcache_unlink(c, im);
  int w = im->px.width, h = im->px.height;
  image_free(&im->px);
  im->px.width = w; /* the size stays known */
  im->px.height = h;
  limg_gc_account(L, im);
}

/* Drops least recently used pixels, never keep's, until the cache fits its budget. */
void pxcache_trim(lua_State *L, pxcache *c, limg *keep) {
  limg *im = c->tail;
  while (im && c->used > c->budget) {
    limg *prev = im->prev;
    if (im != keep) pxcache_drop(L, c, im);
    im = prev;
  }
}

/* im was just used: its cached pixels move to the front. */
void pxcache_touch(lua_State *L, limg *im) {
  if (!im->cached) return;
  pxcache *c = pxcache_of(L);
  pxcache_unlink(c, im);
  pxcache_front(c, im);
}

/* The option `name` as a size: a number of bytes, or a string "512K", "64M", "1G"
 * (powers of 1024); def when absent. A wrong value is a BadOption naming it. */
static size_t opt_size(lua_State *L, const lopts *op, const char *name, size_t def) {
  int t = lua_getfield(L, op->idx, name);
  size_t v = def;
  if (t == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0) {
    v = (size_t)lua_tointeger(L, -1);
  } else if (t == LUA_TSTRING) {
    const char *s = lua_tostring(L, -1);
    char *end = NULL;
    unsigned long long n = strtoull(s, &end, 10);
    int shift = 0;
    if (end != s) {
      if (*end == 'K' || *end == 'k') shift = 10, end++;
      else if (*end == 'M' || *end == 'm') shift = 20, end++;
      else if (*end == 'G' || *end == 'g') shift = 30, end++;
    }
    if (end == s || *end != '\0' || n > (SIZE_MAX >> 30))
      lopts_raise(L, op, name, "expected a number of bytes or a size like \"64M\", got \"%s\"", s);
    v = (size_t)n << shift;
  } else if (t != LUA_TNIL) {
    lopts_raise(L, op, name, "expected a whole number of bytes >= 0 or a size like \"64M\"");
  }
  lua_pop(L, 1);
  return v;
}

/* image.configure{workers = N, cache = size} -> the settings now, as a table. workers:
 * threads that decode, encode and resize (default one per CPU or ATELIER_WORKERS; 1 =
 * the loop thread alone, as before the pool). cache: how many bytes of decoded pixels
 * images may keep for their next use (default 64M). */
int limage_configure(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[] = {"workers", "cache", NULL};
    lopts op = lopts_at(L, 1, "image.configure", 1);
    lopts_check_keys(L, &op, keys);
    pxcache *c = pxcache_of(L);
    int workers = (int)lopts_integer(L, &op, "workers", 1, 64, 0); /* 0: not given */
    size_t budget = opt_size(L, &op, "cache", c->budget);
    if (workers) sched_set_workers(L, workers);
    if (budget != c->budget) {
      c->budget = budget;
      pxcache_trim(L, c, NULL);
    }
    lua_settop(L, 1);
  }
  pxcache *c = pxcache_of(L);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, sched_workers_count(L));
  lua_setfield(L, -2, "workers");
  lua_pushinteger(L, (lua_Integer)c->budget);
  lua_setfield(L, -2, "cache");
  lua_pushinteger(L, (lua_Integer)c->used);
  lua_setfield(L, -2, "cached"); /* bytes of pixels held in the cache now */
  return 1;
}

