/* fashn_fetch.h — the fetch stage's entry points, for fashn.c's state machine: a
 * completed prediction's outputs into bytes, for a job in FETCHING. */
#ifndef ATELIER_FASHN_FETCH_H
#define ATELIER_FASHN_FETCH_H

#include "fashn_int.h"

/* Starts on the output list of a completed status; ends in fashn_finish, fashn_rebuy_gone
 * or fashn_fail. */
void fashn_fetch_outputs(fashn_job *j, const json_value *output);
void fashn_cancel_fetches(fashn_job *j);
/* Drops whatever outputs were fetched (before the job is submitted again, or freed). */
void fashn_forget_outputs(fashn_job *j);

#endif
