/* emu_internal.h — the types the fashn-emu files share: the emulator, its predictions,
 * rate windows, fault dice and counters. Not for use outside runtime/emu/.
 *
 * Threads: libmicrohttpd runs one thread per connection (handlers in api.c), an engine
 * thread advances predictions and delivers webhooks (predictions.c), render workers
 * draw and encode outputs (worker.c). Everything mutable below is guarded by emu.mu
 * unless a comment says otherwise. */
#ifndef ATELIER_EMU_INTERNAL_H
#define ATELIER_EMU_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "emu.h"

/* Monotonic seconds. */
double emu_now(void);

/* 64-bit mixing for deterministic choices (splitmix64 finaliser and FNV-1a). */
uint64_t emu_mix(uint64_t x);
uint64_t emu_hash(const void *data, size_t len, uint64_t h);
#define EMU_HASH_INIT 0xcbf29ce484222325ULL

/* ---- endpoints, faults (faults.c) ------------------------------------------------ */

typedef enum { EP_RUN, EP_STATUS, EP_CREDITS, EP_CDN, EP_OTHER, EP_COUNT } emu_endpoint;

typedef enum {
  FK_DROP,      /* close the connection instead of answering */
  FK_DROP_WHEN, /* before or after the body was read (extra dice, always rolled) */
  FK_HTTP500,
  FK_MALFORMED,
  FK_TRUNCATE,
  FK_FAIL,
  FK_STUCK,
  /* Added later: new kinds go last, so each kind's dice sequence stays what it was. */
  FK_HTTP429,
  FK_SLOW,
  FK_EXPIRED,
  FK_COUNT
} emu_fault_kind;

/* --drop-when and --malformed-kind. */
typedef enum { EMU_EITHER, EMU_BEFORE_OR_GARBAGE, EMU_AFTER_OR_TRUNCATED } emu_fault_variant;

typedef struct emu_faults {
  uint64_t seed;
  unsigned endpoints; /* bit per emu_endpoint */
  char **fail_names;  /* at least one */
  size_t nfail;
  const char *http429_name; /* static: one of the three 429 names */
  emu_fault_variant drop_when, malformed_kind;
  uint64_t counters[FK_COUNT]; /* guarded by emu.mu */
} emu_faults;

bool emu_faults_init(emu_faults *f, const emu_config *c, char *err, size_t errlen);
void emu_faults_free(emu_faults *f);
/* Next decision of kind k (caller holds emu.mu): true with probability rate; *bits gets
 * further random bits for the caller's sub-choices (may be NULL). */
bool emu_fault_roll(emu_faults *f, emu_fault_kind k, double rate, uint64_t *bits);
bool emu_fault_endpoint(const emu_faults *f, emu_endpoint ep);

/* ---- rate windows (limits.c) ------------------------------------------------------- */

typedef struct emu_window {
  int limit;       /* 0 = unlimited */
  double window;   /* seconds */
  double *stamps;  /* ring of the last `limit` admitted request times */
  size_t head, count;
} emu_window;

bool emu_window_init(emu_window *w, int limit, double window);
void emu_window_free(emu_window *w);
/* Admits a request at `now` (and records it) or refuses it, setting *retry_after to the
 * seconds until a slot frees. */
bool emu_window_admit(emu_window *w, double now, double *retry_after);

/* ---- counters (counts.c; stats.c reports them) ------------------------------------ */

#define EMU_NAMED_MAX 24
typedef struct emu_named {
  char name[40];
  int64_t n;
} emu_named;

typedef struct emu_counts {
  emu_named items[EMU_NAMED_MAX];
  size_t n;
} emu_counts;

void emu_count(emu_counts *c, const char *name, int64_t by);

typedef struct emu_stats {
  int64_t run_accepted;
  emu_counts run_refused;  /* error name -> count */
  int64_t status_requests, credits_requests, downloads, download_bytes;
  int64_t credits_charged, credits_refunded;
  emu_counts predictions;  /* final status -> count */
  int64_t peak_concurrency;
  emu_counts rate_limited; /* endpoint -> count */
  emu_counts faults;       /* fault -> count */
  int64_t webhooks_sent, webhooks_failed;
  int64_t renders, render_errors;
} emu_stats;

/* ---- predictions ------------------------------------------------------------------- */

typedef enum { ST_STARTING, ST_IN_QUEUE, ST_PROCESSING, ST_COMPLETED, ST_FAILED } emu_status;
const char *emu_status_name(emu_status s);

/* An image input as it arrived: the field it came in and the URL, data: URI or (for
 * fields that take one) "saved:<name>". */
#define EMU_MAX_INPUT_IMAGES 6
typedef struct emu_image_input {
  const char *field; /* static: the model description's field name */
  char *ref;         /* owned copy */
  size_t len;
} emu_image_input;

/* Validated inputs of any model (validate.c), checked against its description in
 * runtime/api/fashn_models.h. Strings are owned copies; what a renderer does not use is
 * not kept. */
typedef struct emu_inputs {
  const struct fashn_model *model;
  char *prompt;       /* NULL when the model has none or it was not given */
  size_t prompt_len;
  int aspect;         /* index into the aspect table; -1 = not given */
  int res;            /* 1, 2 or 4 (k); 1 for models without resolution */
  uint32_t seed;
  int num_images;     /* outputs: num_images or num_samples, 1..4; 1 for the others */
  bool jpeg;
  bool video;         /* image-to-video: one MP4 */
  bool base64;
  bool match_base;    /* face_reference_mode */
  bool face;          /* face_reference given (priced and timed) */
  const char *generation_mode; /* static text, NULL when not given (priced by fashn_models) */
  int duration;       /* image-to-video seconds (5 or 10) */
  int credits;        /* fashn_model_credits for these inputs */
  double seconds;     /* fashn_model_seconds: the contract's typical time (before scaling) */
  emu_image_input images[EMU_MAX_INPUT_IMAGES];
  int nimages;
} emu_inputs;

/* The image given in field (its emu_image_input), or NULL. */
const emu_image_input *emu_input_image(const emu_inputs *in, const char *field);

/* Parses and validates a POST /v1/run body. False with msg naming the field otherwise. */
bool emu_parse_run(const char *body, size_t len, emu_inputs *out, char *msg, size_t msglen);
void emu_inputs_free(emu_inputs *in);
/* The MIME type and file extension of the outputs ("image/png", "png"; "video/mp4", "mp4"). */
void emu_output_type(const emu_inputs *in, const char **mime, const char **ext);
int emu_credit_cost(const emu_inputs *in);

typedef enum { RS_QUEUED, RS_RUNNING, RS_DONE, RS_FAILED } emu_render_state;

#define EMU_MAX_IMAGES 4

typedef struct emu_pred {
  char id[48];
  emu_inputs in;          /* immutable after creation: workers read it unlocked */
  double created, t_in_queue, t_processing, t_due; /* t_due = INFINITY when stuck */
  int64_t cost;
  const char *fail_name;  /* injected failure (points into emu.faults), NULL = none */
  bool expired;           /* injected: base64 outputs read as expired from the start */
  char *webhook_url;      /* NULL = none */
  /* Set by a render worker (under mu once finished). */
  emu_render_state render;
  const char *render_error_name; /* static: ImageLoadError, or InternalServerError */
  char render_error[256];
  int width, height;
  buf outputs[EMU_MAX_IMAGES];
  /* What arrived in each image input (in.images order): the encoded size and the decoded
   * header, so tests can see what a client really sent. */
  struct { size_t bytes; int width, height; char format[8]; } refs[EMU_MAX_INPUT_IMAGES];
  /* Status requests answered for it, and when the first came (seconds after creation):
   * tests see how a client planned its polls. */
  int polls;
  double first_poll;
  /* Terminal state, set once by emu_advance. */
  bool finished;
  emu_status final;
  double finished_at;
  char error_name[48];
  char error_message[256];
  /* Links. */
  struct emu_pred *hnext;               /* id hash chain */
  struct emu_pred *next, *prev;         /* every prediction, creation order */
  struct emu_pred *unext, *uprev;       /* unfinished ones */
  struct emu_pred *qnext;               /* render queue */
} emu_pred;

typedef struct emu_webhook {
  char *url;
  buf body;
  struct emu_webhook *next;
} emu_webhook;

#define EMU_BUCKETS 1024

struct emu {
  emu_config cfg;       /* strings below are the emulator's own copies */
  char *api_key, *fail_names, *fault_endpoints, *http429_name, *drop_when, *malformed_kind;
  buf output_file;      /* --output-file's bytes (empty = render) */
  buf status_body;      /* --status-body's bytes (empty = real answers) */
  buf run_body;         /* --run-body's bytes (empty = real answers) */
  char *fail_message, *echo_key;
  buf tls_cert, tls_key; /* PEM, NUL-terminated (empty = plain HTTP) */
  struct MHD_Daemon *daemon;
  int port;
  char url[64];

  pthread_mutex_t mu;
  pthread_cond_t engine_cv; /* engine: something finished rendering, a webhook, stop */
  pthread_cond_t render_cv; /* workers: queue not empty, stop */
  bool stopping;

  emu_pred *buckets[EMU_BUCKETS];
  emu_pred *first, *last;
  emu_pred *ufirst;
  size_t unfinished;
  emu_pred *rq_head, *rq_tail;
  emu_webhook *wh_head, *wh_tail;
  emu_webhook *inbox;      /* bodies POSTed to /_emu/inbox, newest first */
  size_t ninbox;
  int64_t balance;
  uint64_t id_counter;

  emu_window win[EP_COUNT];
  emu_faults faults;
  emu_stats stats;

  pthread_t engine;
  bool engine_started;
  pthread_t *workers;
  int nworkers;
};

/* predictions.c (callers hold mu unless noted) */
emu_pred *emu_pred_find(emu *e, const char *id);
/* Takes ownership of *in (zeroed on return) and of webhook_url. */
emu_pred *emu_pred_create(emu *e, emu_inputs *in, char *webhook_url, double now);
/* Moves every unfinished prediction forward to `now`; finalises the due ones. */
void emu_advance(emu *e, double now);
emu_status emu_pred_status(const emu_pred *p, double now);
/* Seconds until some unfinished prediction may finish (for Retry-After), >= 0. */
double emu_next_finish(const emu *e, double now);
void emu_base64_ttl(const emu *e, double *ttl);
bool emu_engine_start(emu *e, char *err, size_t errlen);
void emu_engine_join(emu *e);
void emu_preds_free(emu *e);
/* Appends the status body of p (as GET /v1/status and webhooks send it). */
void emu_pred_json(emu *e, emu_pred *p, double now, buf *out);

/* worker.c */
bool emu_workers_start(emu *e, char *err, size_t errlen);
void emu_workers_join(emu *e);
/* Queues p for rendering (caller holds mu). */
void emu_render_enqueue(emu *e, emu_pred *p);

/* render.c: one emulated picture. */
typedef struct emu_scene {
  const char *prompt;
  size_t prompt_len;
  uint32_t seed;
  int index, count;          /* this image, of how many */
  const char *aspect;        /* label only */
  int res;                   /* 1, 2, 4 (label only) */
  uint64_t ref_hash;         /* of the image_reference pixels; 0 = none */
  const unsigned char *face; /* RGBA face_reference pixels, NULL = none */
  int face_w, face_h;
  bool match_base;
  const char *mark;          /* the banner's word: "EMULATED" or "DRY RUN" */
} emu_scene;

/* Draws the picture into a fresh w*h*4 RGBA buffer (the caller frees it); NULL when out
 * of memory or the size is unusable. */
unsigned char *emu_render(const emu_scene *s, int w, int h);

/* render_models.c: the placeholder outputs of the other models, each showing what the
 * model did to its inputs (runtime/emu/README in fashn-emu --help has the list). */
typedef struct emu_picture {
  const unsigned char *rgba; /* decoded RGBA, NULL = not given */
  int w, h;
} emu_picture;

typedef struct emu_model_scene {
  const char *model;         /* the model's name: picks the renderer */
  const char *prompt;        /* NULL = none */
  size_t prompt_len;
  uint32_t seed;
  int index, count;          /* this output, of how many */
  const char *aspect;        /* the output's ratio (label) */
  int res;                   /* 1, 2, 4 (label) */
  emu_picture main;          /* the picture worked on: model_image, image, product_image, face_image */
  emu_picture garment;       /* try-on's product_image / garment_image, product-to-model's product */
  emu_picture face;          /* face_reference */
  emu_picture extra;         /* a further reference shown as a thumbnail (image_context, ...) */
  const char *extra_label;   /* its field name */
  const char *from_aspect;   /* reframe: the input's closest ratio */
  bool match_base;
  const char *mark;          /* the banner's word: "EMULATED" (NULL) or "DRY RUN" */
} emu_model_scene;

/* Draws output s->index of the scene into a fresh w*h*4 RGBA buffer (straight alpha;
 * transparent only for background-remove); NULL when out of memory or the size is
 * unusable. Pure: the same scene gives the same pixels. */
unsigned char *emu_render_model(const emu_model_scene *s, int w, int h);

/* Frame `frame` of `frames` of image-to-video's clip: a slow zoom into s->main. */
unsigned char *emu_render_video_frame(const emu_model_scene *s, int w, int h, int frame, int frames);

/* Where try-on puts the product on a w x h model image: the torso, a box of bw x bh
 * with its top-left corner at (x, y). */
void emu_torso_box(int w, int h, int *x, int *y, int *bw, int *bh);

/* fetch.c: loopback-only HTTP with libcurl. */
bool emu_is_loopback_url(const char *url);
/* GET url into out (at most max bytes); the Content-Type must be image/. */
bool emu_fetch_image(const char *url, size_t max, buf *out, char *err, size_t errlen);
/* POST a JSON body; true on a 2xx answer. */
bool emu_post_json(const char *url, const char *body, size_t len, char *err, size_t errlen);

/* stats.c */
void emu_stats_write(emu *e, buf *out); /* caller holds mu */
/* GET /_emu/predictions: every prediction kept, oldest first (caller holds mu). */
void emu_predictions_write(emu *e, double now, buf *out);

/* api.c: one request, already read. */
typedef struct emu_request {
  const char *method;
  const char *path;
  const char *auth;        /* Authorization header or NULL */
  const char *webhook_url; /* ?webhook_url= or NULL */
  const char *body;
  size_t body_len;
  bool oversized;
  emu_endpoint ep;
} emu_request;

typedef struct emu_reply {
  int status;
  const char *content_type;
  buf body;
  char retry_after[24];
  char credits_used[24];
  const char *error_name; /* the error an error answer carries (static), NULL otherwise */
  bool json;     /* a JSON answer (the malformed fault may garble it) */
  bool download; /* an image (the truncate fault may cut it) */
} emu_reply;

emu_endpoint emu_route(const char *method, const char *path);
void emu_handle(emu *e, const emu_request *rq, emu_reply *rp);
void emu_reply_error(emu_reply *rp, int status, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
