/* fashn_journal.h — plugs a job's journal record (jobrecord) into the transport's hooks
 * (fashn_job_hooks), and decides from the way a job ended what its row tells the next
 * run: completed, failed (submit it again: nothing was charged), unknown (report it),
 * or still submitted (poll the same id again). */
#ifndef ATELIER_FASHN_JOURNAL_H
#define ATELIER_FASHN_JOURNAL_H

#include "../fashn/fashn.h"
#include "jobrecord.h"

/* Fills hooks so the job reports to r; the job owns r from then on (freed with the
 * job). refetch: the job fetches the lost outputs of a prediction the journal had
 * completed, so an id the API no longer knows means the images are gone (failed, a
 * rerun buys them again) rather than an unknown outcome. */
void fashn_journal_hooks(jobrecord *r, bool refetch, fashn_job_hooks *hooks);

/* What the row should say after a job that ended FAILED with error `name` while its
 * record was in state st: JOURNAL_FAILED, JOURNAL_UNKNOWN, or JOURNAL_SUBMITTED (keep
 * the id: polling stopped, the prediction may still finish). */
journal_state fashn_journal_failure_state(const char *name, journal_state st, bool refetch);

#endif
