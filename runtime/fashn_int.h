/* fashn_int.h — the client's insides, shared by fashn.c (queue, submit, life cycle),
 * fashn_poll.c (the shared status budget and who gets polled) and fashn_fetch.c
 * (outputs). Not for use outside those three files. */
#ifndef ATELIER_FASHN_INT_H
#define ATELIER_FASHN_INT_H

#include "buf.h"
#include "fashn.h"
#include "fashn_inputs.h"
#include "fashn_status.h"
#include "http.h"
#include "pollplan.h"
#include "ratelimit.h"


typedef struct fashn_out {
  unsigned char *bytes;
  size_t len;
  char format[8];
  char *source;        /* URL, or NULL for data: outputs */
  http_req *req;       /* download in progress */
  bool have;
} fashn_out;

struct fashn_job {
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
  int resubmits;       /* prediction retries after a retryable failure */
  int unknown_resends;
  bool dry;

  fashn_job_state state;
  char status[24];     /* last status word shown to users */
  char *id;
  double t_queued, t_submit, t_accepted, t_noticed, t_done, deadline;
  bool reserved;       /* credits counted in c->reserved */

  /* polling */
  double next_due;     /* absolute time of the next poll */
  double lo_age;       /* age of the last poll that saw it unfinished (0 = none) */
  int polls, poll_failures, not_found, null_outputs;
  int bad_answers, bad_same; /* unreadable status answers in a row; identical ones in a row */
  uint64_t bad_hash;         /* of the last unreadable answer */
  http_req *req;       /* submit or poll in flight */
  loop_timer timer;    /* resubmission delay */

  /* outputs */
  fashn_out outs[FASHN_MAX_OUTPUTS];
  int nouts, fetched;
  int credits;         /* charged, or -1 until known */

  /* failure */
  char *err_name, *err_message;
  int err_http;
  bool err_retryable;

  void (*on_done)(fashn_job *, void *);
  void *on_done_ud;

  fashn_job_hooks hooks; /* the journal's; zero = none */
  bool resumed;          /* polled by an id from an earlier run: not a timing sample */
  bool rebuy_if_gone;    /* fashn_job_opts.rebuy_if_gone */
  bool cached;           /* served from the journal (fashn_job_stored) */
  char refused_name[64], refused_msg[400]; /* hooks.sending said no */

  fashn_job *prev, *next;   /* c->jobs: every unfinished job */
  fashn_job *qnext;         /* c->queue: waiting to be submitted */
};

struct fashn_client {
  loop *lp;
  fashn_config cfg;
  char *base_url, *api_key, *cainfo; /* owned copies behind cfg's pointers */
  http_client *http;
  ratelimit run_rl, status_rl, credits_rl;
  pollplan plan;
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

/* fashn.c */
void fashn_count_live(int delta);           /* job objects alive (fashn_live_jobs) */
void fashn_dispatch_soon(fashn_client *c);  /* fashn_dispatch on the next turn */
void fashn_hold_ghost_slot(fashn_job *j);   /* an unknown outcome may hold a server slot */

/* fashn_submit.c */
void fashn_submit_start(fashn_job *j);      /* POST /v1/run, retried within the rules */
void fashn_count_result(fashn_client *c, const http_result *r);
bool fashn_count_possible_charge(fashn_job *j); /* false: the cap leaves no room to resend */

/* Checks inputs_json and allocates a job for it (one reference, in no list). NULL with
 * field / errbuf filled. */
fashn_job *fashn_job_alloc(fashn_client *c, const char *inputs_json, size_t len, const fashn_job_opts *o,
                           char *field, size_t fieldlen, char *errbuf, size_t errlen);
void fashn_emit(fashn_client *c, fashn_event_kind kind, const fashn_job *j, const char *text);
void fashn_fail(fashn_job *j, const char *name, int http_status, bool retryable, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void fashn_finish(fashn_job *j); /* all outputs in hand */
void fashn_notice(fashn_client *c, const fashn_job *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fashn_dispatch(fashn_client *c);
void fashn_release_slot(fashn_job *j); /* the prediction finished server-side */
void fashn_resubmit_later(fashn_job *j, double delay);
/* Parses {"error": "Name" | {"name","message"}, "message": ...}; false when not one. The
 * name and message are redacted of secret (the API key; NULL = none) before they are cut
 * to size; the name is kept to [A-Za-z0-9_] and the message escaped (textsafe.h). */
bool fashn_error_body(const buf *body, char *name, size_t namelen, char *msg, size_t msglen, const char *secret);
char *fashn_strdup(const char *s);
void fashn_redact(const fashn_client *c, char *s, size_t cap);
/* fashn_id_valid, and the id does not carry the API key (a key in a URL path and in the
 * journal is a key leaked): the test for every id the API sends. */
bool fashn_id_usable(const fashn_client *c, const char *id, size_t len);

/* fashn_poll.c */
void fashn_poll_schedule(fashn_client *c);         /* (re)arms the poll timer */
void fashn_poll_start_job(fashn_job *j);           /* an id is known */

/* fashn_fetch.c */
/* Drops whatever outputs were fetched (before the job is submitted again). */
void fashn_forget_outputs(fashn_job *j);
/* A prediction the API no longer has (or whose outputs expired): true when the job was
 * resumed to fetch lost images again and is now submitted anew instead of failing. */
bool fashn_rebuy_gone(fashn_job *j, const char *why);
void fashn_fetch_outputs(fashn_job *j, const json_value *output); /* status completed */
void fashn_cancel_fetches(fashn_job *j);

#endif
