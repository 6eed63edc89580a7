/* journal_peek.h — a look into the journal that changes nothing: which jobs a real run
 * would serve from it (completed in the current generation; for a dry run), and which
 * job an output file came from (for --info); read-only, without the run lock and
 * without starting a run, so the journal stays exactly as it was. */
#ifndef ATELIER_JOURNAL_PEEK_H
#define ATELIER_JOURNAL_PEEK_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

typedef struct journal_peek journal_peek;

/* Opens the journal at path (NULL = JOURNAL_DEFAULT_PATH) for looking only. NULL when
 * there is none (nothing is cached then; *missing is true) or it cannot be read (err
 * says why, *missing false). */
journal_peek *journal_peek_open(const char *path, bool *missing, char *err, size_t errlen);
void journal_peek_close(journal_peek *p);

/* True when the current generation holds key completed: a real run would buy nothing. */
bool journal_peek_completed(journal_peek *p, const char *key);

/* The output the journal stored with the bytes whose SHA-256 is sha_hex (the newest job
 * if several): writes {"model", "id", "output" (its index), "inputs" (canonical: files
 * and data: URIs as hashes)} as JSON into meta. For files that carry no metadata of their
 * own, such as a video saved as delivered. False when none matches. */
bool journal_peek_output(journal_peek *p, const char *sha_hex, buf *meta);

#endif
