/* journal_peek.h — a dry run's look into the journal: which jobs a real run would serve
 * from it (completed in the current generation), read-only, without the run lock and
 * without starting a run, so a dry run leaves the journal exactly as it found it. */
#ifndef ATELIER_JOURNAL_PEEK_H
#define ATELIER_JOURNAL_PEEK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct journal_peek journal_peek;

/* Opens the journal at path (NULL = JOURNAL_DEFAULT_PATH) for looking only. NULL when
 * there is none (nothing is cached then; *missing is true) or it cannot be read (err
 * says why, *missing false). */
journal_peek *journal_peek_open(const char *path, bool *missing, char *err, size_t errlen);
void journal_peek_close(journal_peek *p);

/* True when the current generation holds key completed: a real run would buy nothing. */
bool journal_peek_completed(journal_peek *p, const char *key);

#endif
