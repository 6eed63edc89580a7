/* resume.c — what a submission does with the journal's row for its key (resume.h).
 * Every path that ends in spending credits is either a job never sent, one that failed
 * (failures cost nothing), one whose images are provably gone, or an unknown outcome
 * the user explicitly chose to resubmit. */
#include "resume.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fashn/fashn_status.h"

const char *resume_action_name(resume_action a) {
  static const char *const names[] = {"submit", "cached", "poll", "refetch", "unknown"};
  return (unsigned)a < sizeof names / sizeof *names ? names[a] : "?";
}

/* An id read back from the journal becomes part of a URL path: the one id rule. */
static bool plausible_id(const char *id) { return id && fashn_id_valid(id, strlen(id)); }

static void short_key(const char *key, char out[13]) { snprintf(out, 13, "%.12s", key); }

/* Reads and verifies every output; false (with note) when one is lost or the set is
 * not 0..n-1. */
static bool load_outputs(journal *j, resume_plan *p) {
  journal_job *job = &p->job;
  char key[13];
  short_key(job->key, key);
  if (job->noutputs == 0) {
    snprintf(p->note, sizeof p->note, "job %s: the journal lists no stored output", key);
    return false;
  }
  p->outputs = calloc(job->noutputs, sizeof *p->outputs);
  if (!p->outputs) {
    snprintf(p->note, sizeof p->note, "job %s: out of memory reading its outputs", key);
    return false;
  }
  p->noutputs = job->noutputs;
  for (size_t i = 0; i < job->noutputs; i++) {
    char err[400];
    if (job->outputs[i].index != (int)i) {
      snprintf(p->note, sizeof p->note, "job %s: stored output %zu is missing from the journal", key, i + 1);
      return false;
    }
    obj_status s = journal_read_output(j, &job->outputs[i], &p->outputs[i].bytes, err, sizeof err);
    if (s != OBJ_OK) {
      snprintf(p->note, sizeof p->note, "job %s: stored output %zu is %s (%s)", key, i + 1,
               obj_status_name(s), err);
      return false;
    }
    p->outputs[i].format = job->outputs[i].format;
  }
  return true;
}

static void free_outputs(resume_plan *p) {
  for (size_t i = 0; i < p->noutputs; i++) buf_free(&p->outputs[i].bytes);
  free(p->outputs);
  p->outputs = NULL;
  p->noutputs = 0;
}

/* Appends to the note (it may already say what went wrong). */
__attribute__((format(printf, 2, 3))) static void note_add(resume_plan *p, const char *fmt, ...) {
  size_t len = strlen(p->note);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->note + len, sizeof p->note - len, fmt, ap);
  va_end(ap);
}

bool resume_plan_for(journal *j, const char *key, const char *backend, const char *model_name,
                     const char *canonical, int64_t expected_credits, bool retry_unknown, bool ephemeral,
                     double now, resume_plan *p, char *errbuf, size_t errlen) {
  memset(p, 0, sizeof *p);
  p->credits = -1;
  if (!journal_find(j, key, &p->job, errbuf, errlen)) return false;
  journal_job *job = &p->job;
  p->row = job->id;
  char k12[13];
  short_key(key, k12);
  switch (job->state) {
    case JOURNAL_NONE:
    case JOURNAL_QUEUED: /* recorded by a run that stopped before sending it */
    case JOURNAL_FAILED: /* failures cost nothing */ break;
    case JOURNAL_UNKNOWN:
      if (ephemeral) break; /* an emulator that is gone charged nothing */
      if (!retry_unknown) {
        p->action = RESUME_UNKNOWN;
        return true;
      }
      p->retried_unknown = true;
      note_add(p,
               "job %s: submitting again although an earlier submit's outcome is unknown (as asked): "
               "if that one was created, this pays twice",
               k12);
      break;
    case JOURNAL_SUBMITTING:
      /* Opening turned every dead run's `submitting` into `unknown`, and this process
       * holds the lock: the submission in flight is this run's own. */
      snprintf(errbuf, errlen,
               "an identical job (%s) of this run is being submitted right now and its handle was "
               "let go; keep the first job to share it",
               k12);
      return false;
    case JOURNAL_SUBMITTED:
      if (ephemeral) { /* the emulator that knew this id ended with its run */
        if (!journal_mark_failed(j, job->id, "EmulatorGone",
                                 "submitted to an embedded emulator that ended with its run", errbuf, errlen))
          return false;
        break;
      }
      if (!plausible_id(job->prediction_id)) {
        p->action = RESUME_UNKNOWN; /* a damaged row: the journal cannot say what to poll */
        return true;
      }
      p->action = RESUME_POLL;
      p->prediction_id = job->prediction_id;
      return journal_note_resume(j, job->id, errbuf, errlen);
    case JOURNAL_COMPLETED:
      if (load_outputs(j, p)) {
        p->action = RESUME_CACHED;
        p->credits = job->credits;
        return journal_note_reuse(j, job->id, errbuf, errlen);
      }
      free_outputs(p);
      note_add(p, ": the job is not really done");
      bool urls = job->noutputs > 0 && job->outputs[0].url != NULL;
      double age = now - job->completed_at;
      if (plausible_id(job->prediction_id) && job->completed_at > 0 && age >= 0 &&
          age < (urls ? RESUME_URL_TTL : RESUME_BASE64_TTL)) {
        note_add(p, "; fetching its outputs again by prediction id %s", job->prediction_id);
        p->action = RESUME_REFETCH;
        p->prediction_id = job->prediction_id;
        return journal_mark_refetch(j, job->id, errbuf, errlen);
      }
      note_add(p, "; the API no longer keeps its outputs, so it is submitted again (%lld credits)",
               (long long)expected_credits);
      break;
  }
  p->action = RESUME_SUBMIT;
  return journal_queue(j, key, backend, model_name, canonical, expected_credits, &p->row, errbuf, errlen);
}

void resume_plan_free(resume_plan *p) {
  if (!p) return;
  free_outputs(p);
  journal_job_free(&p->job);
  memset(p, 0, sizeof *p);
}
