/* journal.h — the run journal: one SQLite row per job (keyed by jobkey) recording what
 * was submitted, what came back and where the outputs are stored (objstore, beside the
 * database), so a run killed at any instant resumes without buying anything twice.
 *
 * The life of a row (every arrow is one committed, durable transaction):
 *
 *   queued --> submitting --> submitted --> completed
 *     ^  (before the POST)  (id known)   (all outputs stored first)
 *     |            |             |
 *     |            |             +--> failed (prediction failed: cost nothing)
 *     |            +--> queued  (the POST certainly created nothing: refused, never connected)
 *     |            +--> failed  (refused for good: BadRequest, OutOfCredits, ...)
 *     |            +--> unknown (sent, no answer: maybe a prediction, maybe charged)
 *     +-- failed / unknown (only with the user's opt-in for unknown) re-armed by journal_queue
 *
 * A row found in `submitting` when the journal is opened belonged to a run that died
 * between "request may be on the wire" and "id recorded": it becomes `unknown`. The
 * API has no idempotency key and no way to list predictions, so nobody can tell
 * whether that request created (and will charge for) a prediction; the journal says so
 * instead of guessing, and the job is resubmitted only when the user opts in.
 *
 * One process uses a journal at a time (an exclusive lock file beside it); the report
 * reads it without the lock. Every function runs on the loop thread. */
#ifndef ATELIER_JOURNAL_H
#define ATELIER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/buf.h"
#include "objstore.h"
#include "../base/sha256.h"

#define JOURNAL_SCHEMA_VERSION 1
#define JOURNAL_DEFAULT_PATH ".atelier/journal.db"
#define JOURNAL_MAX_OUTPUTS 16 /* the API returns at most 4; more is a damaged row */

typedef enum {
  JOURNAL_NONE = 0,   /* no row in the current generation */
  JOURNAL_QUEUED,     /* recorded, nothing sent */
  JOURNAL_SUBMITTING, /* the submit request may be on the wire; no id yet */
  JOURNAL_SUBMITTED,  /* prediction id known, not finished */
  JOURNAL_COMPLETED,  /* finished, every output stored */
  JOURNAL_FAILED,     /* failed or refused: nothing was spent, submitting again is safe */
  JOURNAL_UNKNOWN     /* a submit whose outcome cannot be known (see above) */
} journal_state;

/* Seconds since the Unix epoch: the clock rows are stamped with. */
double journal_now(void);

/* "queued", "submitting", ... (and "none"). */
const char *journal_state_name(journal_state s);

typedef struct journal_output {
  int index;                       /* 0-based position in the prediction's output */
  char sha256[SHA256_HEX_LEN + 1]; /* content address in the object store */
  char *format;                    /* "png", "jpeg", "webp", "mp4" or NULL when not known */
  char *url;                       /* the URL it was fetched from (no data: URIs), or NULL */
  int64_t size;
} journal_output;

typedef struct journal_job {
  int64_t id; /* row id; 0 when state is JOURNAL_NONE */
  char key[SHA256_HEX_LEN + 1];
  journal_state state;
  char *prediction_id; /* NULL until known */
  int64_t credits;     /* reported by the server on completion; -1 when not known */
  int64_t expected_credits;
  int64_t attempts; /* submit requests sent for this row, over all runs */
  char *error_name, *error_message;
  double created_at, updated_at; /* seconds since the Unix epoch */
  double completed_at;           /* 0 unless completed */
  journal_output *outputs;       /* sorted by index */
  size_t noutputs;
} journal_job;

typedef struct journal journal;

/* Opens (creating it and its directory when missing) the journal at path and starts a
 * run in it; with fresh, the run starts a new generation: rows of earlier ones are kept
 * for the report but no longer matched. NULL with errbuf set when the file cannot be
 * opened, is not a journal, was written by a newer atelier, or another process holds
 * it. */
journal *journal_open(const char *path, bool fresh, char *errbuf, size_t errlen);
/* Records the end of the run and closes; NULL is fine. */
void journal_close(journal *j);

const char *journal_path(const journal *j);
const char *journal_objects_dir(const journal *j); /* DIR_OF_DB/objects */
int64_t journal_run_id(const journal *j);
int64_t journal_generation(const journal *j); /* run id that started it; 0 = the first */
/* Rows turned `unknown` by this open because a dead run left them in `submitting`. */
int journal_recovered_unknown(const journal *j);

/* Looks key up in the current generation. out->state is JOURNAL_NONE when absent.
 * Free out with journal_job_free (also after a failure). */
bool journal_find(journal *j, const char *key, journal_job *out, char *errbuf, size_t errlen);
void journal_job_free(journal_job *job);

/* Creates the row for key in state queued, or re-arms an existing row (clearing its id,
 * outputs and error): callers re-arm failed rows, unknown ones only on the user's
 * say-so, and completed ones whose stored outputs are lost. *row_id gets the row. */
bool journal_queue(journal *j, const char *key, const char *backend, const char *model_name,
                   const char *canonical, int64_t expected_credits, int64_t *row_id, char *errbuf,
                   size_t errlen);

/* queued -> submitting. Must return true BEFORE the submit request is sent. */
bool journal_mark_submitting(journal *j, int64_t row, char *errbuf, size_t errlen);
/* -> submitted with the prediction id, the moment it is known. */
bool journal_mark_submitted(journal *j, int64_t row, const char *prediction_id, char *errbuf, size_t errlen);
/* submitting -> queued: the request certainly created nothing and will be sent again;
 * failed -> queued: the transport submits a failed job again (failures cost nothing). */
bool journal_mark_requeued(journal *j, int64_t row, char *errbuf, size_t errlen);
/* -> failed / unknown with the error's name and message (no secrets: callers pass API
 * error texts, which never contain the key). */
bool journal_mark_failed(journal *j, int64_t row, const char *name, const char *message, char *errbuf,
                         size_t errlen);
bool journal_mark_unknown(journal *j, int64_t row, const char *name, const char *message, char *errbuf,
                          size_t errlen);
/* completed (credits < 0: not reported). Call after every output is stored. */
bool journal_mark_completed(journal *j, int64_t row, int64_t credits, char *errbuf, size_t errlen);
/* completed whose outputs were lost -> submitted again (same id), outputs forgotten, so
 * the run fetches them by id instead of buying them again. */
bool journal_mark_refetch(journal *j, int64_t row, char *errbuf, size_t errlen);

/* Stores output `index` of the row: the bytes go durably into the object store first,
 * then the row's output record is committed. hex (optional) gets the content address.
 * url: where it came from (NULL for data URIs). format: "png"/"jpeg"/"webp" or NULL. */
bool journal_add_output(journal *j, int64_t row, int index, const void *data, size_t len, const char *format,
                        const char *url, char hex[SHA256_HEX_LEN + 1], char *errbuf, size_t errlen);

/* Reads a stored output into out, verifying its hash. */
obj_status journal_read_output(journal *j, const journal_output *o, buf *out, char *errbuf, size_t errlen);

/* Counts a submission served without a new prediction: `reuse` (from the store, or
 * sharing a prediction already in flight in this run: its price was saved) or `resume`
 * (submitted by an earlier run, polled by id now). */
bool journal_note_reuse(journal *j, int64_t row, char *errbuf, size_t errlen);
bool journal_note_resume(journal *j, int64_t row, char *errbuf, size_t errlen);

/* Prints the report of the journal at path (jobs by state, credits spent and saved,
 * what to do about unknown and unfinished jobs) to out. Reads only; needs no lock.
 * False with errbuf set when there is no journal there or it cannot be read. */
bool journal_report(const char *path, FILE *out, char *errbuf, size_t errlen);

#endif
