/* fashn.h — the FASHN API client: a local queue of Model Create jobs that flow through
 * the account's limits (at most `concurrency` unfinished predictions, paced /v1/run and
 * /v1/status budgets shared by every job), submit, poll, fetch outputs, count credits.
 * It never submits a job twice unless told to: a submit whose outcome is unknown fails
 * with SubmitOutcomeUnknown. Everything runs on the event loop; nothing blocks. */
#ifndef ATELIER_FASHN_H
#define ATELIER_FASHN_H

#include <stdbool.h>
#include <stddef.h>

#include "../io/loop.h"

typedef struct fashn_client fashn_client;
typedef struct fashn_job fashn_job;

typedef enum {
  FASHN_EV_QUEUED,    /* a job entered the local queue */
  FASHN_EV_SUBMITTED, /* the API accepted it (an id is known) */
  FASHN_EV_COMPLETED, /* its outputs are in hand */
  FASHN_EV_FAILED,    /* it ended in failure (error in fashn_job_error) */
  FASHN_EV_NOTICE,    /* something worth a log line (retry, rate limit, ...) */
  FASHN_EV_DRY_RUN,   /* no longer emitted: a dry run's jobs run on its rehearsal server
                         (backend.h) and its plan is the bindings' (fashn_plan.h) */
} fashn_event_kind;

typedef struct fashn_event {
  fashn_event_kind kind;
  const fashn_job *job; /* NULL for client-wide notices */
  const char *text;     /* free of secrets */
} fashn_event;

typedef struct fashn_config {
  const char *base_url;       /* e.g. "https://api.fashn.ai" (no trailing slash needed) */
  const char *api_key;        /* secret; NULL = no Authorization header */
  const char *cainfo;         /* CA bundle, NULL = system */
  int concurrency;            /* unfinished predictions at once (6) */
  int run_limit;              /* POST /v1/run per run_window (48 of the API's 50 / 60 s) */
  double run_window;
  int status_limit;           /* GET /v1/status per status_window (45 of 50 / 10 s) */
  double status_window;
  double status_rate;         /* steady polls per second (4.5) */
  int credits_limit;          /* GET /v1/credits per credits_window (25 of 30 / 10 s) */
  double credits_window;
  double time_scale;          /* multiplies the expected processing times (emulators) */
  double poll_min_interval;   /* seconds between two polls of one job, at least (0.1) */
  double poll_max_interval;   /* ... at most once it is due (0.8) */
  double timeout;             /* seconds from submit to giving up on a job (900) */
  double request_timeout;     /* seconds per API request attempt (30) */
  double download_timeout;    /* seconds per output download attempt (300) */
  double connect_timeout;     /* seconds (10) */
  size_t max_output_bytes;    /* per image (64 MiB); a larger output is refused unread */
  int max_queued;             /* jobs waiting in the local queue at most (10000); one more
                                 is refused (QueueFull) rather than growing without bound */
  bool retry_unknown;         /* default for jobs: resubmit after an unknown outcome */
  int retry_failed;           /* resubmissions of predictions that failed with a name the
                                 contract calls worth a retry (1); they cost nothing */
  long max_credits;           /* refuse to submit beyond this (counting in-flight); <0 = no cap */
  bool dry_run;               /* a rehearsal (backend.h): jobs are marked dry (placeholders,
                                 nothing bought), the credit cap is left to the plan */
  void (*on_event)(void *ud, const fashn_event *ev);
  void *event_ud;
  /* Asked before each submission: true = submit nothing more (Ctrl-C); queued jobs then
   * fail with "Interrupted" while those in flight finish. NULL = never. */
  bool (*stop_submitting)(void);
} fashn_config;

/* Fills c with the defaults above. */
void fashn_config_defaults(fashn_config *c);

/* Creates a client on lp (strings are copied). NULL with errbuf on failure. */
fashn_client *fashn_client_new(loop *lp, const fashn_config *cfg, char *errbuf, size_t errlen);
/* Cancels every request, detaches every job (they stay readable until unref'd). */
void fashn_client_free(fashn_client *c);

/* Adjusts settings while running (concurrency, polling, timeouts, retry_unknown,
 * max_credits). Connection settings (base_url, key) are fixed at creation. */
void fashn_client_reconfigure(fashn_client *c, const fashn_config *cfg);
const fashn_config *fashn_client_config(const fashn_client *c);

struct fashn_job_hooks;

typedef struct fashn_job_opts {
  const char *model;  /* the model's name (runtime/api/fashn_models.h); NULL = model-create */
  int retry_unknown;  /* -1 = the client's default, 0 = no, 1 = yes */
  double timeout;     /* <= 0 = the client's default */
  const struct fashn_job_hooks *hooks; /* the journal's (copied); NULL = none */
  bool rebuy_if_gone; /* fashn_resume of a prediction whose stored images were lost: if
                         the API no longer has it or its outputs, submit it again */
  bool journal_holds; /* a dry run's job the journal already completed: rehearsed for
                         its placeholders, but priced 0, cached, outside the credit cap */
} fashn_job_opts;

/* True (errbuf says so, naming the cap) when max_queued jobs already wait in the local
 * queue: fashn_submit would refuse one more. Callers check first to report QueueFull. */
bool fashn_queue_full(const fashn_client *c, char *errbuf, size_t errlen);

/* Queues a job of o->model (Model Create by default). inputs_json is the inputs object with image references
 * already turned into URLs or data: URIs. Checks every input rule first: on a
 * violation (or a full queue) returns NULL with field and message filled and nothing
 * queued.
 * The returned job holds one reference for the caller (fashn_job_unref). */
fashn_job *fashn_submit(fashn_client *c, const char *inputs_json, size_t len,
                        const fashn_job_opts *o, char *field, size_t fieldlen, char *errbuf,
                        size_t errlen);

typedef enum {
  FASHN_JOB_QUEUED,     /* waiting locally for a slot, the run budget or the credit cap */
  FASHN_JOB_SUBMITTING, /* POST /v1/run in progress (or waiting to be retried) */
  FASHN_JOB_RUNNING,    /* accepted; being polled */
  FASHN_JOB_FETCHING,   /* completed; outputs being downloaded / decoded */
  FASHN_JOB_DONE,       /* outputs in hand */
  FASHN_JOB_FAILED,     /* see fashn_job_error */
} fashn_job_state;

/* What a failure says is stored safe, not raw: the server's text is data, and this is
 * what error tables, the journal and progress lines carry. So name is [A-Za-z0-9_] only
 * and message is escaped (textsafe.h); both have the API key redacted. */
typedef struct fashn_error {
  const char *name;     /* API error name or a runtime one (SubmitOutcomeUnknown, ...) */
  const char *message;  /* free of secrets and of control bytes */
  int http_status;      /* 0 when none */
  bool retryable;
} fashn_error;

/* How long the API serves an output at its URL after the prediction completed. */
#define FASHN_OUTPUT_URL_TTL (72 * 3600.0)

typedef struct fashn_output {
  const unsigned char *bytes;
  size_t len;
  const char *format;   /* "png", "jpeg", "webp" or "mp4" (sniffed from the bytes) */
  const char *source;   /* the URL it came from, or "data:" for base64 outputs */
} fashn_output;

/* What a journal hears about a job, each at the moment it happens, on the loop
 * (runtime/journal/jobrecord.h turns them into durable records). Every member is optional. */
typedef struct fashn_job_hooks {
  /* Right before an attempt of POST /v1/run may leave. false: it is not sent, and the
   * job fails with the name and message written (nothing could be recorded, Ctrl-C). */
  bool (*sending)(void *ud, char *name, size_t namelen, char *msg, size_t msglen);
  /* That attempt certainly created nothing (never connected, or refused with no id). */
  void (*not_created)(void *ud);
  /* The API accepted the job: its prediction id, the moment it is known. */
  void (*accepted)(void *ud, const char *id);
  /* Output i is in hand and complete, as it arrives (before the job ends). */
  void (*output)(void *ud, int i, const fashn_output *o);
  /* The job ended (DONE, or FAILED: fashn_job_error), before on_done runs. */
  void (*ended)(void *ud, const fashn_job *j);
  /* The job is being freed: ud can go. (A function that returns no job took nothing:
   * the caller still owns ud.) */
  void (*release)(void *ud);
  void *ud;
} fashn_job_hooks;

/* Continues a prediction an earlier run submitted (the journal kept its id): the job
 * starts RUNNING and is polled at once, then fetched like any other; nothing is sent
 * to /v1/run unless the prediction fails with a retry-worthy error (then inputs_json,
 * which must be the real inputs, is submitted like a fresh job). It holds a slot of the
 * concurrency limit like any unfinished prediction. NULL with errbuf on bad inputs. */
fashn_job *fashn_resume(fashn_client *c, const char *inputs_json, size_t len, const char *id,
                        const fashn_job_opts *o, char *errbuf, size_t errlen);

/* A job that is already over, from the journal, sending nothing (model as in
 * fashn_job_opts): DONE with copies of
 * outs (no credit spent now: fashn_job_credits is 0 and fashn_job_cached true), or,
 * with outs NULL, FAILED with error e. The caller holds the only reference. */
fashn_job *fashn_job_stored(fashn_client *c, const char *model, const char *inputs_json, size_t len,
                            const char *id, const fashn_output *outs, int n, const fashn_error *e,
                            char *errbuf, size_t errlen);
bool fashn_job_cached(const fashn_job *j);
/* True once the job's POST /v1/run was sent (or it was resumed by an id): false for one
 * that ended before it (interrupted, over the credit cap, refused by the journal). */
bool fashn_job_sent(const fashn_job *j);

void fashn_job_ref(fashn_job *j);
void fashn_job_unref(fashn_job *j);

/* Called once, on the loop, when the job reaches DONE or FAILED. Never calls Lua by
 * itself: a binding uses it to wake waiting tasks. */
void fashn_job_on_done(fashn_job *j, void (*cb)(fashn_job *j, void *ud), void *ud);

fashn_job_state fashn_job_state_of(const fashn_job *j);
const char *fashn_job_status(const fashn_job *j); /* "queued", ..., or the API's last status */
const char *fashn_job_id(const fashn_job *j);      /* NULL until accepted */
const char *fashn_job_inputs(const fashn_job *j);  /* the inputs JSON as submitted */
const char *fashn_job_model(const fashn_job *j);   /* its model's name */
bool fashn_job_error(const fashn_job *j, fashn_error *out);
int fashn_job_credits(const fashn_job *j);         /* charged (header), or the estimate */
int fashn_job_estimated_credits(const fashn_job *j);
double fashn_job_elapsed(const fashn_job *j);      /* seconds from queued to finished (or now) */
/* When things happened, in seconds since the job was queued (-1 = not yet / never):
 * the first submit attempt, the id known, the completed status seen, the end. */
typedef struct fashn_times {
  double submitted, accepted, noticed, done;
} fashn_times;
void fashn_job_times(const fashn_job *j, fashn_times *out);
int fashn_job_outputs(const fashn_job *j);
bool fashn_job_output(const fashn_job *j, int i, fashn_output *out);
/* Frees the output bytes once the caller has its own copy. */
void fashn_job_release_outputs(fashn_job *j);
bool fashn_job_dry(const fashn_job *j);

/* GET /v1/credits. cb gets ok=false with err filled on failure. */
typedef struct fashn_balance {
  double total, subscription, on_demand;
} fashn_balance;
typedef void (*fashn_credits_fn)(void *ud, bool ok, const fashn_balance *b, const fashn_error *err);
bool fashn_credits(fashn_client *c, fashn_credits_fn cb, void *ud);

typedef struct fashn_stats {
  long queued, submitting, running, fetching, done, failed; /* jobs by state now */
  long jobs;                  /* jobs ever submitted to this client, or served from the journal */
  long cached;                /* of done: served from the journal (fashn_job_stored), nothing sent */
  long not_submitted;         /* of failed: ended before their request was ever sent */
  long run_requests, status_requests, credits_requests, downloads;
  long http_429, http_5xx, connection_errors, unknown_outcomes, retries;
  long credits_spent;         /* charged (or possibly charged: unknown outcomes) */
  long credits_reserved;      /* estimated cost of jobs in flight */
  long live_jobs;             /* job objects not yet freed (leak check) */
  long live_requests;         /* HTTP requests alive (leak check) */
  double expected_seconds;    /* current estimate for a plain 1k job */
  double eta;                 /* rough seconds until the queue drains */
} fashn_stats;
void fashn_client_stats(const fashn_client *c, fashn_stats *out);

/* Job objects alive in the whole process (leak check at exit). */
long fashn_live_jobs(void);

#endif
