/* journal_db.h — internals shared by the journal's files (journal.c: opening, locking
 * and the statement helpers; journal_rows.c: reading and changing rows; journal_report.c:
 * the report). Not for other users: everything outside goes through journal.h. */
#ifndef ATELIER_JOURNAL_DB_H
#define ATELIER_JOURNAL_DB_H

#include <sqlite3.h>
#include <stdarg.h>

#include "journal.h"

struct journal {
  sqlite3 *db;
  char *path;    /* as given */
  char *objects; /* DIR_OF_DB/objects */
  int lock_fd;
  int64_t run_id, generation;
  int recovered_unknown;
};

/* Seconds since the Unix epoch (what the rows record). */
double jdb_now(void);

/* Fills errbuf with "journal PATH: what: sqlite's message"; returns false. */
bool jdb_error(journal *j, const char *what, char *errbuf, size_t errlen);

/* Prepares sql and binds the arguments described by types: 'i' int64_t, 'd' double,
 * 't' text (const char *, NULL binds SQL NULL). NULL with errbuf set on failure. */
sqlite3_stmt *jdb_prepare(journal *j, char *errbuf, size_t errlen, const char *sql, const char *types, ...);

/* Runs a statement returning no rows; *changes (may be NULL) gets the rows it changed.
 * Outside BEGIN..COMMIT it is one durable transaction of its own. */
bool jdb_exec(journal *j, int *changes, char *errbuf, size_t errlen, const char *sql, const char *types, ...);

/* Runs SQL text without parameters (several statements allowed). */
bool jdb_exec_plain(journal *j, const char *sql, char *errbuf, size_t errlen);

/* Rolls back the open transaction; returns false (for `return jdb_rollback(j);`). */
bool jdb_rollback(journal *j);

/* The state named s, or JOURNAL_NONE for a name this build does not know. */
journal_state jdb_state_from_name(const char *s);

/* The journal file's real path (links in it resolved; the file itself may not exist
 * yet, its folder must), so every name for one journal maps to one lock file. */
bool jdb_real_path(const char *path, char *out, size_t outlen, char *errbuf, size_t errlen);

#endif
