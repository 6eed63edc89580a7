/* stats.c — the counters GET /_emu/stats reports, so tests can prove what the server
 * saw (nothing submitted twice, limits honoured, faults injected), and the predictions
 * list GET /_emu/predictions reports. Counting itself is counts.c's (emu_count). */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "../api/fashn_models.h"
#include "../base/json.h"
#include "emu_internal.h"

static void write_counts(json_writer *w, const char *key, const emu_counts *c) {
  jw_key(w, key);
  jw_object_begin(w);
  for (size_t i = 0; i < c->n; i++) {
    jw_key(w, c->items[i].name);
    jw_int(w, c->items[i].n);
  }
  jw_object_end(w);
}

static void write_int(json_writer *w, const char *key, int64_t v) {
  jw_key(w, key);
  jw_int(w, v);
}

void emu_stats_write(emu *e, buf *out) {
  const emu_stats *s = &e->stats;
  json_writer w;
  jw_init(&w, out);
  jw_object_begin(&w);
  write_int(&w, "run_accepted", s->run_accepted);
  write_counts(&w, "run_refused", &s->run_refused);
  write_int(&w, "status_requests", s->status_requests);
  write_int(&w, "credits_requests", s->credits_requests);
  write_int(&w, "downloads", s->downloads);
  write_int(&w, "download_bytes", s->download_bytes);
  write_int(&w, "credits_charged", s->credits_charged);
  write_int(&w, "credits_refunded", s->credits_refunded);
  write_int(&w, "credits_balance", e->balance);
  write_counts(&w, "predictions", &s->predictions);
  write_int(&w, "unfinished", (int64_t)e->unfinished);
  write_int(&w, "peak_concurrency", s->peak_concurrency);
  write_counts(&w, "rate_limited", &s->rate_limited);
  write_counts(&w, "faults", &s->faults);
  write_int(&w, "webhooks_sent", s->webhooks_sent);
  write_int(&w, "webhooks_failed", s->webhooks_failed);
  write_int(&w, "renders", s->renders);
  write_int(&w, "render_errors", s->render_errors);
  jw_object_end(&w);
}

/* Tests match predictions to their jobs by prompt and seed: how many predictions each
 * job got, which were charged, what was injected — proof of "never submitted twice". */
void emu_predictions_write(emu *e, double now, buf *out) {
  json_writer w;
  jw_init(&w, out);
  jw_object_begin(&w);
  jw_key(&w, "predictions");
  jw_array_begin(&w);
  for (emu_pred *p = e->first; p; p = p->next) {
    emu_status st = emu_pred_status(p, now);
    jw_object_begin(&w);
    jw_key(&w, "id");
    jw_string(&w, p->id);
    jw_key(&w, "prompt");
    if (p->in.prompt) jw_string_len(&w, p->in.prompt, p->in.prompt_len < 300 ? p->in.prompt_len : 300);
    else jw_null(&w);
    write_int(&w, "seed", p->in.seed);
    write_int(&w, "num_images", p->in.num_images);
    jw_key(&w, "base64");
    jw_bool(&w, p->in.base64);
    jw_key(&w, "status");
    jw_string(&w, emu_status_name(st));
    write_int(&w, "cost", p->cost);
    jw_key(&w, "charged"); /* credits are taken for good when a prediction completes */
    jw_bool(&w, st == ST_COMPLETED);
    jw_key(&w, "fault");
    if (p->fail_name) jw_string(&w, "failed");
    else if (!isfinite(p->t_due)) jw_string(&w, "stuck");
    else if (p->expired) jw_string(&w, "expired");
    else jw_null(&w);
    if (st == ST_FAILED) {
      jw_key(&w, "error");
      jw_string(&w, p->error_name);
    }
    if (p->finished) { /* CLOCK_MONOTONIC seconds: a client on this machine can tell how soon it noticed */
      jw_key(&w, "finished_at");
      jw_double(&w, p->finished_at);
    }
    if (isfinite(p->t_due)) { /* seconds from creation to its end, as time-scaled */
      jw_key(&w, "seconds");
      jw_double(&w, p->t_due - p->created);
    }
    jw_key(&w, "model");
    jw_string(&w, p->in.model->name);
    for (int i = 0; i < p->in.nimages; i++) { /* each image input, under its field's name */
      if (!p->refs[i].format[0]) continue; /* not loaded (yet), or saved:<name> */
      jw_key(&w, p->in.images[i].field);
      jw_object_begin(&w);
      write_int(&w, "bytes", (int64_t)p->refs[i].bytes);
      write_int(&w, "width", p->refs[i].width);
      write_int(&w, "height", p->refs[i].height);
      jw_key(&w, "format");
      jw_string(&w, p->refs[i].format);
      /* how it travelled: a client chaining outputs should send the URL, not the pixels */
      const emu_image_input *ii = &p->in.images[i];
      bool data = ii->len >= 5 && strncasecmp(ii->ref, "data:", 5) == 0;
      jw_key(&w, "sent_as");
      jw_string(&w, data ? "data" : "url");
      if (!data) {
        jw_key(&w, "url");
        jw_string_len(&w, ii->ref, ii->len < 500 ? ii->len : 500);
      }
      jw_object_end(&w);
    }
    jw_object_end(&w);
  }
  jw_array_end(&w);
  jw_object_end(&w);
}
