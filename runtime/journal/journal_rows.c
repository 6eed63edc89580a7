/* journal_rows.c — reading and changing the journal's job rows and their outputs (the
 * life cycle in journal.h). Every change is one guarded statement or one transaction,
 * committed durably before the function returns (see journal.c for why that holds). */
#include <stdlib.h>
#include <string.h>

#include "../fashn/fashn_status.h"
#include "journal_db.h"

/* strdup of a text column; NULL for SQL NULL. Sets *oom when a copy fails. */
static char *col_dup(sqlite3_stmt *st, int i, bool *oom) {
  const unsigned char *s = sqlite3_column_text(st, i);
  if (!s) return NULL;
  char *d = strdup((const char *)s);
  if (!d) *oom = true;
  return d;
}

/* The formats an output is stored as: images, and image-to-video's MP4 (kept as is). */
static const char *known_format(const char *f) {
  static const char *const formats[] = {"png", "jpeg", "webp", "mp4"};
  for (size_t i = 0; f && i < sizeof formats / sizeof *formats; i++)
    if (strcmp(f, formats[i]) == 0) return formats[i];
  return NULL;
}

static bool load_outputs(journal *j, journal_job *out, char *errbuf, size_t errlen) {
  sqlite3_stmt *st =
      jdb_prepare(j, errbuf, errlen,
                  "SELECT idx, sha256, size, format, url FROM outputs WHERE job_id = ? ORDER BY idx "
                  "LIMIT ?",
                  "ii", out->id, (int64_t)JOURNAL_MAX_OUTPUTS + 1);
  if (!st) return false;
  out->outputs = calloc(JOURNAL_MAX_OUTPUTS + 1, sizeof *out->outputs);
  bool oom = !out->outputs;
  int rc = SQLITE_DONE;
  while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    journal_output *o = &out->outputs[out->noutputs++];
    o->index = sqlite3_column_int(st, 0);
    const char *hex = (const char *)sqlite3_column_text(st, 1);
    /* A damaged record keeps an empty name: reading it reports it, nothing is served. */
    if (sha256_is_hex(hex)) memcpy(o->sha256, hex, SHA256_HEX_LEN + 1);
    o->size = sqlite3_column_int64(st, 2);
    const char *f = known_format((const char *)sqlite3_column_text(st, 3));
    o->format = f ? strdup(f) : NULL;
    if (f && !o->format) oom = true;
    o->url = col_dup(st, 4, &oom);
  }
  if (oom) {
    snprintf(errbuf, errlen, "out of memory");
    sqlite3_finalize(st);
    return false;
  }
  bool ok = rc == SQLITE_DONE;
  if (sqlite3_finalize(st) != SQLITE_OK) ok = false;
  if (!ok) return jdb_error(j, "reading outputs", errbuf, errlen);
  if (out->noutputs > JOURNAL_MAX_OUTPUTS) {
    snprintf(errbuf, errlen, "journal %s: job %lld has more outputs than any prediction can", j->path,
             (long long)out->id);
    return false;
  }
  return true;
}

bool journal_find(journal *j, const char *key, journal_job *out, char *errbuf, size_t errlen) {
  memset(out, 0, sizeof *out);
  out->credits = -1;
  snprintf(out->key, sizeof out->key, "%s", key);
  sqlite3_stmt *st =
      jdb_prepare(j, errbuf, errlen,
                  "SELECT id, state, prediction_id, credits, expected_credits, attempts, error_name, "
                  "error_message, created_at, updated_at, completed_at FROM jobs WHERE generation = ? AND key = ?",
                  "it", j->generation, key);
  if (!st) return false;
  int rc = sqlite3_step(st);
  bool oom = false;
  if (rc == SQLITE_ROW) {
    out->id = sqlite3_column_int64(st, 0);
    out->state = jdb_state_from_name((const char *)sqlite3_column_text(st, 1));
    out->prediction_id = col_dup(st, 2, &oom);
    /* An id the API could not have sent (one with a NUL, cut by col_dup, included) is a
     * damaged row: "" makes resume treat it as one instead of polling another id. */
    if (out->prediction_id &&
        !fashn_id_valid((const char *)sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2)))
      out->prediction_id[0] = '\0';
    out->credits = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    out->expected_credits = sqlite3_column_int64(st, 4);
    out->attempts = sqlite3_column_int64(st, 5);
    out->error_name = col_dup(st, 6, &oom);
    out->error_message = col_dup(st, 7, &oom);
    out->created_at = sqlite3_column_double(st, 8);
    out->updated_at = sqlite3_column_double(st, 9);
    out->completed_at = sqlite3_column_double(st, 10); /* 0 when NULL */
  }
  bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
  if (sqlite3_finalize(st) != SQLITE_OK) ok = false;
  if (!ok) return jdb_error(j, "looking up a job", errbuf, errlen);
  if (oom) {
    snprintf(errbuf, errlen, "out of memory");
    return false;
  }
  if (rc == SQLITE_DONE) return true;
  if (out->state == JOURNAL_NONE) {
    snprintf(errbuf, errlen, "journal %s: job %lld has a state this atelier does not know", j->path,
             (long long)out->id);
    return false;
  }
  return load_outputs(j, out, errbuf, errlen);
}

void journal_job_free(journal_job *job) {
  if (!job) return;
  for (size_t i = 0; i < job->noutputs; i++) {
    free(job->outputs[i].format);
    free(job->outputs[i].url);
  }
  free(job->outputs);
  free(job->prediction_id);
  free(job->error_name);
  free(job->error_message);
  memset(job, 0, sizeof *job);
}

obj_status journal_read_output(journal *j, const journal_output *o, buf *out, char *errbuf, size_t errlen) {
  if (!sha256_is_hex(o->sha256)) {
    snprintf(errbuf, errlen, "journal %s: the record of output %d is damaged", j->path, o->index + 1);
    return OBJ_CORRUPT;
  }
  return objstore_read(j->objects, o->sha256, out, errbuf, errlen);
}

/* ---- writing rows -------------------------------------------------------------------- */

/* One guarded transition: an UPDATE whose WHERE names the states it may leave. Zero
 * rows changed means the caller's idea of the row is wrong; that is an error, never a
 * silent no-op, because the journal is what stops a double purchase. */
static bool transition(journal *j, int changed, const char *what, int64_t row, char *errbuf, size_t errlen) {
  if (changed == 1) return true;
  snprintf(errbuf, errlen, "journal %s: job %lld cannot be marked %s from its current state", j->path,
           (long long)row, what);
  return false;
}

bool journal_queue(journal *j, const char *key, const char *backend, const char *model_name,
                   const char *canonical, int64_t expected_credits, int64_t *row_id, char *errbuf,
                   size_t errlen) {
  if (!sha256_is_hex(key) || !backend || !model_name || !canonical) {
    snprintf(errbuf, errlen, "journal: a job needs a key, a backend, a model name and inputs");
    return false;
  }
  double now = jdb_now();
  if (!jdb_exec_plain(j, "BEGIN IMMEDIATE", errbuf, errlen)) return false;
  int changed = 0;
  if (!jdb_exec(j, &changed, errbuf, errlen,
                "INSERT INTO jobs (generation, key, backend, model_name, inputs, state, expected_credits, "
                "created_at, "
                "updated_at, run_id) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) "
                "ON CONFLICT (generation, key) DO UPDATE SET state = 'queued', prediction_id = NULL, "
                "error_name = NULL, error_message = NULL, credits = NULL, completed_at = NULL, "
                "expected_credits = excluded.expected_credits, updated_at = excluded.updated_at, "
                "run_id = excluded.run_id WHERE state IN ('queued', 'failed', 'unknown', 'completed')",
                "ittttiddi", j->generation, key, backend, model_name, canonical, expected_credits, now, now,
                j->run_id))
    return jdb_rollback(j);
  if (changed != 1) {
    snprintf(errbuf, errlen, "journal %s: job %.12s is in flight; it cannot be queued again", j->path, key);
    return jdb_rollback(j);
  }
  sqlite3_stmt *st = jdb_prepare(j, errbuf, errlen, "SELECT id FROM jobs WHERE generation = ? AND key = ?",
                                 "it", j->generation, key);
  if (!st) return jdb_rollback(j);
  bool ok = sqlite3_step(st) == SQLITE_ROW;
  if (ok) *row_id = sqlite3_column_int64(st, 0);
  if (sqlite3_finalize(st) != SQLITE_OK) ok = false;
  if (!ok) return jdb_error(j, "reading a new job", errbuf, errlen), jdb_rollback(j);
  if (!jdb_exec(j, NULL, errbuf, errlen, "DELETE FROM outputs WHERE job_id = ?", "i", *row_id) ||
      !jdb_exec_plain(j, "COMMIT", errbuf, errlen))
    return jdb_rollback(j);
  return true;
}

bool journal_mark_submitting(journal *j, int64_t row, char *errbuf, size_t errlen) {
  double now = jdb_now();
  int changed = 0;
  return jdb_exec(
             j, &changed, errbuf, errlen,
             "UPDATE jobs SET state = 'submitting', attempts = attempts + 1, sent_at = ?, updated_at = ?, "
             "run_id = ? WHERE id = ? AND state = 'queued'",
             "ddii", now, now, j->run_id, row) &&
         transition(j, changed, "submitting", row, errbuf, errlen);
}

bool journal_mark_submitted(journal *j, int64_t row, const char *prediction_id, char *errbuf, size_t errlen) {
  int changed = 0;
  if (!prediction_id || !fashn_id_valid(prediction_id, strlen(prediction_id))) {
    snprintf(errbuf, errlen, "journal: a submitted job needs a valid prediction id");
    return false;
  }
  return jdb_exec(j, &changed, errbuf, errlen,
                  "UPDATE jobs SET state = 'submitted', prediction_id = ?, updated_at = ?, run_id = ? "
                  "WHERE id = ? AND state = 'submitting'",
                  "tdii", prediction_id, jdb_now(), j->run_id, row) &&
         transition(j, changed, "submitted", row, errbuf, errlen);
}

bool journal_mark_requeued(journal *j, int64_t row, char *errbuf, size_t errlen) {
  int changed = 0;
  return jdb_exec(j, &changed, errbuf, errlen,
                  "UPDATE jobs SET state = 'queued', prediction_id = NULL, updated_at = ?, run_id = ? "
                  "WHERE id = ? AND state IN ('submitting', 'failed')",
                  "dii", jdb_now(), j->run_id, row) &&
         transition(j, changed, "queued again", row, errbuf, errlen);
}

bool journal_mark_failed(journal *j, int64_t row, const char *name, const char *message, char *errbuf,
                         size_t errlen) {
  int changed = 0;
  return jdb_exec(j, &changed, errbuf, errlen,
                  "UPDATE jobs SET state = 'failed', error_name = ?, error_message = ?, updated_at = ?, "
                  "run_id = ? "
                  "WHERE id = ? AND state IN ('queued', 'submitting', 'submitted')",
                  "ttdii", name ? name : "Error", message, jdb_now(), j->run_id, row) &&
         transition(j, changed, "failed", row, errbuf, errlen);
}

bool journal_mark_unknown(journal *j, int64_t row, const char *name, const char *message, char *errbuf,
                          size_t errlen) {
  int changed = 0;
  return jdb_exec(j, &changed, errbuf, errlen,
                  "UPDATE jobs SET state = 'unknown', error_name = ?, error_message = ?, updated_at = ?, "
                  "run_id = ? "
                  "WHERE id = ? AND state IN ('submitting', 'submitted')",
                  "ttdii", name ? name : "SubmitOutcomeUnknown", message, jdb_now(), j->run_id, row) &&
         transition(j, changed, "unknown", row, errbuf, errlen);
}

bool journal_mark_completed(journal *j, int64_t row, int64_t credits, char *errbuf, size_t errlen) {
  int changed = 0;
  double now = jdb_now();
  /* Credits the server did not report are counted at the contract's price. */
  const char *sql =
      credits >= 0 ? "UPDATE jobs SET state = 'completed', credits = ?1, credits_spent = credits_spent + ?1, "
                     "error_name = NULL, error_message = NULL, completed_at = ?2, updated_at = ?2, "
                     "run_id = ?3 WHERE id = ?4 AND state = 'submitted' "
                     "AND EXISTS (SELECT 1 FROM outputs WHERE job_id = jobs.id)"
                   : "UPDATE jobs SET state = 'completed', credits = NULL, " /* ?1 unused: still bindable */
                     "credits_spent = credits_spent + expected_credits, "
                     "error_name = NULL, error_message = NULL, completed_at = ?2, updated_at = ?2, "
                     "run_id = ?3 WHERE id = ?4 AND state = 'submitted' "
                     "AND EXISTS (SELECT 1 FROM outputs WHERE job_id = jobs.id)";
  return jdb_exec(j, &changed, errbuf, errlen, sql, "idii", credits, now, j->run_id, row) &&
         transition(j, changed, "completed (it needs an id and stored outputs)", row, errbuf, errlen);
}

bool journal_mark_refetch(journal *j, int64_t row, char *errbuf, size_t errlen) {
  int changed = 0;
  if (!jdb_exec_plain(j, "BEGIN IMMEDIATE", errbuf, errlen)) return false;
  if (!jdb_exec(j, &changed, errbuf, errlen,
                "UPDATE jobs SET state = 'submitted', completed_at = NULL, updated_at = ?, run_id = ? "
                "WHERE id = ? AND state = 'completed' AND prediction_id IS NOT NULL",
                "dii", jdb_now(), j->run_id, row) ||
      !transition(j, changed, "to be fetched again", row, errbuf, errlen) ||
      !jdb_exec(j, NULL, errbuf, errlen, "DELETE FROM outputs WHERE job_id = ?", "i", row) ||
      !jdb_exec_plain(j, "COMMIT", errbuf, errlen))
    return jdb_rollback(j);
  return true;
}

bool journal_add_output(journal *j, int64_t row, int index, const void *data, size_t len, const char *format,
                        const char *url, char hex[SHA256_HEX_LEN + 1], char *errbuf, size_t errlen) {
  char local[SHA256_HEX_LEN + 1];
  if (!hex) hex = local;
  if (index < 0 || index >= JOURNAL_MAX_OUTPUTS) {
    snprintf(errbuf, errlen, "journal: output index %d out of range", index);
    return false;
  }
  /* The bytes first, durably; only then the record that points at them. */
  if (!objstore_put(j->objects, data, len, hex, errbuf, errlen)) return false;
  if (url && (strncmp(url, "data:", 5) == 0 || strlen(url) > 8192)) url = NULL; /* keep rows small */
  int changed = 0;
  return jdb_exec(j, &changed, errbuf, errlen,
                  "INSERT OR REPLACE INTO outputs (job_id, idx, sha256, size, format, url, stored_at) "
                  "SELECT id, ?, ?, ?, ?, ?, ? FROM jobs WHERE id = ? AND state = 'submitted'",
                  "itittdi", (int64_t)index, hex, (int64_t)len, known_format(format), url, jdb_now(), row) &&
         transition(j, changed, "with a stored output (it is not in flight)", row, errbuf, errlen);
}

bool journal_note_reuse(journal *j, int64_t row, char *errbuf, size_t errlen) {
  int changed = 0;
  return jdb_exec(j, &changed, errbuf, errlen,
                  "UPDATE jobs SET reused = reused + 1, credits_saved = credits_saved + COALESCE(credits, "
                  "expected_credits), updated_at = ?, run_id = ? WHERE id = ?",
                  "dii", jdb_now(), j->run_id, row) &&
         transition(j, changed, "reused", row, errbuf, errlen);
}

bool journal_note_resume(journal *j, int64_t row, char *errbuf, size_t errlen) {
  int changed = 0;
  return jdb_exec(j, &changed, errbuf, errlen,
                  "UPDATE jobs SET resumed = resumed + 1, updated_at = ?, run_id = ? WHERE id = ? AND state "
                  "= 'submitted'",
                  "dii", jdb_now(), j->run_id, row) &&
         transition(j, changed, "resumed", row, errbuf, errlen);
}
