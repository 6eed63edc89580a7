/* ljournal.c — the journal of a Lua state (see ljournal.h): configuration, lazy
 * opening, job keys of Lua input tables and the in-run table of shared jobs. No SQLite
 * here: everything goes through runtime/journal.h. */
#include "ljournal.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/json.h"

#define LJOURNAL_MT "atelier.journal"

typedef struct ljournal {
  char *path; /* NULL = JOURNAL_DEFAULT_PATH */
  bool fresh, retry_unknown;
  journal *j;
  bool failed; /* opening failed: the message stays in error */
  char error[512];
} ljournal;

static const char STATE_KEY = 0;  /* registry: the ljournal userdata */
static const char SHARED_KEY = 0; /* registry: key -> job submitted in this run */

static int ljournal_gc(lua_State *L) {
  ljournal *s = lua_touserdata(L, 1);
  journal_close(s->j);
  s->j = NULL;
  free(s->path);
  s->path = NULL;
  return 0;
}

static ljournal *state(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &STATE_KEY);
  ljournal *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (s) return s;
  s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  if (luaL_newmetatable(L, LJOURNAL_MT)) {
    lua_pushcfunction(L, ljournal_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &STATE_KEY);
  return s;
}

void ljournal_configure(lua_State *L, const char *path, bool fresh, bool retry_unknown) {
  ljournal *s = state(L);
  free(s->path);
  s->path = path ? strdup(path) : NULL;
  s->fresh = fresh;
  s->retry_unknown = retry_unknown;
}

bool ljournal_retry_unknown(lua_State *L) { return state(L)->retry_unknown; }

journal *ljournal_get(lua_State *L, char *errbuf, size_t errlen) {
  ljournal *s = state(L);
  if (s->j) return s->j;
  if (!s->failed) {
    s->j = journal_open(s->path, s->fresh, s->error, sizeof s->error);
    s->failed = !s->j;
    if (s->j && journal_recovered_unknown(s->j) > 0) {
      int n = journal_recovered_unknown(s->j);
      fprintf(stderr,
              "atelier: journal %s: %d earlier submission%s stopped between sending and recording the "
              "prediction id; %s outcome is unknown, so %s not resubmitted (see atelier --journal-report)\n",
              journal_path(s->j), n, n == 1 ? "" : "s", n == 1 ? "its" : "their",
              n == 1 ? "it is" : "they are");
      fflush(stderr);
    }
  }
  if (!s->j) snprintf(errbuf, errlen, "%s", s->error);
  return s->j;
}

void ljournal_close(lua_State *L) {
  ljournal *s = state(L);
  journal_close(s->j);
  s->j = NULL;
  s->failed = false;
}

/* ---- keys --------------------------------------------------------------------------- */

#define MAX_DEPTH 16

/* Writes the Lua value at idx as JSON; false with errbuf naming the field otherwise. */
static bool value_json(lua_State *L, int idx, json_writer *w, int depth, const char *field, char *errbuf,
                       size_t errlen);

static bool table_json(lua_State *L, int idx, json_writer *w, int depth, const char *field, char *errbuf,
                       size_t errlen) {
  if (depth > MAX_DEPTH) {
    snprintf(errbuf, errlen, "%s: nested more than %d levels deep", field, MAX_DEPTH);
    return false;
  }
  if (!lua_checkstack(L, 4)) {
    snprintf(errbuf, errlen, "%s: out of stack space", field);
    return false;
  }
  idx = lua_absindex(L, idx);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  bool is_array = n > 0;
  if (is_array) { /* a sequence 1..n and nothing else */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) is_array = false;
    }
  }
  if (is_array) {
    jw_array_begin(w);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, i);
      bool ok = value_json(L, -1, w, depth + 1, field, errbuf, errlen);
      lua_pop(L, 1);
      if (!ok) return false;
    }
    jw_array_end(w);
    return true;
  }
  jw_object_begin(w); /* key order does not matter: jobkey sorts */
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      snprintf(errbuf, errlen, "%s: input names must be strings, not %s", field, luaL_typename(L, -2));
      lua_pop(L, 2);
      return false;
    }
    size_t klen;
    const char *k = lua_tolstring(L, -2, &klen);
    jw_key_len(w, k, klen);
    bool ok = value_json(L, -1, w, depth + 1, depth == 0 ? k : field, errbuf, errlen);
    lua_pop(L, 1);
    if (!ok) {
      lua_pop(L, 1);
      return false;
    }
  }
  jw_object_end(w);
  return true;
}

static bool value_json(lua_State *L, int idx, json_writer *w, int depth, const char *field, char *errbuf,
                       size_t errlen) {
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: jw_bool(w, lua_toboolean(L, idx)); return true;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        jw_int(w, (int64_t)lua_tointeger(L, idx));
        return true;
      }
      if (!isfinite(lua_tonumber(L, idx))) {
        snprintf(errbuf, errlen, "%s: numbers must be finite", field);
        return false;
      }
      jw_double(w, (double)lua_tonumber(L, idx));
      return true;
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      jw_string_len(w, s, len);
      return true;
    }
    case LUA_TTABLE: return table_json(L, idx, w, depth, field, errbuf, errlen);
    default:
      snprintf(errbuf, errlen, "%s: a %s cannot be sent to the API", field, luaL_typename(L, idx));
      return false;
  }
}

bool ljournal_key(lua_State *L, int idx, const char *backend, const char *model_name, jobkey *k, char *errbuf,
                  size_t errlen) {
  memset(k, 0, sizeof *k);
  if (lua_type(L, idx) != LUA_TTABLE) {
    snprintf(errbuf, errlen, "inputs must be a table");
    return false;
  }
  buf json = BUF_INIT;
  json_writer w;
  jw_init(&w, &json);
  bool ok = table_json(L, idx, &w, 0, "inputs", errbuf, errlen);
  if (ok && json.oom) {
    snprintf(errbuf, errlen, "out of memory");
    ok = false;
  }
  if (ok) ok = jobkey_compute(backend, model_name, json.data, json.len, k, errbuf, errlen);
  buf_free(&json);
  return ok;
}

/* ---- jobs shared within the run ------------------------------------------------------- */

static void push_shared_table(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &SHARED_KEY) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &SHARED_KEY);
}

void ljournal_push_shared(lua_State *L, const char *key) {
  push_shared_table(L);
  lua_getfield(L, -1, key);
  lua_remove(L, -2);
}

void ljournal_set_shared(lua_State *L, const char *key) {
  push_shared_table(L);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, key);
  lua_pop(L, 1);
}
