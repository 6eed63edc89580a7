/* journal_report.c — `atelier --journal-report`: what a journal holds, read-only — jobs
 * by state, credits spent and saved, and for every job that needs a decision (unknown
 * outcome, still in flight, failed) what it was and what to do about it. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "journal_db.h"
#include "../base/sha256.h"
#include "../base/json.h"
#include "../base/textsafe.h"
#include "../lazy/lazy.h"

/* The backend the embedded emulator's rows carry (bindings/lfashn.c keys them so). */
#define EMU_BACKEND "emulator:embedded"
#define REAL "backend <> '" EMU_BACKEND "'"

typedef struct report {
  sqlite3 *db;
  FILE *out;
  const char *path;
  int64_t generation;
  bool live;                  /* a run holds the journal's lock right now */
  bool empty;                 /* a database with no tables: a run stopped before its first record */
  const char *unknown_states; /* SQL list: what counts as an unknown outcome */
  char *err;
  size_t errlen;
} report;

static bool rep_error(report *r, const char *what) {
  snprintf(r->err, r->errlen, "journal %s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
  return false;
}

/* Runs a one-row, one-integer query with up to one int64 parameter. */
static bool scalar(report *r, const char *sql, int64_t param, int64_t *out) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) return rep_error(r, "reading");
  if (sqlite3_bind_parameter_count(st) > 0 && sqlite3_bind_int64(st, 1, param) != SQLITE_OK) {
    sqlite3_finalize(st);
    return rep_error(r, "reading");
  }
  bool ok = sqlite3_step(st) == SQLITE_ROW;
  if (ok) *out = sqlite3_column_int64(st, 0);
  if (sqlite3_finalize(st) != SQLITE_OK) ok = false;
  return ok || rep_error(r, "reading");
}

static void fmt_time(double t, char *out, size_t len) {
  time_t s = (time_t)t;
  struct tm tm;
  if (t <= 0 || !localtime_r(&s, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm))
    snprintf(out, len, "?");
}

/* Writes s escaped (textsafe.h), at most max bytes of it (journal text is untrusted: it
 * must not drive the terminal). */
static void put_clean(FILE *out, const char *s, size_t max) {
  if (!s) return;
  buf b = BUF_INIT;
  text_escape(&b, s, strlen(s));
  if (b.oom) {
    fputs("?", out);
  } else {
    size_t n = text_cut_len(b.data ? b.data : "", b.len, max);
    fwrite(b.data ? b.data : "", 1, n, out);
    if (n < b.len) fputs("...", out);
  }
  buf_free(&b);
}

/* One line naming the job by what the user wrote: prompt, seed, images, price. */
static void describe_inputs(FILE *out, const char *canonical, int64_t expected) {
  char err[128];
  json_doc *d = canonical ? json_parse(canonical, strlen(canonical), 0, err, sizeof err) : NULL;
  const json_value *root = d ? json_root(d) : NULL;
  const char *prompt = json_str(json_get(root, "prompt"));
  int64_t seed = 0, n = 1;
  fputs("\"", out);
  put_clean(out, prompt ? prompt : "(no prompt)", 60);
  fputs("\"", out);
  if (json_int(json_get(root, "seed"), &seed)) fprintf(out, ", seed %lld", (long long)seed);
  if (json_int(json_get(root, "num_images"), &n))
    fprintf(out, ", %lld image%s", (long long)n, n == 1 ? "" : "s");
  if (json_get(root, "face_reference")) fputs(", face_reference", out);
  fprintf(out, ", %lld credit%s", (long long)expected, expected == 1 ? "" : "s");
  json_doc_free(d);
}

/* Lists the current generation's jobs whose state is in states (an SQL list of
 * literals written here, never outside text); false on a database error. */
static bool list_jobs(report *r, const char *states, const char *title, const char *advice) {
  sqlite3_stmt *st = NULL;
  char sql[400];
  snprintf(
      sql, sizeof sql,
      "SELECT key, inputs, expected_credits, prediction_id, error_name, error_message, sent_at, attempts "
      "FROM jobs WHERE generation = ? AND state IN (%s) ORDER BY id",
      states);
  if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, r->generation) != SQLITE_OK) {
    sqlite3_finalize(st);
    return rep_error(r, "listing jobs");
  }
  int rc, n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n++ == 0) fprintf(r->out, "\n%s\n", title);
    const char *key = (const char *)sqlite3_column_text(st, 0);
    fprintf(r->out, "  job %.12s  ", key && sha256_is_hex(key) ? key : "????????????");
    describe_inputs(r->out, (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2));
    fputc('\n', r->out);
    const char *id = (const char *)sqlite3_column_text(st, 3);
    const char *name = (const char *)sqlite3_column_text(st, 4);
    const char *msg = (const char *)sqlite3_column_text(st, 5);
    char when[32];
    fmt_time(sqlite3_column_double(st, 6), when, sizeof when);
    fprintf(r->out, "      ");
    if (id) {
      fputs("prediction ", r->out);
      put_clean(r->out, id, 80);
      fputs(", ", r->out);
    }
    fprintf(r->out, "last sent %s (%lld attempt%s)", when, (long long)sqlite3_column_int64(st, 7),
            sqlite3_column_int64(st, 7) == 1 ? "" : "s");
    if (!name && !id) name = "no answer recorded: the run was stopped while sending";
    if (name) {
      fputs(": ", r->out);
      put_clean(r->out, name, 60);
      if (msg) {
        fputs(": ", r->out);
        put_clean(r->out, msg, 200);
      }
    }
    fputc('\n', r->out);
  }
  bool ok = rc == SQLITE_DONE;
  if (sqlite3_finalize(st) != SQLITE_OK) ok = false;
  if (!ok) return rep_error(r, "listing jobs");
  if (n) fprintf(r->out, "%s", advice);
  return true;
}

static bool open_readonly(report *r) {
  /* Read-write without create, then query_only: a read-only connection to a WAL
   * database leaves empty -wal/-shm files behind; this one cleans up like a run does. */
  int rc = sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK && access(r->path, R_OK) == 0) { /* a journal we may only read */
    sqlite3_close(r->db);
    r->db = NULL;
    rc = sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READONLY, NULL);
  }
  if (rc != SQLITE_OK) {
    snprintf(r->err, r->errlen, "no journal at %s (%s)", r->path,
             r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
    return false;
  }
  if (sqlite3_busy_timeout(r->db, 5000) != SQLITE_OK ||
      sqlite3_exec(r->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK)
    return rep_error(r, "opening");
  int64_t version = -1, tables = 0;
  if (!scalar(r, "PRAGMA user_version", 0, &version) ||
      !scalar(r, "SELECT count(*) FROM sqlite_master", 0, &tables)) {
    snprintf(r->err, r->errlen, "%s is not a readable atelier journal (%s)", r->path, sqlite3_errmsg(r->db));
    return false;
  }
  if (version == 0 && tables == 0) { /* what a run killed before its first commit leaves */
    r->empty = true;
    return true;
  }
  if (version == 0) {
    snprintf(r->err, r->errlen, "%s is another SQLite database, not an atelier journal", r->path);
    return false;
  }
  if (version > JOURNAL_SCHEMA_VERSION) {
    snprintf(r->err, r->errlen, "journal %s has schema version %lld, newer than this atelier reads (%d)",
             r->path, (long long)version, JOURNAL_SCHEMA_VERSION);
    return false;
  }
  return true;
}

static bool summary(report *r) {
  int64_t runs = 0, fresh_runs = 0, older = 0;
  if (!scalar(r, "SELECT count(*) FROM runs", 0, &runs) ||
      !scalar(r, "SELECT COALESCE(MAX(id), 0) FROM runs WHERE fresh = 1", 0, &r->generation) ||
      !scalar(r, "SELECT count(*) FROM runs WHERE fresh = 1", 0, &fresh_runs) ||
      !scalar(r, "SELECT count(*) FROM jobs WHERE generation <> ?", r->generation, &older))
    return false;
  fprintf(r->out, "journal %s (schema %d), %lld run%s\n", r->path, JOURNAL_SCHEMA_VERSION, (long long)runs,
          runs == 1 ? "" : "s");
  if (r->generation)
    fprintf(r->out, "current generation: since run %lld (--fresh); %lld older job row%s kept as history\n",
            (long long)r->generation, (long long)older, older == 1 ? "" : "s");
  static const char *const states[] = {"completed", "submitted", "submitting", "queued", "failed", "unknown"};
  int64_t total = 0;
  if (!scalar(r, "SELECT count(*) FROM jobs WHERE generation = ?", r->generation, &total)) return false;
  fprintf(r->out, "\njobs: %lld\n", (long long)total);
  for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
    char sql[160];
    bool unknown = strcmp(states[i], "unknown") == 0;
    if (!r->live && strcmp(states[i], "submitting") == 0) continue; /* counted as unknown */
    char one[24];
    snprintf(one, sizeof one, "'%s'", states[i]);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE generation = ? AND state IN (%s)",
             unknown ? r->unknown_states : one);
    int64_t n = 0;
    if (!scalar(r, sql, r->generation, &n)) return false;
    if (n || i == 0) fprintf(r->out, "  %-11s %lld\n", states[i], (long long)n);
  }
  /* Real and emulated spending never add up: a row's backend says which it was (the
   * embedded emulator keys its jobs as EMU_BACKEND; anything else is a server URL). */
  int64_t spent = 0, spent_all = 0, saved = 0, reused = 0, resumed = 0, at_risk = 0;
  int64_t emu_spent = 0, emu_spent_all = 0, emu_saved = 0, emu_reused = 0;
  char at_risk_sql[200];
  snprintf(at_risk_sql, sizeof at_risk_sql,
           "SELECT COALESCE(SUM(expected_credits), 0) FROM jobs WHERE generation = ? AND state IN (%s) "
           "AND backend <> '" EMU_BACKEND "'",
           r->unknown_states);
  if (!scalar(r, "SELECT COALESCE(SUM(credits_spent), 0) FROM jobs WHERE generation = ? AND " REAL, r->generation,
              &spent) ||
      !scalar(r, "SELECT COALESCE(SUM(credits_spent), 0) FROM jobs WHERE " REAL, 0, &spent_all) ||
      !scalar(r, "SELECT COALESCE(SUM(credits_saved), 0) FROM jobs WHERE " REAL, 0, &saved) ||
      !scalar(r, "SELECT COALESCE(SUM(credits_spent), 0) FROM jobs WHERE generation = ? AND NOT " REAL,
              r->generation, &emu_spent) ||
      !scalar(r, "SELECT COALESCE(SUM(credits_spent), 0) FROM jobs WHERE NOT " REAL, 0, &emu_spent_all) ||
      !scalar(r, "SELECT COALESCE(SUM(credits_saved), 0) FROM jobs WHERE NOT " REAL, 0, &emu_saved) ||
      !scalar(r, "SELECT COALESCE(SUM(reused), 0) FROM jobs WHERE " REAL, 0, &reused) ||
      !scalar(r, "SELECT COALESCE(SUM(reused), 0) FROM jobs WHERE NOT " REAL, 0, &emu_reused) ||
      !scalar(r, "SELECT COALESCE(SUM(resumed), 0) FROM jobs", 0, &resumed) ||
      !scalar(r, at_risk_sql, r->generation, &at_risk))
    return false;
  fprintf(r->out, "\ncredits spent: %lld", (long long)spent);
  if (spent_all != spent) fprintf(r->out, " (%lld over all generations)", (long long)spent_all);
  fprintf(r->out, "\ncredits saved by reuse: %lld (%lld submission%s served from the journal)\n",
          (long long)saved, (long long)reused, reused == 1 ? "" : "s");
  if (emu_spent_all || emu_saved) {
    fprintf(r->out, "emulated credits (the embedded emulator, nothing charged): %lld", (long long)emu_spent);
    if (emu_spent_all != emu_spent) fprintf(r->out, " (%lld over all generations)", (long long)emu_spent_all);
    fprintf(r->out, ", %lld saved by reuse (%lld submission%s served from the journal)\n", (long long)emu_saved,
            (long long)emu_reused, emu_reused == 1 ? "" : "s");
  }
  if (resumed)
    fprintf(r->out, "jobs resumed by prediction id instead of resubmitted: %lld\n", (long long)resumed);
  if (at_risk)
    fprintf(r->out, "credits possibly spent by unknown-outcome submissions: up to %lld\n",
            (long long)at_risk);
  return true;
}

/* True while a run holds the journal (its lock file is flocked). Rows in `submitting`
 * then belong to that run; with no run alive they are unknown outcomes a crash left. */
static bool run_is_live(const char *path) {
  char real[4096], lock[4200], ignored[256];
  if (!jdb_real_path(path, real, sizeof real, ignored, sizeof ignored)) return false;
  snprintf(lock, sizeof lock, "%s.lock", real); /* the lock a run takes (journal.c) */
  int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  bool live = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd); /* releases the shared lock if it was taken */
  return live;
}

bool journal_report(const char *path, FILE *out, char *errbuf, size_t errlen) {
  if (!lazy_need(LAZY_FOR_JOURNAL, errbuf, errlen)) return false;
  report r = {
      .out = out, .path = path && *path ? path : JOURNAL_DEFAULT_PATH, .err = errbuf, .errlen = errlen};
  r.live = run_is_live(r.path);
  r.unknown_states = r.live ? "'unknown'" : "'unknown', 'submitting'";
  /* One read transaction: every number comes from the same snapshot, even while a run
   * writes (WAL readers see the last commit before the first read). */
  bool ok = open_readonly(&r);
  if (ok && r.empty) {
    fprintf(r.out, "journal %s: no jobs recorded (a run stopped before its first record); the next run "
                   "starts it\n", r.path);
    sqlite3_close(r.db);
    return true;
  }
  ok = ok &&
      (sqlite3_exec(r.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK || rep_error(&r, "starting to read")) &&
      summary(&r) &&
      list_jobs(&r, r.unknown_states,
                "unknown outcome: a submit request was (maybe) sent and no prediction id came back",
                "  The API has no idempotency key and no list of predictions, so nothing can tell\n"
                "  whether these were created and charged. Look for them in your FASHN account\n"
                "  (by time and prompt). Rerunning the recipe leaves them alone; to submit them\n"
                "  again anyway (possibly paying twice), rerun with --retry-unknown, or pass\n"
                "  retry_unknown = true to fashn.submit.\n") &&
      list_jobs(&r, "'submitted'", "in flight: submitted, not yet collected",
                "  Rerun the recipe to collect them: they are polled by id, never submitted again.\n") &&
      (!r.live || list_jobs(&r, "'submitting'", "being submitted right now by the running atelier", "")) &&
      list_jobs(&r, "'failed'", "failed (nothing was charged)",
                "  Rerunning the recipe submits them again.\n");
  if (r.db) {
    sqlite3_exec(r.db, "COMMIT", NULL, NULL, NULL); /* a read transaction: nothing to lose */
    sqlite3_close(r.db);
  }
  return ok;
}
