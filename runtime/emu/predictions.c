/* predictions.c — the prediction store and its state machine: starting -> in_queue ->
 * processing -> completed | failed on the contract's (scaled) clock, credits reserved at
 * submission and refunded on failure, retention, and the engine thread that finalises
 * predictions on time and delivers webhooks. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../api/fashn_models.h"
#include "../base/json.h"
#include "emu_internal.h"

const char *emu_status_name(emu_status s) {
  static const char *names[] = {"starting", "in_queue", "processing", "completed", "failed"};
  return names[s];
}

static size_t bucket_of(const char *id) { return emu_hash(id, strlen(id), EMU_HASH_INIT) % EMU_BUCKETS; }

emu_pred *emu_pred_find(emu *e, const char *id) {
  for (emu_pred *p = e->buckets[bucket_of(id)]; p; p = p->hnext)
    if (!strcmp(p->id, id)) return p;
  return NULL;
}

/* Ids look like the service's (uuid + "-u1") and are random, so an emulator restarted
 * by a resuming client never answers an old id with somebody else's prediction. */
static void make_id(emu *e, char *out, size_t outlen) {
  unsigned char r[16];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
    uint64_t a = emu_mix((uint64_t)(emu_now() * 1e9) ^ (uintptr_t)e), b = emu_mix(a ^ ++e->id_counter);
    memcpy(r, &a, 8);
    memcpy(r + 8, &b, 8);
  }
  snprintf(out, outlen, "%02x%02x%02x%02x-%02x%02x-4%01x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x-u1", r[0],
           r[1], r[2], r[3], r[4], r[5], r[6] & 15, r[7], (r[8] & 0x3f) | 0x80, r[9], r[10], r[11], r[12],
           r[13], r[14], r[15]);
}

/* Seconds of processing for these inputs on the contract's clock (before scaling).
 * model-create: about 12 s in all, 20-30 s more with a face reference, longer at 2k and
 * 4k (pinned by its tests since before the other models). The other models: the
 * typical time of their description (fashn_model_seconds), a little more or less by a
 * hash of the inputs so a batch does not finish in one instant. */
static double processing_seconds(const emu_inputs *in) {
  uint64_t h = emu_hash(in->prompt ? in->prompt : "", in->prompt_len, EMU_HASH_INIT ^ in->seed);
  if (strcmp(in->model->name, "model-create") != 0) {
    for (int i = 0; i < in->nimages; i++) h = emu_hash(in->images[i].ref, in->images[i].len, h);
    return in->seconds * (0.9 + (double)(emu_mix(h) % 201) / 1000.0);
  }
  double base = 10.0 * (in->res == 4 ? 2.5 : in->res == 2 ? 1.5 : 1.0);
  if (in->face) base += 20.0 + (double)(h % 1001) / 100.0;
  return base;
}

emu_pred *emu_pred_create(emu *e, emu_inputs *in, char *webhook_url, double now) {
  emu_pred *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  do make_id(e, p->id, sizeof p->id);
  while (emu_pred_find(e, p->id));
  p->in = *in;
  memset(in, 0, sizeof *in);
  p->webhook_url = webhook_url;
  p->cost = emu_credit_cost(&p->in);
  double s = e->cfg.time_scale;
  p->created = now;
  p->t_in_queue = now + 0.5 * s;
  p->t_processing = now + 2.0 * s;
  p->t_due = p->t_processing + processing_seconds(&p->in) * s;
  if (emu_fault_roll(&e->faults, FK_STUCK, e->cfg.stuck_rate, NULL)) {
    p->t_due = INFINITY;
    emu_count(&e->stats.faults, "stuck", 1);
  }
  uint64_t bits;
  if (emu_fault_roll(&e->faults, FK_FAIL, e->cfg.fail_rate, &bits) && isfinite(p->t_due)) {
    p->fail_name = e->faults.fail_names[bits % e->faults.nfail];
    emu_count(&e->stats.faults, "failed", 1);
  }
  if (p->in.base64 && isfinite(p->t_due) && !p->fail_name &&
      emu_fault_roll(&e->faults, FK_EXPIRED, e->cfg.expired_rate, NULL)) {
    p->expired = true; /* as if nobody looked for an hour after it completed */
    emu_count(&e->stats.faults, "expired", 1);
  }
  size_t b = bucket_of(p->id);
  p->hnext = e->buckets[b];
  e->buckets[b] = p;
  p->prev = e->last;
  if (e->last) e->last->next = p;
  else e->first = p;
  e->last = p;
  p->unext = e->ufirst;
  if (e->ufirst) e->ufirst->uprev = p;
  e->ufirst = p;
  e->unfinished++;
  if ((int64_t)e->unfinished > e->stats.peak_concurrency) e->stats.peak_concurrency = (int64_t)e->unfinished;
  e->balance -= p->cost;
  e->stats.run_accepted++;
  emu_render_enqueue(e, p);
  pthread_cond_broadcast(&e->engine_cv);
  return p;
}

emu_status emu_pred_status(const emu_pred *p, double now) {
  if (p->finished) return p->final;
  if (now < p->t_in_queue) return ST_STARTING;
  if (now < p->t_processing) return ST_IN_QUEUE;
  return ST_PROCESSING;
}

static void unlink_unfinished(emu *e, emu_pred *p) {
  if (p->uprev) p->uprev->unext = p->unext;
  else e->ufirst = p->unext;
  if (p->unext) p->unext->uprev = p->uprev;
  p->unext = p->uprev = NULL;
  e->unfinished--;
}

static void queue_webhook(emu *e, emu_pred *p, double now) {
  emu_webhook *w = calloc(1, sizeof *w);
  if (!w || !(w->url = strdup(p->webhook_url))) {
    free(w);
    e->stats.webhooks_failed++;
    return;
  }
  emu_pred_json(e, p, now, &w->body);
  if (e->wh_tail) e->wh_tail->next = w;
  else e->wh_head = w;
  e->wh_tail = w;
  pthread_cond_broadcast(&e->engine_cv);
}

static void finish(emu *e, emu_pred *p, emu_status st, const char *name, const char *message, double now) {
  p->finished = true;
  p->final = st;
  p->finished_at = now;
  if (name) {
    snprintf(p->error_name, sizeof p->error_name, "%s", name);
    snprintf(p->error_message, sizeof p->error_message, "%s", message);
  }
  unlink_unfinished(e, p);
  emu_count(&e->stats.predictions, emu_status_name(st), 1);
  if (st == ST_COMPLETED) {
    e->stats.credits_charged += p->cost;
  } else {
    e->balance += p->cost; /* failed predictions cost nothing */
    e->stats.credits_refunded += p->cost;
  }
  if (p->webhook_url) queue_webhook(e, p, now);
}

void emu_advance(emu *e, double now) {
  emu_pred *next;
  for (emu_pred *p = e->ufirst; p; p = next) {
    next = p->unext;
    if (now < p->t_due) continue;
    if (p->fail_name && e->cfg.echo_key && !strcmp(e->cfg.echo_key, "error")) {
      char msg[200];
      snprintf(msg, sizeof msg, "%s (key %s)", e->cfg.fail_message ? e->cfg.fail_message : "emulated failure",
               e->cfg.api_key);
      finish(e, p, ST_FAILED, e->cfg.api_key, msg, now);
    } else if (p->fail_name)
      finish(e, p, ST_FAILED, p->fail_name,
             e->cfg.fail_message ? e->cfg.fail_message : "emulated failure (fashn-emu --fail-rate)", now);
    else if (p->render == RS_FAILED)
      finish(e, p, ST_FAILED, p->render_error_name, p->render_error, now);
    else if (p->render == RS_DONE)
      finish(e, p, ST_COMPLETED, NULL, NULL, now);
    /* else still rendering: stays "processing" until the worker is done */
  }
}

double emu_next_finish(const emu *e, double now) {
  double best = INFINITY;
  for (const emu_pred *p = e->ufirst; p; p = p->unext)
    if (p->t_due < best) best = p->t_due;
  if (!isfinite(best)) return 60; /* only stuck ones: nothing will free up soon */
  return best > now ? best - now : 0;
}

void emu_base64_ttl(const emu *e, double *ttl) {
  *ttl = e->cfg.base64_ttl >= 0 ? e->cfg.base64_ttl : 3600.0 * e->cfg.time_scale;
}

static double retention(const emu *e) {
  return e->cfg.retention >= 0 ? e->cfg.retention : 72 * 3600.0 * e->cfg.time_scale;
}

/* Appends a data: URI of bytes (base64). */
void emu_data_uri(buf *out, const char *mime, const buf *bytes);

void emu_pred_json(emu *e, emu_pred *p, double now, buf *out) {
  json_writer w;
  jw_init(&w, out);
  jw_object_begin(&w);
  jw_key(&w, "id");
  jw_string(&w, p->id);
  jw_key(&w, "status");
  emu_status st = emu_pred_status(p, now);
  jw_string(&w, emu_status_name(st));
  jw_key(&w, "output");
  if (st == ST_COMPLETED) {
    double ttl;
    emu_base64_ttl(e, &ttl);
    bool expired = p->in.base64 && (p->expired || now - p->finished_at >= ttl);
    const char *mime, *ext;
    emu_output_type(&p->in, &mime, &ext);
    jw_array_begin(&w);
    for (int i = 0; i < p->in.num_images; i++) {
      if (expired) {
        jw_string(&w, "<base64>_expired");
      } else if (p->in.base64) {
        buf uri = BUF_INIT;
        emu_data_uri(&uri, mime, &p->outputs[i]);
        jw_string_len(&w, uri.data ? uri.data : "", uri.len);
        buf_free(&uri);
      } else {
        char url[200];
        snprintf(url, sizeof url, "%s/cdn/%s/output_%d.%s", e->url, p->id, i, ext);
        jw_string(&w, url);
      }
    }
    jw_array_end(&w);
  } else {
    jw_null(&w);
  }
  jw_key(&w, "error");
  if (st == ST_FAILED) {
    jw_object_begin(&w);
    jw_key(&w, "name");
    jw_string(&w, p->error_name);
    jw_key(&w, "message");
    jw_string(&w, p->error_message);
    jw_object_end(&w);
  } else {
    jw_null(&w);
  }
  jw_object_end(&w);
}

static void pred_free(emu_pred *p) {
  emu_inputs_free(&p->in);
  free(p->webhook_url);
  for (int i = 0; i < EMU_MAX_IMAGES; i++) buf_free(&p->outputs[i]);
  free(p);
}

/* Forgets finished predictions older than the retention time (their ids become 404). */
static void sweep(emu *e, double now) {
  double keep = retention(e);
  emu_pred *next;
  for (emu_pred *p = e->first; p; p = next) {
    next = p->next;
    if (!p->finished || now - p->finished_at < keep) continue;
    if (p->render == RS_QUEUED || p->render == RS_RUNNING) continue; /* a worker holds it */
    emu_pred **pp = &e->buckets[bucket_of(p->id)];
    while (*pp != p) pp = &(*pp)->hnext;
    *pp = p->hnext;
    if (p->prev) p->prev->next = p->next;
    else e->first = p->next;
    if (p->next) p->next->prev = p->prev;
    else e->last = p->prev;
    pred_free(p);
  }
}

/* Delivers queued webhooks (mu is released while posting). */
static void deliver_webhooks(emu *e) {
  while (e->wh_head) {
    emu_webhook *w = e->wh_head;
    e->wh_head = w->next;
    if (!e->wh_head) e->wh_tail = NULL;
    pthread_mutex_unlock(&e->mu);
    char err[200];
    bool ok = !w->body.oom && emu_post_json(w->url, w->body.data, w->body.len, err, sizeof err);
    if (!ok && e->cfg.verbose) fprintf(stderr, "fashn-emu: webhook to %s failed: %s\n", w->url, err);
    pthread_mutex_lock(&e->mu);
    if (ok) e->stats.webhooks_sent++;
    else e->stats.webhooks_failed++;
    free(w->url);
    buf_free(&w->body);
    free(w);
  }
}

static void *engine_main(void *arg) {
  emu *e = arg;
  pthread_mutex_lock(&e->mu);
  while (!e->stopping) {
    double now = emu_now();
    emu_advance(e, now);
    sweep(e, now);
    if (e->wh_head) {
      deliver_webhooks(e);
      continue;
    }
    /* Sleep until the next prediction is due, but wake at least every 0.25 s so the
     * retention sweep runs; a finished render or a new prediction signals us. */
    double wake = now + 0.25;
    for (emu_pred *p = e->ufirst; p; p = p->unext)
      if (p->t_due > now && p->t_due < wake) wake = p->t_due;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double d = wake - now;
    if (d < 0.0005) d = 0.0005;
    ts.tv_sec += (time_t)d;
    ts.tv_nsec += (long)((d - floor(d)) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&e->engine_cv, &e->mu, &ts);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

bool emu_engine_start(emu *e, char *err, size_t errlen) {
  int rc = pthread_create(&e->engine, NULL, engine_main, e);
  if (rc) {
    snprintf(err, errlen, "cannot start the engine thread: %s", strerror(rc));
    return false;
  }
  e->engine_started = true;
  return true;
}

void emu_engine_join(emu *e) {
  if (!e->engine_started) return;
  pthread_join(e->engine, NULL);
  e->engine_started = false;
}

void emu_preds_free(emu *e) {
  emu_pred *next;
  for (emu_pred *p = e->first; p; p = next) {
    next = p->next;
    pred_free(p);
  }
  e->first = e->last = e->ufirst = NULL;
  memset(e->buckets, 0, sizeof e->buckets);
  while (e->wh_head) {
    emu_webhook *w = e->wh_head;
    e->wh_head = w->next;
    free(w->url);
    buf_free(&w->body);
    free(w);
  }
  e->wh_tail = NULL;
  while (e->inbox) {
    emu_webhook *w = e->inbox;
    e->inbox = w->next;
    buf_free(&w->body);
    free(w);
  }
  e->ninbox = 0;
}
