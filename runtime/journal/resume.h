/* resume.h — the decision a submission makes against the journal: serve stored images,
 * poll a prediction an earlier run started, fetch lost outputs again by id, submit (a
 * new, failed or never-sent job), or stop at an unknown outcome. One function, so the
 * policy that decides whether money is spent lives in one testable place. */
#ifndef ATELIER_RESUME_H
#define ATELIER_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "journal.h"

/* How long the API keeps outputs (runtime/api/API.md, "Statuses"), less a margin for
 * clocks and for the time a fetch takes: past these, asking for them again is pointless. */
#define RESUME_URL_TTL (72.0 * 3600 - 600)
#define RESUME_BASE64_TTL (60.0 * 60 - 120)

typedef enum {
  RESUME_SUBMIT,  /* submit: the row is queued (new, failed, never sent, or opted in) */
  RESUME_CACHED,  /* completed, every output verified: serve `outputs`, no request */
  RESUME_POLL,    /* an earlier run submitted it: poll prediction_id, submit nothing */
  RESUME_REFETCH, /* completed but an output is lost: poll prediction_id, fetch again */
  RESUME_UNKNOWN  /* an earlier submit's outcome is unknown and nobody opted in: report */
} resume_action;

typedef struct resume_output {
  buf bytes;          /* verified against its hash */
  const char *format; /* "png", "jpeg", "webp", "mp4" or NULL (borrowed from job) */
} resume_output;

typedef struct resume_plan {
  resume_action action;
  int64_t row;               /* the journal row the job continues in */
  const char *prediction_id; /* POLL / REFETCH (borrowed from job) */
  int64_t credits;           /* CACHED: what it cost when bought (-1 unknown) */
  resume_output *outputs;    /* CACHED: in output order */
  size_t noutputs;
  journal_job job;      /* the row as found */
  char note[600];       /* when non-empty: a line for stderr (a lost output, an opt-in) */
  bool retried_unknown; /* SUBMIT of an unknown row, on the user's say-so */
} resume_plan;

/* Looks the job up and decides; for SUBMIT the row is (re)armed in state queued, for
 * CACHED the reuse and for POLL the resume are counted. now: seconds since the epoch
 * (the caller's clock, so tests can age rows). ephemeral: the backend forgets
 * everything when the process ends (the embedded emulator), so ids of earlier runs mean
 * nothing and no real credit was at stake: in-flight and unknown rows are submitted
 * again. False with errbuf on a journal error: the caller must then not submit
 * (nothing could be recorded). */
bool resume_plan_for(journal *j, const char *key, const char *backend, const char *model_name,
                     const char *canonical, int64_t expected_credits, bool retry_unknown, bool ephemeral,
                     double now, resume_plan *p, char *errbuf, size_t errlen);
void resume_plan_free(resume_plan *p);

const char *resume_action_name(resume_action a);

#endif
