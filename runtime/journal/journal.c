/* journal.c — the run journal on SQLite (see journal.h for the row life cycle).
 *
 * Durability, the reasoning in one place:
 *  - journal_mode = WAL: a commit is an append to the -wal file; readers (the report)
 *    never block the run, and a crash mid-transaction leaves the last committed state.
 *  - synchronous = FULL: every commit fsyncs the WAL before returning. NORMAL would
 *    already survive kill -9 (the appended pages are in the kernel's page cache, which
 *    outlives the process), but not a power cut or kernel crash (a closed laptop whose
 *    battery dies), where the last commits can vanish. The commit that matters most is
 *    `submitting`, made just before a request that can spend credits: if it were lost
 *    after the request went out, the next run would see no row and buy the job again.
 *    An fsync costs about a millisecond on an SSD; a prediction takes 12 s. FULL it is.
 *  - Outputs reach the disk (objstore: fsync + rename + dir fsync) before the row that
 *    names them is committed, so a row never points at bytes that are not there.
 *  - Every statement runs in autocommit mode (one statement = one transaction) except
 *    the set-up at open, which is one IMMEDIATE transaction.
 *  - busy_timeout: the report may read while a run writes; WAL readers do not block the
 *    writer, and the timeout covers checkpoints and the set-up transaction.
 *  - One writer process per journal, enforced with flock on DB.lock (not on the
 *    database file: closing any other descriptor of it would drop SQLite's own POSIX
 *    locks). The kernel releases it when the process dies, even by SIGKILL. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_db.h"
#include "../io/safefile.h"
#include "../base/version.h"
#include "../lazy/lazy.h"

static const char *const STATE_NAMES[] = {"none",      "queued", "submitting", "submitted",
                                          "completed", "failed", "unknown"};

const char *journal_state_name(journal_state s) {
  return (unsigned)s < sizeof STATE_NAMES / sizeof *STATE_NAMES ? STATE_NAMES[s] : "?";
}

journal_state jdb_state_from_name(const char *s) {
  for (size_t i = 1; s && i < sizeof STATE_NAMES / sizeof *STATE_NAMES; i++)
    if (strcmp(s, STATE_NAMES[i]) == 0) return (journal_state)i;
  return JOURNAL_NONE;
}

const char *journal_path(const journal *j) { return j->path; }
const char *journal_objects_dir(const journal *j) { return j->objects; }
int64_t journal_run_id(const journal *j) { return j->run_id; }
int64_t journal_generation(const journal *j) { return j->generation; }
int journal_recovered_unknown(const journal *j) { return j->recovered_unknown; }

double jdb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double journal_now(void) { return jdb_now(); }

bool jdb_error(journal *j, const char *what, char *errbuf, size_t errlen) {
  snprintf(errbuf, errlen, "journal %s: %s: %s", j->path, what, sqlite3_errmsg(j->db));
  return false;
}

static sqlite3_stmt *prepare_v(journal *j, const char *sql, const char *types, va_list ap, char *errbuf,
                               size_t errlen) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
    jdb_error(j, "preparing a statement", errbuf, errlen);
    return NULL;
  }
  for (int i = 0; types[i]; i++) {
    int rc;
    if (types[i] == 'i') {
      rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
    } else if (types[i] == 'd') {
      rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double));
    } else {
      const char *s = va_arg(ap, const char *);
      rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
    }
    if (rc != SQLITE_OK) {
      jdb_error(j, "binding a value", errbuf, errlen);
      sqlite3_finalize(st);
      return NULL;
    }
  }
  return st;
}

sqlite3_stmt *jdb_prepare(journal *j, char *errbuf, size_t errlen, const char *sql, const char *types, ...) {
  va_list ap;
  va_start(ap, types);
  sqlite3_stmt *st = prepare_v(j, sql, types, ap, errbuf, errlen);
  va_end(ap);
  return st;
}

bool jdb_exec(journal *j, int *changes, char *errbuf, size_t errlen, const char *sql, const char *types,
              ...) {
  va_list ap;
  va_start(ap, types);
  sqlite3_stmt *st = prepare_v(j, sql, types, ap, errbuf, errlen);
  va_end(ap);
  if (!st) return false;
  int rc = sqlite3_step(st);
  bool ok = rc == SQLITE_DONE;
  if (!ok) jdb_error(j, "writing", errbuf, errlen);
  else if (changes) *changes = sqlite3_changes(j->db);
  if (sqlite3_finalize(st) != SQLITE_OK && ok) ok = jdb_error(j, "writing", errbuf, errlen);
  return ok;
}

bool jdb_rollback(journal *j) {
  sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL); /* nothing to add if this fails too */
  return false;
}

bool jdb_exec_plain(journal *j, const char *sql, char *errbuf, size_t errlen) {
  char *msg = NULL;
  if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) == SQLITE_OK) return true;
  snprintf(errbuf, errlen, "journal %s: %s", j->path, msg ? msg : sqlite3_errmsg(j->db));
  sqlite3_free(msg);
  return false;
}

/* ---- opening ------------------------------------------------------------------------ */

static const char SCHEMA_V1[] =
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " started_at REAL NOT NULL,"
    " ended_at REAL,"
    " fresh INTEGER NOT NULL DEFAULT 0," /* 1: this run started a new generation (--fresh) */
    " pid INTEGER NOT NULL,"
    " atelier_version TEXT NOT NULL);"
    "CREATE TABLE jobs ("
    " id INTEGER PRIMARY KEY,"
    " generation INTEGER NOT NULL," /* id of the --fresh run it belongs to, 0 before any */
    " key TEXT NOT NULL,"           /* jobkey: sha256 of backend, model, canonical inputs */
    " backend TEXT NOT NULL,"
    " model_name TEXT NOT NULL,"
    " inputs TEXT NOT NULL," /* canonical inputs: files and data URIs as hashes */
    " state TEXT NOT NULL CHECK (state IN"
    "  ('queued','submitting','submitted','completed','failed','unknown')),"
    " prediction_id TEXT,"
    " expected_credits INTEGER NOT NULL DEFAULT 0,"
    " credits INTEGER,"                          /* x-fashn-credits-used of the last completion */
    " credits_spent INTEGER NOT NULL DEFAULT 0," /* all completions of this row, summed */
    " attempts INTEGER NOT NULL DEFAULT 0,"      /* submit requests (about to be) sent */
    " reused INTEGER NOT NULL DEFAULT 0,"        /* served from the store */
    " credits_saved INTEGER NOT NULL DEFAULT 0," /* what those reuses would have cost */
    " resumed INTEGER NOT NULL DEFAULT 0,"       /* polled by id from a later run */
    " error_name TEXT,"
    " error_message TEXT,"
    " created_at REAL NOT NULL,"
    " updated_at REAL NOT NULL,"
    " sent_at REAL,"
    " completed_at REAL,"
    " run_id INTEGER NOT NULL REFERENCES runs(id)," /* the run that last changed it */
    " UNIQUE (generation, key));"
    "CREATE TABLE outputs ("
    " job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL CHECK (idx >= 0),"
    " sha256 TEXT NOT NULL," /* the object's name in DIR/objects */
    " size INTEGER NOT NULL,"
    " format TEXT,"
    " url TEXT," /* where it was fetched from; data: URIs are not kept */
    " stored_at REAL NOT NULL,"
    " PRIMARY KEY (job_id, idx));"
    "PRAGMA user_version = 1;";

/* Creates or checks the schema. Later versions add `if (version == 1) { migrate }`
 * steps here, each inside the same transaction. */
static bool ensure_schema(journal *j, char *errbuf, size_t errlen) {
  sqlite3_stmt *st = jdb_prepare(j, errbuf, errlen, "PRAGMA user_version", "");
  if (!st) return false;
  int version = -1;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  if (sqlite3_finalize(st) != SQLITE_OK || version < 0)
    return jdb_error(j, "reading the schema version", errbuf, errlen);
  if (version == 0) {
    /* user_version 0 is also what any foreign SQLite file says: only create tables in
     * an empty database, never next to someone else's. */
    st = jdb_prepare(j, errbuf, errlen, "SELECT count(*) FROM sqlite_master", "");
    if (!st) return false;
    int tables = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    if (sqlite3_finalize(st) != SQLITE_OK || tables < 0)
      return jdb_error(j, "reading the schema", errbuf, errlen);
    if (tables > 0) {
      snprintf(errbuf, errlen, "%s is an SQLite database but not an atelier journal; use --journal elsewhere",
               j->path);
      return false;
    }
    return jdb_exec_plain(j, SCHEMA_V1, errbuf, errlen);
  }
  if (version > JOURNAL_SCHEMA_VERSION) {
    snprintf(errbuf, errlen,
             "journal %s has schema version %d, written by a newer atelier (this one reads %d); "
             "upgrade atelier or use --journal elsewhere",
             j->path, version, JOURNAL_SCHEMA_VERSION);
    return false;
  }
  return true;
}

static char *dir_of(const char *path);

bool jdb_real_path(const char *path, char *out, size_t outlen, char *errbuf, size_t errlen) {
  char real[PATH_MAX];
  if (realpath(path, real)) {
    if (snprintf(out, outlen, "%s", real) >= (int)outlen) goto too_long;
    return true;
  }
  struct stat st;
  if (errno != ENOENT || lstat(path, &st) == 0) { /* lstat succeeding: a dangling link */
    snprintf(errbuf, errlen, "cannot use journal %s: %s", path,
             errno == ENOENT ? "it is a symbolic link to a missing file" : strerror(errno));
    return false;
  }
  char *dir = dir_of(path);
  if (!dir) {
    snprintf(errbuf, errlen, "out of memory");
    return false;
  }
  bool ok = realpath(dir, real) != NULL;
  int e = errno;
  free(dir);
  if (!ok) {
    snprintf(errbuf, errlen, "cannot use journal %s: %s", path, strerror(e));
    return false;
  }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (snprintf(out, outlen, "%s/%s", strcmp(real, "/") ? real : "", base) >= (int)outlen) goto too_long;
  return true;
too_long:
  snprintf(errbuf, errlen, "journal path too long");
  return false;
}

/* Locks the journal whose real path is `real` (see jdb_real_path). */
static bool take_lock(journal *j, const char *real, char *errbuf, size_t errlen) {
  char lock[PATH_MAX];
  if (snprintf(lock, sizeof lock, "%s.lock", real) >= (int)sizeof lock) {
    snprintf(errbuf, errlen, "journal path too long");
    return false;
  }
  /* Never through a link: the pid is written into this file, and a link planted here
   * would have it truncate and overwrite whatever it points at. */
  j->lock_fd = safe_open(NULL, lock, O_RDWR | O_CREAT, 0666, 0, errbuf, errlen);
  /* A lock file with other hard links (a snapshot made with cp -al, or one planted) is
   * still a lock, but nothing is written into it: read-only, no pid. */
  bool write_pid = j->lock_fd >= 0;
  if (j->lock_fd < 0 && errno == EMLINK) j->lock_fd = safe_open(NULL, lock, O_RDONLY, 0, 0, errbuf, errlen);
  if (j->lock_fd < 0) return false;
  if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      snprintf(errbuf, errlen, "cannot lock %s: %s", lock, strerror(errno));
      return false;
    }
    char pid[32] = "";
    ssize_t n = pread(j->lock_fd, pid, sizeof pid - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strspn(pid, "0123456789")] = '\0'; /* the file is anyone's to scribble on */
    snprintf(errbuf, errlen,
             "journal %s is in use by another atelier run%s%s%s; wait for it to finish or use "
             "--journal elsewhere",
             j->path, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
    return false;
  }
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (write_pid && (ftruncate(j->lock_fd, 0) != 0 || pwrite(j->lock_fd, pid, (size_t)n, 0) != n)) {
    /* only the message of a competing run would suffer; not worth failing for */
  }
  return true;
}

/* SQLite creates and writes DB-wal, DB-shm and DB-journal beside the journal and would
 * follow a link planted under one of those names (SQLITE_OPEN_NOFOLLOW covers only the
 * database's own name): refuse to start instead. Checked while holding the lock, so no
 * other run is creating them. */
static bool no_planted_links(const char *real, char *errbuf, size_t errlen) {
  static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    char p[PATH_MAX];
    struct stat st;
    if (snprintf(p, sizeof p, "%s%s", real, suffixes[i]) < (int)sizeof p && lstat(p, &st) == 0 &&
        S_ISLNK(st.st_mode)) {
      snprintf(errbuf, errlen, "%s is a symbolic link; atelier does not write through links there", p);
      return false;
    }
  }
  return true;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

journal *journal_open(const char *path, bool fresh, char *errbuf, size_t errlen) {
  if (!path || !*path) path = JOURNAL_DEFAULT_PATH;
  if (!lazy_need(LAZY_FOR_JOURNAL | LAZY_FOR_HASH, errbuf, errlen)) return NULL;
  journal *j = calloc(1, sizeof *j);
  if (!j) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  j->lock_fd = -1;
  j->path = strdup(path);
  char *dir = j->path ? dir_of(path) : NULL;
  if (dir) {
    size_t n = strlen(dir) + sizeof "/objects";
    if ((j->objects = malloc(n))) snprintf(j->objects, n, "%s/objects", dir);
  }
  if (!dir || !j->objects) {
    free(dir);
    snprintf(errbuf, errlen, "out of memory");
    journal_close(j);
    return NULL;
  }
  bool dir_ok = objstore_mkdirs(dir, errbuf, errlen);
  free(dir);
  /* The lock belongs to the journal's real file, not to the name it was reached by: a
   * second path to the same journal (a symlinked folder or file) must meet the same
   * lock, or two runs would write one journal and buy the same jobs twice. SQLite opens
   * the same real path, so its -wal and -shm files are the same ones too. */
  char real[PATH_MAX];
  if (!dir_ok || !jdb_real_path(path, real, sizeof real, errbuf, errlen) ||
      !take_lock(j, real, errbuf, errlen)) {
    journal_close(j);
    return NULL;
  }
  if (!no_planted_links(real, errbuf, errlen)) {
    journal_close(j);
    return NULL;
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(real, &j->db, flags, NULL);
  if (rc != SQLITE_OK) {
    snprintf(errbuf, errlen, "cannot open journal %s: %s", path,
             j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
    journal_close(j);
    return NULL;
  }
  if (sqlite3_extended_result_codes(j->db, 1) != SQLITE_OK ||
      sqlite3_busy_timeout(j->db, 5000) != SQLITE_OK) {
    jdb_error(j, "setting the busy timeout", errbuf, errlen);
    journal_close(j);
    return NULL;
  }
  /* journal_mode answers with the mode in force; anything but "wal" (a file system
   * without shared memory, say) is an error rather than silently weaker durability. */
  sqlite3_stmt *st = jdb_prepare(j, errbuf, errlen, "PRAGMA journal_mode = WAL", "");
  bool wal = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
             strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
  if (st && sqlite3_finalize(st) != SQLITE_OK) wal = false;
  if (!wal) {
    if (st) {
      int code = sqlite3_errcode(j->db);
      if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        snprintf(errbuf, errlen,
                 "%s is not a usable atelier journal (%s); move it aside or use --journal elsewhere", path,
                 sqlite3_errmsg(j->db));
      else jdb_error(j, "switching to WAL mode", errbuf, errlen);
    }
    journal_close(j);
    return NULL;
  }
  if (!jdb_exec_plain(j, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", errbuf, errlen) ||
      !jdb_exec_plain(j, "BEGIN IMMEDIATE", errbuf, errlen)) {
    journal_close(j);
    return NULL;
  }
  double now = jdb_now();
  int recovered = 0;
  bool ok = ensure_schema(j, errbuf, errlen) &&
            jdb_exec(j, NULL, errbuf, errlen,
                     "INSERT INTO runs (started_at, fresh, pid, atelier_version) VALUES (?, ?, ?, ?)", "diit",
                     now, (int64_t)fresh, (int64_t)getpid(), ATELIER_VERSION);
  if (ok) {
    j->run_id = sqlite3_last_insert_rowid(j->db);
    st = jdb_prepare(j, errbuf, errlen, "SELECT COALESCE(MAX(id), 0) FROM runs WHERE fresh = 1", "");
    ok = st && sqlite3_step(st) == SQLITE_ROW;
    if (ok) j->generation = sqlite3_column_int64(st, 0);
    if (st && sqlite3_finalize(st) != SQLITE_OK) ok = false;
    if (!ok && st) jdb_error(j, "reading the generation", errbuf, errlen);
  }
  ok = ok &&
       jdb_exec(j, &recovered, errbuf, errlen,
                "UPDATE jobs SET state = 'unknown', error_name = 'SubmitOutcomeUnknown', error_message = "
                "'an earlier run stopped after the submit request may have been sent and before a "
                "prediction id was recorded', updated_at = ? WHERE state = 'submitting'",
                "d", now);
  ok = ok && jdb_exec_plain(j, "COMMIT", errbuf, errlen);
  if (!ok) {
    jdb_rollback(j); /* closing rolls back an open transaction anyway */
    journal_close(j);
    return NULL;
  }
  j->recovered_unknown = recovered;
  objstore_sweep_temps(j->objects); /* half-written images of a crashed run: never named, never read */
  return j;
}

void journal_close(journal *j) {
  if (!j) return;
  if (j->db) {
    if (j->run_id) {
      char err[256];
      jdb_exec(j, NULL, err, sizeof err, "UPDATE runs SET ended_at = ? WHERE id = ?", "di", jdb_now(),
               j->run_id);
    }
    /* Checkpoints the WAL into the database. Every statement is finalized where it is
     * made, so this cannot be busy; if it fails anyway, every commit is still in the WAL
     * and the next open recovers it: say so, lose nothing. */
    if (sqlite3_close(j->db) != SQLITE_OK)
      fprintf(stderr, "atelier: journal %s: closing: %s (nothing is lost: the next run recovers it)\n",
              j->path, sqlite3_errmsg(j->db));
  }
  if (j->lock_fd >= 0) close(j->lock_fd); /* releases the lock */
  free(j->path);
  free(j->objects);
  free(j);
}
