/* fashn_stored.c — jobs that begin from what the journal knows instead of a new submit:
 * a prediction an earlier run started (polled by its id), and a job already over
 * (its stored images, or the error that stops it). Neither sends POST /v1/run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fashn_int.h"
#include "fashn_poll.h"
#include "../base/textsafe.h"

fashn_job *fashn_resume(fashn_client *c, const char *inputs_json, size_t len, const char *id,
                        const fashn_job_opts *o, char *errbuf, size_t errlen) {
  char field[64];
  if (!id || !fashn_id_usable(c, id, strlen(id))) {
    snprintf(errbuf, errlen, "the journal's prediction id is not one the API could have sent");
    return NULL;
  }
  if (c->cfg.dry_run) {
    snprintf(errbuf, errlen, "a dry run polls nothing");
    return NULL;
  }
  fashn_job *j = fashn_job_alloc(c, inputs_json, len, o, field, sizeof field, errbuf, errlen);
  if (!j) return NULL;
  if (!(j->id = strdup(id))) {
    snprintf(errbuf, errlen, "out of memory");
    j->hooks.release = NULL; /* NULL returned: the caller keeps what the hooks own */
    fashn_job_unref(j);
    return NULL;
  }
  c->st.jobs++;
  j->refs = 2; /* the caller's and the client's, as for fashn_submit */
  j->resumed = true;
  double now = loop_now();
  j->t_submit = j->t_accepted = now;
  j->deadline = now + j->timeout;
  j->state = FASHN_JOB_RUNNING;
  snprintf(j->status, sizeof j->status, "resumed");
  c->inflight++; /* an unfinished prediction holds a slot, whoever submitted it */
  c->reserved += j->facts.credits;
  j->reserved = true;
  j->next = c->jobs;
  if (c->jobs) c->jobs->prev = j;
  c->jobs = j;
  fashn_emit(c, FASHN_EV_SUBMITTED, j, j->id);
  j->poll.next_due = now; /* it may have finished long ago: look at once */
  fashn_poll_schedule(c);
  return j;
}

fashn_job *fashn_job_stored(fashn_client *c, const char *model, const char *inputs_json, size_t len,
                            const char *id, const fashn_output *outs, int n, const fashn_error *e,
                            char *errbuf, size_t errlen) {
  char field[64];
  if (outs && (n < 1 || n > FASHN_MAX_OUTPUTS)) {
    snprintf(errbuf, errlen, "a stored job needs 1 to %d outputs", FASHN_MAX_OUTPUTS);
    return NULL;
  }
  fashn_job_opts o = {.model = model, .retry_unknown = -1};
  fashn_job *j = fashn_job_alloc(c, inputs_json, len, &o, field, sizeof field, errbuf, errlen);
  if (!j) return NULL;
  j->c = NULL; /* in no list of the client: over before it starts */
  j->t_done = j->t_queued;
  if (id && !(j->id = strdup(id))) goto oom;
  if (outs) {
    j->cached = true;
    j->credits = 0;
    for (int i = 0; i < n; i++) {
      fashn_out *o = &j->fetch.outs[i];
      j->fetch.nouts = i + 1;
      if (!(o->bytes = malloc(outs[i].len ? outs[i].len : 1))) goto oom;
      memcpy(o->bytes, outs[i].bytes, outs[i].len);
      o->len = outs[i].len;
      snprintf(o->format, sizeof o->format, "%s", outs[i].format ? outs[i].format : "unknown");
      if (outs[i].source && strncmp(outs[i].source, "data:", 5) != 0 &&
          !(o->source = strdup(outs[i].source)))
        goto oom;
      o->have = true;
    }
    j->fetch.fetched = n;
    j->state = FASHN_JOB_DONE;
    snprintf(j->status, sizeof j->status, "completed");
    /* a job of this run all the same: counted done (progress, summary, stats) */
    c->st.jobs++;
    c->st.done++;
    c->st.cached++;
    fashn_emit(c, FASHN_EV_COMPLETED, j, "from the journal");
  } else {
    /* Journal text (a file, written by any earlier version): escaped and redacted as
     * fashn_fail does for what the server says now. */
    char *name = http_redact_dup(e && e->name ? e->name : "Error", c->api_key);
    char *msg = http_redact_dup(e && e->message ? e->message : "", c->api_key);
    j->err_name = text_escape_dup(name);
    j->err_message = text_escape_dup(msg);
    free(name);
    free(msg);
    if (!j->err_name || !j->err_message) goto oom;
    fashn_status_sanitize(j->err_name);
    j->err_http = e ? e->http_status : 0;
    j->err_retryable = e ? e->retryable : false;
    j->state = FASHN_JOB_FAILED;
    snprintf(j->status, sizeof j->status, "failed");
  }
  return j;
oom:
  snprintf(errbuf, errlen, "out of memory");
  fashn_job_unref(j);
  return NULL;
}

bool fashn_job_cached(const fashn_job *j) { return j->cached; }
bool fashn_job_sent(const fashn_job *j) { return j->t_submit > 0 || j->resumed || j->cached || j->id; }
