/* ljournal.c — the journal of a Lua state (see ljournal.h): configuration, lazy
 * opening, job keys of Lua input tables and the in-run table of shared jobs. No SQLite
 * here: everything goes through runtime/journal/journal.h. */
#include "ljournal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/journal/fashn_journal.h"
#include "../runtime/journal/journal_peek.h"
#include "../runtime/base/json.h"
#include "../runtime/journal/resume.h"
#include "errors.h"
#include "lbuf.h"
#include "limage.h"
#include "ljson.h"
#include "sandbox.h"

#define LJOURNAL_MT "atelier.journal"

typedef struct ljournal {
  char *path; /* NULL = JOURNAL_DEFAULT_PATH */
  bool fresh, retry_unknown;
  journal *j;
  bool failed; /* opening failed: the message stays in error */
  char error[512];
  long served, saved, resumed, unknown; /* this run, for the closing line */
  bool emulated;                        /* its jobs ran on the embedded emulator */
  journal_peek *peek; /* a dry run's read-only look (ljournal_peek_completed) */
  bool peek_tried;
} ljournal;

static const char STATE_KEY = 0;  /* registry: the ljournal userdata */
static const char SHARED_KEY = 0; /* registry: key -> job submitted in this run */

static int ljournal_gc(lua_State *L) {
  ljournal *s = lua_touserdata(L, 1);
  journal_close(s->j);
  s->j = NULL;
  journal_peek_close(s->peek);
  s->peek = NULL;
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
  /* Sandboxed, the default journal lives in --out: a link planted as .atelier (or
   * inside it) must not carry it, its lock and its objects out of there. A --journal
   * the user gave is theirs to place. */
  if (!s->failed && (!s->path || !*s->path) &&
      !sandbox_write_ok(L, JOURNAL_DEFAULT_PATH, s->error, sizeof s->error))
    s->failed = true;
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

bool ljournal_peek_completed(lua_State *L, const char *key) {
  ljournal *s = state(L);
  if (s->fresh) return false; /* --fresh: a real run would buy everything anew */
  if (!s->peek_tried) {
    s->peek_tried = true;
    bool missing;
    char err[600];
    s->peek = journal_peek_open(s->path, &missing, err, sizeof err);
    if (!s->peek && !missing) {
      fprintf(stderr, "atelier: dry run: %s; no job counted as cached\n", err);
      fflush(stderr);
    }
  }
  return s->peek && journal_peek_completed(s->peek, key);
}

void ljournal_finish(lua_State *L, bool quiet) {
  ljournal *s = state(L);
  if (quiet || !(s->served || s->resumed || s->unknown)) return;
  fprintf(stderr, "atelier: journal: ");
  const char *sep = "";
  if (s->served) {
    fprintf(stderr, "%ld job%s served from it, %ld %scredit%s saved", s->served, s->served == 1 ? "" : "s",
            s->saved, s->emulated ? "emulated " : "", s->saved == 1 ? "" : "s");
    sep = "; ";
  }
  if (s->resumed) {
    fprintf(stderr, "%s%ld resumed by prediction id", sep, s->resumed);
    sep = "; ";
  }
  if (s->unknown)
    fprintf(stderr, "%s%ld left alone (unknown outcome: see atelier --journal-report)", sep, s->unknown);
  fputc('\n', stderr);
  fflush(stderr);
}

void ljournal_close(lua_State *L) {
  ljournal *s = state(L);
  journal_close(s->j);
  s->j = NULL;
  s->failed = false;
}

/* ---- keys --------------------------------------------------------------------------- */

#define MAX_DEPTH 16

/* Image inputs as the key hashes them: an unchanged output of an earlier prediction as
 * {"$output": "<id>#<index>"} (the same whatever its URL, alive or not, and whether it
 * came from the API now or from this journal), any other image object as its data: URI,
 * a file path as the path the sandbox allows (jobkey hashes the file); anything else by
 * the rules. */
static bool write_image_input(lua_State *L, int idx, json_writer *w, const char *field, int depth, void *ud) {
  const fashn_field *f = depth == 1 ? fashn_model_field(ud, field) : NULL;
  if (!f || f->type != FIELD_IMAGE) return false;
  const char *out_id;
  int out_index;
  if (limage_origin(L, idx, &out_id, &out_index)) {
    jw_object_begin(w);
    jw_key(w, "$output");
    const char *ident = lua_pushfstring(L, "%s#%d", out_id, out_index);
    jw_string(w, ident);
    lua_pop(L, 1);
    jw_object_end(w);
    return true;
  }
  if (limage_is(L, idx)) {
    buf *b = lbuf_push(L);
    limage_data_uri(L, idx, b);
    jw_string_len(w, b->data ? b->data : "", b->len);
    buf_free(b);
    lua_pop(L, 1);
    return true;
  }
  size_t len;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  if (!s || jobkey_image_kind_of(s, len) != JOBKEY_IMAGE_PATH) return false;
  if ((f->flags & FIELD_SAVED_OK) && len > 6 && strncmp(s, "saved:", 6) == 0) return false; /* a name, not a file */
  /* A file the key reads to hash: a sandboxed recipe may only name allowed ones. */
  const char *real = sandbox_check_read(L, s); /* pushes the path to use */
  jw_string(w, real);
  lua_pop(L, 1);
  return true;
}

/* The inputs table at 1 as JSON (key order does not matter: jobkey sorts again). */
static int key_json_k(lua_State *L) {
  ljson_opts o = {.max_depth = MAX_DEPTH, .top_object = true, .error_name = "InvalidInput", .what = "inputs",
                  .refused = "cannot be sent to the API", .special = write_image_input,
                  .ud = lua_touserdata(L, 2)};
  lua_settop(L, 1);
  ljson_push(L, 1, &o, NULL);
  return 1;
}

bool ljournal_key(lua_State *L, int idx, const char *backend, const char *model_name, jobkey *k, char *errbuf,
                  size_t errlen) {
  memset(k, 0, sizeof *k);
  if (lua_type(L, idx) != LUA_TTABLE) {
    snprintf(errbuf, errlen, "inputs must be a table");
    return false;
  }
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  const fashn_model *m = fashn_model_find(model_name);
  lua_pushcfunction(L, key_json_k);
  lua_pushvalue(L, idx);
  lua_pushlightuserdata(L, (void *)(m ? m : fashn_models[0]));
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
    /* The walker's refusal (InvalidInput) becomes the message, which names the field
     * first; anything else (the sandbox refusing a file) is raised as it is. */
    bool refusal = lerr_is(L, -1) && lua_getfield(L, -1, "name") == LUA_TSTRING &&
                   strcmp(lua_tostring(L, -1), "InvalidInput") == 0;
    if (!refusal) {
      lua_settop(L, top + 1);
      lua_error(L);
    }
    lua_getfield(L, -2, "message");
    const char *msg = lua_tostring(L, -1);
    snprintf(errbuf, errlen, "%s", msg ? msg : "the inputs cannot be written as JSON");
    lua_settop(L, top);
    return false;
  }
  size_t len;
  const char *json = lua_tolstring(L, -1, &len);
  bool ok = jobkey_compute(backend, model_name, json, len, k, errbuf, errlen);
  lua_pop(L, 1);
  return ok;
}

/* ---- jobs shared within the run ------------------------------------------------------- */

/* Weak values: a job the script has let go of (with its images) must not be kept
 * alive for the rest of the run just in case; an identical submission after that goes
 * to the journal instead (the stored images, or the same id polled). */
static void push_shared_table(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &SHARED_KEY) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
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

/* ---- one submission ---------------------------------------------------------------------- */

#define ENTRY_MT "atelier.journal.entry"

struct ljentry {
  jobkey key;
  const char *model; /* static: a model's name */
  char *backend;
  bool ephemeral;
  ljournal_action action;
  resume_plan plan;
  bool planned;
  jobrecord *rec; /* until handed to the job's hooks */
  char unknown_msg[700];
};

static int entry_gc(lua_State *L) {
  ljentry *e = lua_touserdata(L, 1);
  jobkey_free(&e->key);
  free(e->backend);
  e->backend = NULL;
  if (e->planned) resume_plan_free(&e->plan);
  e->planned = false;
  jobrecord_free(e->rec);
  e->rec = NULL;
  return 0;
}

static int raise_journal(lua_State *L, const char *name, const char *msg) {
  lerr_info info = {.name = name, .message = msg};
  lerr_push(L, &info, 1);
  return lua_error(L);
}

ljentry *ljournal_entry(lua_State *L, int idx, const fashn_model *m, const char *backend, bool ephemeral) {
  idx = lua_absindex(L, idx);
  ljentry *e = lua_newuserdatauv(L, sizeof *e, 0);
  memset(e, 0, sizeof *e);
  if (luaL_newmetatable(L, ENTRY_MT)) {
    lua_pushcfunction(L, entry_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  e->ephemeral = ephemeral;
  if (ephemeral) state(L)->emulated = true; /* saved credits are emulated ones */
  e->model = m->name;
  if (!(e->backend = strdup(backend))) luaL_error(L, "out of memory");
  char err[600];
  if (!ljournal_key(L, idx, backend, e->model, &e->key, err, sizeof err)) {
    /* Messages name the input first ("face_reference: cannot open ..."): that is the
     * field, as the fashn binding's own InvalidInput errors carry it. */
    size_t n = strspn(err, "abcdefghijklmnopqrstuvwxyz_");
    lerr_info info = {.name = "InvalidInput", .message = err};
    lerr_push(L, &info, 1);
    if (n > 0 && err[n] == ':') {
      lua_pushlstring(L, err, n);
      lua_setfield(L, -2, "field");
    }
    lua_error(L);
  }
  return e;
}

const char *ljournal_entry_key(const ljentry *e) { return e->key.hex; }

void ljournal_note_shared(lua_State *L, const ljentry *e) {
  char err[600];
  journal *j = ljournal_get(L, err, sizeof err);
  journal_job job = {0};
  /* Only a count for the report: a failure here changes nothing that matters. */
  if (j && journal_find(j, e->key.hex, &job, err, sizeof err) && job.id &&
      journal_note_reuse(j, job.id, err, sizeof err)) {
    state(L)->served++;
    state(L)->saved += job.credits >= 0 ? job.credits : job.expected_credits;
  }
  journal_job_free(&job);
}

ljournal_action ljournal_decide(lua_State *L, ljentry *e, int64_t credits, bool retry_unknown) {
  char err[700], msg[800];
  journal *j = ljournal_get(L, err, sizeof err);
  if (!j) {
    snprintf(msg, sizeof msg, "the job was not submitted because the journal cannot record it: %s", err);
    raise_journal(L, "JournalError", msg);
  }
  if (e->planned) resume_plan_free(&e->plan);
  e->planned = true;
  if (!resume_plan_for(j, e->key.hex, e->backend, e->model, e->key.canonical.data, credits,
                       retry_unknown, e->ephemeral, journal_now(), &e->plan, err, sizeof err)) {
    snprintf(msg, sizeof msg, "the job was not submitted because the journal cannot record it: %s", err);
    raise_journal(L, "JournalError", msg);
  }
  if (e->plan.note[0]) {
    fprintf(stderr, "atelier: %s\n", e->plan.note);
    fflush(stderr);
  }
  ljournal *s = state(L);
  switch (e->plan.action) {
    case RESUME_CACHED:
      e->action = LJ_CACHED;
      s->served++;
      s->saved += e->plan.credits >= 0 ? e->plan.credits : credits;
      break;
    case RESUME_POLL:
      e->action = LJ_POLL;
      s->resumed++;
      break;
    case RESUME_REFETCH: e->action = LJ_REFETCH; break;
    case RESUME_UNKNOWN:
      e->action = LJ_UNKNOWN;
      s->unknown++;
      break;
    default: e->action = LJ_SUBMIT; break;
  }
  if (e->action == LJ_SUBMIT || e->action == LJ_POLL || e->action == LJ_REFETCH) {
    e->rec = jobrecord_new(j, e->plan.row, e->key.hex);
    if (!e->rec) raise_journal(L, "JournalError", "out of memory");
    if (e->action != LJ_SUBMIT) jobrecord_resume_at(e->rec, JOURNAL_SUBMITTED);
  }
  if (e->action == LJ_UNKNOWN)
    snprintf(e->unknown_msg, sizeof e->unknown_msg,
             "an earlier run sent this job (%.12s) and never learned its prediction id (%s); it may "
             "have been created and charged, so it is not submitted again. See atelier --journal-report; "
             "--retry-unknown (or retry_unknown = true) submits it anyway, possibly paying twice",
             e->key.hex, e->plan.job.error_message ? e->plan.job.error_message : "no answer");
  return e->action;
}

int ljournal_outputs(const ljentry *e, fashn_output *outs, int max) {
  int n = 0;
  for (size_t i = 0; i < e->plan.noutputs && n < max; i++, n++) {
    const resume_output *o = &e->plan.outputs[i];
    outs[n] = (fashn_output){(const unsigned char *)o->bytes.data, o->bytes.len, o->format,
                             e->plan.job.outputs[i].url};
  }
  return n;
}

double ljournal_completed_at(const ljentry *e) { return e->plan.job.completed_at; }

const char *ljournal_prediction_id(const ljentry *e) {
  return e->plan.prediction_id ? e->plan.prediction_id : e->plan.job.prediction_id;
}

void ljournal_unknown_error(const ljentry *e, fashn_error *out) {
  out->name = "SubmitOutcomeUnknown";
  out->message = e->unknown_msg;
  out->http_status = 0;
  out->retryable = false;
}

bool ljournal_take_hooks(ljentry *e, fashn_job_hooks *hooks) {
  memset(hooks, 0, sizeof *hooks);
  if (!e->rec) return false;
  fashn_journal_hooks(e->rec, e->action == LJ_REFETCH, hooks);
  e->rec = NULL; /* the hooks own it now (or freed it when out of memory) */
  return hooks->ud != NULL;
}
