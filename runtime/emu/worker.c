/* worker.c — render workers: off the request path, each takes a queued prediction, loads
 * its input images (data URIs or loopback URLs; a failure becomes ImageLoadError), picks
 * the output size, draws and encodes every output once, and caches the bytes on the
 * prediction. A 16 MP render therefore never holds up another request. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base64.h"
#include "../image/image.h"
#include "emu_internal.h"

/* Input images larger than this (encoded) are refused, as the service refuses them. */
#define MAX_INPUT_BYTES ((size_t)64 << 20)
#define MAX_INPUT_PIXELS ((uint64_t)64000000)

void emu_data_uri(buf *out, const char *mime, const buf *bytes) {
  data_uri_build(out, mime, bytes->data ? bytes->data : "", bytes->len);
}

void emu_render_enqueue(emu *e, emu_pred *p) {
  p->render = RS_QUEUED;
  p->qnext = NULL;
  if (e->rq_tail) e->rq_tail->qnext = p;
  else e->rq_head = p;
  e->rq_tail = p;
  pthread_cond_signal(&e->render_cv);
}

/* Fetches or decodes one input image, decoded to fit a box of `box` pixels (cover);
 * *nbytes gets its encoded size. */
static bool load_input(const char *what, const char *ref, size_t len, int box, image *out, image_info *info,
                       size_t *nbytes, char *err, size_t errlen) {
  buf bytes = BUF_INIT;
  char why[200] = "";
  bool ok;
  if (!strncmp(ref, "data:", 5)) {
    char mime[DATA_URI_MIME_MAX];
    ok = data_uri_parse(ref, len, B64_WHITESPACE, MAX_INPUT_BYTES, mime, &bytes, why, sizeof why);
  } else {
    ok = emu_fetch_image(ref, MAX_INPUT_BYTES, &bytes, why, sizeof why);
  }
  *nbytes = bytes.len;
  if (ok) {
    image_decode_opts opts = {.limits = {MAX_INPUT_BYTES, MAX_INPUT_PIXELS}, .box_width = box, .box_height = box,
                              .cover = true};
    ok = image_decode(bytes.data, bytes.len, &opts, out, info, why, sizeof why) == IMAGE_OK;
  }
  if (!ok) snprintf(err, errlen, "could not load %s: %s", what, why);
  buf_free(&bytes);
  return ok;
}

/* The supported aspect ratio closest to w:h (on a log scale, so 2:1 and 1:2 are as far
 * from 1:1). */
static int nearest_aspect(int w, int h) {
  int best = 0;
  double bestd = INFINITY, r = log((double)w / h);
  for (int i = 0; i < EMU_ASPECT_COUNT; i++) {
    int aw, ah;
    emu_aspect(i, NULL, &aw, &ah);
    double d = fabs(log((double)aw / ah) - r);
    if (d < bestd) bestd = d, best = i;
  }
  return best;
}

typedef struct render_result {
  bool ok;
  const char *error_name;
  char error[256];
  int width, height;
  buf outputs[EMU_MAX_IMAGES];
  image_info refs[2]; /* face_reference, image_reference (format 0 = none) */
  size_t ref_bytes[2];
} render_result;

static void render_prediction(emu *e, const emu_pred *p, render_result *r) {
  const emu_inputs *in = &p->in;
  image face = IMAGE_INIT, ref = IMAGE_INIT;
  image_info face_info, ref_info;
  uint64_t ref_hash = 0;
  r->ok = false;
  r->error_name = "ImageLoadError";
  if (in->face_ref) {
    if (!load_input("face_reference", in->face_ref, in->face_ref_len, 512, &face, &face_info, &r->ref_bytes[0],
                    r->error, sizeof r->error))
      goto done;
    r->refs[0] = face_info;
  }
  if (in->image_ref) {
    if (!load_input("image_reference", in->image_ref, in->image_ref_len, 256, &ref, &ref_info, &r->ref_bytes[1],
                    r->error, sizeof r->error))
      goto done;
    r->refs[1] = ref_info;
    ref_hash = emu_hash(ref.rgba, (size_t)ref.width * (size_t)ref.height * 4, EMU_HASH_INIT) | 1;
  }
  int aspect = in->aspect >= 0 ? in->aspect : in->image_ref ? nearest_aspect(ref_info.width, ref_info.height)
                                                            : EMU_ASPECT_COUNT - 1 /* 1:1 */;
  const char *aspect_name;
  int w, h;
  emu_aspect(aspect, &aspect_name, &w, &h);
  w *= in->res;
  h *= in->res;
  r->width = w;
  r->height = h;
  r->error_name = "InternalServerError";
  if (e->output_file.len) { /* --output-file: the same bytes for every output, as they are */
    for (int i = 0; i < in->num_images; i++)
      if (!buf_append(&r->outputs[i], e->output_file.data, e->output_file.len)) {
        snprintf(r->error, sizeof r->error, "out of memory copying --output-file");
        goto done;
      }
    r->ok = true;
    goto done;
  }
  for (int i = 0; i < in->num_images; i++) {
    emu_scene s = {.prompt = in->prompt, .prompt_len = in->prompt_len, .seed = in->seed, .index = i,
                   .count = in->num_images, .aspect = aspect_name, .res = in->res, .ref_hash = ref_hash,
                   .face = face.rgba, .face_w = face.width, .face_h = face.height, .match_base = in->match_base,
                   .mark = e->cfg.dry_run_mark ? "DRY RUN" : "EMULATED"};
    if (__atomic_load_n(&e->stopping, __ATOMIC_RELAXED)) {
      snprintf(r->error, sizeof r->error, "the server is stopping");
      goto done;
    }
    image im = {w, h, emu_render(&s, w, h)};
    if (!im.rgba) {
      snprintf(r->error, sizeof r->error, "out of memory rendering %dx%d", w, h);
      goto done;
    }
    /* Fast zlib settings for the big ones: a 16 MP PNG at level 6 takes seconds. */
    image_encode_opts eo = {.format = in->jpeg ? IMAGE_JPEG : IMAGE_PNG, .quality = 90,
                            .effort = in->jpeg ? 0 : (in->res >= 2 ? 1 : 6)};
    char why[200];
    image_status st = image_encode(&im, &eo, &r->outputs[i], why, sizeof why);
    image_free(&im);
    if (st != IMAGE_OK) {
      snprintf(r->error, sizeof r->error, "encoding failed: %s", why);
      goto done;
    }
  }
  r->ok = true;
done:
  image_free(&face);
  image_free(&ref);
}

static void *worker_main(void *arg) {
  emu *e = arg;
  pthread_mutex_lock(&e->mu);
  for (;;) {
    while (!e->stopping && !e->rq_head) pthread_cond_wait(&e->render_cv, &e->mu);
    if (e->stopping) break;
    emu_pred *p = e->rq_head;
    e->rq_head = p->qnext;
    if (!e->rq_head) e->rq_tail = NULL;
    p->render = RS_RUNNING;
    pthread_mutex_unlock(&e->mu);

    render_result *r = calloc(1, sizeof *r);
    if (r) render_prediction(e, p, r);

    pthread_mutex_lock(&e->mu);
    e->stats.renders++;
    for (int i = 0; r && i < 2; i++)
      if (r->refs[i].format != IMAGE_UNKNOWN) {
        p->refs[i].bytes = r->ref_bytes[i];
        p->refs[i].width = r->refs[i].width;
        p->refs[i].height = r->refs[i].height;
        snprintf(p->refs[i].format, sizeof p->refs[i].format, "%s", image_format_name(r->refs[i].format));
      }
    if (r && r->ok) {
      p->width = r->width;
      p->height = r->height;
      for (int i = 0; i < EMU_MAX_IMAGES; i++) p->outputs[i] = r->outputs[i];
      p->render = RS_DONE;
    } else {
      e->stats.render_errors++;
      p->render_error_name = r ? r->error_name : "InternalServerError";
      snprintf(p->render_error, sizeof p->render_error, "%s", r ? r->error : "out of memory");
      if (r)
        for (int i = 0; i < EMU_MAX_IMAGES; i++) buf_free(&r->outputs[i]);
      p->render = RS_FAILED;
    }
    free(r);
    pthread_cond_broadcast(&e->engine_cv);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

bool emu_workers_start(emu *e, char *err, size_t errlen) {
  e->workers = calloc((size_t)e->cfg.render_threads, sizeof *e->workers);
  if (!e->workers) {
    snprintf(err, errlen, "out of memory");
    return false;
  }
  for (int i = 0; i < e->cfg.render_threads; i++) {
    int rc = pthread_create(&e->workers[i], NULL, worker_main, e);
    if (rc) {
      snprintf(err, errlen, "cannot start a render thread: %s", strerror(rc));
      return false;
    }
    e->nworkers++;
  }
  return true;
}

void emu_workers_join(emu *e) {
  for (int i = 0; i < e->nworkers; i++) pthread_join(e->workers[i], NULL);
  free(e->workers);
  e->workers = NULL;
  e->nworkers = 0;
}
