/* limage_jobs.c — the image object's codec work (decode, resize, encode) as jobs for the
 * scheduler's worker pool (task.h), and handing their results back to the object.
 *
 * Why copies: the calling task waits while a worker runs, but other tasks keep running
 * Lua, and any of them may change or drop the same image meanwhile. So each job gets its
 * own copy of the input (pixels when the image has them, else its encoded bytes), a
 * worker touches nothing but its job, and results are adopted on the loop thread, where
 * the image may have changed since (adopt_pixels keeps what is newer). */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/image/image.h"
#include "errors.h"
#include "limage_int.h"
#include "limage_json.h"
#include "lopts.h"
#include "task.h"

/* Takes decoded pixels (*px, emptied) as im's cached pixels, unless im got pixels
 * meanwhile (another task decoded or changed it while this decode ran). */
static void adopt_pixels(lua_State *L, limg *im, image *px) {
  if (im->px.rgba) {
    image_free(px);
    pxcache_touch(L, im);
    return;
  }
  im->px = *px;
  *px = (image)IMAGE_INIT;
  pxcache *c = pxcache_of(L);
  pxcache_front(c, im);
  limg_gc_account(L, im);
  pxcache_trim(L, c, im);
}

/* Makes sure im->px holds pixels, decoding here on the loop thread; raises
 * ImageDecodeError naming the source. For callers that cannot wait (C API). */
void img_job_need_pixels_now(lua_State *L, limg *im) {
  if (im->px.rgba) {
    pxcache_touch(L, im);
    return;
  }
  char err[256];
  image px = IMAGE_INIT;
  if (image_decode(im->bytes, im->len, NULL, &px, NULL, err, sizeof err) != IMAGE_OK)
    lerr_raisef(L, "ImageDecodeError", "cannot decode %s: %s", limg_src_name(im), err);
  adopt_pixels(L, im, &px);
}

static void img_job_free(task_job *tj) {
  img_job *j = (img_job *)tj;
  image_free(&j->src);
  free(j->bytes);
  free((char *)j->eo.meta_json);
  image_free(&j->px);
  buf_free(&j->out);
  free(j);
}

/* On a worker thread: touches only the job. */
static void img_job_run(worker_job *w) {
  img_job *j = (img_job *)w;
  if (!j->src.rgba) {
    image_decode_opts o = {.box_width = j->box_w, .box_height = j->box_h, .cover = j->box_cover};
    if (image_decode(j->bytes, j->len, &o, &j->src, NULL, j->err, sizeof j->err) != IMAGE_OK) {
      j->failed = "decode";
      return;
    }
    free(j->bytes); /* not needed any more: free it early */
    j->bytes = NULL;
  }
  image_status st = IMAGE_OK;
  switch (j->op) {
  case IMG_JOB_DECODE:
    j->px = j->src;
    j->src = (image)IMAGE_INIT;
    return;
  case IMG_JOB_RESIZE:
    if (j->crop_w) st = image_resize_fit(&j->src, j->crop_w, j->crop_h, IMAGE_CROP, &j->px, j->err, sizeof j->err);
    else st = image_resize(&j->src, j->out_w, j->out_h, &j->px, j->err, sizeof j->err);
    if (st != IMAGE_OK) j->failed = "resize";
    break;
  case IMG_JOB_ENCODE:
    if (image_encode(&j->src, &j->eo, &j->out, j->err, sizeof j->err) != IMAGE_OK) j->failed = "encode";
    break;
  }
  image_free(&j->src); /* dropped after use: pixels never outlive the job */
}

/* A new job whose input is im's pixels when it has them, else its bytes (copies); it
 * owns meta (may be NULL) at once. Raises on out of memory (nothing leaks: the job is
 * freed first). */
img_job *img_job_new(lua_State *L, limg *im, img_job_op op, char *meta) {
  img_job *j = calloc(1, sizeof *j);
  if (!j) {
    free(meta);
    luaL_error(L, "out of memory");
  }
  j->eo.meta_json = meta;
  j->tj.w.run = img_job_run;
  j->tj.free_job = img_job_free;
  j->op = op;
  j->out = (buf)BUF_INIT;
  bool ok;
  if (im->px.rgba) {
    pxcache_touch(L, im);
    size_t n = pxcache_bytes(&im->px);
    ok = (j->src.rgba = malloc(n)) != NULL;
    if (ok) {
      memcpy(j->src.rgba, im->px.rgba, n);
      j->src.width = im->px.width;
      j->src.height = im->px.height;
    }
  } else {
    ok = (j->bytes = malloc(im->len ? im->len : 1)) != NULL;
    if (ok) memcpy(j->bytes, im->bytes, im->len);
    j->len = im->len;
  }
  if (!ok) {
    img_job_free(&j->tj);
    luaL_error(L, "out of memory copying %s for a worker", limg_src_name(im));
  }
  return j;
}

/* The finished job on top of the stack (NULL when there is none: no work was needed);
 * raises its failure as an atelier error, naming im. */
img_job *img_job_result(lua_State *L, limg *im) {
  img_job *j = (img_job *)task_job_at(L, -1);
  if (j && j->failed) {
    char msg[400];
    const char *name = strcmp(j->failed, "decode") == 0 ? "ImageDecodeError" : "ImageEncodeError";
    snprintf(msg, sizeof msg, "cannot %s %s: %s", j->failed, limg_src_name(im), j->err);
    task_job_release(L, -1);
    lerr_raisef(L, name, "%s", msg);
  }
  return j;
}

/* Continues with k once im has pixels: at once when it has them, else after a decode
 * on a worker (adopted by img_job_with_pixels_done in k). */
int img_job_with_pixels(lua_State *L, limg *im, lua_KFunction k) {
  if (im->px.rgba) {
    pxcache_touch(L, im);
    return k(L, LUA_OK, 0);
  }
  return task_offload(L, &img_job_new(L, im, IMG_JOB_DECODE, NULL)->tj, 0, k);
}

/* In an img_job_with_pixels continuation: adopts the decoded pixels (if a decode ran). */
void img_job_with_pixels_done(lua_State *L, limg *im) {
  img_job *j = img_job_result(L, im);
  if (!j) return;
  adopt_pixels(L, im, &j->px);
  task_job_release(L, -1);
  lua_pop(L, 1);
}

static const char *const ENCODE_OPTIONS[] = {"format", "quality", "lossless", "near_lossless", "progressive",
                                             "effort", "meta", NULL};

/* Encoding options from the table at idx (may be absent), for `where` ("img:save").
 * Returns true when any option asks for a particular encoding (so the original bytes
 * cannot be reused). */
static bool read_encode_opts(lua_State *L, int idx, const char *where, image_encode_opts *o) {
  if (lua_isnoneornil(L, idx)) return false;
  luaL_checktype(L, idx, LUA_TTABLE);
  lopts op = lopts_at(L, idx, where, 1);
  lopts_check_keys(L, &op, ENCODE_OPTIONS);
  image_encode_opts d = *o;
  o->quality = (int)lopts_integer(L, &op, "quality", 1, 100, d.quality);
  o->lossless = lopts_boolean(L, &op, "lossless", d.lossless);
  o->near_lossless = (int)lopts_integer(L, &op, "near_lossless", 0, 100, d.near_lossless);
  o->progressive = lopts_boolean(L, &op, "progressive", d.progressive);
  o->effort = (int)lopts_integer(L, &op, "effort", 1, 9, d.effort);
  static const char *const names[] = {"quality", "lossless", "near_lossless", "progressive", "effort", NULL};
  bool explicit = false;
  for (int i = 0; names[i]; i++) {
    if (lua_getfield(L, idx, names[i]) != LUA_TNIL) explicit = true;
    lua_pop(L, 1);
  }
  return explicit;
}

/* Starts encoding im per the format and the options table at opts_idx. When no codec
 * work is needed (nothing asks for new pixels or a new encoding: the original bytes,
 * with metadata embedded if any), pushes the result string and returns NULL; else
 * returns the encoding job to offload, with the stack as it was. */
img_job *img_job_encode_begin(lua_State *L, limg *im, image_format f, int opts_idx, const char *where) {
  image_encode_opts o = {.format = f};
  bool explicit = read_encode_opts(L, opts_idx, where, &o);
  int top = lua_gettop(L);
  size_t mlen = 0;
  const char *meta;
  int mt = lua_isnoneornil(L, opts_idx) ? LUA_TNIL : lua_getfield(L, opts_idx, "meta");
  if (mt == LUA_TTABLE) {
    meta = limage_table_to_json(L, -1, &mlen);
  } else if (mt == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
    meta = NULL; /* meta = false: write no metadata (the original bytes' own stays) */
  } else if (mt == LUA_TNIL) {
    if (!lua_isnoneornil(L, opts_idx)) lua_pop(L, 1);
    meta = limg_meta_for_output(L, im, &mlen);
  } else {
    lopts op = lopts_at(L, opts_idx, where, 1);
    lopts_raise(L, &op, "meta", "expected a table or false, got a %s", luaL_typename(L, -1));
    return NULL;
  }
  char err[256];
  if (!im->modified && f == im->format && !explicit) {
    buf *out = lbuf_push(L);
    if (!meta) {
      lua_pushlstring(L, im->bytes, im->len);
    } else if (image_meta_embed(im->bytes, im->len, meta, mlen, out, err, sizeof err) == IMAGE_OK) {
      lua_pushlstring(L, out->data, out->len);
    } else {
      lerr_raisef(L, "ImageEncodeError", "cannot add metadata to %s: %s", limg_src_name(im), err);
    }
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return NULL;
  }
  char *mcopy = NULL;
  if (meta && !(mcopy = malloc(mlen + 1))) luaL_error(L, "out of memory");
  if (mcopy) memcpy(mcopy, meta, mlen + 1);
  lua_settop(L, top);
  img_job *j = img_job_new(L, im, IMG_JOB_ENCODE, mcopy); /* owns mcopy from here, raising or not */
  o.meta_json = mcopy;
  o.meta_len = mlen;
  j->eo = o;
  return j;
}

/* In an img_job_encode_begin continuation: leaves the encoded string on top (in place of
 * the job's handle when a job ran). */
void img_job_encode_end(lua_State *L, limg *im) {
  img_job *j = img_job_result(L, im);
  if (!j) return;
  lua_pushlstring(L, j->out.data, j->out.len);
  task_job_release(L, -2);
  lua_remove(L, -2);
}

/* img_job_encode_begin and the job run here and now, for callers that cannot wait. */
void img_job_encode_now(lua_State *L, limg *im, image_format f, int opts_idx) {
  img_job *j = img_job_encode_begin(L, im, f, opts_idx, "img:data_uri");
  if (!j) return;
  img_job_run(&j->tj.w);
  if (j->failed) {
    char msg[400];
    snprintf(msg, sizeof msg, "cannot %s %s: %s", j->failed, limg_src_name(im), j->err);
    const char *name = strcmp(j->failed, "decode") == 0 ? "ImageDecodeError" : "ImageEncodeError";
    img_job_free(&j->tj);
    lerr_raisef(L, name, "%s", msg);
  }
  lua_pushlstring(L, j->out.data, j->out.len); /* may raise on out of memory: j leaks then */
  img_job_free(&j->tj);
}
