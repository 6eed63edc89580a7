/* fashn_int.h — the job core: a job's identity and state, the parts each stage of its
 * life keeps, the client, and the functions fashn.c (the state machine) offers the stages.
 *
 * A job's life: QUEUED -> SUBMITTING (fashn_submit.c) -> RUNNING (fashn_poll.c) ->
 * FETCHING (fashn_fetch.c) -> DONE, or FAILED from anywhere. fashn.c moves a job from one
 * state to the next and calls each stage's entry points (fashn_submit.h, fashn_poll.h,
 * fashn_fetch.h); a stage reports back only through the functions below, never by calling
 * another stage. Each stage reads and writes the core fields and its own part of the job.
 * fashn_info.c (reading a job) and fashn_stored.c (jobs rebuilt from the journal) may touch
 * every part. Not for use outside runtime/fashn/. */
#ifndef ATELIER_FASHN_INT_H
#define ATELIER_FASHN_INT_H

#include "../base/buf.h"
#include "fashn.h"
#include "../api/fashn_inputs.h"
#include "fashn_status.h"
#include "../io/http.h"
#include "pollplan.h"
#include "eta.h"
#include "../io/ratelimit.h"


/* fashn_submit.c's part: the state of the POST /v1/run attempts. */
typedef struct fashn_submit_part {
  int unknown_resends;                     /* resends after unknown outcomes (retry_unknown) */
  char refused_name[64], refused_msg[400]; /* hooks.sending said no */
} fashn_submit_part;

/* fashn_poll.c's part: when to look next and what the looks so far said. */
typedef struct fashn_poll_part {
  double next_due;     /* absolute time of the next poll */
  double lo_age;       /* age of the last poll that saw it unfinished (0 = none) */
  int polls, poll_failures, not_found, null_outputs;
  int bad_answers, bad_same; /* unreadable status answers in a row; identical ones in a row */
  uint64_t bad_hash;         /* of the last unreadable answer */
  int resubmits;       /* prediction retries after a retryable failure */
} fashn_poll_part;

typedef struct fashn_out {
  unsigned char *bytes;
  size_t len;
  char format[8];
  char *source;        /* URL, or NULL for data: outputs */
  http_req *req;       /* download in progress */
  bool have;
} fashn_out;

/* fashn_fetch.c's part: the outputs, fetched or on their way. */
typedef struct fashn_fetch_part {
  fashn_out outs[FASHN_MAX_OUTPUTS];
  int nouts, fetched;
} fashn_fetch_part;

struct fashn_job {
  /* identity: fixed when the job is made */
  fashn_client *c;     /* NULL once detached (client freed) */
  int refs;
  long seq;
  char *inputs;        /* inputs JSON */
  char *body;          /* POST /v1/run body */
  size_t body_len;
  fashn_input_facts facts;
  int cls;             /* pollplan class */
  bool retry_unknown;
  double timeout;
  bool rebuy_if_gone;    /* fashn_job_opts.rebuy_if_gone */
  fashn_job_hooks hooks; /* the journal's; zero = none */

  /* state: where the job is in its life */
  fashn_job_state state;
  char status[24];     /* last status word shown to users */
  char *id;
  double t_queued, t_submit, t_accepted, t_noticed, t_done, deadline;
  double t_slot;       /* when it first took a concurrency slot (the ETA's clock) */
  bool reserved;       /* credits counted in c->reserved */
  int credits;         /* charged, or -1 until known */
  bool dry;
  bool resumed;          /* polled by an id from an earlier run: not a timing sample */
  bool cached;           /* served from the journal (fashn_job_stored) */
  http_req *req;       /* the submit or poll request in flight */
  loop_timer timer;    /* resubmission delay */

  /* failure */
  char *err_name, *err_message;
  int err_http;
  bool err_retryable;

  void (*on_done)(fashn_job *, void *);
  void *on_done_ud;

  fashn_job *prev, *next;   /* c->jobs: every unfinished job */
  fashn_job *qnext;         /* c->queue: waiting to be submitted */

  /* each stage's own */
  fashn_submit_part submit;
  fashn_poll_part poll;
  fashn_fetch_part fetch;
};

struct fashn_client {
  loop *lp;
  fashn_config cfg;
  char *base_url, *api_key, *cainfo; /* owned copies behind cfg's pointers */
  http_client *http;
  ratelimit run_rl, status_rl, credits_rl;
  pollplan plan;
  eta_model eta;                     /* what finished jobs took, for the ETA */
  loop_timer dispatch_timer, poll_timer;
  fashn_job *jobs;                   /* unfinished */
  fashn_job *qhead, *qtail;
  int nqueued;                       /* jobs in that queue (max_queued caps it) */
  int inflight;                      /* submitting + running */
  double ghost_until[16];            /* slots held after unknown outcomes, until these times */
  long reserved, spent;
  bool out_of_credits;
  bool dispatching;                  /* guards fashn_dispatch against re-entry */
  long seq;
  fashn_stats st;
  double started;
};

/* ---- fashn.c: the client and the state machine, for the stages and the readers ---- */

/* Checks inputs_json and allocates a job for it (one reference, in no list). NULL with
 * field / errbuf filled. */
/* The poll-plan class of a job of model m (fashn.c). */
int fashn_plan_class(const fashn_model *m, bool face, int resolution_k);

fashn_job *fashn_job_alloc(fashn_client *c, const char *inputs_json, size_t len, const fashn_job_opts *o,
                           char *field, size_t fieldlen, char *errbuf, size_t errlen);
void fashn_emit(fashn_client *c, fashn_event_kind kind, const fashn_job *j, const char *text);
void fashn_notice(fashn_client *c, const fashn_job *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fashn_redact(const fashn_client *c, char *s, size_t cap);
void fashn_count_result(fashn_client *c, const http_result *r); /* the client's HTTP counters */
void fashn_hold_ghost_slot(fashn_job *j);   /* an unknown outcome may hold a server slot */
/* fashn_id_valid, and the id does not carry the API key (a key in a URL path and in the
 * journal is a key leaked): the test for every id the API sends. */
bool fashn_id_usable(const fashn_client *c, const char *id, size_t len);

/* What a stage reports. Each moves the job on (or ends it). */
/* submit: the API accepted the job and j->id is set: RUNNING, polled from now on. */
void fashn_job_accepted(fashn_job *j);
/* poll: the prediction completed with this output list: the slot is free, FETCHING. */
void fashn_job_completed(fashn_job *j, const json_value *output);
/* submit or poll: send it again after delay seconds (SUBMITTING). */
void fashn_resubmit_later(fashn_job *j, double delay);
/* A prediction the API no longer has (or whose outputs expired): true when the job was
 * resumed to fetch lost images again and is now submitted anew instead of failing. */
bool fashn_rebuy_gone(fashn_job *j, const char *why);
/* fetch: all outputs in hand: DONE. */
void fashn_finish(fashn_job *j);
/* any stage: FAILED with this error. */
void fashn_fail(fashn_job *j, const char *name, int http_status, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
