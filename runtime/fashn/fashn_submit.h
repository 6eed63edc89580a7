/* fashn_submit.h — the submit stage's entry points, for fashn.c's state machine:
 * POST /v1/run for a job in SUBMITTING. */
#ifndef ATELIER_FASHN_SUBMIT_H
#define ATELIER_FASHN_SUBMIT_H

#include "fashn_int.h"

/* Sends the job (state SUBMITTING), retried within the rules; ends in fashn_job_accepted,
 * fashn_resubmit_later or fashn_fail. */
void fashn_submit_start(fashn_job *j);

#endif
