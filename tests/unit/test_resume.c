/* test_resume.c — the spend-or-not decision against every state a row can be in. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../runtime/journal/resume.h"
#include "unit.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BACKEND "emulator:embedded"
#define INPUTS "{\"prompt\":\"p\",\"seed\":3}"

static char err[600];

typedef struct fixture {
  char dir[64], path[128];
  journal *j;
} fixture;

static void setup(fixture *f) {
  strcpy(f->dir, "/tmp/atelier-resume-XXXXXX");
  REQUIRE(mkdtemp(f->dir) != NULL);
  snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
  f->j = journal_open(f->path, false, err, sizeof err);
  if (!f->j) unit_fail(__FILE__, __LINE__, "open: %s", err);
  REQUIRE(f->j != NULL); /* every test goes on to use it */
}

static void teardown(fixture *f) {
  journal_close(f->j);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  if (system(cmd) != 0) unit_fail(__FILE__, __LINE__, "rm");
}

static resume_action plan(fixture *f, bool retry_unknown, double now, resume_plan *p) {
  if (!resume_plan_for(f->j, KEY, BACKEND, "model-create", INPUTS, 4, retry_unknown, false, now, p, err,
                       sizeof err)) {
    unit_fail(__FILE__, __LINE__, "resume_plan_for: %s", err);
    unit_stop(); /* *p was not filled: the caller would read it and free it */
  }
  return p->action;
}

/* Takes the job through a purchase: submitting, id, two outputs (URL ones when urls). */
static int64_t buy(fixture *f, bool urls) {
  resume_plan p;
  CHECK_INT(plan(f, false, 0, &p), RESUME_SUBMIT);
  int64_t row = p.row;
  resume_plan_free(&p);
  CHECK(journal_mark_submitting(f->j, row, err, sizeof err));
  CHECK(journal_mark_submitted(f->j, row, "pred-9", err, sizeof err));
  CHECK(journal_add_output(f->j, row, 0, "img-a", 5, "png", urls ? "https://cdn/a.png" : NULL, NULL, err,
                           sizeof err));
  CHECK(journal_add_output(f->j, row, 1, "img-b", 5, "png", urls ? "https://cdn/b.png" : NULL, NULL, err,
                           sizeof err));
  CHECK(journal_mark_completed(f->j, row, 4, err, sizeof err));
  return row;
}

static double completed_at(fixture *f) {
  journal_job job;
  CHECK(journal_find(f->j, KEY, &job, err, sizeof err));
  double t = job.completed_at;
  journal_job_free(&job);
  return t;
}

TEST(resume_submits_a_new_job_and_queues_its_row) {
  fixture f;
  setup(&f);
  resume_plan p;
  CHECK_INT(plan(&f, false, 0, &p), RESUME_SUBMIT);
  CHECK(p.row > 0 && p.note[0] == '\0');
  resume_plan_free(&p);
  journal_job job;
  CHECK(journal_find(f.j, KEY, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_QUEUED);
  journal_job_free(&job);
  teardown(&f);
}

TEST(resume_serves_a_completed_job_from_the_store_without_spending) {
  fixture f;
  setup(&f);
  buy(&f, true);
  resume_plan p;
  CHECK_INT(plan(&f, false, completed_at(&f) + 1, &p), RESUME_CACHED);
  REQUIRE_INT(p.noutputs, 2);
  CHECK(p.outputs[1].bytes.len == 5 && memcmp(p.outputs[1].bytes.data, "img-b", 5) == 0);
  CHECK_STR(p.outputs[0].format, "png");
  CHECK_INT(p.credits, 4);
  resume_plan_free(&p);
  teardown(&f);
}

TEST(resume_polls_a_job_an_earlier_run_submitted) {
  fixture f;
  setup(&f);
  resume_plan p;
  plan(&f, false, 0, &p);
  int64_t row = p.row;
  resume_plan_free(&p);
  CHECK(journal_mark_submitting(f.j, row, err, sizeof err));
  CHECK(journal_mark_submitted(f.j, row, "pred-77", err, sizeof err));
  CHECK_INT(plan(&f, false, 0, &p), RESUME_POLL);
  CHECK_STR(p.prediction_id, "pred-77");
  CHECK_INT(p.row, row);
  resume_plan_free(&p);
  teardown(&f);
}

TEST(resume_stops_at_an_unknown_outcome_unless_asked) {
  fixture f;
  setup(&f);
  resume_plan p;
  plan(&f, false, 0, &p);
  int64_t row = p.row;
  resume_plan_free(&p);
  CHECK(journal_mark_submitting(f.j, row, err, sizeof err));
  CHECK(journal_mark_unknown(f.j, row, "SubmitOutcomeUnknown", "no answer", err, sizeof err));
  CHECK_INT(plan(&f, false, 0, &p), RESUME_UNKNOWN);
  CHECK_STR(p.job.error_name, "SubmitOutcomeUnknown");
  resume_plan_free(&p);
  CHECK_INT(plan(&f, false, 0, &p), RESUME_UNKNOWN); /* asking again changes nothing */
  resume_plan_free(&p);
  CHECK_INT(plan(&f, true, 0, &p), RESUME_SUBMIT);
  CHECK(p.retried_unknown);
  CHECK(strstr(p.note, "pays twice") != NULL);
  resume_plan_free(&p);
  teardown(&f);
}

TEST(resume_resubmits_a_failed_job) {
  fixture f;
  setup(&f);
  resume_plan p;
  plan(&f, false, 0, &p);
  int64_t row = p.row;
  resume_plan_free(&p);
  CHECK(journal_mark_submitting(f.j, row, err, sizeof err));
  CHECK(journal_mark_submitted(f.j, row, "pred-1", err, sizeof err));
  CHECK(journal_mark_failed(f.j, row, "PipelineError", "boom", err, sizeof err));
  CHECK_INT(plan(&f, false, 0, &p), RESUME_SUBMIT);
  CHECK_INT(p.row, row);
  resume_plan_free(&p);
  teardown(&f);
}

TEST(resume_fetches_a_lost_output_again_by_id_while_the_api_keeps_it) {
  fixture f;
  setup(&f);
  buy(&f, true);
  char path[256];
  journal_job job;
  REQUIRE(journal_find(f.j, KEY, &job, err, sizeof err));
  REQUIRE_INT(job.noutputs, 2);
  REQUIRE(objstore_path(journal_objects_dir(f.j), job.outputs[0].sha256, path, sizeof path));
  journal_job_free(&job);
  CHECK(unlink(path) == 0);
  resume_plan p;
  double t = completed_at(&f);
  CHECK_INT(plan(&f, false, t + 3600 * 24, &p), RESUME_REFETCH); /* a day later: URLs live 72 h */
  CHECK_STR(p.prediction_id, "pred-9");
  CHECK(strstr(p.note, "stored output 1 is missing") != NULL);
  CHECK(strstr(p.note, "not really done") != NULL);
  resume_plan_free(&p);
  CHECK(journal_find(f.j, KEY, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_SUBMITTED); /* outputs forgotten, id kept */
  CHECK_INT(job.noutputs, 0);
  journal_job_free(&job);
  teardown(&f);
}

TEST(resume_resubmits_a_lost_output_the_api_no_longer_keeps) {
  fixture f;
  setup(&f);
  buy(&f, false); /* base64 outputs: kept 60 minutes */
  char path[256];
  journal_job job;
  REQUIRE(journal_find(f.j, KEY, &job, err, sizeof err));
  REQUIRE_INT(job.noutputs, 2);
  REQUIRE(objstore_path(journal_objects_dir(f.j), job.outputs[1].sha256, path, sizeof path));
  journal_job_free(&job);
  FILE *fp = fopen(path, "ab");
  REQUIRE(fp != NULL);
  fputs("junk", fp);
  fclose(fp);
  resume_plan p;
  CHECK_INT(plan(&f, false, completed_at(&f) + 2 * 3600, &p), RESUME_SUBMIT);
  CHECK(strstr(p.note, "stored output 2 is corrupt") != NULL);
  CHECK(strstr(p.note, "submitted again (4 credits)") != NULL);
  resume_plan_free(&p);
  teardown(&f);
}

/* Writes prediction_id (n bytes, NULs allowed) into every row behind the journal's back,
 * as a damaged or hand-edited file would hold it. */
static void damage_id(fixture *f, const char *id, int n) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite3_open(f->path, &db) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "UPDATE jobs SET prediction_id = ?", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_text(st, 1, id, n, SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
    unit_fail(__FILE__, __LINE__, "damaging the row: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(resume_refuses_a_damaged_prediction_id) {
  /* The one id rule (fashn_id_valid): ".." would poll GET /v1/status/.. (= /v1/), and an
   * id with a NUL was cut at it and polled another prediction ("pred" here). */
  static const struct {
    const char *id;
    int n;
  } bad[] = {{"../../v1/credits?x=", -1}, {"..", -1}, {".", -1}, {"pred\0-other", 11}, {"pred 1", -1}, {"", -1}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    fixture f;
    setup(&f);
    resume_plan p;
    plan(&f, false, 0, &p);
    int64_t row = p.row;
    resume_plan_free(&p);
    CHECK(journal_mark_submitting(f.j, row, err, sizeof err));
    /* the journal itself refuses to record such an id ... */
    if (bad[i].n < 0) CHECK(!journal_mark_submitted(f.j, row, bad[i].id, err, sizeof err));
    CHECK(journal_mark_submitted(f.j, row, "pred", err, sizeof err));
    /* ... and one found in the file is not polled */
    damage_id(&f, bad[i].id, bad[i].n);
    if (plan(&f, false, 0, &p) != RESUME_UNKNOWN) unit_fail(__FILE__, __LINE__, "bad id %zu was planned", i);
    CHECK(p.prediction_id == NULL || strcmp(p.prediction_id, "pred") != 0);
    resume_plan_free(&p);
    teardown(&f);
  }
}

TEST(resume_submits_again_what_an_ended_embedded_emulator_had_in_flight) {
  fixture f;
  setup(&f);
  resume_plan p;
  plan(&f, false, 0, &p);
  int64_t row = p.row;
  resume_plan_free(&p);
  CHECK(journal_mark_submitting(f.j, row, err, sizeof err));
  CHECK(journal_mark_submitted(f.j, row, "emu-1", err, sizeof err));
  REQUIRE(resume_plan_for(f.j, KEY, BACKEND, "model-create", INPUTS, 4, false, true, 0, &p, err, sizeof err));
  CHECK_INT(p.action, RESUME_SUBMIT);
  CHECK_INT(p.row, row);
  resume_plan_free(&p);
  teardown(&f);
}
