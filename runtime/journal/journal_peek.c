/* journal_peek.c — read-only look-ups for a dry run and --info (see journal_peek.h): the
 * same opening as --journal-report (no lock, query_only), one query per question. */
#include "journal_peek.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/json.h"
#include "journal.h"
#include "journal_db.h"
#include "../lazy/lazy.h"

struct journal_peek {
  sqlite3 *db;
  long long generation;
};

static bool one_int(sqlite3 *db, const char *sql, long long *out) {
  sqlite3_stmt *st = NULL;
  bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
  if (ok) *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return ok;
}

journal_peek *journal_peek_open(const char *path, bool *missing, char *err, size_t errlen) {
  if (!path || !*path) path = JOURNAL_DEFAULT_PATH;
  struct stat sb;
  *missing = stat(path, &sb) != 0 && errno == ENOENT;
  if (*missing) return NULL;
  if (!lazy_need(LAZY_FOR_JOURNAL, err, errlen)) return NULL;
  journal_peek *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  /* Read-write without create, then query_only: a read-only connection to a WAL
   * database leaves empty -wal/-shm files behind (as journal_report.c explains). */
  int rc = sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK && access(path, R_OK) == 0) {
    sqlite3_close(p->db);
    p->db = NULL;
    rc = sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READONLY, NULL);
  }
  long long version = -1;
  bool ok = rc == SQLITE_OK && sqlite3_busy_timeout(p->db, 5000) == SQLITE_OK &&
            sqlite3_exec(p->db, "PRAGMA query_only = 1", NULL, NULL, NULL) == SQLITE_OK &&
            one_int(p->db, "PRAGMA user_version", &version) && version > 0 && version <= JOURNAL_SCHEMA_VERSION &&
            one_int(p->db, "SELECT COALESCE(MAX(id), 0) FROM runs WHERE fresh = 1", &p->generation);
  if (!ok) {
    snprintf(err, errlen, "journal %s cannot be read: %s", path,
             version == 0 ? "not an atelier journal"
             : version > JOURNAL_SCHEMA_VERSION ? "written by a newer atelier"
             : p->db ? sqlite3_errmsg(p->db) : sqlite3_errstr(rc));
    journal_peek_close(p);
    return NULL;
  }
  return p;
}

void journal_peek_close(journal_peek *p) {
  if (!p) return;
  sqlite3_close(p->db);
  free(p);
}

bool journal_peek_completed(journal_peek *p, const char *key) {
  sqlite3_stmt *st = NULL;
  bool found = false;
  if (sqlite3_prepare_v2(p->db, "SELECT 1 FROM jobs WHERE generation = ? AND key = ? AND state = 'completed'", -1,
                         &st, NULL) == SQLITE_OK &&
      sqlite3_bind_int64(st, 1, p->generation) == SQLITE_OK &&
      sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) == SQLITE_OK)
    found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return found;
}

bool journal_peek_output(journal_peek *p, const char *sha_hex, buf *meta) {
  sqlite3_stmt *st = NULL;
  bool found = false;
  if (sqlite3_prepare_v2(p->db,
                         "SELECT j.model_name, j.prediction_id, o.idx, j.inputs FROM outputs o "
                         "JOIN jobs j ON j.id = o.job_id WHERE o.sha256 = ? ORDER BY j.id DESC LIMIT 1",
                         -1, &st, NULL) == SQLITE_OK &&
      sqlite3_bind_text(st, 1, sha_hex, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const char *model = (const char *)sqlite3_column_text(st, 0);
    const char *id = (const char *)sqlite3_column_text(st, 1);
    const char *inputs = (const char *)sqlite3_column_text(st, 3);
    json_doc *d = inputs ? json_parse(inputs, strlen(inputs), 0, NULL, 0) : NULL;
    json_writer w;
    jw_init(&w, meta);
    jw_object_begin(&w);
    jw_key(&w, "model");
    jw_string(&w, model ? model : "");
    if (id) {
      jw_key(&w, "id");
      jw_string(&w, id);
    }
    jw_key(&w, "output");
    jw_int(&w, sqlite3_column_int64(st, 2));
    if (d) {
      jw_key(&w, "inputs");
      jw_value(&w, json_root(d));
    }
    jw_object_end(&w);
    json_doc_free(d);
    found = true;
  }
  sqlite3_finalize(st);
  return found;
}
