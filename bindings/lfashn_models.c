/* lfashn_models.c — fashn.models(): every model atelier knows, as Lua tables read from
 * the model descriptions (runtime/api/fashn_models.c), so a recipe or a test can go over
 * all of them without a list of its own that a new model would leave behind. */
#include <lauxlib.h>
#include <stdlib.h>

#include "../runtime/api/fashn_models.h"
#include "lfashn_int.h"

static const char *type_name(fashn_field_type t) {
  switch (t) {
    case FIELD_TEXT: return "text";
    case FIELD_ENUM: return "enum";
    case FIELD_INT: return "integer";
    case FIELD_BOOL: return "boolean";
    case FIELD_IMAGE: return "image";
    case FIELD_URL: return "url";
  }
  return "text";
}

static const char *price_name(fashn_price_rule p) {
  switch (p) {
    case PRICE_TABLE: return "table";
    case PRICE_BALANCED: return "balanced";
    case PRICE_ONE: return "one";
    case PRICE_VIDEO: return "video";
  }
  return "table";
}

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, bool v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

/* One field: {name, type, required, values, default, min, max, legacy, deprecated}. */
static void push_field(lua_State *L, const fashn_field *f) {
  lua_createtable(L, 0, 8);
  set_str(L, "name", f->name);
  set_str(L, "type", type_name(f->type));
  set_bool(L, "required", (f->flags & FIELD_REQUIRED) != 0);
  if (f->flags & FIELD_LEGACY) set_bool(L, "legacy", true);
  if (f->flags & FIELD_DEPRECATED) set_bool(L, "deprecated", true);
  if (f->values) { /* an enum's words; an integer's only values (image-to-video's duration) */
    lua_newtable(L);
    for (int i = 0; f->values[i]; i++) {
      if (f->type == FIELD_INT) lua_pushinteger(L, (lua_Integer)strtoll(f->values[i], NULL, 10));
      else lua_pushstring(L, f->values[i]);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "values");
  }
  if (f->type == FIELD_INT) {
    lfashn_setint(L, "min", (long)f->lo);
    lua_pushinteger(L, (lua_Integer)f->hi);
    lua_setfield(L, -2, "max");
  }
  if (f->default_value) {
    if (f->type == FIELD_INT) lua_pushinteger(L, (lua_Integer)strtoll(f->default_value, NULL, 10));
    else if (f->type == FIELD_BOOL) lua_pushboolean(L, f->default_value[0] == 't');
    else lua_pushstring(L, f->default_value);
    lua_setfield(L, -2, "default");
  }
}

/* fashn.models() -> a fresh list, the default model first: {name, state ("active",
 * "deprecated", "retired"), replacement, output ("image" or "video"), seconds (a usual
 * processing time), face_seconds (added with face_reference), price (the price rule's
 * name), count (the field that multiplies outputs), fields = {...}}. */
int lfashn_api_models(lua_State *L) {
  static const char *const states[] = {"active", "deprecated", "retired"};
  lua_newtable(L);
  for (int i = 0; fashn_models[i]; i++) {
    const fashn_model *m = fashn_models[i];
    lua_createtable(L, 0, 10);
    set_str(L, "name", m->name);
    set_str(L, "state", states[m->state]);
    set_str(L, "replacement", m->replacement);
    set_str(L, "output", m->output == MODEL_OUTPUT_VIDEO ? "video" : "image");
    lfashn_setnum(L, "seconds", m->typical_seconds);
    if (m->face_seconds > 0) lfashn_setnum(L, "face_seconds", m->face_seconds);
    set_str(L, "price", price_name(m->price));
    set_str(L, "count", m->count_field);
    lua_newtable(L);
    int n = 0;
    for (const fashn_field *f = m->fields; f->name; f++) {
      push_field(L, f);
      lua_rawseti(L, -2, ++n);
    }
    lua_setfield(L, -2, "fields");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}
