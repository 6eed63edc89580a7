/* fashn_poll.c — polling: one shared budget of status requests (ratelimit) spent on the
 * running jobs most likely to have finished (pollplan says when each is due; the most
 * overdue goes first), and what each status answer means for its job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rand.h"
#include "fashn_poll.h"

#define MAX_POLL_FAILURES 30
#define MAX_NOT_FOUND 3
#define MAX_NULL_OUTPUTS 3
#define MAX_SAME_BAD_ANSWERS 3 /* identical unreadable status answers in a row */

static double jitter(void) {
  static rand_state s = {0x9E3779B97F4A7C15ULL}; /* polling runs on the loop's thread only */
  return rand_unit(&s);
}

static void poll_tick(void *ud);

void fashn_poll_schedule(fashn_client *c) {
  double earliest = INFINITY;
  for (fashn_job *j = c->jobs; j; j = j->next)
    if (j->state == FASHN_JOB_RUNNING && !j->req && j->poll.next_due < earliest) earliest = j->poll.next_due;
  if (!isfinite(earliest)) {
    loop_timer_stop(c->lp, &c->poll_timer);
    return;
  }
  double now = loop_now();
  double wait = earliest - now;
  double budget = rl_wait(&c->status_rl, now);
  if (budget > wait) wait = budget;
  loop_timer_start(c->lp, &c->poll_timer, wait, poll_tick, c);
}

void fashn_poll_start_job(fashn_job *j) {
  fashn_client *c = j->c;
  j->poll.next_due = j->t_accepted + pp_first_poll(&c->plan, j->cls);
  j->poll.lo_age = 0;
  fashn_poll_schedule(c);
}

/* Resubmitted: the looks at the earlier prediction say nothing about the next one. */
void fashn_poll_reset(fashn_job *j) {
  j->poll.lo_age = 0;
  j->poll.polls = j->poll.poll_failures = j->poll.not_found = j->poll.null_outputs = 0;
}

static void poll_done(http_req *req, http_result *r, void *ud);

static void poll_send(fashn_job *j, double now) {
  fashn_client *c = j->c;
  char url[1024];
  snprintf(url, sizeof url, "%s/v1/status/%s", c->base_url, j->id);
  size_t max_body = 1 << 20;
  if (j->facts.base64) /* the answer carries the images themselves */
    max_body += (size_t)j->facts.num_images * (c->cfg.max_output_bytes / 3 * 4 + 16);
  http_policy p = {.max_attempts = 1, .timeout = c->cfg.request_timeout, .max_body = max_body,
                   .resend_unknown = true, .ud = j};
  rl_take(&c->status_rl, now);
  c->st.status_requests++;
  j->poll.polls++;
  j->poll.next_due = now; /* until the answer says otherwise */
  j->req = http_request(c->http, "GET", url, NULL, 0, &p, poll_done, j);
  if (!j->req) fashn_fail(j, "OutOfMemory", 0, true, "out of memory starting a status request");
}

/* Spends the status budget: each token goes to the due job likeliest to be done (the
 * most standard deviations past its expected finish). While tokens are plentiful, early
 * looks (before the expected finish) are fine; once the bucket is half empty they wait
 * until a job is at least as likely done as not, so jobs that finish together (they were
 * started together) are not starved by polls that could only say "processing". */
static void poll_tick(void *ud) {
  fashn_client *c = ud;
  double retry_at = 0;
  for (;;) {
    double now = loop_now();
    if (rl_wait(&c->status_rl, now) > 0) break;
    fashn_job *best = NULL;
    double best_z = -INFINITY;
    for (fashn_job *j = c->jobs; j; j = j->next) {
      if (j->state != FASHN_JOB_RUNNING || j->req || j->poll.next_due > now) continue;
      if (now > j->deadline) {
        best = j;
        best_z = INFINITY;
        break;
      }
      double z = pp_zscore(&c->plan, j->cls, now - j->t_accepted);
      if (!best || z > best_z) {
        best = j;
        best_z = z;
      }
    }
    if (!best) break;
    if (now > best->deadline) {
      c->spent += best->facts.credits; /* it may still finish and be charged */
      c->st.credits_spent += best->facts.credits;
      fashn_fail(best, "PollingTimeout", 0, false,
                 "gave up after %.0f s without a final status; the prediction may still finish "
                 "and be charged",
                 best->timeout);
      continue;
    }
    if (best_z < 0 && rl_tokens(&c->status_rl, now) < c->status_rl.burst / 2) {
      double mu, sg;
      pp_estimate(&c->plan, best->cls, &mu, &sg);
      retry_at = best->t_accepted + mu; /* when it becomes as likely done as not */
      if (retry_at > now + c->plan.max_interval) retry_at = now + c->plan.max_interval;
      break;
    }
    poll_send(best, now);
  }
  if (retry_at <= 0) {
    fashn_poll_schedule(c);
    return;
  }
  /* Deferred for the budget: look again then, or when another job falls due first. */
  double now = loop_now();
  for (fashn_job *j = c->jobs; j; j = j->next)
    if (j->state == FASHN_JOB_RUNNING && !j->req && j->poll.next_due > now && j->poll.next_due < retry_at)
      retry_at = j->poll.next_due;
  loop_timer_start(c->lp, &c->poll_timer, retry_at - now, poll_tick, c);
}

/* status "failed", "canceled" or "time_out": resubmitted when worth it, else failed. */
static void prediction_ended(fashn_job *j, const fashn_status_view *sv) {
  fashn_client *c = j->c;
  if (sv->retry_worthy && j->poll.resubmits < c->cfg.retry_failed) {
    j->poll.resubmits++;
    fashn_notice(c, j, "job %ld: prediction %s failed with %s; resubmitting (failed predictions cost nothing)",
                 j->seq, j->id, sv->err_name);
    double scale = c->cfg.time_scale < 1 ? c->cfg.time_scale : 1; /* an emulator's clock */
    fashn_resubmit_later(j, (1.0 + jitter()) * scale);
    return;
  }
  fashn_fail(j, sv->err_name, 0, sv->retry_worthy, "the prediction %s: %s%s",
             sv->failed ? "failed" : sv->status, *sv->err_message ? sv->err_message : sv->err_name,
             j->poll.resubmits ? " (also after a resubmission)" : "");
}

static void poll_failed(fashn_job *j, const char *name, const http_result *r, const char *what) {
  fashn_client *c = j->c;
  j->poll.poll_failures++;
  if (j->poll.poll_failures >= MAX_POLL_FAILURES) {
    fashn_fail(j, name, (int)r->status, true, "gave up polling after %d failed status requests: %s",
               j->poll.poll_failures, what);
    return;
  }
  j->poll.next_due = loop_now() + http_backoff(j->poll.poll_failures, 0.25, 8, r->retry_after, jitter());
  (void)c;
}

static void completed(fashn_job *j, const fashn_status_view *sv, http_result *r, double age) {
  fashn_client *c = j->c;
  if (sv->outputs == FASHN_OUTPUTS_NONE) {
    if (++j->poll.null_outputs < MAX_NULL_OUTPUTS) { /* a race on the server: look again */
      j->poll.next_due = loop_now() + c->plan.min_interval * 2;
      return;
    }
    c->spent += j->facts.credits;
    c->st.credits_spent += j->facts.credits;
    fashn_fail(j, "NoOutput", 200, false, "the prediction completed without any output");
    return;
  }
  if (sv->outputs != FASHN_OUTPUTS_LIST) {
    c->spent += j->facts.credits;
    c->st.credits_spent += j->facts.credits;
    fashn_fail(j, "BadResponse", 200, false, "the completed status has an invalid output (%s)",
               sv->outputs == FASHN_OUTPUTS_NOT_LIST ? "not a list" : "too many entries");
    return;
  }
  if (!j->resumed) pp_observe(&c->plan, j->cls, j->poll.lo_age, age); /* a resumed one's age is not ours */
  j->t_noticed = loop_now();
  /* What was just learned applies at once to the jobs of the class not polled yet. */
  for (fashn_job *o = c->jobs; o; o = o->next)
    if (o != j && o->cls == j->cls && o->state == FASHN_JOB_RUNNING && !o->poll.polls && !o->req)
      o->poll.next_due = o->t_accepted + pp_first_poll(&c->plan, o->cls);
  char v[32];
  if (http_result_header(r, "x-fashn-credits-used", v, sizeof v)) {
    char *end;
    long n = strtol(v, &end, 10);
    if (end != v && *end == '\0' && n >= 0 && n <= 1000) j->credits = (int)n;
  }
  fashn_job_completed(j, sv->output);
}

static void poll_done(http_req *req, http_result *r, void *ud) {
  (void)req;
  fashn_job *j = ud;
  fashn_client *c = j->c;
  j->req = NULL;
  fashn_job_ref(j); /* endings below may drop the client's reference */
  double now = loop_now();
  double age = now - r->elapsed / 2 - j->t_accepted; /* when the server looked, about */
  char name[64], msg[400];
  if (r->outcome == HTTP_RESPONSE && r->status == 429) c->st.http_429++;
  if (r->outcome == HTTP_RESPONSE && r->status >= 500) c->st.http_5xx++;
  if (r->outcome != HTTP_RESPONSE) c->st.connection_errors++;

  if (r->too_large) { /* no retry makes it smaller */
    c->spent += j->facts.credits; /* it may be a completed, charged prediction: count it */
    c->st.credits_spent += j->facts.credits;
    if (j->facts.base64)
      fashn_fail(j, "OutputTooLarge", 200, false,
                 "the status answer of prediction %s is refused: %s (its base64 outputs are larger than "
                 "max_output_bytes allows)",
                 j->id, r->error);
    else /* no images inside: the answer itself is what is too large */
      fashn_fail(j, "OutputTooLarge", 200, false,
                 "the status answer body of prediction %s is refused: %s (a status answer without base64 "
                 "outputs is a few hundred bytes; this one is past the 1 MiB allowed for it)",
                 j->id, r->error);
  } else if (r->outcome != HTTP_RESPONSE) {
    poll_failed(j, "StatusUnavailable", r, r->error);
  } else if (r->status == 200) {
    fashn_status_view sv;
    fashn_status_read_secret(r->body.data, r->body.len, c->api_key, &sv);
    if (sv.kind == FASHN_STATUS_BAD) {
      /* The same whole but unreadable answer again and again (nested too deep, not
       * UTF-8) will not change by waiting for the timeout: a few in a row end the job.
       * Cut or garbled answers (damage in transit, which repeats identically too) keep
       * the patient path: poll_failed and its MAX_POLL_FAILURES. */
      uint64_t h = 0xcbf29ce484222325ULL;
      for (size_t i = 0; i < r->body.len; i++) h = (h ^ (unsigned char)r->body.data[i]) * 0x100000001b3ULL;
      j->poll.bad_same = !sv.malformed ? 0 : j->poll.bad_answers && h == j->poll.bad_hash ? j->poll.bad_same + 1 : 1;
      j->poll.bad_hash = h;
      j->poll.bad_answers++;
      if (j->poll.bad_same >= MAX_SAME_BAD_ANSWERS)
        fashn_fail(j, "BadResponse", 200, false,
                   "the API answered %d identical unreadable status answers for prediction %s (%s); gave "
                   "up polling it. Nothing was charged as far as atelier knows (no answer said it "
                   "completed); a rerun with the journal polls the same id again",
                   j->poll.bad_same, j->id, sv.why);
      else
        poll_failed(j, "BadResponse", r, sv.why);
    } else if (sv.kind == FASHN_STATUS_COMPLETED) {
      j->poll.poll_failures = j->poll.bad_answers = 0;
      completed(j, &sv, r, age);
    } else if (sv.kind == FASHN_STATUS_ENDED) {
      prediction_ended(j, &sv);
    } else { /* starting, in_queue, processing, or a word from a newer API: not done */
      j->poll.poll_failures = j->poll.not_found = j->poll.bad_answers = 0;
      j->poll.lo_age = age;
      snprintf(j->status, sizeof j->status, "%s", sv.status);
      double next = j->t_accepted + pp_next_poll(&c->plan, j->cls, age);
      j->poll.next_due = next > now ? next : now;
    }
    fashn_status_free(&sv);
  } else if (r->status == 404) {
    if (++j->poll.not_found >= MAX_NOT_FOUND && !fashn_rebuy_gone(j, "the API no longer knows it"))
      fashn_fail(j, "NotFound", 404, false, "the API does not know prediction %s", j->id);
    else
      j->poll.next_due = now + 0.5;
  } else if (r->status == 401 || r->status == 403) {
    fashn_error_body(&r->body, name, sizeof name, msg, sizeof msg, j->c->api_key);
    fashn_fail(j, *name ? name : "UnauthorizedAccess", (int)r->status, false, "%s",
               *msg ? msg : "the API key was refused");
  } else if (r->status == 429) {
    double pause = r->retry_after > 0 ? r->retry_after : http_backoff(++j->poll.poll_failures, 0.5, 10, -1, jitter());
    rl_pause(&c->status_rl, now + pause);
    fashn_notice(c, j, "status requests rate-limited by the API (429); pausing polls for %.1f s", pause);
    j->poll.next_due = now;
  } else {
    char what[64];
    snprintf(what, sizeof what, "HTTP %ld", r->status);
    poll_failed(j, "StatusUnavailable", r, what);
  }
  if (j->c) fashn_poll_schedule(j->c);
  fashn_job_unref(j);
}
