/* lazy_sqlite.c — SQLite's functions as atelier calls them, loading libsqlite3 on the
 * first call: only a run that keeps a journal (or reads one) needs it. */
#ifdef ATELIER_LAZY
#include <sqlite3.h>

#include "lazy.h"

#ifndef LAZY_SO_SQLITE3
#define LAZY_SO_SQLITE3 "libsqlite3.so.0"
#endif
#define LAZY_THIS lazy_sqlite

#define ALL(F, V)                                                                                              \
  F(int, sqlite3_column_bytes, (sqlite3_stmt * a0, int a1), (a0, a1)) \
  F(int, sqlite3_bind_double, (sqlite3_stmt * a0, int a1, double a2), (a0, a1, a2))                            \
  F(int, sqlite3_bind_int64, (sqlite3_stmt * a0, int a1, sqlite3_int64 a2), (a0, a1, a2))                      \
  F(int, sqlite3_bind_null, (sqlite3_stmt * a0, int a1), (a0, a1))                                             \
  F(int, sqlite3_bind_parameter_count, (sqlite3_stmt * a0), (a0))                                              \
  F(int, sqlite3_bind_text, (sqlite3_stmt * a0, int a1, const char *a2, int a3, void (*a4)(void *)),           \
    (a0, a1, a2, a3, a4))                                                                                      \
  F(int, sqlite3_busy_timeout, (sqlite3 * a0, int a1), (a0, a1))                                               \
  F(int, sqlite3_changes, (sqlite3 * a0), (a0))                                                                \
  F(int, sqlite3_close, (sqlite3 * a0), (a0))                                                                  \
  F(double, sqlite3_column_double, (sqlite3_stmt * a0, int a1), (a0, a1))                                      \
  F(int, sqlite3_column_int, (sqlite3_stmt * a0, int a1), (a0, a1))                                            \
  F(sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt * a0, int a1), (a0, a1))                                \
  F(const unsigned char *, sqlite3_column_text, (sqlite3_stmt * a0, int a1), (a0, a1))                         \
  F(int, sqlite3_column_type, (sqlite3_stmt * a0, int a1), (a0, a1))                                           \
  F(int, sqlite3_errcode, (sqlite3 * a0), (a0))                                                                \
  F(const char *, sqlite3_errmsg, (sqlite3 * a0), (a0))                                                        \
  F(const char *, sqlite3_errstr, (int a0), (a0))                                                              \
  F(int, sqlite3_exec, (sqlite3 * a0, const char *a1, int (*a2)(void *, int, char **, char **), void *a3,      \
                        char **a4),                                                                            \
    (a0, a1, a2, a3, a4))                                                                                      \
  F(int, sqlite3_extended_result_codes, (sqlite3 * a0, int a1), (a0, a1))                                      \
  F(int, sqlite3_finalize, (sqlite3_stmt * a0), (a0))                                                          \
  V(sqlite3_free, (void *a0), (a0))                                                                            \
  F(sqlite3_int64, sqlite3_last_insert_rowid, (sqlite3 * a0), (a0))                                            \
  F(int, sqlite3_open, (const char * a0, sqlite3 ** a1), (a0, a1)) \
  F(int, sqlite3_open_v2, (const char *a0, sqlite3 **a1, int a2, const char *a3), (a0, a1, a2, a3))            \
  F(int, sqlite3_prepare_v2, (sqlite3 * a0, const char *a1, int a2, sqlite3_stmt **a3, const char **a4),       \
    (a0, a1, a2, a3, a4))                                                                                      \
  F(int, sqlite3_step, (sqlite3_stmt * a0), (a0))

LAZY_TABLE(LAZY_SO_SQLITE3, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_sqlite_unused; /* LAZY=0: linked with -lsqlite3 instead */
#endif
