/* limage.c — the Lua `image` module (see limage.h and README): image objects that keep
 * their original encoded bytes and decode pixels lazily, loading from paths, bytes and
 * data: URIs, saving/encoding in any format, resize, crop and metadata.
 *
 * Errors: failures about the data or the file (cannot read, cannot decode, cannot write)
 * raise atelier error tables named "FileError", "ImageDecodeError" or "ImageEncodeError"
 * whose message names the file/source and the problem; a recipe processing many images
 * catches them with pcall or lets its task fail. Wrong arguments raise ordinary argument
 * errors. image.probe is a question and answers nil, message instead of raising.
 *
 * Memory and threads: an image keeps its encoded bytes; pixels decoded from them are a
 * cache (limage_cache.c), dropped under a budget and decoded again on demand, so
 * a recipe holding a thousand results holds their bytes, not their pixels. Only pixels
 * that are the image's truth (after resize/crop, or image.new) stay put. Decoding,
 * encoding and resizing run on the scheduler's worker pool (task.h) while the calling
 * task waits (limage_jobs.c): each job gets its own copy of the input, so nothing a
 * worker reads can be changed or freed by Lua meanwhile, and results are adopted on the
 * loop thread. */
#include "limage.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../runtime/base/base64.h"
#include "../runtime/image/image.h"
#include "errors.h"
#include "limage_json.h"
#include "limits.h"
#include "lopts.h"
#include "sandbox.h"
#include "task.h"
#include "limage_int.h"


static bool has_origin(const limg *im);

static void limg_release(limg *im) {
  free(im->bytes);
  free(im->meta);
  free(im->source);
  free(im->origin_url);
  free(im->origin_id);
  image_free(&im->px);
  memset(im, 0, sizeof *im);
}

static int img_gc(lua_State *L) {
  limg *im = luaL_testudata(L, 1, LIMAGE_MT);
  if (im) {
    if (im->cached) pxcache_unlink(pxcache_of(L), im);
    limits_external(L, -(ptrdiff_t)im->charged);
    limg_release(im);
  }
  return 0;
}

static limg *check_img(lua_State *L, int idx) { return luaL_checkudata(L, idx, LIMAGE_MT); }

bool limage_peek(lua_State *L, int idx, const image **pixels, const void **bytes, size_t *len,
                 const char **source) {
  limg *im = luaL_testudata(L, idx, LIMAGE_MT);
  if (!im) return false;
  *pixels = im->px.rgba ? &im->px : NULL;
  *bytes = im->px.rgba ? NULL : im->bytes;
  *len = im->px.rgba ? 0 : im->len;
  *source = im->source;
  return true;
}

/* Pushes an empty image object (closed state first, so a failed allocation later leaves
 * nothing to free twice). */
static limg *push_new(lua_State *L) {
  limg *im = lua_newuserdatauv(L, sizeof *im, 0);
  memset(im, 0, sizeof *im);
  luaL_setmetatable(L, LIMAGE_MT);
  return im;
}

/* Pixels and encoded bytes live in malloc'd memory the Lua collector cannot see: a
 * 2 MB decoded picture looks like a 100-byte userdata to it, so a loop over a few
 * hundred results grew by gigabytes before any __gc ran. Each allocation an image object
 * takes on is reported as collector debt, which makes the collector keep pace. The
 * same bytes count against --max-memory (limits.h), or a loop of image.new() would
 * step around the cap. Call after im's bytes or pixels changed. */
void limg_gc_account(lua_State *L, limg *im) {
  size_t now = im->len + (im->px.rgba ? (size_t)im->px.width * (size_t)im->px.height * 4 : 0);
  size_t kb = now > im->charged ? (now - im->charged) >> 10 : 0;
  if (kb) lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
  limits_external(L, (ptrdiff_t)now - (ptrdiff_t)im->charged);
  im->charged = now;
}

static char *dup_str(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

bool limage_try_push_encoded(lua_State *L, const void *bytes, size_t len, const char *source_name, char *err,
                             size_t errlen) {
  image_info info;
  char perr[256];
  if (image_probe(bytes, len, NULL, &info, perr, sizeof perr) != IMAGE_OK) {
    snprintf(err, errlen, "%s: %s", source_name ? source_name : "image", perr);
    return false;
  }
  limg *im = push_new(L);
  im->bytes = malloc(len ? len : 1);
  im->source = dup_str(source_name);
  if (!im->bytes || (source_name && !im->source)) {
    lua_pop(L, 1); /* __gc frees what was allocated */
    snprintf(err, errlen, "%s: out of memory", source_name ? source_name : "image");
    return false;
  }
  memcpy(im->bytes, bytes, len);
  im->len = len;
  im->format = info.format;
  im->px.width = info.width; /* the size, known before decoding; rgba stays NULL */
  im->px.height = info.height;
  limg_gc_account(L, im);
  return true;
}

void limage_push_encoded(lua_State *L, const void *bytes, size_t len, const char *source_name) {
  char err[320];
  if (!limage_try_push_encoded(L, bytes, len, source_name, err, sizeof err))
    lerr_raisef(L, "ImageDecodeError", "%s", err);
}

/* Replaces the pixels by new ones (after resize/crop): they are the image now. */
static void set_pixels(lua_State *L, limg *im, image *px) {
  if (im->cached) pxcache_unlink(pxcache_of(L), im);
  image_free(&im->px);
  im->px = *px;
  *px = (image)IMAGE_INIT;
  limg_gc_account(L, im);
  im->modified = true;
}

/* The metadata to write: attached JSON, else what the original bytes carry (pushed as a
 * string so it lives on the stack), else NULL. */
const char *limg_meta_for_output(lua_State *L, limg *im, size_t *len) {
  if (im->meta) {
    *len = im->meta_len;
    return im->meta;
  }
  buf *b = lbuf_push(L);
  if (image_meta_read(im->bytes, im->len, b, NULL, 0) == IMAGE_OK) {
    lua_pushlstring(L, b->data, b->len);
    lua_remove(L, -2);
    return lua_tolstring(L, -1, len);
  }
  lua_pop(L, 1);
  *len = 0;
  return NULL;
}

static image_format check_format(lua_State *L, int arg, const char *name) {
  image_format f = image_format_from_name(name);
  if (f == IMAGE_UNKNOWN)
    luaL_argerror(L, arg, lua_pushfstring(L, "unknown image format '%s' (png, jpeg, jpg or webp)", name));
  return f;
}

/* The format option of the options table at idx ("png", "jpeg", "jpg", "webp"), or
 * IMAGE_UNKNOWN when absent. */
static image_format opt_format(lua_State *L, int idx, const char *where) {
  if (!lua_istable(L, idx)) return IMAGE_UNKNOWN;
  lopts op = lopts_at(L, idx, where, 1);
  const char *name = lopts_string(L, &op, "format", "png, jpeg, jpg or webp", NULL);
  if (!name) return IMAGE_UNKNOWN;
  image_format f = image_format_from_name(name);
  if (f == IMAGE_UNKNOWN) lopts_raise(L, &op, "format", "unknown image format \"%s\" (png, jpeg, jpg or webp)", name);
  return f;
}

static int save_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  img_job_encode_end(L, check_img(L, 1));
  size_t n;
  const char *data = lua_tolstring(L, -1, &n);
  char err[512];
  if (image_write_file(lua_tostring(L, 4), data, n, err, sizeof err) != IMAGE_OK)
    lerr_raisef(L, "FileError", "%s", err);
  lua_pushvalue(L, 2);
  return 1;
}

/* img:save(path [, opts]) -> path. Format from opts.format or the extension. */
static int img_save(lua_State *L) {
  limg *im = check_img(L, 1);
  const char *path = luaL_checkstring(L, 2);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  image_format f = opt_format(L, 3, "img:save");
  if (f == IMAGE_UNKNOWN) {
    f = image_format_from_path(path);
    if (f == IMAGE_UNKNOWN)
      return luaL_argerror(L, 2, lua_pushfstring(L, "cannot tell the format of '%s' (use .png, .jpg, .webp or opts.format)", path));
  }
  lua_settop(L, 3);
  sandbox_check_write(L, path); /* pushes the path to use: index 4 */
  img_job *j = img_job_encode_begin(L, im, f, 3, "img:save");
  return j ? task_offload(L, &j->tj, 0, save_k) : save_k(L, LUA_OK, 0);
}

/* The continuation of the calls whose result is the encoded string. */
static int encoded_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  img_job_encode_end(L, check_img(L, 1));
  return 1;
}

/* img:encode([format [, opts]]) -> bytes (a string). Format defaults to the original. */
static int img_encode(lua_State *L) {
  limg *im = check_img(L, 1);
  image_format f = lua_isnoneornil(L, 2) ? im->format : check_format(L, 2, luaL_checkstring(L, 2));
  lua_settop(L, 3);
  img_job *j = img_job_encode_begin(L, im, f, 3, "img:encode");
  return j ? task_offload(L, &j->tj, 0, encoded_k) : encoded_k(L, LUA_OK, 0);
}

/* img:bytes() -> the image as delivered (its original bytes, byte for byte) while its
 * pixels are unchanged; after a change, an encoding in its format. (Added by transport:
 * job results promise :bytes().) */
static int img_bytes(lua_State *L) {
  limg *im = check_img(L, 1);
  if (!im->modified && im->bytes) {
    lua_pushlstring(L, (const char *)im->bytes, im->len);
    return 1;
  }
  lua_settop(L, 1);
  lua_pushnil(L);
  img_job *j = img_job_encode_begin(L, im, im->format, 2, "img:bytes");
  return j ? task_offload(L, &j->tj, 0, encoded_k) : encoded_k(L, LUA_OK, 0);
}

static int data_uri_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  img_job_encode_end(L, check_img(L, 1));
  image_format f = (image_format)lua_tointeger(L, 3);
  size_t n;
  const char *bytes = lua_tolstring(L, -1, &n);
  buf *b = lbuf_push(L);
  if (!data_uri_build(b, image_format_mime(f), bytes, n)) return luaL_error(L, "out of memory building a data: URI");
  lua_pushlstring(L, b->data, b->len);
  return 1;
}

/* img:data_uri([opts]) -> "data:image/...;base64,..." (opts as for encode, plus format). */
static int img_data_uri(lua_State *L) {
  limg *im = check_img(L, 1);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  image_format f = opt_format(L, 2, "img:data_uri");
  if (f == IMAGE_UNKNOWN) f = im->format;
  lua_settop(L, 2);
  lua_pushinteger(L, f); /* index 3, for the continuation */
  img_job *j = img_job_encode_begin(L, im, f, 2, "img:data_uri");
  return j ? task_offload(L, &j->tj, 0, data_uri_k) : data_uri_k(L, LUA_OK, 0);
}

void limage_data_uri(lua_State *L, int idx, buf *out) {
  limg *im = check_img(L, idx);
  int top = lua_gettop(L);
  image_format f = im->format;
  if (im->modified) {
    img_job_need_pixels_now(L, im);
    f = image_is_opaque(&im->px) ? IMAGE_JPEG : IMAGE_PNG;
  }
  lua_createtable(L, 0, 1);
  if (f != im->format) {
    lua_pushinteger(L, 95);
    lua_setfield(L, -2, "quality");
  }
  img_job_encode_now(L, im, f, lua_gettop(L)); /* called from C that cannot wait: here and now */
  size_t n;
  const char *bytes = lua_tolstring(L, -1, &n);
  if (!data_uri_build(out, image_format_mime(f), bytes, n)) luaL_error(L, "out of memory building a data: URI");
  lua_settop(L, top);
}

static int resize_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  limg *im = check_img(L, 1);
  img_job *j = img_job_result(L, im);
  set_pixels(L, im, &j->px);
  task_job_release(L, -1);
  lua_settop(L, 1);
  return 1;
}

/* img:resize{width=, height=, fit="fit"|"fill"|"crop"} -> img (changed in place). An
 * image not yet decoded is decoded straight to about the size wanted (image.h: JPEG's
 * DCT scaling, PNG row by row, WebP's scaler), so its full-size pixels never exist. */
static int img_resize(lua_State *L) {
  limg *im = check_img(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lopts op = lopts_at(L, 2, "img:resize", 1);
  static const char *const keys[] = {"width", "height", "fit", NULL};
  lopts_check_keys(L, &op, keys);
  int w = (int)lopts_integer(L, &op, "width", 1, IMAGE_MAX_SIDE, 0);
  int h = (int)lopts_integer(L, &op, "height", 1, IMAGE_MAX_SIDE, 0);
  if (!w && !h) return lopts_raise(L, &op, NULL, "give width, height or both");
  static const char *const modes[] = {"fit", "fill", "crop", NULL};
  image_fit mode = (image_fit)lopts_enum(L, &op, "fit", modes, 0);
  int fw, fh;
  if (!image_fit_size(im->px.width, im->px.height, w, h, mode, &fw, &fh))
    return lerr_raisef(L, "ImageEncodeError", "cannot resize %s: it has no size", limg_src_name(im));
  lua_settop(L, 2);
  img_job *j = img_job_new(L, im, IMG_JOB_RESIZE, NULL);
  if (mode == IMAGE_CROP && w && h) {
    j->crop_w = w; /* cover the box, then cut its centre */
    j->crop_h = h;
  } else {
    j->out_w = fw;
    j->out_h = fh;
  }
  if (!j->src.rgba) { /* decoding: no larger than what covers the result */
    j->box_w = j->crop_w ? w : fw;
    j->box_h = j->crop_w ? h : fh;
    j->box_cover = true;
  }
  return task_offload(L, &j->tj, 0, resize_k);
}

static int crop_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  limg *im = check_img(L, 1);
  img_job_with_pixels_done(L, im);
  int x = (int)lua_tointeger(L, 3), y = (int)lua_tointeger(L, 4);
  int w = (int)lua_tointeger(L, 5), h = (int)lua_tointeger(L, 6);
  image out = IMAGE_INIT;
  char err[256];
  if (image_crop(&im->px, x, y, w, h, &out, err, sizeof err) != IMAGE_OK) {
    lopts op = lopts_at(L, 2, "img:crop", 1); /* a rectangle outside the image: a bad option */
    return lopts_raise(L, &op, NULL, "%s", err);
  }
  set_pixels(L, im, &out);
  lua_settop(L, 1);
  return 1;
}

/* img:crop{x=0, y=0, width=, height=} -> img (changed in place; pixel coordinates from
 * the top-left corner, 0-based). */
static int img_crop(lua_State *L) {
  limg *im = check_img(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lopts op = lopts_at(L, 2, "img:crop", 1);
  static const char *const keys[] = {"x", "y", "width", "height", NULL};
  lopts_check_keys(L, &op, keys);
  int x = (int)lopts_integer(L, &op, "x", 0, IMAGE_MAX_SIDE, 0), y = (int)lopts_integer(L, &op, "y", 0, IMAGE_MAX_SIDE, 0);
  int w = (int)lopts_integer(L, &op, "width", 1, IMAGE_MAX_SIDE, im->px.width - x);
  int h = (int)lopts_integer(L, &op, "height", 1, IMAGE_MAX_SIDE, im->px.height - y);
  lua_settop(L, 2);
  lua_pushinteger(L, x); /* indexes 3..6, for the continuation */
  lua_pushinteger(L, y);
  lua_pushinteger(L, w);
  lua_pushinteger(L, h);
  return img_job_with_pixels(L, im, crop_k);
}

/* img:copy() -> an independent image. */
static int img_copy(lua_State *L) {
  limg *im = check_img(L, 1);
  limg *c = push_new(L);
  c->bytes = malloc(im->len ? im->len : 1);
  c->source = dup_str(im->source);
  c->meta = im->meta ? malloc(im->meta_len + 1) : NULL;
  if (im->px.rgba) image_alloc(&c->px, im->px.width, im->px.height, NULL, 0);
  if (!c->bytes || (im->source && !c->source) || (im->meta && !c->meta) || (im->px.rgba && !c->px.rgba))
    return luaL_error(L, "out of memory copying an image");
  if (im->len) memcpy(c->bytes, im->bytes, im->len);
  c->len = im->len;
  c->format = im->format;
  c->modified = im->modified;
  if (has_origin(im)) limage_set_origin(L, -1, im->origin_url, im->origin_id, im->origin_index, im->origin_expires);
  if (im->meta) memcpy(c->meta, im->meta, im->meta_len + 1);
  c->meta_len = im->meta_len;
  if (im->px.rgba) memcpy(c->px.rgba, im->px.rgba, (size_t)im->px.width * im->px.height * 4);
  c->px.width = im->px.width;
  c->px.height = im->px.height;
  limg_gc_account(L, c);
  if (c->px.rgba && !c->modified) { /* a copy of cached pixels is cached too */
    pxcache *cache = pxcache_of(L);
    pxcache_front(cache, c);
    pxcache_trim(L, cache, c);
  }
  return 1;
}

/* img:meta() -> the generation metadata table (attached, else embedded), or nil. */
static int img_meta(lua_State *L) {
  limg *im = check_img(L, 1);
  size_t n;
  const char *json = limg_meta_for_output(L, im, &n);
  if (!json || !limage_push_json(L, json, n)) lua_pushnil(L);
  return 1;
}

void limage_set_meta(lua_State *L, int idx, int tidx) {
  limg *im = check_img(L, idx);
  tidx = lua_absindex(L, tidx);
  size_t n;
  const char *json = limage_table_to_json(L, tidx, &n);
  char *copy = malloc(n + 1);
  if (!copy) luaL_error(L, "out of memory");
  memcpy(copy, json, n + 1);
  free(im->meta);
  im->meta = copy;
  im->meta_len = n;
  lua_pop(L, 1);
}

/* img:set_meta(table) -> img: metadata embedded by later saves; nil keeps the file's own. */
static int img_set_meta(lua_State *L) {
  limg *im = check_img(L, 1);
  if (lua_isnoneornil(L, 2)) {
    free(im->meta);
    im->meta = NULL;
    im->meta_len = 0;
  } else {
    luaL_checktype(L, 2, LUA_TTABLE);
    limage_set_meta(L, 1, 2);
  }
  lua_settop(L, 1);
  return 1;
}

static int pixel_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  limg *im = check_img(L, 1);
  img_job_with_pixels_done(L, im);
  lua_Integer x = lua_tointeger(L, 2), y = lua_tointeger(L, 3);
  luaL_argcheck(L, x >= 0 && x < im->px.width, 2, "x outside the image");
  luaL_argcheck(L, y >= 0 && y < im->px.height, 3, "y outside the image");
  const uint8_t *p = im->px.rgba + ((size_t)y * im->px.width + (size_t)x) * 4;
  for (int c = 0; c < 4; c++) lua_pushinteger(L, p[c]);
  return 4;
}

/* ---- outputs of predictions ---------------------------------------------------------- */

void limage_set_origin(lua_State *L, int idx, const char *url, const char *id, int index, double expires) {
  limg *im = check_img(L, idx);
  free(im->origin_url);
  free(im->origin_id);
  im->origin_url = url ? dup_str(url) : NULL;
  im->origin_id = id ? dup_str(id) : NULL;
  if ((url && !im->origin_url) || (id && !im->origin_id)) luaL_error(L, "out of memory");
  im->origin_index = index;
  im->origin_expires = expires;
}

/* Only an unchanged output is still that output. */
static bool has_origin(const limg *im) { return im->origin_id && !im->modified; }

const char *limage_live_url(lua_State *L, int idx) {
  limg *im = luaL_testudata(L, idx, LIMAGE_MT);
  if (!im || !has_origin(im) || !im->origin_url) return NULL;
  return (double)time(NULL) + 60 < im->origin_expires ? im->origin_url : NULL; /* a minute to spare */
}

bool limage_origin(lua_State *L, int idx, const char **id, int *index) {
  limg *im = luaL_testudata(L, idx, LIMAGE_MT);
  if (!im || !has_origin(im)) return false;
  *id = im->origin_id;
  *index = im->origin_index;
  return true;
}

/* img.origin -> {id, index, url, expires} for an unchanged output of a prediction, else nil. */
static void push_origin(lua_State *L, const limg *im) {
  if (!has_origin(im)) {
    lua_pushnil(L);
    return;
  }
  lua_createtable(L, 0, 4);
  lua_pushstring(L, im->origin_id);
  lua_setfield(L, -2, "id");
  lua_pushinteger(L, im->origin_index);
  lua_setfield(L, -2, "index");
  if (im->origin_url) {
    lua_pushstring(L, im->origin_url);
    lua_setfield(L, -2, "url");
    lua_pushnumber(L, im->origin_expires);
    lua_setfield(L, -2, "expires");
  }
}

/* img:pixel(x, y) -> r, g, b, a (0-based coordinates). */
static int img_pixel(lua_State *L) {
  limg *im = check_img(L, 1);
  luaL_checkinteger(L, 2);
  luaL_checkinteger(L, 3);
  lua_settop(L, 3);
  return img_job_with_pixels(L, im, pixel_k);
}

static int img_tostring(lua_State *L) {
  limg *im = check_img(L, 1);
  lua_pushfstring(L, "image %dx%d %s%s (%s)", im->px.width, im->px.height, image_format_name(im->format),
                  im->modified ? ", modified" : "", limg_src_name(im));
  return 1;
}

static int img_index(lua_State *L) {
  limg *im = check_img(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "width") == 0) lua_pushinteger(L, im->px.width);
  else if (strcmp(k, "height") == 0) lua_pushinteger(L, im->px.height);
  else if (strcmp(k, "format") == 0) lua_pushstring(L, image_format_name(im->format));
  else if (strcmp(k, "source") == 0) lua_pushstring(L, limg_src_name(im));
  else if (strcmp(k, "origin") == 0) push_origin(L, im);
  else {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, k);
  }
  return 1;
}

/* Loads the image argument at idx (path, bytes or data: URI) as a new object. */
static void load_any(lua_State *L, int idx, const char *what) {
  size_t n;
  const char *s = luaL_checklstring(L, idx, &n);
  char err[512];
  if (image_sniff(s, n) != IMAGE_UNKNOWN) {
    limage_push_encoded(L, s, n, "bytes");
    return;
  }
  if (n >= 5 && strncasecmp(s, "data:", 5) == 0) {
    char mime[DATA_URI_MIME_MAX];
    buf *b = lbuf_push(L);
    if (!data_uri_parse(s, n, 0, IMAGE_DEFAULT_MAX_BYTES, mime, b, err, sizeof err))
      lerr_raisef(L, "ImageDecodeError", "cannot read the data: URI: %s", err);
    if (strncmp(mime, "image/", 6) != 0)
      lerr_raisef(L, "ImageDecodeError", "the data: URI holds %s, not an image", mime);
    limage_push_encoded(L, b->data, b->len, "data: URI");
    return;
  }
  if (n == 0 || memchr(s, '\0', n)) lerr_raisef(L, "FileError", "%s: not an image, a data: URI or a file name", what);
  const char *real = sandbox_check_read(L, s);
  buf *b = lbuf_push(L);
  if (image_read_file(real, 0, b, err, sizeof err) != IMAGE_OK) lerr_raisef(L, "FileError", "%s", err);
  limage_push_encoded(L, b->data, b->len, s);
}

/* image.load(path_or_bytes) -> img. Reads the header now, pixels when first needed. */
static int l_load(lua_State *L) {
  if (limage_is(L, 1)) return img_copy(L);
  load_any(L, 1, "image.load");
  return 1;
}

/* image.decode(data_uri) -> img. */
static int l_decode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  if (n < 5 || strncasecmp(s, "data:", 5) != 0)
    return lerr_raisef(L, "ImageDecodeError", "image.decode expects a data: URI (data:image/png;base64,...)");
  load_any(L, 1, "image.decode");
  return 1;
}

/* image.new(width, height [, {r, g, b, a}]) -> a new image of one colour (default
 * transparent); it has no original bytes, so saving always encodes (format "png"). */
static int l_new(lua_State *L) {
  lua_Integer w = luaL_checkinteger(L, 1), h = luaL_checkinteger(L, 2);
  luaL_argcheck(L, w >= 1 && w <= IMAGE_MAX_SIDE, 1, "width must be 1..65535");
  luaL_argcheck(L, h >= 1 && h <= IMAGE_MAX_SIDE, 2, "height must be 1..65535");
  uint8_t c[4] = {0, 0, 0, 0};
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    for (int i = 0; i < 4; i++) {
      lua_Integer v = (lua_rawgeti(L, 3, i + 1) == LUA_TNIL) ? (i == 3 ? 255 : 0) : luaL_checkinteger(L, -1);
      luaL_argcheck(L, v >= 0 && v <= 255, 3, "colour components must be 0..255");
      c[i] = (uint8_t)v;
      lua_pop(L, 1);
    }
  }
  limg *im = push_new(L);
  char err[256];
  if (image_alloc(&im->px, (int)w, (int)h, err, sizeof err) != IMAGE_OK)
    return lerr_raisef(L, "ImageEncodeError", "image.new: %s", err);
  size_t n = (size_t)w * (size_t)h;
  for (size_t i = 0; i < n; i++) memcpy(im->px.rgba + i * 4, c, 4);
  limg_gc_account(L, im);
  im->format = IMAGE_PNG;
  im->modified = true;
  im->source = dup_str("image.new");
  return 1;
}

/* image.probe(path_or_bytes) -> {format, width, height, has_alpha, progressive,
 * animated, meta} or nil, message. */
static int l_probe(lua_State *L) {
  luaL_checkstring(L, 1);
  lua_pushcfunction(L, l_load);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lua_pushnil(L);
    if (lerr_is(L, -2)) lua_getfield(L, -2, "message");
    else lua_pushvalue(L, -2);
    return 2;
  }
  limg *im = check_img(L, -1);
  image_info info;
  image_probe(im->bytes, im->len, NULL, &info, NULL, 0);
  lua_createtable(L, 0, 7);
  lua_pushstring(L, image_format_name(info.format));
  lua_setfield(L, -2, "format");
  lua_pushinteger(L, info.width);
  lua_setfield(L, -2, "width");
  lua_pushinteger(L, info.height);
  lua_setfield(L, -2, "height");
  lua_pushboolean(L, info.has_alpha);
  lua_setfield(L, -2, "has_alpha");
  lua_pushboolean(L, info.progressive);
  lua_setfield(L, -2, "progressive");
  lua_pushboolean(L, info.animated);
  lua_setfield(L, -2, "animated");
  lua_pushcfunction(L, img_meta);
  lua_pushvalue(L, -3);
  lua_call(L, 1, 1);
  lua_setfield(L, -2, "meta");
  return 1;
}

int luaopen_image(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"save", img_save},         {"encode", img_encode}, {"data_uri", img_data_uri}, {"resize", img_resize},
      {"crop", img_crop},         {"copy", img_copy},     {"meta", img_meta},         {"set_meta", img_set_meta},
      {"pixel", img_pixel},       {"bytes", img_bytes},   {NULL, NULL},
  };
  static const luaL_Reg meta[] = {
      {"__index", img_index}, {"__gc", img_gc}, {"__close", img_gc}, {"__tostring", img_tostring}, {NULL, NULL},
  };
  if (luaL_newmetatable(L, LIMAGE_MT)) {
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "methods");
  }
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {
      {"load", l_load}, {"decode", l_decode}, {"probe", l_probe}, {"new", l_new},
      {"configure", limage_configure}, {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  return 1;
}
