/* test_journal.c — the run journal: the row life cycle, guarded transitions, reopening
 * after a process killed (SIGKILL, in a forked child) at each step, generations
 * (--fresh), the lock, refusing files that are not journals, and the report. */
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runtime/journal/journal.h"
#include "unit.h"

#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define INPUTS "{\"num_images\":2,\"prompt\":\"linen suit, rooftop\",\"seed\":7}"
#define BACKEND "https://api.fashn.ai"

static char err[512];

/* A fresh directory and the journal path inside it (a subdirectory, created on open). */
static void fresh_path(char *dir, char *path) {
  strcpy(dir, "/tmp/atelier-journal-XXXXXX");
  REQUIRE(mkdtemp(dir) != NULL); /* every caller goes on to create the journal in it */
  sprintf(path, "%s/.atelier/journal.db", dir);
}

static void rm_rf(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) unit_fail(__FILE__, __LINE__, "cannot remove %s", dir);
}

static journal *open_ok(const char *path, bool fresh) {
  journal *j = journal_open(path, fresh, err, sizeof err);
  if (!j) unit_fail(__FILE__, __LINE__, "journal_open: %s", err);
  REQUIRE(j != NULL); /* the caller uses it */
  return j;
}

static journal_state state_of(journal *j, const char *key) {
  journal_job job;
  journal_state s = journal_find(j, key, &job, err, sizeof err) ? job.state : (journal_state)-1;
  journal_job_free(&job);
  return s;
}

/* Runs steps(j) in a child that opens the journal, then SIGKILLs itself: no close, no
 * atexit, exactly what kill -9 leaves behind. */
static void crash_after(const char *path, void (*steps)(journal *j)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    journal *j = journal_open(path, false, err, sizeof err);
    if (!j) _exit(3);
    steps(j);
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static int64_t queue(journal *j, const char *key) {
  int64_t row = 0;
  if (!journal_queue(j, key, BACKEND, "model-create", INPUTS, 2, &row, err, sizeof err))
    unit_fail(__FILE__, __LINE__, "journal_queue: %s", err);
  return row;
}

TEST(journal_records_a_job_from_queued_to_completed) {
  char dir[64], path[128];
  fresh_path(dir, path);
  journal *j = open_ok(path, false);
  CHECK_INT(state_of(j, KEY_A), JOURNAL_NONE);
  int64_t row = queue(j, KEY_A);
  CHECK(row > 0);
  CHECK_INT(state_of(j, KEY_A), JOURNAL_QUEUED);
  CHECK(journal_mark_submitting(j, row, err, sizeof err));
  CHECK(journal_mark_submitted(j, row, "pred-123", err, sizeof err));
  char hex[SHA256_HEX_LEN + 1];
  REQUIRE(journal_add_output(j, row, 1, "second image", 12, "jpeg", "https://cdn.fashn.ai/2.jpg", hex, err,
                           sizeof err));
  CHECK(journal_add_output(j, row, 0, "first image", 11, "png", "data:image/png;base64,AAAA", NULL, err,
                           sizeof err));
  CHECK(journal_mark_completed(j, row, 2, err, sizeof err));
  journal_close(j);

  j = open_ok(path, false); /* a later run */
  journal_job job;
  REQUIRE(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_COMPLETED);
  CHECK_STR(job.prediction_id, "pred-123");
  CHECK_INT(job.credits, 2);
  CHECK_INT(job.attempts, 1);
  REQUIRE_INT(job.noutputs, 2);
  CHECK_INT(job.outputs[0].index, 0);
  CHECK_STR(job.outputs[0].format, "png");
  CHECK(job.outputs[0].url == NULL); /* data: URIs are not kept in rows */
  CHECK_STR(job.outputs[1].url, "https://cdn.fashn.ai/2.jpg");
  CHECK_STR(job.outputs[1].sha256, hex);
  buf b = BUF_INIT;
  CHECK(journal_read_output(j, &job.outputs[0], &b, err, sizeof err) == OBJ_OK);
  CHECK(b.len == 11 && memcmp(b.data, "first image", 11) == 0);
  buf_free(&b);
  CHECK(journal_note_reuse(j, job.id, err, sizeof err));
  journal_job_free(&job);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_refuses_transitions_that_would_hide_a_purchase) {
  char dir[64], path[128];
  fresh_path(dir, path);
  journal *j = open_ok(path, false);
  int64_t row = queue(j, KEY_A);
  CHECK(!journal_mark_submitted(j, row, "id", err, sizeof err)); /* never marked submitting */
  CHECK(journal_mark_submitting(j, row, err, sizeof err));
  CHECK(!journal_mark_submitting(j, row, err, sizeof err)); /* twice */
  int64_t again = 0;
  CHECK(!journal_queue(j, KEY_A, BACKEND, "model-create", INPUTS, 2, &again, err, sizeof err));
  CHECK(strstr(err, "in flight") != NULL);
  CHECK(journal_mark_submitted(j, row, "id-1", err, sizeof err));
  CHECK(!journal_mark_completed(j, row, 2, err, sizeof err)); /* no stored output */
  CHECK(!journal_mark_submitted(j, 9999, "x", err, sizeof err));
  CHECK(!journal_note_reuse(j, 9999, err, sizeof err)); /* no such row */
  CHECK(journal_note_resume(j, row, err, sizeof err));
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_requeues_and_rearms_failed_rows) {
  char dir[64], path[128];
  fresh_path(dir, path);
  journal *j = open_ok(path, false);
  int64_t row = queue(j, KEY_A);
  CHECK(journal_mark_submitting(j, row, err, sizeof err));
  CHECK(journal_mark_requeued(j, row, err, sizeof err)); /* refused before creating anything */
  CHECK_INT(state_of(j, KEY_A), JOURNAL_QUEUED);
  CHECK(journal_mark_submitting(j, row, err, sizeof err));
  CHECK(journal_mark_submitted(j, row, "p1", err, sizeof err));
  CHECK(journal_mark_failed(j, row, "ContentModerationError", "not allowed", err, sizeof err));
  journal_job job;
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_FAILED);
  CHECK_STR(job.error_name, "ContentModerationError");
  CHECK_INT(job.attempts, 2);
  journal_job_free(&job);
  CHECK_INT(queue(j, KEY_A), row); /* same row, armed again */
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_QUEUED);
  CHECK(job.prediction_id == NULL && job.error_name == NULL);
  journal_job_free(&job);
  journal_close(j);
  rm_rf(dir);
}

static int64_t crash_row;
static void steps_to_submitting(journal *j) {
  crash_row = queue(j, KEY_A);
  journal_mark_submitting(j, crash_row, err, sizeof err);
}
static void steps_to_submitted(journal *j) {
  steps_to_submitting(j);
  journal_mark_submitted(j, crash_row, "pred-kept", err, sizeof err);
}
static void steps_to_one_output(journal *j) {
  steps_to_submitted(j);
  journal_add_output(j, crash_row, 0, "image zero", 10, "png", NULL, NULL, err, sizeof err);
}
static void steps_to_completed(journal *j) {
  steps_to_one_output(j);
  journal_add_output(j, crash_row, 1, "image one", 9, "png", NULL, NULL, err, sizeof err);
  journal_mark_completed(j, crash_row, 2, err, sizeof err);
}

TEST(journal_after_a_kill_while_submitting_reports_the_outcome_unknown) {
  char dir[64], path[128];
  fresh_path(dir, path);
  crash_after(path, steps_to_submitting);
  journal *j = open_ok(path, false);
  CHECK_INT(journal_recovered_unknown(j), 1);
  journal_job job;
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_UNKNOWN);
  CHECK_STR(job.error_name, "SubmitOutcomeUnknown");
  CHECK_INT(job.attempts, 1);
  journal_job_free(&job);
  /* only an explicit re-arm (the user's opt-in) submits it again */
  CHECK(queue(j, KEY_A) > 0);
  CHECK_INT(state_of(j, KEY_A), JOURNAL_QUEUED);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_after_a_kill_with_the_id_recorded_keeps_the_id) {
  char dir[64], path[128];
  fresh_path(dir, path);
  crash_after(path, steps_to_submitted);
  journal *j = open_ok(path, false);
  CHECK_INT(journal_recovered_unknown(j), 0);
  journal_job job;
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_SUBMITTED);
  CHECK_STR(job.prediction_id, "pred-kept");
  journal_job_free(&job);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_after_a_kill_between_outputs_keeps_what_was_stored) {
  char dir[64], path[128];
  fresh_path(dir, path);
  crash_after(path, steps_to_one_output);
  journal *j = open_ok(path, false);
  journal_job job;
  REQUIRE(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_SUBMITTED); /* not done: the rest is fetched by id */
  REQUIRE_INT(job.noutputs, 1);
  buf b = BUF_INIT;
  CHECK(journal_read_output(j, &job.outputs[0], &b, err, sizeof err) == OBJ_OK);
  buf_free(&b);
  /* the resumed run stores both (the first again, idempotently) and completes */
  CHECK(journal_add_output(j, job.id, 0, "image zero", 10, "png", NULL, NULL, err, sizeof err));
  CHECK(journal_add_output(j, job.id, 1, "image one", 9, "png", NULL, NULL, err, sizeof err));
  CHECK(journal_mark_completed(j, job.id, -1, err, sizeof err)); /* no credits header */
  journal_job_free(&job);
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.noutputs, 2);
  CHECK_INT(job.credits, -1);
  journal_job_free(&job);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_after_a_kill_once_completed_serves_the_outputs) {
  char dir[64], path[128];
  fresh_path(dir, path);
  crash_after(path, steps_to_completed);
  journal *j = open_ok(path, false);
  journal_job job;
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_COMPLETED);
  CHECK_INT(job.noutputs, 2);
  for (size_t i = 0; i < job.noutputs; i++) {
    buf b = BUF_INIT;
    CHECK(journal_read_output(j, &job.outputs[i], &b, err, sizeof err) == OBJ_OK);
    buf_free(&b);
  }
  journal_job_free(&job);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_notices_a_lost_output_and_refetches_by_id) {
  char dir[64], path[128], obj[256];
  fresh_path(dir, path);
  crash_after(path, steps_to_completed);
  journal *j = open_ok(path, false);
  journal_job job;
  REQUIRE(journal_find(j, KEY_A, &job, err, sizeof err));
  REQUIRE_INT(job.noutputs, 2); /* outputs[1] is read below */
  REQUIRE(objstore_path(journal_objects_dir(j), job.outputs[1].sha256, obj, sizeof obj));
  FILE *f = fopen(obj, "r+b");
  REQUIRE(f != NULL);
  fputc('X', f); /* one flipped byte */
  fclose(f);
  buf b = BUF_INIT;
  CHECK(journal_read_output(j, &job.outputs[1], &b, err, sizeof err) == OBJ_CORRUPT);
  CHECK(strstr(err, "corrupt") != NULL);
  CHECK(journal_mark_refetch(j, job.id, err, sizeof err));
  journal_job_free(&job);
  CHECK(journal_find(j, KEY_A, &job, err, sizeof err));
  CHECK_INT(job.state, JOURNAL_SUBMITTED);
  CHECK_STR(job.prediction_id, "pred-kept");
  CHECK_INT(job.noutputs, 0);
  journal_job_free(&job);
  buf_free(&b);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_fresh_starts_a_generation_and_keeps_history) {
  char dir[64], path[128];
  fresh_path(dir, path);
  crash_after(path, steps_to_completed);
  journal *j = open_ok(path, true);
  CHECK(journal_generation(j) == journal_run_id(j));
  CHECK_INT(state_of(j, KEY_A), JOURNAL_NONE); /* ignored, not deleted */
  int64_t row = queue(j, KEY_A);
  CHECK(row != crash_row);
  journal_close(j);
  j = open_ok(path, false); /* the next run stays in the fresh generation */
  CHECK_INT(state_of(j, KEY_A), JOURNAL_QUEUED);
  journal_close(j);
  FILE *out = tmpfile();
  REQUIRE(out != NULL);
  CHECK(journal_report(path, out, err, sizeof err));
  rewind(out);
  char text[4096] = "";
  size_t n = fread(text, 1, sizeof text - 1, out);
  text[n] = '\0';
  fclose(out);
  CHECK(strstr(text, "1 older job row kept as history") != NULL);
  CHECK(strstr(text, "credits spent: 0 (2 over all generations)") != NULL);
  rm_rf(dir);
}

TEST(journal_is_used_by_one_run_at_a_time) {
  char dir[64], path[128];
  fresh_path(dir, path);
  journal *j = open_ok(path, false);
  CHECK(journal_open(path, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "in use by another atelier run") != NULL);
  char pid[32];
  snprintf(pid, sizeof pid, "(pid %ld)", (long)getpid());
  CHECK(strstr(err, pid) != NULL);
  journal_close(j);
  crash_after(path, steps_to_submitted); /* a killed holder releases it too */
  j = open_ok(path, false);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_lock_is_shared_by_every_path_to_the_same_journal) {
  char dir[64], path[128], alias_dir[160], alias[192], file_link[160];
  fresh_path(dir, path);
  journal *j = open_ok(path, false);
  /* a symlink to the journal's folder, and one to the journal file itself */
  snprintf(alias_dir, sizeof alias_dir, "%s/alias", dir);
  snprintf(alias, sizeof alias, "%s/journal.db", alias_dir);
  snprintf(file_link, sizeof file_link, "%s/link.db", dir);
  char target[160];
  snprintf(target, sizeof target, "%s/.atelier", dir);
  CHECK(symlink(target, alias_dir) == 0);
  CHECK(symlink(path, file_link) == 0);
  CHECK(journal_open(alias, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "in use by another atelier run") != NULL);
  CHECK(journal_open(file_link, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "in use by another atelier run") != NULL);
  journal_close(j);
  j = open_ok(alias, false); /* free again: any path opens it */
  journal_close(j);
  j = open_ok(file_link, false);
  journal_close(j);
  rm_rf(dir);
}

TEST(journal_lock_never_writes_through_a_planted_link) {
  char dir[64], path[128], victim[128], lock[160];
  fresh_path(dir, path);
  snprintf(victim, sizeof victim, "%s/victim.txt", dir);
  FILE *f = fopen(victim, "w");
  CHECK(f != NULL);
  fputs("precious\n", f);
  fclose(f);
  char atelier_dir[128];
  snprintf(atelier_dir, sizeof atelier_dir, "%s/.atelier", dir);
  CHECK(mkdir(atelier_dir, 0777) == 0);
  snprintf(lock, sizeof lock, "%s.lock", path);
  CHECK(symlink(victim, lock) == 0);
  CHECK(journal_open(path, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "symbolic link") != NULL);
  char text[64] = "";
  f = fopen(victim, "r");
  CHECK(f != NULL);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  CHECK_STR(text, "precious\n"); /* neither truncated nor overwritten with a pid */
  /* a hard link as the lock still locks, but nothing is written into it */
  CHECK(unlink(lock) == 0);
  CHECK(link(victim, lock) == 0);
  journal *j = open_ok(path, false);
  CHECK(journal_open(path, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "in use by another atelier run") != NULL);
  journal_close(j);
  f = fopen(victim, "r");
  CHECK(f != NULL);
  n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  CHECK_STR(text, "precious\n");
  /* the same for the files SQLite writes beside the journal, and a dangling journal */
  CHECK(unlink(lock) == 0);
  char wal[160];
  snprintf(wal, sizeof wal, "%s-wal", path);
  CHECK(symlink(victim, wal) == 0);
  CHECK(journal_open(path, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "-wal is a symbolic link") != NULL);
  CHECK(unlink(wal) == 0);
  CHECK(unlink(path) == 0); /* the journal made above */
  char missing[160];
  snprintf(missing, sizeof missing, "%s/missing.db", dir);
  CHECK(symlink(missing, path) == 0);
  CHECK(journal_open(path, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "symbolic link to a missing file") != NULL);
  CHECK(access(missing, F_OK) != 0);
  f = fopen(victim, "r");
  CHECK(f != NULL);
  n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  CHECK_STR(text, "precious\n");
  rm_rf(dir);
}

TEST(journal_refuses_files_that_are_not_journals) {
  char dir[64], path[128];
  fresh_path(dir, path);
  journal *j = open_ok(path, false); /* creates the directory */
  journal_close(j);
  char other[160];
  snprintf(other, sizeof other, "%s/garbage.db", dir);
  FILE *f = fopen(other, "wb");
  REQUIRE(f != NULL);
  for (int i = 0; i < 2000; i++) fputs("not sqlite ", f);
  fclose(f);
  CHECK(journal_open(other, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "garbage.db") != NULL);
  /* a newer schema is refused rather than misread */
  sqlite3 *db = NULL;
  REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(journal_open(path, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "newer atelier") != NULL);
  /* and someone else's database is left alone */
  snprintf(other, sizeof other, "%s/theirs.db", dir);
  REQUIRE(sqlite3_open(other, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(journal_open(other, false, err, sizeof err) == NULL);
  CHECK(strstr(err, "not an atelier journal") != NULL);
  rm_rf(dir);
}

TEST(journal_report_lists_unknown_jobs_with_what_to_do) {
  char dir[64], path[128];
  fresh_path(dir, path);
  crash_after(path, steps_to_submitting);
  journal *j = open_ok(path, false);
  int64_t row = 0;
  CHECK(journal_queue(j, KEY_B, BACKEND, "model-create", "{\"prompt\":\"bad\\u001b[2Jprompt\",\"seed\":1}", 1,
                      &row, err, sizeof err));
  CHECK(journal_mark_submitting(j, row, err, sizeof err));
  CHECK(journal_mark_failed(j, row, "OutOfCredits", "no credits left", err, sizeof err));
  journal_close(j);
  FILE *out = tmpfile();
  REQUIRE(out != NULL);
  CHECK(journal_report(path, out, err, sizeof err));
  rewind(out);
  char text[8192] = "";
  size_t n = fread(text, 1, sizeof text - 1, out);
  text[n] = '\0';
  fclose(out);
  CHECK(strstr(text, "unknown     1") != NULL);
  CHECK(strstr(text, "failed      1") != NULL);
  CHECK(strstr(text, "\"linen suit, rooftop\", seed 7, 2 images, 2 credits") != NULL);
  CHECK(strstr(text, "--retry-unknown") != NULL);
  CHECK(strstr(text, "up to 2") != NULL);
  CHECK(strstr(text, "OutOfCredits: no credits left") != NULL);
  CHECK(strchr(text, '\x1b') == NULL); /* journal text cannot drive the terminal */
  CHECK(!journal_report("/nonexistent/journal.db", stdout, err, sizeof err));
  CHECK(strstr(err, "no journal at /nonexistent/journal.db") != NULL);
  rm_rf(dir);
}

/* The report of the journal at path, as text. */
static void report_text(const char *path, char *text, size_t cap) {
  FILE *out = tmpfile();
  REQUIRE(out != NULL);
  if (!journal_report(path, out, err, sizeof err)) unit_fail(__FILE__, __LINE__, "report: %s", err);
  rewind(out);
  size_t n = fread(text, 1, cap - 1, out);
  text[n] = '\0';
  fclose(out);
}

TEST(journal_report_tells_a_dead_runs_send_from_a_live_one) {
  char dir[64], path[128], text[8192];
  fresh_path(dir, path);
  crash_after(path, steps_to_submitting); /* killed while sending: nobody reopened it yet */
  report_text(path, text, sizeof text);
  CHECK(strstr(text, "unknown     1") != NULL);
  CHECK(strstr(text, "no answer recorded") != NULL);
  CHECK(strstr(text, "submitting") == NULL);
  journal *j = open_ok(path, false); /* now a live run sends another */
  int64_t row = 0;
  CHECK(journal_queue(j, KEY_B, BACKEND, "model-create", INPUTS, 2, &row, err, sizeof err));
  CHECK(journal_mark_submitting(j, row, err, sizeof err));
  report_text(path, text, sizeof text);
  CHECK(strstr(text, "submitting  1") != NULL);
  CHECK(strstr(text, "being submitted right now") != NULL);
  CHECK(strstr(text, "unknown     1") != NULL); /* the dead run's, turned unknown at open */
  journal_close(j);
  rm_rf(dir);
}

/* A run killed before its first commit leaves an empty SQLite file: the report says no
 * job is recorded yet (and succeeds), while someone else's database is still refused. */
TEST(journal_report_of_an_empty_database_says_no_job_is_recorded) {
  char dir[64], path[128], text[1024];
  fresh_path(dir, path);
  char folder[128];
  snprintf(folder, sizeof folder, "%s/.atelier", dir);
  REQUIRE(mkdir(folder, 0700) == 0);
  FILE *f = fopen(path, "w"); /* what sqlite3_open leaves before the schema is written */
  REQUIRE(f != NULL);
  fclose(f);
  report_text(path, text, sizeof text);
  CHECK(strstr(text, "no jobs recorded") != NULL);
  sqlite3 *db = NULL;
  REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(!journal_report(path, stdout, err, sizeof err));
  CHECK(strstr(err, "another SQLite database, not an atelier journal") != NULL);
  rm_rf(dir);
}
