/* jobrecord.h — the journal's side of one job in flight: a small object bound to the
 * job's row, whose functions the transport calls at each moment of the job's life
 * (about to send, certainly not created, accepted, an output arrived, ended). It turns
 * those moments into the row's transitions (journal.h), in the order that makes every
 * crash window safe:
 *
 *   sending      queued -> submitting, committed BEFORE the request may leave; if it
 *                cannot be committed (or Ctrl-C asked to stop) the request is not sent;
 *   not_created  submitting -> queued: the attempt certainly created nothing (it never
 *                connected, or was refused with an error body and no id);
 *   accepted     submitting -> submitted with the id, the moment it is known;
 *   output       the bytes into the object store (durably), then the row's record;
 *   completed    submitted -> completed, only after every output is stored;
 *   failed       the prediction failed, or the request was refused: failed (a rerun
 *                submits again: nothing was charged);
 *   unknown      the request went out and no answer can be trusted: unknown (a rerun
 *                reports it, resubmits only on the user's say-so);
 *   gave_up      polling stopped (timeout, the run ends) with the prediction unfinished:
 *                the row stays submitted, so a rerun polls the same id.
 *
 * A journal write that fails after the request went out cannot stop anything: the job
 * goes on in memory, and the record says so on stderr once. */
#ifndef ATELIER_JOBRECORD_H
#define ATELIER_JOBRECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "journal.h"

typedef struct jobrecord jobrecord;

/* Binds to row of j (borrowed: the journal outlives every record). key is for messages. */
jobrecord *jobrecord_new(journal *j, int64_t row, const char *key);
void jobrecord_free(jobrecord *r);

int64_t jobrecord_row(const jobrecord *r);
/* The row's state as far as this record knows (what it last committed). */
journal_state jobrecord_state(const jobrecord *r);
/* For a job that continues a row already submitted (polled by id) or completed (outputs
 * fetched again): the record starts there instead of at queued. */
void jobrecord_resume_at(jobrecord *r, journal_state st);

/* Each attempt of the submit request, right before it may be sent. false: do not send;
 * errbuf says why (the journal cannot record it, or the run is stopping). */
bool jobrecord_sending(jobrecord *r, char *errbuf, size_t errlen);
void jobrecord_not_created(jobrecord *r);
void jobrecord_accepted(jobrecord *r, const char *prediction_id);
/* Output index of the prediction (bytes in hand). url: where it came from, NULL for a
 * data: URI. False when it could not be stored (already said on stderr). */
bool jobrecord_output(jobrecord *r, int index, const void *bytes, size_t len, const char *format,
                      const char *url);
void jobrecord_completed(jobrecord *r, long credits);
void jobrecord_failed(jobrecord *r, const char *name, const char *message);
void jobrecord_unknown(jobrecord *r, const char *name, const char *message);
void jobrecord_gave_up(jobrecord *r);

/* Names of transport errors that mean "the outcome of the submit is unknown" and of
 * those that mean "we stopped waiting, the prediction may still finish". */
bool jobrecord_is_unknown_outcome(const char *error_name);

#endif
