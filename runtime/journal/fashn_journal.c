/* fashn_journal.c — the transport's hooks wired to a jobrecord (see fashn_journal.h). */
#include "fashn_journal.h"

#include <stdlib.h>
#include <string.h>

typedef struct binding {
  jobrecord *r;
  bool refetch;
} binding;

static bool is(const char *name, const char *what) { return name && strcmp(name, what) == 0; }

journal_state fashn_journal_failure_state(const char *name, journal_state st, bool refetch) {
  if (is(name, "SubmitOutcomeUnknown")) return JOURNAL_UNKNOWN;
  /* A 200 submit answer with an unusable id (fashn_submit.c): created, maybe charged, no id. */
  if (is(name, "BadResponse") && st == JOURNAL_SUBMITTING) return JOURNAL_UNKNOWN;
  if (st != JOURNAL_SUBMITTED) return JOURNAL_FAILED; /* refused or never sent: nothing created */
  /* An id is known from here on. */
  if (is(name, "NotFound")) return refetch ? JOURNAL_FAILED : JOURNAL_UNKNOWN;
  if (is(name, "PollingTimeout") || is(name, "StatusUnavailable") || is(name, "OutputDownloadFailed") ||
      is(name, "UnauthorizedAccess") || is(name, "OutOfMemory") || is(name, "BadResponse") ||
      is(name, "OutputTooLarge")) /* paid for: a rerun with a higher limit fetches it by id */
    return JOURNAL_SUBMITTED; /* we stopped looking; the next run looks again, same id */
  return JOURNAL_FAILED;      /* the prediction failed (free), or its outputs expired */
}

static bool on_sending(void *ud, char *name, size_t namelen, char *msg, size_t msglen) {
  binding *b = ud;
  if (jobrecord_sending(b->r, msg, msglen)) return true;
  snprintf(name, namelen, "%s", strstr(msg, "interrupted") ? "Interrupted" : "JournalError");
  return false;
}

static void on_not_created(void *ud) { jobrecord_not_created(((binding *)ud)->r); }

static void on_accepted(void *ud, const char *id) { jobrecord_accepted(((binding *)ud)->r, id); }

static void on_output(void *ud, int i, const fashn_output *o) {
  binding *b = ud;
  jobrecord_output(b->r, i, o->bytes, o->len, o->format, o->source);
}

static void on_ended(void *ud, const fashn_job *j) {
  binding *b = ud;
  fashn_error e;
  if (!fashn_job_error(j, &e)) {
    jobrecord_completed(b->r, fashn_job_credits(j));
    return;
  }
  switch (fashn_journal_failure_state(e.name, jobrecord_state(b->r), b->refetch)) {
    case JOURNAL_UNKNOWN: jobrecord_unknown(b->r, e.name, e.message); break;
    case JOURNAL_SUBMITTED: jobrecord_gave_up(b->r); break;
    default: jobrecord_failed(b->r, e.name, e.message); break;
  }
}

static void on_release(void *ud) {
  binding *b = ud;
  jobrecord_free(b->r);
  free(b);
}

void fashn_journal_hooks(jobrecord *r, bool refetch, fashn_job_hooks *hooks) {
  memset(hooks, 0, sizeof *hooks);
  binding *b = malloc(sizeof *b);
  if (!b) { /* no hooks: the caller finds out through hooks->ud == NULL */
    jobrecord_free(r);
    return;
  }
  b->r = r;
  b->refetch = refetch;
  hooks->sending = on_sending;
  hooks->not_created = on_not_created;
  hooks->accepted = on_accepted;
  hooks->output = on_output;
  hooks->ended = on_ended;
  hooks->release = on_release;
  hooks->ud = b;
}
