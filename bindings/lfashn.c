/* lfashn.c — module "fashn.core": thin primitives over runtime/fashn (submit, wait,
 * status, credits, configure, stats). The friendly API (run, gather, map, options,
 * image objects) is scripts/fashn.lua. Jobs are userdata "fashn.job" holding a
 * reference to the runtime job; a task waiting on one is woken by the job's on_done
 * callback, which only calls task_wake — never Lua. */
#include "lfashn.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/fashn.h"
#include "../runtime/fashn_inputs.h"
#include "../runtime/fashn_ref.h"
#include "../runtime/http.h"
#include "../runtime/interrupt.h"
#include "../runtime/json.h"
#include "../runtime/progress.h"
#include "../runtime/backend.h"
#include "errors.h"
#include "limage.h"
#include "ljournal.h"
#include "task.h"

#define JOB_MT "fashn.job"
#define CLIENT_MT "fashn.client"
#define MAX_DEPTH 8

static const char CLIENT_KEY = 0;

typedef struct lclient {
  fashn_client *c;
  fashn_config cfg;      /* settings before the client exists (and after, for configure) */
  char *base_url;        /* owned copies for cfg */
  char *api_key;
  lfashn_cli cli;
  loop *lp;
  progress *prog;
  loop_timer tick;
  backend be;            /* which server, and the embedded emulator when used */
  double t_first;
} lclient;

typedef struct ljob {
  fashn_job *j;
  task **waiters;
  int nw, capw;
} ljob;

static void setnum(lua_State *L, const char *k, double v);

/* Uservalues of a job handle. */
enum { UV_INPUTS = 1, UV_RESULT = 2, UV_COUNT = 2 };

/* ---- the client ---------------------------------------------------------------------- */

static void set_str(char **slot, const char *s) {
  char *d = s ? strdup(s) : NULL;
  if (*slot) memset(*slot, 0, strlen(*slot));
  free(*slot);
  *slot = d;
}

static int client_gc(lua_State *L) {
  lclient *lc = lua_touserdata(L, 1);
  loop_timer_stop(lc->lp, &lc->tick);
  fashn_client_free(lc->c);
  lc->c = NULL;
  backend_stop(&lc->be);
  progress_free(lc->prog);
  lc->prog = NULL;
  set_str(&lc->base_url, NULL);
  set_str(&lc->api_key, NULL);
  return 0;
}

static lclient *client_state(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  lclient *lc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (lc) return lc;
  lc = lua_newuserdatauv(L, sizeof *lc, 0);
  memset(lc, 0, sizeof *lc);
  lc->lp = sched_loop(L);
  fashn_config_defaults(&lc->cfg);
  lc->cli.max_credits = -1;
  if (luaL_newmetatable(L, CLIENT_MT)) {
    lua_pushcfunction(L, client_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  return lc;
}

void lfashn_set_cli(lua_State *L, const lfashn_cli *cli) {
  lclient *lc = client_state(L);
  lc->cli = *cli;
  if (cli->concurrency > 0) lc->cfg.concurrency = cli->concurrency;
  lc->cfg.max_credits = cli->max_credits;
  lc->cfg.dry_run = cli->dry_run;
}

static void tick_cb(void *ud);

static void on_event(void *ud, const fashn_event *ev) {
  lclient *lc = ud;
  if (!lc->prog || !lc->c) return;
  fashn_stats st;
  fashn_client_stats(lc->c, &st);
  progress_event(lc->prog, ev, &st);
  if (!loop_timer_armed(&lc->tick) && st.queued + st.submitting + st.running + st.fetching > 0 &&
      isatty(STDERR_FILENO) && !lc->cli.quiet)
    loop_timer_start(lc->lp, &lc->tick, 0.25, tick_cb, lc);
}

static void tick_cb(void *ud) {
  lclient *lc = ud;
  if (!lc->c || !lc->prog) return;
  fashn_stats st;
  fashn_client_stats(lc->c, &st);
  progress_tick(lc->prog, &st);
  if (st.queued + st.submitting + st.running + st.fetching > 0)
    loop_timer_start(lc->lp, &lc->tick, 0.25, tick_cb, lc);
}

/* print and io.write while the live line is on the terminal: erase it first, so the
 * script's output starts on a clean line (the next tick draws it again below). */
static int print_clearing(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  lclient *lc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (lc && lc->prog) progress_clear(lc->prog);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static void wrap_output(lua_State *L) {
  lua_getglobal(L, "print");
  lua_pushcclosure(L, print_clearing, 1);
  lua_setglobal(L, "print");
  lua_getglobal(L, "io");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "write");
    lua_pushcclosure(L, print_clearing, 1);
    lua_setfield(L, -2, "write");
  }
  lua_pop(L, 1);
}

/* The client, created on first use: the backend is chosen then (see backend.h). */
static lclient *client_get(lua_State *L) {
  lclient *lc = client_state(L);
  if (lc->c) return lc;
  char err[300];
  backend_want want = {.dry_run = lc->cfg.dry_run, .force_emulator = lc->cli.emulator,
                       .base_url = lc->base_url ? lc->base_url : lc->cli.base_url,
                       .api_key = lc->api_key, .quiet = lc->cli.quiet};
  if (!backend_choose(&lc->be, &want, err, sizeof err)) {
    lerr_info e = {.name = "ConfigurationError", .message = err};
    lerr_raise(L, &e);
  }
  fashn_config cfg = lc->cfg;
  if (ljournal_retry_unknown(L)) cfg.retry_unknown = true; /* --retry-unknown */
  backend_apply(&lc->be, &cfg);
  if (!lc->prog) {
    bool live = isatty(STDERR_FILENO) && !lc->cli.quiet;
    lc->prog = progress_new(stderr, stdout, live, lc->cli.quiet, "atelier");
    if (live && isatty(STDOUT_FILENO)) wrap_output(L);
  }
  cfg.on_event = on_event;
  cfg.event_ud = lc;
  cfg.stop_submitting = interrupt_stopping; /* the first Ctrl-C */
  lc->c = fashn_client_new(lc->lp, &cfg, err, sizeof err);
  if (!lc->c) {
    backend_stop(&lc->be);
    lerr_info e = {.name = "ConfigurationError", .message = err};
    lerr_raise(L, &e);
  }
  lc->t_first = loop_now();
  return lc;
}

int lfashn_finish(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  lclient *lc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!lc || !lc->c || !lc->prog) return 0;
  fashn_stats st;
  fashn_client_stats(lc->c, &st);
  progress_summary(lc->prog, &st, loop_now() - lc->t_first);
  return 0;
}

/* ---- inputs: a Lua table into canonical JSON (sorted keys) ---------------------------- */

static int raise_input(lua_State *L, const char *field, const char *fmt, ...) {
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

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void value_to_json(lua_State *L, int idx, json_writer *w, int depth, const char *field,
                          bool placeholder_refs);

static void table_to_json(lua_State *L, int idx, json_writer *w, int depth, const char *field,
                          bool top, bool placeholder_refs) {
  idx = lua_absindex(L, idx);
  if (depth > MAX_DEPTH) raise_input(L, field, "%s: nested more than %d levels deep", field, MAX_DEPTH);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  lua_Integer count = 0;
  bool all_strings = true;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    count++;
    if (lua_type(L, -2) != LUA_TSTRING) all_strings = false;
    lua_pop(L, 1);
  }
  if (!top && count > 0 && count == n) { /* a list */
    jw_array_begin(w);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, i);
      value_to_json(L, -1, w, depth + 1, field, placeholder_refs);
      lua_pop(L, 1);
    }
    jw_array_end(w);
    return;
  }
  if (!all_strings)
    raise_input(L, field, "%s%skeys must be strings (a table of named fields)", field, *field ? ": " : "");
  if (count > 4096) raise_input(L, field, "%s: more than 4096 fields", field);
  const char **keys = lua_newuserdatauv(L, (size_t)(count ? count : 1) * sizeof *keys, 0);
  lua_Integer k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    keys[k++] = lua_tostring(L, -1); /* anchored by the table */
  }
  qsort(keys, (size_t)count, sizeof *keys, cmp_str);
  jw_object_begin(w);
  for (k = 0; k < count; k++) {
    jw_key(w, keys[k]);
    lua_getfield(L, idx, keys[k]);
    bool is_ref = top && (strcmp(keys[k], "face_reference") == 0 || strcmp(keys[k], "image_reference") == 0);
    size_t len = 0;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (is_ref && ((s && fashn_ref_classify(s, len) == REF_PATH) || limage_is(L, -1))) {
      if (placeholder_refs) {
        jw_string(w, "data:image/png;base64,AAAA"); /* checked for real when sent */
      } else {
        /* the resolved data: URI sits in the table's place at the top of the stack */
        lua_getfield(L, lua_upvalueindex(1), keys[k]);
        size_t dl;
        const char *d = lua_tolstring(L, -1, &dl);
        jw_string_len(w, d, dl);
        lua_pop(L, 1);
      }
    } else {
      value_to_json(L, -1, w, depth + 1, top ? keys[k] : field, placeholder_refs);
    }
    lua_pop(L, 1);
  }
  jw_object_end(w);
  lua_pop(L, 1); /* keys */
}

static void value_to_json(lua_State *L, int idx, json_writer *w, int depth, const char *field,
                          bool placeholder_refs) {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      jw_string_len(w, s, len);
      return;
    }
    case LUA_TBOOLEAN: jw_bool(w, lua_toboolean(L, idx)); return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        jw_int(w, (int64_t)lua_tointeger(L, idx));
      } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d)) raise_input(L, field, "%s: must be a finite number", field);
        if (d == floor(d) && fabs(d) < 9007199254740992.0) jw_int(w, (int64_t)d);
        else jw_double(w, d);
      }
      return;
    case LUA_TTABLE: table_to_json(L, idx, w, depth, field, false, placeholder_refs); return;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) { /* cjson.null */
        jw_null(w);
        return;
      }
      /* fall through */
    default:
      raise_input(L, field, "%s: a %s cannot be sent to the API", field, luaL_typename(L, idx));
  }
}

/* Converts the inputs table at idx; with placeholder_refs, file paths stand as a dummy
 * data: URI (for checking before any file is read). Pushes the JSON text. */
static int buf_gc(lua_State *L) {
  buf_free(lua_touserdata(L, 1));
  return 0;
}

/* A buf owned by a userdata on the stack, so an error raised while filling it cannot
 * leak it (the Redis/Neovim rule: nothing malloc'd may be orphaned by a longjmp). */
static buf *push_buf(lua_State *L) {
  buf *b = lua_newuserdatauv(L, sizeof *b, 0);
  *b = (buf)BUF_INIT;
  if (luaL_newmetatable(L, "fashn.buf")) {
    lua_pushcfunction(L, buf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

static int inputs_json_k(lua_State *L) {
  bool placeholder = lua_toboolean(L, 2);
  buf *out = push_buf(L);
  json_writer w;
  jw_init(&w, out);
  table_to_json(L, 1, &w, 0, "", true, placeholder);
  if (out->oom) return luaL_error(L, "out of memory");
  lua_pushlstring(L, out->data ? out->data : "{}", out->len);
  buf_free(out);
  return 1;
}

static void push_inputs_json(lua_State *L, int idx, bool placeholder, int refs_idx) {
  idx = lua_absindex(L, idx);
  refs_idx = refs_idx ? lua_absindex(L, refs_idx) : 0;
  if (refs_idx) lua_pushvalue(L, refs_idx);
  else lua_newtable(L);
  lua_pushcclosure(L, inputs_json_k, 1);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, placeholder);
  /* errors from the conversion are already error tables: propagate as they are */
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) lua_error(L);
}

/* ---- jobs ------------------------------------------------------------------------------- */

static ljob *check_job(lua_State *L, int idx) { return luaL_checkudata(L, idx, JOB_MT); }

static void job_done_cb(fashn_job *j, void *ud) {
  (void)j;
  ljob *u = ud;
  int n = u->nw;
  u->nw = 0;
  for (int i = 0; i < n; i++) task_wake(u->waiters[i], 0);
}

static int job_gc(lua_State *L) {
  ljob *u = lua_touserdata(L, 1);
  if (u->j) {
    fashn_job_on_done(u->j, NULL, NULL);
    fashn_job_unref(u->j);
    u->j = NULL;
  }
  free(u->waiters);
  u->waiters = NULL;
  u->nw = u->capw = 0;
  return 0;
}

static void waiter_cancel(task *t, void *ud) {
  ljob *u = ud;
  for (int i = 0; i < u->nw; i++) {
    if (u->waiters[i] != t) continue;
    u->waiters[i] = u->waiters[--u->nw];
    return;
  }
}

static bool finished(const ljob *u) {
  fashn_job_state s = fashn_job_state_of(u->j);
  return s == FASHN_JOB_DONE || s == FASHN_JOB_FAILED;
}

/* Pushes the error table of a failed job. */
static void push_job_error(lua_State *L, const ljob *u) {
  fashn_error fe;
  if (!fashn_job_error(u->j, &fe)) {
    lua_pushnil(L);
    return;
  }
  lerr_info e = {.name = fe.name, .message = fe.message, .id = fashn_job_id(u->j),
                 .http_status = fe.http_status, .retryable = fe.retryable};
  lerr_push(L, &e, 0);
}

/* The metadata saved files carry: model, id, prompt, seed and every input. */
static void push_meta(lua_State *L, int job_idx, const char *id) {
  lua_createtable(L, 0, 5);
  lua_pushstring(L, FASHN_MODEL);
  lua_setfield(L, -2, "model");
  if (id) {
    lua_pushstring(L, id);
    lua_setfield(L, -2, "id");
  }
  lua_getiuservalue(L, job_idx, UV_INPUTS);
  lua_getfield(L, -1, "prompt");
  lua_setfield(L, -3, "prompt");
  lua_getfield(L, -1, "seed");
  lua_setfield(L, -3, "seed");
  lua_setfield(L, -2, "inputs");
}

/* Builds (once) the result: {id, status, images, credits, elapsed, inputs, cached,
 * dry_run, error}. The images are the image module's objects (limage), carrying the
 * generation inputs as metadata; the C copies of the bytes are released. */
static void push_result(lua_State *L, int job_idx) {
  ljob *u = check_job(L, job_idx);
  if (lua_getiuservalue(L, job_idx, UV_RESULT) == LUA_TTABLE) return;
  lua_pop(L, 1);
  fashn_job *j = u->j;
  lua_createtable(L, 0, 10);
  const char *id = fashn_job_id(j);
  if (id) {
    lua_pushstring(L, id);
    lua_setfield(L, -2, "id");
  }
  bool ok = fashn_job_state_of(j) == FASHN_JOB_DONE;
  lua_pushstring(L, fashn_job_status(j));
  lua_setfield(L, -2, "status");
  lua_pushinteger(L, ok ? fashn_job_credits(j) : 0);
  lua_setfield(L, -2, "credits");
  lua_pushnumber(L, fashn_job_elapsed(j));
  lua_setfield(L, -2, "elapsed");
  lua_pushboolean(L, fashn_job_cached(j)); /* served from the journal, nothing bought */
  lua_setfield(L, -2, "cached");
  fashn_times tm;
  fashn_job_times(j, &tm);
  lua_createtable(L, 0, 4);
  if (tm.submitted >= 0) setnum(L, "submitted", tm.submitted);
  if (tm.accepted >= 0) setnum(L, "accepted", tm.accepted);
  if (tm.noticed >= 0) setnum(L, "noticed", tm.noticed);
  if (tm.done >= 0) setnum(L, "done", tm.done);
  lua_setfield(L, -2, "timing");
  if (fashn_job_dry(j)) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "dry_run");
  }
  int n = fashn_job_outputs(j);
  lua_createtable(L, n, 0);
  int images = lua_gettop(L);
  if (n) push_meta(L, job_idx, id);
  for (int i = 0; i < n; i++) {
    fashn_output o;
    if (!fashn_job_output(j, i, &o)) continue;
    char name[300];
    snprintf(name, sizeof name, "prediction %s output %d", id ? id : "?", i + 1);
    limage_push_encoded(L, o.bytes, o.len, name);
    limage_set_meta(L, lua_gettop(L), images + 1);
    lua_rawseti(L, images, i + 1);
  }
  if (n) lua_pop(L, 1); /* meta */
  lua_setfield(L, -2, "images");
  fashn_job_release_outputs(j); /* the image objects hold their own copies */
  if (!ok) {
    push_job_error(L, u);
    lua_setfield(L, -2, "error");
  }
  lua_getiuservalue(L, job_idx, UV_INPUTS);
  lua_setfield(L, -2, "inputs");
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, job_idx, UV_RESULT);
}

/* job:_wait() -> raw result (see push_result); yields the task until the job ends. */
static int job_wait_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  ljob *u = check_job(L, 1);
  if (!finished(u)) {
    task *t = task_current(L);
    if (!t) return luaL_error(L, "job:wait() must be called inside a task");
    if (u->nw == u->capw) {
      int ncap = u->capw ? u->capw * 2 : 4;
      task **nw = realloc(u->waiters, (size_t)ncap * sizeof *nw);
      if (!nw) return luaL_error(L, "out of memory");
      u->waiters = nw;
      u->capw = ncap;
    }
    u->waiters[u->nw++] = t;
    task_on_cancel(t, waiter_cancel, u);
    return task_wait(L, 0, job_wait_k);
  }
  push_result(L, 1);
  return 1;
}

static int l_job_wait(lua_State *L) {
  check_job(L, 1);
  lua_settop(L, 1);
  return job_wait_k(L, LUA_OK, 0);
}

/* job:result() -> raw result, or nil while unfinished (never waits). */
static int l_job_result(lua_State *L) {
  ljob *u = check_job(L, 1);
  if (!finished(u)) return 0;
  push_result(L, 1);
  return 1;
}

/* job:status() -> "queued" | "submitting" | "starting" | "in_queue" | "processing" |
 * "fetching" | "completed" | "failed" | "dry_run" */
static int l_job_status(lua_State *L) {
  lua_pushstring(L, fashn_job_status(check_job(L, 1)->j));
  return 1;
}

static int job_index(lua_State *L) {
  ljob *u = check_job(L, 1);
  const char *k = lua_tostring(L, 2);
  if (k && strcmp(k, "id") == 0) {
    const char *id = fashn_job_id(u->j);
    if (!id) return 0;
    lua_pushstring(L, id);
    return 1;
  }
  if (k && strcmp(k, "inputs") == 0) {
    lua_getiuservalue(L, 1, UV_INPUTS);
    return 1;
  }
  if (k && strcmp(k, "credits") == 0) {
    lua_pushinteger(L, fashn_job_estimated_credits(u->j));
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

static int job_tostring(lua_State *L) {
  ljob *u = check_job(L, 1);
  const char *id = fashn_job_id(u->j);
  lua_pushfstring(L, "fashn.job %s (%s)", id ? id : "(no id yet)", fashn_job_status(u->j));
  return 1;
}

/* ---- submit --------------------------------------------------------------------------- */

/* Reads each reference given as a file path into refs[field] = data: URI. */
static void resolve_refs(lua_State *L, int inputs, int refs, int resolution_k) {
  static const char *const fields[] = {"face_reference", "image_reference", NULL};
  for (int i = 0; fields[i]; i++) {
    lua_getfield(L, inputs, fields[i]);
    size_t len = 0;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (limage_is(L, -1)) { /* an image object: its bytes (or a fresh encoding) as data: */
      buf *b = push_buf(L);
      limage_data_uri(L, -2, b);
      if (b->len + 1 > FASHN_MAX_REFERENCE)
        raise_input(L, fields[i], "%s: the image is %zu bytes as a data: URI; at most %u are sent (resize it)",
                    fields[i], b->len, FASHN_MAX_REFERENCE);
      lua_pushlstring(L, b->data, b->len);
      buf_free(b);
      lua_setfield(L, refs, fields[i]);
      lua_pop(L, 1);
    } else if (s && fashn_ref_classify(s, len) == REF_PATH) {
      buf *b = push_buf(L);
      bool resized;
      char err[400];
      int edge = strcmp(fields[i], "image_reference") == 0 && resolution_k == 4 ? FASHN_REF_EDGE_4K : FASHN_REF_EDGE;
      if (!fashn_ref_from_file(s, edge, b, &resized, err, sizeof err))
        raise_input(L, fields[i], "%s: %s", fields[i], err);
      lua_pushlstring(L, b->data, b->len);
      buf_free(b);
      lua_setfield(L, refs, fields[i]);
      lua_pop(L, 1); /* buf */
    }
    lua_pop(L, 1);
  }
}

static void copy_table(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

/* Checks the inputs table at 1 (references as placeholders), pushes its JSON and
 * returns the facts. */
static fashn_input_facts check_inputs(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  push_inputs_json(L, 1, true, 0);
  size_t len;
  const char *json = lua_tolstring(L, -1, &len);
  fashn_input_facts f;
  fashn_input_error e;
  if (!fashn_inputs_check_json(json, len, &f, &e)) raise_input(L, e.field, "%s", e.message);
  lua_pop(L, 1);
  return f;
}

/* The name the journal keys jobs of this client by (a prediction id means something
 * only to the server that issued it, and an emulated image is never a real one). */
static const char *journal_backend(const lclient *lc, bool *ephemeral) {
  *ephemeral = lc->be.kind == BACKEND_EMULATOR;
  return *ephemeral ? "emulator:embedded" : lc->be.base_url;
}

/* Pushes the job handle for a fashn job (or raises with err when j is NULL). */
static ljob *push_job(lua_State *L, fashn_job *j, const char *field, const char *err) {
  if (!j) raise_input(L, field, "%s", err);
  ljob *u = lua_newuserdatauv(L, sizeof *u, UV_COUNT);
  memset(u, 0, sizeof *u);
  u->j = j;
  luaL_setmetatable(L, JOB_MT);
  fashn_job_on_done(j, job_done_cb, u);
  copy_table(L, 1);
  lua_setiuservalue(L, -2, UV_INPUTS);
  return u;
}

/* core.submit(inputs, opts) -> job. Checks every input first (raises InvalidInput,
 * naming the field, before anything is read or sent), asks the journal (a job done
 * earlier comes back stored, one in flight is polled by id, an identical one of this run
 * is shared), reads file references, queues. */
static int l_submit(lua_State *L) {
  fashn_input_facts f = check_inputs(L);
  fashn_job_opts o = {.retry_unknown = -1, .timeout = 0};
  if (lua_type(L, 2) == LUA_TTABLE) {
    if (lua_getfield(L, 2, "retry_unknown") != LUA_TNIL) o.retry_unknown = lua_toboolean(L, -1);
    if (lua_getfield(L, 2, "timeout") != LUA_TNIL) {
      o.timeout = lua_tonumber(L, -1);
      luaL_argcheck(L, o.timeout > 0, 2, "timeout must be a number of seconds > 0");
    }
    lua_pop(L, 2);
  } else {
    luaL_argexpected(L, lua_isnoneornil(L, 2), 2, "table of options");
  }
  lclient *lc = client_get(L);
  lua_settop(L, 2);
  char field[64] = "", err[512];
  ljournal_action act = LJ_SUBMIT;
  fashn_job_hooks hooks;
  if (lc->cfg.dry_run) { /* a dry run records nothing */
    lua_pushnil(L);     /* 3 */
  } else {
    bool ephemeral;
    const char *backend = journal_backend(lc, &ephemeral);
    ljentry *e = ljournal_entry(L, 1, backend, ephemeral); /* 3 */
    ljournal_push_shared(L, ljournal_entry_key(e));
    ljob *twin = luaL_testudata(L, -1, JOB_MT);
    if (twin && fashn_job_state_of(twin->j) != FASHN_JOB_FAILED) { /* one prediction for both */
      ljournal_note_shared(L, e);
      return 1;
    }
    lua_pop(L, 1);
    bool retry_unknown = o.retry_unknown >= 0 ? o.retry_unknown == 1 : fashn_client_config(lc->c)->retry_unknown;
    act = ljournal_decide(L, e, f.credits, retry_unknown);
    if (act == LJ_CACHED || act == LJ_UNKNOWN) { /* over already: nothing to read or send */
      push_inputs_json(L, 1, true, 0); /* 4 */
      size_t len;
      const char *json = lua_tolstring(L, 4, &len);
      fashn_output outs[JOURNAL_MAX_OUTPUTS];
      fashn_error fe;
      ljournal_unknown_error(e, &fe);
      int n = act == LJ_CACHED ? ljournal_outputs(e, outs, JOURNAL_MAX_OUTPUTS) : 0;
      fashn_job *j = fashn_job_stored(lc->c, json, len, ljournal_prediction_id(e), act == LJ_CACHED ? outs : NULL,
                                      n, &fe, err, sizeof err);
      push_job(L, j, field, err); /* 5 */
      ljournal_set_shared(L, ljournal_entry_key(e));
      return 1;
    }
    if (!ljournal_take_hooks(e, &hooks)) raise_input(L, "", "out of memory");
    o.hooks = &hooks;
    o.rebuy_if_gone = act == LJ_REFETCH; /* its images were lost here: if gone there too, buy again */
  }
  lua_newtable(L); /* 4: resolved references */
  resolve_refs(L, 1, 4, f.resolution_k);
  push_inputs_json(L, 1, false, 4); /* 5 */
  size_t len;
  const char *json = lua_tolstring(L, 5, &len);
  fashn_job *j;
  if (act == LJ_POLL || act == LJ_REFETCH) {
    ljentry *e = lua_touserdata(L, 3);
    j = fashn_resume(lc->c, json, len, ljournal_prediction_id(e), &o, err, sizeof err);
  } else {
    j = fashn_submit(lc->c, json, len, &o, field, sizeof field, err, sizeof err);
  }
  if (!j && o.hooks && hooks.release) hooks.release(hooks.ud); /* no job took the record */
  push_job(L, j, field, err); /* 6 */
  if (!lua_isnil(L, 3)) ljournal_set_shared(L, ljournal_entry_key(lua_touserdata(L, 3)));
  return 1;
}

/* core.check(inputs) -> credits. Raises InvalidInput like submit; sends nothing. */
static int l_check(lua_State *L) {
  fashn_input_facts f = check_inputs(L);
  lua_pushinteger(L, f.credits);
  return 1;
}

/* ---- credits ------------------------------------------------------------------------------ */

typedef struct credits_wait {
  task *t;
  bool done, ok;
  fashn_balance b;
  char name[64], message[400];
  int http_status;
  bool retryable;
} credits_wait;

static void credits_cb(void *ud, bool ok, const fashn_balance *b, const fashn_error *e) {
  credits_wait *w = ud;
  w->done = true;
  w->ok = ok;
  if (ok) {
    w->b = *b;
  } else {
    snprintf(w->name, sizeof w->name, "%s", e->name);
    snprintf(w->message, sizeof w->message, "%s", e->message);
    w->http_status = e->http_status;
    w->retryable = e->retryable;
  }
  if (w->t) task_wake(w->t, 0);
}

static int credits_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  credits_wait *w = lua_touserdata(L, 1);
  if (!w->done) return task_wait(L, 0, credits_k);
  if (!w->ok) {
    lerr_info e = {.name = w->name, .message = w->message, .http_status = w->http_status,
                   .retryable = w->retryable};
    return lerr_raise(L, &e);
  }
  lua_createtable(L, 0, 3);
  lua_pushnumber(L, w->b.total);
  lua_setfield(L, -2, "total");
  lua_pushnumber(L, w->b.subscription);
  lua_setfield(L, -2, "subscription");
  lua_pushnumber(L, w->b.on_demand);
  lua_setfield(L, -2, "on_demand");
  return 1;
}

/* core.credits() -> {total, subscription, on_demand}; raises on failure. */
static int l_credits(lua_State *L) {
  lclient *lc = client_get(L);
  if (lc->cfg.dry_run) return lerr_raisef(L, "DryRun", "fashn.credits() asks the API, which a dry run does not");
  lua_settop(L, 0);
  credits_wait *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  w->t = task_current(L);
  if (!w->t) return luaL_error(L, "fashn.credits() must be called inside a task");
  if (!fashn_credits(lc->c, credits_cb, w)) return luaL_error(L, "out of memory");
  return task_wait(L, 0, credits_k);
}

/* ---- configure, stats ---------------------------------------------------------------------- */

static double opt_number(lua_State *L, int t, const char *k, double lo, double hi, double cur) {
  int ty = lua_getfield(L, t, k);
  double v = cur;
  if (ty != LUA_TNIL) {
    int isnum;
    v = lua_tonumberx(L, -1, &isnum);
    if (!isnum || !(v >= lo && v <= hi)) {
      char msg[160]; /* (lua_pushfstring has no %g) */
      snprintf(msg, sizeof msg, "fashn.configure: %s must be a number from %g to %g", k, lo, hi);
      luaL_error(L, "%s", msg);
    }
  }
  lua_pop(L, 1);
  return v;
}

static int opt_int(lua_State *L, int t, const char *k, int lo, int hi, int cur) {
  double v = opt_number(L, t, k, lo, hi, cur);
  if (v != floor(v)) luaL_error(L, "fashn.configure: %s must be an integer", k);
  return (int)v;
}

static void check_known(lua_State *L, int t, const char *const *known, const char *what) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    bool ok = false;
    for (int i = 0; k && known[i]; i++) ok = ok || strcmp(k, known[i]) == 0;
    if (!ok) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (int i = 0; known[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, known[i]);
      }
      luaL_pushresult(&b);
      luaL_error(L, "fashn.configure: unknown %s%ssetting %s (known: %s)", what, *what ? " " : "",
                 k ? k : luaL_typename(L, -2), lua_tostring(L, -1));
    }
  }
}

/* core.configure{concurrency, poll = {rate, limit, window, min_interval, max_interval},
 * run = {limit, window}, timeout, base_url, api_key, time_scale, retry_unknown,
 * retry_failed, max_credits} */
static int l_configure(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const top[] = {"concurrency", "poll",         "run",          "timeout",
                                    "base_url",    "api_key",      "time_scale",   "retry_unknown",
                                    "retry_failed", "max_credits", NULL};
  static const char *const pollk[] = {"rate", "limit", "window", "min_interval", "max_interval", NULL};
  static const char *const runk[] = {"limit", "window", NULL};
  check_known(L, 1, top, "");
  lclient *lc = client_state(L);
  fashn_config f = lc->c ? *fashn_client_config(lc->c) : lc->cfg;
  f.concurrency = opt_int(L, 1, "concurrency", 1, 64, f.concurrency);
  f.timeout = opt_number(L, 1, "timeout", 0.001, 86400 * 7, f.timeout);
  f.time_scale = opt_number(L, 1, "time_scale", 1e-6, 1e6, f.time_scale);
  f.retry_failed = opt_int(L, 1, "retry_failed", 0, 5, f.retry_failed);
  if (lua_getfield(L, 1, "retry_unknown") != LUA_TNIL) f.retry_unknown = lua_toboolean(L, -1);
  lua_pop(L, 1);
  int ty = lua_getfield(L, 1, "max_credits");
  if (ty == LUA_TBOOLEAN && !lua_toboolean(L, -1)) f.max_credits = -1;
  else if (ty != LUA_TNIL) f.max_credits = (long)opt_number(L, 1, "max_credits", 0, 1e12, 0);
  lua_pop(L, 1);
  if (lua_getfield(L, 1, "poll") == LUA_TTABLE) {
    int p = lua_gettop(L);
    check_known(L, p, pollk, "poll");
    f.status_rate = opt_number(L, p, "rate", 0.01, 1000, f.status_rate);
    f.status_limit = opt_int(L, p, "limit", 1, 100000, f.status_limit);
    f.status_window = opt_number(L, p, "window", 0.001, 3600, f.status_window);
    f.poll_min_interval = opt_number(L, p, "min_interval", 0.001, 60, f.poll_min_interval);
    f.poll_max_interval = opt_number(L, p, "max_interval", 0.001, 600, f.poll_max_interval);
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "fashn.configure: poll must be a table {rate=, limit=, window=, min_interval=, max_interval=}");
  }
  lua_pop(L, 1);
  if (lua_getfield(L, 1, "run") == LUA_TTABLE) {
    int p = lua_gettop(L);
    check_known(L, p, runk, "run");
    f.run_limit = opt_int(L, p, "limit", 1, 100000, f.run_limit);
    f.run_window = opt_number(L, p, "window", 0.001, 3600, f.run_window);
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "fashn.configure: run must be a table {limit=, window=}");
  }
  lua_pop(L, 1);
  const char *url = NULL, *key = NULL;
  if (lua_getfield(L, 1, "base_url") != LUA_TNIL) url = luaL_checkstring(L, -1);
  if (lua_getfield(L, 1, "api_key") != LUA_TNIL) key = luaL_checkstring(L, -1);
  if ((url || key) && lc->c)
    luaL_error(L, "fashn.configure: base_url and api_key must be set before the first job or request");
  if (url) set_str(&lc->base_url, url);
  if (key) set_str(&lc->api_key, key);
  lua_pop(L, 2);
  if (lc->c) fashn_client_reconfigure(lc->c, &f);
  else lc->cfg = f;
  return 0;
}

static void setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}
static void setint(lua_State *L, const char *k, long v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* core.stats() -> counters of the client (all zero before the first job). */
static int l_stats(lua_State *L) {
  lclient *lc = client_state(L);
  fashn_stats st;
  memset(&st, 0, sizeof st);
  if (lc->c) fashn_client_stats(lc->c, &st);
  lua_createtable(L, 0, 24);
  setint(L, "queued", st.queued);
  setint(L, "submitting", st.submitting);
  setint(L, "running", st.running);
  setint(L, "fetching", st.fetching);
  setint(L, "done", st.done);
  setint(L, "failed", st.failed);
  setint(L, "jobs", st.jobs);
  setint(L, "run_requests", st.run_requests);
  setint(L, "status_requests", st.status_requests);
  setint(L, "credits_requests", st.credits_requests);
  setint(L, "downloads", st.downloads);
  setint(L, "http_429", st.http_429);
  setint(L, "http_5xx", st.http_5xx);
  setint(L, "connection_errors", st.connection_errors);
  setint(L, "unknown_outcomes", st.unknown_outcomes);
  setint(L, "retries", st.retries);
  setint(L, "credits_spent", st.credits_spent);
  setint(L, "credits_reserved", st.credits_reserved);
  setint(L, "live_jobs", fashn_live_jobs());
  setint(L, "live_requests", http_live_requests());
  setnum(L, "expected_seconds", st.expected_seconds);
  setnum(L, "eta", st.eta);
  lua_pushstring(L, backend_name(&lc->be));
  lua_setfield(L, -2, "backend");
  if (lc->be.kind == BACKEND_API || lc->be.kind == BACKEND_EMULATOR) {
    lua_pushstring(L, lc->be.base_url);
    lua_setfield(L, -2, "base_url");
  }
  return 1;
}

/* core.settings() -> the client's settings (never the key). */
static int l_settings(lua_State *L) {
  lclient *lc = client_state(L);
  const fashn_config *f = lc->c ? fashn_client_config(lc->c) : &lc->cfg;
  lua_createtable(L, 0, 12);
  setint(L, "concurrency", f->concurrency);
  setnum(L, "timeout", f->timeout);
  setnum(L, "time_scale", f->time_scale);
  setint(L, "max_credits", f->max_credits);
  setint(L, "retry_failed", f->retry_failed);
  lua_pushboolean(L, f->retry_unknown);
  lua_setfield(L, -2, "retry_unknown");
  lua_pushboolean(L, f->dry_run);
  lua_setfield(L, -2, "dry_run");
  lua_pushboolean(L, lc->cli.quiet); /* -q: helpers in scripts/ print nothing either */
  lua_setfield(L, -2, "quiet");
  lua_createtable(L, 0, 5);
  setnum(L, "rate", f->status_rate);
  setint(L, "limit", f->status_limit);
  setnum(L, "window", f->status_window);
  setnum(L, "min_interval", f->poll_min_interval);
  setnum(L, "max_interval", f->poll_max_interval);
  lua_setfield(L, -2, "poll");
  lua_createtable(L, 0, 2);
  setint(L, "limit", f->run_limit);
  setnum(L, "window", f->run_window);
  lua_setfield(L, -2, "run");
  return 1;
}

int luaopen_fashn_core(lua_State *L) {
  static const luaL_Reg job_methods[] = {{"_wait", l_job_wait}, {"result", l_job_result},
                                         {"status", l_job_status}, {NULL, NULL}};
  if (luaL_newmetatable(L, JOB_MT)) {
    luaL_newlib(L, job_methods);
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, job_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, job_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, job_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_getfield(L, -1, "methods");
  static const luaL_Reg funcs[] = {{"submit", l_submit},     {"check", l_check},
                                   {"credits", l_credits},   {"configure", l_configure},
                                   {"stats", l_stats},       {"settings", l_settings},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_insert(L, -2);
  lua_setfield(L, -2, "job_methods"); /* scripts/fashn.lua adds wait() and friends here */
  lua_remove(L, -2);
  return 1;
}
