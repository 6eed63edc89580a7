/* lfashn_inputs.c — a recipe's inputs table into the canonical JSON the API gets (the
 * shared walker of ljson.h: keys sorted, integral numbers as integers, bounded depth), local reference files and image
 * objects into data: URIs, and the local check of every input rule. Errors are
 * InvalidInput tables naming the field; buffers live in userdata so no error leaks them. */
#define MAX_DEPTH 8

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/api/fashn_inputs.h"
#include "../runtime/fashn/fashn_ref.h"
#include "../runtime/base/json.h"
#include "errors.h"
#include "ljson.h"
#include "lbuf.h"
#include "lfashn_int.h"
#include "sandbox.h"
#include "limage.h"


int lfashn_raise_input(lua_State *L, const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lerr_info e = {.name = "InvalidInput", .message = msg};
  lerr_push(L, &e, 0);
  lua_pushstring(L, field);
  lua_setfield(L, -2, "field");
  return lua_error(L);
}

/* How a reference given as a file path or an image object is written: a dummy data: URI
 * (when checking, before any file is read), or the data: URI already resolved into refs.
 * Every string passes the sandbox's URL check on the way. */
typedef struct refs_writer {
  bool placeholder;
  int refs; /* stack index of the resolved refs table */
  const fashn_model *model;
} refs_writer;

bool lfashn_is_saved_ref(const fashn_field *f, const char *s, size_t len) {
  return f && (f->flags & FIELD_SAVED_OK) && s && len > 6 && strncmp(s, "saved:", 6) == 0;
}

const fashn_field *lfashn_image_field(const fashn_model *m, const char *field) {
  const fashn_field *f = fashn_model_field(m, field);
  return f && f->type == FIELD_IMAGE ? f : NULL;
}

static bool write_ref(lua_State *L, int idx, json_writer *w, const char *field, int depth, void *ud) {
  const refs_writer *r = ud;
  if (lua_type(L, idx) == LUA_TSTRING) { /* --sandbox: a URL, at any depth, only on an allowed host */
    size_t n;
    const char *text = lua_tolstring(L, idx, &n);
    sandbox_check_url(L, field, text, n);
  }
  const fashn_field *f = depth == 1 ? lfashn_image_field(r->model, field) : NULL;
  if (!f) return false;
  size_t len = 0;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  if (lfashn_is_saved_ref(f, s, len)) { /* tryon-v1.6's saved model image: sent as it is */
    jw_string_len(w, s, len);
    return true;
  }
  if (!((s && fashn_ref_classify(s, len) == REF_PATH) || limage_is(L, idx))) return false;
  if (r->placeholder) {
    jw_string(w, "data:image/png;base64,AAAA"); /* checked for real when sent */
    return true;
  }
  lua_getfield(L, r->refs, field);
  size_t dl;
  const char *d = lua_tolstring(L, -1, &dl);
  jw_string_len(w, d ? d : "", d ? dl : 0);
  lua_pop(L, 1);
  return true;
}

/* Converts the inputs table at 1 (refs at upvalue 1); with placeholder_refs (arg 2), file
 * paths stand as a dummy data: URI. Pushes the JSON text. */
static int inputs_json_k(lua_State *L) {
  refs_writer r = {.placeholder = lua_toboolean(L, 2), .refs = lua_upvalueindex(1),
                   .model = lua_touserdata(L, lua_upvalueindex(2))};
  ljson_opts o = {.max_depth = MAX_DEPTH, .top_object = true, .error_name = "InvalidInput",
                  .refused = "cannot be sent to the API", .special = write_ref, .ud = &r};
  ljson_push(L, 1, &o, NULL);
  return 1;
}

void lfashn_push_inputs_json(lua_State *L, const fashn_model *m, int idx, bool placeholder, int refs_idx) {
  idx = lua_absindex(L, idx);
  refs_idx = refs_idx ? lua_absindex(L, refs_idx) : 0;
  if (refs_idx) lua_pushvalue(L, refs_idx);
  else lua_newtable(L);
  lua_pushlightuserdata(L, (void *)m);
  lua_pushcclosure(L, inputs_json_k, 2);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, placeholder);
  /* errors from the conversion are already error tables: propagate as they are */
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) lua_error(L);
}

/* Reads each reference of an image field of m given as a file path or an image object
 * into refs[field] = data: URI (or, for an unchanged output of an earlier prediction
 * whose URL is still alive, that URL: chaining re-uploads nothing). */
void lfashn_resolve_refs(lua_State *L, const fashn_model *m, int inputs, int refs, int resolution_k) {
  for (const fashn_field *fd = m->fields; fd->name; fd++) {
    if (fd->type != FIELD_IMAGE) continue;
    lua_getfield(L, inputs, fd->name);
    size_t len = 0;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    /* 4k work takes larger references; a face is a face at any resolution */
    int edge = strcmp(fd->name, "face_reference") != 0 && resolution_k == 4 ? FASHN_REF_EDGE_4K : FASHN_REF_EDGE;
    const char *url = limage_is(L, -1) ? limage_live_url(L, -1) : NULL;
    if (url) {
      lua_pushstring(L, url);
      lua_setfield(L, refs, fd->name);
    } else if (limage_is(L, -1)) { /* an image object: the same rules as a file */
      const image *px;
      const void *bytes;
      size_t blen;
      const char *src;
      limage_peek(L, -1, &px, &bytes, &blen, &src);
      lua_getfield(L, -1, "width");
      lua_getfield(L, -2, "height");
      lua_getfield(L, -3, "format");
      lua_Integer w = lua_tointeger(L, -3), h = lua_tointeger(L, -2);
      const char *fmt = lua_tostring(L, -1);
      bool as_is = w <= edge && h <= edge && fmt && (strcmp(fmt, "png") == 0 || strcmp(fmt, "jpeg") == 0);
      lua_pop(L, 3);
      buf *b = lbuf_push(L);
      char err[400];
      bool resized, ok = true;
      if (as_is) { /* its bytes (or a fresh encoding when edited) */
        limage_data_uri(L, -2, b);
        if (b->len + 1 > FASHN_MAX_REFERENCE) { /* too many bytes for its size: JPEG 95 */
          buf_reset(b);
          as_is = false;
        }
      }
      /* Larger than the API wants, WebP, or too heavy: resized, JPEG 95, like a file. */
      if (!as_is && px) ok = fashn_ref_from_pixels("the image object", px, edge, b, err, sizeof err);
      if (!as_is && !px)
        ok = fashn_ref_from_bytes("the image object", bytes, blen, edge, b, &resized, err, sizeof err);
      if (!ok) lfashn_raise_input(L, fd->name, "%s: %s", fd->name, err);
      if (b->len + 1 > FASHN_MAX_REFERENCE)
        lfashn_raise_input(L, fd->name, "%s: the image is %zu bytes as a data: URI; at most %u are sent (resize it)",
                    fd->name, b->len, FASHN_MAX_REFERENCE);
      lua_pushlstring(L, b->data, b->len);
      buf_free(b);
      lua_setfield(L, refs, fd->name);
      lua_pop(L, 1);
    } else if (s && fashn_ref_classify(s, len) == REF_PATH && !lfashn_is_saved_ref(fd, s, len)) {
      const char *path = sandbox_check_read(L, s); /* pushed; --sandbox may refuse it */
      buf *b = lbuf_push(L);
      bool resized;
      char err[400];
      if (!fashn_ref_from_file(path, edge, b, &resized, err, sizeof err))
        lfashn_raise_input(L, fd->name, "%s: %s", fd->name, err);
      lua_pushlstring(L, b->data, b->len);
      buf_free(b);
      lua_setfield(L, refs, fd->name);
      lua_pop(L, 2); /* buf, path */
    }
    lua_pop(L, 1);
  }
}

void lfashn_copy_table(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

/* The names of every model, for "did you mean". */
static const char *const *model_names(void) {
  static const char *names[64];
  if (!names[0])
    for (int i = 0; fashn_models[i] && i < 63; i++) names[i] = fashn_models[i]->name;
  return names;
}

const fashn_model *lfashn_take_model(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int t = lua_getfield(L, 1, "model");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return fashn_models[0];
  }
  if (t != LUA_TSTRING) lfashn_raise_input(L, "model", "model: a model name (string) expected, got a %s", luaL_typename(L, -1));
  size_t len;
  const char *name = lua_tolstring(L, -1, &len);
  if (strlen(name) != len) lfashn_raise_input(L, "model", "model: a model name cannot contain a NUL byte");
  const fashn_model *m = fashn_model_find(name);
  if (!m) {
    const char *near = fashn_closest_name(name, model_names());
    if (near) lfashn_raise_input(L, "model", "model: unknown model \"%s\" (did you mean \"%s\"?)", name, near);
    lfashn_raise_input(L, "model", "model: unknown model \"%s\"; the models are model-create, tryon-max, "
                       "tryon-v1.6, product-to-model, face-to-model, model-swap, edit, reframe, "
                       "background-remove, image-to-video and packshot", name);
  }
  if (m->state != MODEL_ACTIVE)
    lfashn_raise_input(L, "model", "model: \"%s\" is %s: use %s instead", name,
                       m->state == MODEL_RETIRED ? "retired" : "deprecated", m->replacement);
  lua_pop(L, 1);
  /* the inputs without `model`: it goes in the body's model_name, not among the inputs */
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "model") == 0) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_replace(L, 1);
  return m;
}

/* Checks the inputs table at 1 (references as placeholders) against m, pushes its JSON and
 * returns the facts. */
fashn_input_facts lfashn_check_inputs(lua_State *L, const fashn_model *m) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lfashn_push_inputs_json(L, m, 1, true, 0);
  size_t len;
  const char *json = lua_tolstring(L, -1, &len);
  fashn_input_facts f;
  fashn_input_error e;
  if (!fashn_inputs_check_json_model(m, json, len, &f, &e)) lfashn_raise_input(L, e.field, "%s", e.message);
  lua_pop(L, 1);
  return f;
}


