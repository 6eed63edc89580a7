/* test_jobrecord.c — a job's moments as the transport reports them, and what the row
 * says after each: the order that keeps every crash window safe. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../runtime/io/interrupt.h"
#include "../../runtime/journal/jobrecord.h"
#include "unit.h"

#define KEY "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"

static char err[512];

typedef struct fixture {
  char dir[64], path[128];
  journal *j;
  jobrecord *r;
} fixture;

static void setup(fixture *f) {
  strcpy(f->dir, "/tmp/atelier-jobrecord-XXXXXX");
  REQUIRE(mkdtemp(f->dir) != NULL);
  snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
  f->j = journal_open(f->path, false, err, sizeof err);
  int64_t row = 0;
  if (!f->j || !journal_queue(f->j, KEY, "emu", "model-create", "{}", 1, &row, err, sizeof err))
    unit_fail(__FILE__, __LINE__, "setup: %s", err);
  REQUIRE(f->j && row > 0); /* every test goes on to use the journal and its row */
  f->r = jobrecord_new(f->j, row, KEY);
  REQUIRE(f->r != NULL);
}

static void teardown(fixture *f) {
  jobrecord_free(f->r);
  journal_close(f->j);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  if (system(cmd) != 0) unit_fail(__FILE__, __LINE__, "rm");
}

static journal_state row_state(fixture *f) {
  journal_job job;
  journal_state s = journal_find(f->j, KEY, &job, err, sizeof err) ? job.state : JOURNAL_NONE;
  journal_job_free(&job);
  return s;
}

TEST(jobrecord_commits_submitting_before_the_send_and_the_id_when_known) {
  fixture f;
  setup(&f);
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  CHECK_INT(row_state(&f), JOURNAL_SUBMITTING);
  jobrecord_accepted(f.r, "pred-5");
  CHECK_INT(row_state(&f), JOURNAL_SUBMITTED);
  CHECK(jobrecord_output(f.r, 0, "png bytes", 9, "png", "https://cdn/x.png"));
  jobrecord_completed(f.r, 1);
  CHECK_INT(row_state(&f), JOURNAL_COMPLETED);
  teardown(&f);
}

TEST(jobrecord_requeues_an_attempt_that_created_nothing) {
  fixture f;
  setup(&f);
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  jobrecord_not_created(f.r); /* refused with an error body, or never connected */
  CHECK_INT(row_state(&f), JOURNAL_QUEUED);
  CHECK(jobrecord_sending(f.r, err, sizeof err)); /* the retry */
  CHECK_INT(row_state(&f), JOURNAL_SUBMITTING);
  jobrecord_failed(f.r, "BadRequest", "prompt is required");
  CHECK_INT(row_state(&f), JOURNAL_FAILED);
  teardown(&f);
}

TEST(jobrecord_marks_an_unanswered_submit_unknown) {
  fixture f;
  setup(&f);
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  CHECK(jobrecord_is_unknown_outcome("SubmitOutcomeUnknown"));
  jobrecord_unknown(f.r, "SubmitOutcomeUnknown", "connection dropped after sending");
  CHECK_INT(row_state(&f), JOURNAL_UNKNOWN);
  teardown(&f);
}

TEST(jobrecord_resubmits_after_a_failed_prediction_through_queued) {
  fixture f;
  setup(&f);
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  jobrecord_accepted(f.r, "pred-1");
  /* the prediction failed with a retryable name; the transport sends it again */
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  journal_job job;
  REQUIRE(journal_find(f.j, KEY, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_SUBMITTING);
  CHECK(job.prediction_id == NULL); /* the failed prediction is forgotten */
  CHECK_INT(job.attempts, 2);
  journal_job_free(&job);
  teardown(&f);
}

TEST(jobrecord_keeps_a_row_submitted_when_polling_gives_up) {
  fixture f;
  setup(&f);
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  jobrecord_accepted(f.r, "pred-2");
  jobrecord_gave_up(f.r);
  CHECK_INT(row_state(&f), JOURNAL_SUBMITTED); /* a rerun polls pred-2 again */
  teardown(&f);
}

TEST(jobrecord_does_not_complete_a_row_missing_an_output) {
  fixture f;
  setup(&f);
  CHECK(jobrecord_sending(f.r, err, sizeof err));
  jobrecord_accepted(f.r, "pred-3");
  CHECK(jobrecord_output(f.r, 0, "a", 1, "png", NULL));
  CHECK(!jobrecord_output(f.r, 99, "b", 1, "png", NULL)); /* could not be stored */
  jobrecord_completed(f.r, 2);
  CHECK_INT(row_state(&f), JOURNAL_SUBMITTED); /* a rerun fetches by id instead */
  teardown(&f);
}

TEST(jobrecord_sends_nothing_once_ctrl_c_asked_to_stop) {
  fixture f;
  setup(&f);
  char lerr[200];
  loop *lp = loop_new(lerr, sizeof lerr);
  REQUIRE(lp != NULL);
  REQUIRE(interrupt_install(lp, NULL, NULL, NULL));
  interrupt_request();
  loop_run_once(lp, 1.0);
  CHECK(interrupt_stopping());
  CHECK(!jobrecord_sending(f.r, err, sizeof err));
  CHECK(strstr(err, "interrupted") != NULL);
  CHECK_INT(row_state(&f), JOURNAL_QUEUED); /* nothing sent: a rerun submits it */
  jobrecord_failed(f.r, "Interrupted", err);
  CHECK_INT(row_state(&f), JOURNAL_QUEUED);
  interrupt_uninstall();
  loop_free(lp);
  teardown(&f);
}
