/* lfashn.c — module "fashn.core": thin primitives over runtime/fashn: the client (made
 * in lfashn_client.c), submit and the job objects (wait, status, result). Inputs to JSON are in
 * lfashn_inputs.c; credits, configure, stats and settings in lfashn_account.c. The friendly API (run, gather, map, options,
 * image objects) is scripts/fashn.lua. Jobs are userdata "fashn.job" holding a
 * reference to the runtime job; a task waiting on one is woken by the job's on_done
 * callback, which only calls task_wake — never Lua. */
#include "lfashn.h"
#include "lfashn_int.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../runtime/fashn/fashn.h"
#include "../runtime/api/fashn_inputs.h"
#include "../runtime/fashn/fashn_ref.h"
#include "../runtime/io/http.h"
#include "../runtime/io/interrupt.h"
#include "../runtime/base/json.h"
#include "../runtime/fashn/progress.h"
#include "../runtime/fashn/backend.h"
#include "errors.h"
#include "lopts.h"
#include "lfile.h"
#include "limage.h"
#include "ljournal.h"
#include "sandbox.h"
#include "task.h"

#define JOB_MT "fashn.job"

typedef struct ljob {
  fashn_job *j;
  task **waiters;
  int nw, capw;
  double done_at; /* Unix time its outputs were made (the journal's, or when it ended here; 0: not yet) */
  bool urls_gone; /* served from the journal of a server that forgot them (the embedded emulator) */
} ljob;

/* Uservalues of a job handle. */
enum { UV_INPUTS = 1, UV_RESULT = 2, UV_COUNT = 2 };

/* ---- jobs ------------------------------------------------------------------------------- */

static ljob *check_job(lua_State *L, int idx) { return luaL_checkudata(L, idx, JOB_MT); }

static void job_done_cb(fashn_job *j, void *ud) {
  (void)j;
  ljob *u = ud;
  if (!u->done_at) u->done_at = (double)time(NULL); /* its output URLs live 72 h from about now */
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
  lua_pushstring(L, fashn_job_model(check_job(L, job_idx)->j));
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
  if (tm.submitted >= 0) lfashn_setnum(L, "submitted", tm.submitted);
  if (tm.accepted >= 0) lfashn_setnum(L, "accepted", tm.accepted);
  if (tm.noticed >= 0) lfashn_setnum(L, "noticed", tm.noticed);
  if (tm.done >= 0) lfashn_setnum(L, "done", tm.done);
  lua_setfield(L, -2, "timing");
  if (fashn_job_dry(j)) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "dry_run");
  }
  int n = fashn_job_outputs(j), nimages = 0, nfiles = 0;
  lua_createtable(L, 0, 0);
  int files = lua_gettop(L);
  lua_createtable(L, n, 0);
  int images = lua_gettop(L);
  if (n) push_meta(L, job_idx, id);
  for (int i = 0; i < n; i++) {
    fashn_output o;
    if (!fashn_job_output(j, i, &o)) continue;
    char name[300];
    snprintf(name, sizeof name, "prediction %s output %d", id ? id : "?", i + 1);
    if (o.format && strcmp(o.format, "mp4") == 0) { /* a video: a file object, never decoded */
      lfile_push(L, o.bytes, o.len, o.format, name);
      lua_rawseti(L, files, ++nfiles);
      continue;
    }
    limage_push_encoded(L, o.bytes, o.len, name);
    limage_set_meta(L, lua_gettop(L), images + 1);
    if (id) { /* so that it can be chained into another model without re-uploading */
      bool url = o.source && strncmp(o.source, "data:", 5) != 0 && !u->urls_gone;
      limage_set_origin(L, -1, url ? o.source : NULL, id, i + 1,
                        (u->done_at > 0 ? u->done_at : (double)time(NULL)) + FASHN_OUTPUT_URL_TTL);
    }
    lua_rawseti(L, images, ++nimages);
  }
  if (n) lua_pop(L, 1); /* meta */
  lua_setfield(L, -3, "images");
  if (nfiles) {
    lua_rawgeti(L, -1, 1);
    lua_setfield(L, -3, "video");
  }
  lua_setfield(L, -2, "files");
  lua_pushstring(L, fashn_job_model(j));
  lua_setfield(L, -2, "model");
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
 * "fetching" | "completed" | "failed" (a dry run's jobs too: they run on its rehearsal
 * server) */
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

/* The name the journal keys jobs of this client by (a prediction id means something
 * only to the server that issued it, and an emulated image is never a real one). */
static const char *journal_backend(const lclient *lc, bool *ephemeral) {
  *ephemeral = lc->be.kind == BACKEND_EMULATOR;
  return *ephemeral ? "emulator:embedded" : lc->be.base_url;
}

/* Pushes the job handle for a fashn job (or raises with err when j is NULL). */
static ljob *push_job(lua_State *L, fashn_job *j, const char *field, const char *err) {
  if (!j) lfashn_raise_input(L, field, "%s", err);
  ljob *u = lua_newuserdatauv(L, sizeof *u, UV_COUNT);
  memset(u, 0, sizeof *u);
  u->j = j;
  luaL_setmetatable(L, JOB_MT);
  fashn_job_on_done(j, job_done_cb, u);
  lfashn_copy_table(L, 1);
  if (strcmp(fashn_job_model(j), FASHN_DEFAULT_MODEL) != 0) { /* job.inputs submits the same job again */
    lua_pushstring(L, fashn_job_model(j));
    lua_setfield(L, -2, "model");
  }
  lua_setiuservalue(L, -2, UV_INPUTS);
  return u;
}

/* core.submit(inputs, opts) -> job. Checks every input first (raises InvalidInput,
 * naming the field, before anything is read or sent), asks the journal (a job done
 * earlier comes back stored, one in flight is polled by id, an identical one of this run
 * is shared), reads file references, queues. */
static int l_submit(lua_State *L) {
  const fashn_model *m = lfashn_take_model(L);
  fashn_input_facts f = lfashn_check_inputs(L, m);
  fashn_job_opts o = {.model = m->name, .retry_unknown = -1, .timeout = 0};
  if (lua_type(L, 2) == LUA_TTABLE) {
    /* fashn.lua's wrapper adds where the script called; `raise` is fashn.run's */
    static const char *const keys[] = {"retry_unknown", "timeout", "raise", NULL};
    lopts op = lopts_at(L, 2, "fashn.submit", 0);
    lopts_check_keys(L, &op, keys);
    if (lua_getfield(L, 2, "retry_unknown") != LUA_TNIL) o.retry_unknown = lopts_boolean(L, &op, "retry_unknown", false);
    if (o.retry_unknown == 1 && sandbox_enabled(L) && !ljournal_retry_unknown(L)) lfashn_sandbox_retry_unknown(L);
    o.timeout = lopts_number(L, &op, "timeout", 0.001, 86400 * 365, 0);
    lua_pop(L, 1);
  } else {
    luaL_argexpected(L, lua_isnoneornil(L, 2), 2, "table of options");
  }
  lclient *lc = lfashn_client(L);
  lua_settop(L, 2);
  char field[64] = "", err[512];
  if (fashn_queue_full(lc->c, err, sizeof err)) { /* before any file is read or row written */
    lerr_info e = {.name = "QueueFull", .message = err};
    lerr_raise(L, &e);
  }
  ljournal_action act = LJ_SUBMIT;
  fashn_job_hooks hooks;
  ljentry *record_for = NULL; /* the journal entry whose record the job will take */
  char dry_key[65] = "";
  bool dry_cached = false;
  if (lc->cfg.dry_run) { /* a dry run records nothing: it looks, read-only, and plans */
    bool cached = dry_cached = lfashn_plan_cached(L, lc, 1, m, dry_key);
    ljournal_push_shared(L, dry_key); /* a real run would share one prediction: so does the plan */
    ljob *twin = luaL_testudata(L, -1, JOB_MT);
    if (twin && fashn_job_state_of(twin->j) != FASHN_JOB_FAILED) return 1;
    lua_pop(L, 1);
    o.journal_holds = cached;
    lua_pushnil(L);     /* 3 */
  } else {
    bool ephemeral;
    const char *backend = journal_backend(lc, &ephemeral);
    ljentry *e = ljournal_entry(L, 1, m, backend, ephemeral); /* 3 */
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
      lfashn_push_inputs_json(L, m, 1, true, 0); /* 4 */
      size_t len;
      const char *json = lua_tolstring(L, 4, &len);
      fashn_output outs[JOURNAL_MAX_OUTPUTS];
      fashn_error fe;
      ljournal_unknown_error(e, &fe);
      int n = act == LJ_CACHED ? ljournal_outputs(e, outs, JOURNAL_MAX_OUTPUTS) : 0;
      fashn_job *j = fashn_job_stored(lc->c, m->name, json, len, ljournal_prediction_id(e),
                                      act == LJ_CACHED ? outs : NULL, n, &fe, err, sizeof err);
      ljob *u = push_job(L, j, field, err); /* 5 */
      u->done_at = ljournal_completed_at(e);
      u->urls_gone = ephemeral; /* an earlier embedded emulator's URLs died with it */
      ljournal_set_shared(L, ljournal_entry_key(e));
      return 1;
    }
    record_for = e;
    o.rebuy_if_gone = act == LJ_REFETCH; /* its images were lost here: if gone there too, buy again */
  }
  lua_newtable(L); /* 4: resolved references */
  lfashn_resolve_refs(L, m, 1, 4, f.resolution_k);
  lfashn_push_inputs_json(L, m, 1, false, 4); /* 5 */
  size_t len;
  const char *json = lua_tolstring(L, 5, &len);
  /* Only now, past every reference that may raise: the hooks own the record from here
   * on, and a raise in between leaked it (the entry's __gc frees it until then). */
  if (record_for) {
    if (!ljournal_take_hooks(record_for, &hooks)) lfashn_raise_input(L, "", "out of memory");
    o.hooks = &hooks;
  }
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
  else if (dry_key[0]) ljournal_set_shared(L, dry_key);
  /* Only a job that exists is planned and draws on a reservation (a reference that
   * cannot be read raised above, and buys nothing). */
  if (lc->cfg.dry_run) lfashn_plan_add(L, lc, 1, &f, dry_cached);
  if (act == LJ_SUBMIT && !dry_cached) lfashn_reservation_draw(lc, f.credits);
  return 1;
}

/* core.check(inputs) -> credits. Raises InvalidInput like submit; sends nothing. */
static int l_check(lua_State *L) {
  const fashn_model *m = lfashn_take_model(L);
  fashn_input_facts f = lfashn_check_inputs(L, m);
  lua_pushinteger(L, f.credits);
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
                                   {"credits", lfashn_api_credits},   {"configure", lfashn_api_configure},
                                   {"stats", lfashn_api_stats},       {"settings", lfashn_api_settings},
                                   {"reserve", lfashn_api_reserve},   {"models", lfashn_api_models},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_insert(L, -2);
  lua_setfield(L, -2, "job_methods"); /* scripts/fashn.lua adds wait() and friends here */
  lua_remove(L, -2);
  return 1;
}
