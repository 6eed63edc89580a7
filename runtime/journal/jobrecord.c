/* jobrecord.c — a job's moments turned into journal transitions (see jobrecord.h). */
#include "jobrecord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/interrupt.h"

struct jobrecord {
  journal *j;
  int64_t row;
  char key[13];       /* for messages */
  journal_state st;   /* the row's state as far as this record knows */
  bool warned;        /* one journal warning per job is enough */
  int outputs_stored; /* since the last accept */
  bool outputs_failed;
};

jobrecord *jobrecord_new(journal *j, int64_t row, const char *key) {
  jobrecord *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->j = j;
  r->row = row;
  snprintf(r->key, sizeof r->key, "%.12s", key ? key : "?");
  r->st = JOURNAL_QUEUED;
  return r;
}

void jobrecord_free(jobrecord *r) { free(r); }

int64_t jobrecord_row(const jobrecord *r) { return r->row; }
journal_state jobrecord_state(const jobrecord *r) { return r->st; }
void jobrecord_resume_at(jobrecord *r, journal_state st) { r->st = st; }

/* A write after the request left failed: the job goes on, the user hears it once. */
static void warn(jobrecord *r, const char *what, const char *err) {
  if (r->warned) return;
  r->warned = true;
  fprintf(stderr,
          "atelier: journal: job %s: cannot record %s (%s); the job goes on, but a rerun may not find it\n",
          r->key, what, err);
  fflush(stderr);
}

bool jobrecord_sending(jobrecord *r, char *errbuf, size_t errlen) {
  if (interrupt_stopping()) {
    snprintf(errbuf, errlen, "not submitted: the run was interrupted (Ctrl-C); a rerun submits it");
    return false;
  }
  char err[512];
  if (r->st == JOURNAL_SUBMITTED || r->st == JOURNAL_FAILED) {
    /* The transport resubmits only after its prediction failed (which costs nothing). */
    if ((r->st == JOURNAL_SUBMITTED &&
         !journal_mark_failed(r->j, r->row, "PredictionFailed",
                              "ended without usable images; submitted again", err, sizeof err)) ||
        !journal_mark_requeued(r->j, r->row, err, sizeof err)) {
      snprintf(errbuf, errlen, "not submitted: the journal cannot record it: %s", err);
      return false;
    }
    r->st = JOURNAL_QUEUED;
  }
  if (r->st == JOURNAL_SUBMITTING) return true; /* a resend the user allowed (retry_unknown) */
  if (!journal_mark_submitting(r->j, r->row, err, sizeof err)) {
    snprintf(errbuf, errlen, "not submitted: the journal cannot record it: %s", err);
    return false;
  }
  r->st = JOURNAL_SUBMITTING;
  return true;
}

void jobrecord_not_created(jobrecord *r) {
  if (r->st != JOURNAL_SUBMITTING) return;
  char err[512];
  /* If this fails the row stays `submitting`: a crash now reads as unknown, which is
   * wrong only in the safe direction. */
  if (journal_mark_requeued(r->j, r->row, err, sizeof err)) r->st = JOURNAL_QUEUED;
}

void jobrecord_accepted(jobrecord *r, const char *prediction_id) {
  char err[512];
  if (journal_mark_submitted(r->j, r->row, prediction_id, err, sizeof err)) {
    r->st = JOURNAL_SUBMITTED;
    r->outputs_stored = 0;
    r->outputs_failed = false;
  } else {
    warn(r, "its prediction id", err);
  }
}

bool jobrecord_output(jobrecord *r, int index, const void *bytes, size_t len, const char *format,
                      const char *url) {
  char err[512];
  if (r->st != JOURNAL_SUBMITTED) return false; /* the id was never recorded: nothing to attach to */
  if (!journal_add_output(r->j, r->row, index, bytes, len, format, url, NULL, err, sizeof err)) {
    r->outputs_failed = true;
    warn(r, "an output image", err);
    return false;
  }
  r->outputs_stored++;
  return true;
}

void jobrecord_completed(jobrecord *r, long credits) {
  if (r->st != JOURNAL_SUBMITTED || r->outputs_failed) return; /* not everything is stored */
  char err[512];
  if (journal_mark_completed(r->j, r->row, credits, err, sizeof err)) r->st = JOURNAL_COMPLETED;
  else warn(r, "its completion", err);
}

void jobrecord_failed(jobrecord *r, const char *name, const char *message) {
  if (r->st == JOURNAL_COMPLETED || r->st == JOURNAL_FAILED || r->st == JOURNAL_UNKNOWN) return;
  if (r->st == JOURNAL_QUEUED && name && strcmp(name, "Interrupted") == 0) return; /* never sent */
  char err[512];
  if (journal_mark_failed(r->j, r->row, name, message, err, sizeof err)) r->st = JOURNAL_FAILED;
  else warn(r, "its failure", err);
}

void jobrecord_unknown(jobrecord *r, const char *name, const char *message) {
  if (r->st != JOURNAL_SUBMITTING && r->st != JOURNAL_SUBMITTED) return;
  char err[512];
  if (journal_mark_unknown(r->j, r->row, name, message, err, sizeof err)) r->st = JOURNAL_UNKNOWN;
  else warn(r, "its unknown outcome", err);
}

void jobrecord_gave_up(jobrecord *r) {
  (void)r; /* the row stays `submitted` with its id: a rerun polls it again */
}

bool jobrecord_is_unknown_outcome(const char *error_name) {
  return error_name && strcmp(error_name, "SubmitOutcomeUnknown") == 0;
}
