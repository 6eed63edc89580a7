/* fashn_poll.h — the poll stage's entry points, for fashn.c's state machine (and
 * fashn_stored.c's resumed jobs): GET /v1/status/{id} for the jobs in RUNNING. */
#ifndef ATELIER_FASHN_POLL_H
#define ATELIER_FASHN_POLL_H

#include "fashn_int.h"

void fashn_poll_schedule(fashn_client *c);         /* (re)arms the poll timer */
void fashn_poll_start_job(fashn_job *j);           /* an id is known */
void fashn_poll_reset(fashn_job *j);               /* forget earlier looks (resubmitted) */

#endif
