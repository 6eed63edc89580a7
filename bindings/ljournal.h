/* ljournal.h — the run journal as the bindings see it: one per Lua state, configured
 * from the command line (--journal, --fresh, --retry-unknown), opened on first use so a
 * script that submits nothing leaves no file behind, and the helpers the fashn binding
 * calls around a job's life: the key of an inputs table, the plan for a submission, the
 * in-run table that makes two identical submissions share one prediction. */
#ifndef ATELIER_LJOURNAL_H
#define ATELIER_LJOURNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/fashn/fashn.h"
#include "../runtime/journal/jobkey.h"
#include "../runtime/journal/journal.h"
#include "../runtime/api/fashn_models.h"

/* Records the command line's choices for L (path NULL = the default). Once, at start. */
void ljournal_configure(lua_State *L, const char *path, bool fresh, bool retry_unknown);

/* The journal of L, opened on first call (creating its directory). NULL with errbuf set
 * when it cannot be opened; every later call fails the same way, so no job of the run
 * is submitted without a record. */
journal *ljournal_get(lua_State *L, char *errbuf, size_t errlen);

/* --retry-unknown: the default of the script's retry_unknown option. */
bool ljournal_retry_unknown(lua_State *L);

/* The key of (backend, model, the inputs table at idx). The table is read as JSON would
 * carry it (string keys, numbers, strings, booleans, nested tables); local image paths
 * are hashed by content (jobkey.h). False with errbuf set on a value JSON cannot carry
 * or an unreadable reference file. Free k with jobkey_free. */
bool ljournal_key(lua_State *L, int idx, const char *backend, const char *model_name, jobkey *k, char *errbuf,
                  size_t errlen);

/* The in-run table key -> job value (any Lua value, usually the job userdata): pushes
 * the job submitted earlier in this run with that key, or nil. */
void ljournal_push_shared(lua_State *L, const char *key);
/* Remembers the value on top of the stack (not popped) as the job for key. */
void ljournal_set_shared(lua_State *L, const char *key);

/* A dry run: true when the journal (read-only, opened on first call, never locked or
 * written) holds key completed in its current generation, i.e. a real run would serve it
 * and buy nothing. False with --fresh, without a journal, or when it cannot be read (said
 * once on stderr). */
bool ljournal_peek_completed(lua_State *L, const char *key);

/* The run is over: one line on stderr (unless quiet) saying what the journal saved —
 * jobs served from it and their credits, jobs resumed by id, jobs left alone because
 * their outcome is unknown — when it did anything. */
void ljournal_finish(lua_State *L, bool quiet);

/* Closes the journal (run end); later ljournal_get calls reopen it. For tests/exit. */
void ljournal_close(lua_State *L);

/* ---- one submission --------------------------------------------------------------------
 * fashn.submit asks the journal in three steps: ljournal_entry (the key), then — unless
 * an identical job of this run is shared — ljournal_decide (what the journal holds and
 * what that means), then it builds the job the decision calls for, giving it the hooks
 * (ljournal_take_hooks) so every later moment of the job is recorded. */

typedef enum {
  LJ_SUBMIT,  /* submit it (the row is queued; the hooks record the rest) */
  LJ_CACHED,  /* done earlier: serve the stored images (ljournal_outputs), send nothing */
  LJ_POLL,    /* an earlier run submitted it: poll ljournal_prediction_id, submit nothing */
  LJ_REFETCH, /* completed earlier but an image was lost: poll the id, fetch again */
  LJ_UNKNOWN  /* an earlier submit's outcome is unknown: fail with ljournal_unknown_error */
} ljournal_action;

typedef struct ljentry ljentry;

/* Pushes a new entry (a userdata that frees what it holds when collected) for the
 * inputs table at idx of model m sent to backend (a stable name: the API's URL, or
 * "emulator:embedded"); ephemeral: the backend forgets everything when the process ends.
 * Raises InvalidInput (a value JSON cannot carry, an unreadable reference file). */
ljentry *ljournal_entry(lua_State *L, int idx, const fashn_model *m, const char *backend, bool ephemeral);
const char *ljournal_entry_key(const ljentry *e);

/* Counts a submission served by an identical job of this run (its price saved). */
void ljournal_note_shared(lua_State *L, const ljentry *e);

/* Consults the journal. Raises JournalError (nothing submitted) when it cannot be used:
 * a job that cannot be recorded is not bought. Says on stderr when a stored image was
 * lost or an unknown job is resubmitted on request. */
ljournal_action ljournal_decide(lua_State *L, ljentry *e, int64_t credits, bool retry_unknown);

/* LJ_CACHED: the stored outputs (borrowed from e; valid while e lives); returns n. */
int ljournal_outputs(const ljentry *e, fashn_output *outs, int max);
/* LJ_CACHED: when the stored prediction completed (Unix time; 0 = not known). */
double ljournal_completed_at(const ljentry *e);
/* LJ_POLL / LJ_REFETCH: the id to poll (borrowed). */
const char *ljournal_prediction_id(const ljentry *e);
/* LJ_UNKNOWN: the error the job fails with (texts borrowed from e). */
void ljournal_unknown_error(const ljentry *e, fashn_error *out);
/* Hands the job's record to hooks (the job owns it from then on). False (hooks zeroed)
 * when there is none or memory ran out: the caller must then not submit. */
bool ljournal_take_hooks(ljentry *e, fashn_job_hooks *hooks);

#endif
