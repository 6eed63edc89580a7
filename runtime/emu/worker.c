/* worker.c — render workers: off the request path, each takes a queued prediction, loads
 * its input images (data URIs, loopback URLs, or this emulator's own outputs; a failure
 * becomes ImageLoadError), picks the output size, raises the model's own failures
 * (reframe's InputValidationError, tryon-v1.6's PoseError), draws and encodes every
 * output once (image-to-video: an MP4), and caches the bytes on the prediction. A 16 MP
 * render therefore never holds up another request. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../api/fashn_models.h"
#include "../base/base64.h"
#include "../image/image.h"
#include "emu_internal.h"
#include "h264.h"
#include "mp4.h"

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

/* An output of this emulator given back as an input (its own /cdn/ URL, as a pipeline
 * chains models): read from the store rather than over HTTP, so chaining does not depend
 * on the CDN's injected faults. 0 = not one of ours, 1 = copied, -1 = no such output. */
static int own_output(emu *e, const char *ref, buf *out, char *why, size_t whylen) {
  size_t n = strlen(e->url);
  if (strncmp(ref, e->url, n) != 0 || strncmp(ref + n, "/cdn/", 5) != 0) return 0;
  const char *rest = ref + n + 5, *slash = strchr(rest, '/');
  char id[48];
  int index = -1, used = 0;
  if (!slash || (size_t)(slash - rest) >= sizeof id) return 0;
  memcpy(id, rest, (size_t)(slash - rest));
  id[slash - rest] = '\0';
  if (sscanf(slash, "/output_%d.%*[a-z0-9]%n", &index, &used) != 1 || slash[used] != '\0') return 0;
  int found = -1;
  pthread_mutex_lock(&e->mu);
  const emu_pred *p = emu_pred_find(e, id);
  if (p && p->finished && p->final == ST_COMPLETED && !p->in.base64 && index >= 0 && index < p->in.num_images)
    found = buf_append(out, p->outputs[index].data, p->outputs[index].len) ? 1 : -1;
  pthread_mutex_unlock(&e->mu);
  if (found < 0) snprintf(why, whylen, "%.80s: HTTP 404 (no such output)", ref);
  return found;
}

/* Fetches or decodes one input image, decoded to fit (or cover) a box of `box` pixels;
 * *nbytes gets its encoded size. */
static bool load_input(emu *e, const char *what, const char *ref, size_t len, int box, bool cover, image *out,
                       image_info *info, size_t *nbytes, char *err, size_t errlen) {
  buf bytes = BUF_INIT;
  char why[200] = "";
  bool ok;
  int own;
  if (!strncmp(ref, "data:", 5)) {
    char mime[DATA_URI_MIME_MAX];
    ok = data_uri_parse(ref, len, B64_WHITESPACE, MAX_INPUT_BYTES, mime, &bytes, why, sizeof why);
  } else if ((own = own_output(e, ref, &bytes, why, sizeof why)) != 0) {
    ok = own > 0;
  } else {
    ok = emu_fetch_image(ref, MAX_INPUT_BYTES, &bytes, why, sizeof why);
  }
  *nbytes = bytes.len;
  if (ok) {
    image_decode_opts opts = {.limits = {MAX_INPUT_BYTES, MAX_INPUT_PIXELS}, .box_width = box, .box_height = box,
                              .cover = cover};
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

/* The exact ratio an aspect name stands for ("4:5" -> 0.8). */
static double nominal_ratio(int aspect) {
  const char *name;
  unsigned a = 1, b = 1;
  if (!emu_aspect(aspect, &name, NULL, NULL) || sscanf(name, "%u:%u", &a, &b) != 2 || !b) return 1;
  return (double)a / b;
}

typedef struct render_result {
  bool ok;
  const char *error_name;
  char error[256];
  int width, height;
  buf outputs[EMU_MAX_IMAGES];
  image_info refs[EMU_MAX_INPUT_IMAGES]; /* per in.images entry (format 0 = not loaded) */
  size_t ref_bytes[EMU_MAX_INPUT_IMAGES];
} render_result;

static bool encode(const emu_inputs *in, image *im, buf *out, render_result *r) {
  /* Fast zlib settings for the big ones: a 16 MP PNG at level 6 takes seconds. */
  image_encode_opts eo = {.format = in->jpeg ? IMAGE_JPEG : IMAGE_PNG, .quality = 90,
                          .effort = in->jpeg ? 0 : (im->width * im->height > 2000000 ? 1 : 6)};
  char why[200];
  if (image_encode(im, &eo, out, why, sizeof why) == IMAGE_OK) return true;
  snprintf(r->error, sizeof r->error, "encoding failed: %s", why);
  return false;
}

/* model-create: the figure of render.c, as it has always been drawn. */
static void render_model_create(emu *e, const emu_pred *p, const image *pics, const image_info *infos,
                                render_result *r) {
  const emu_inputs *in = &p->in;
  const image *face = NULL, *ref = NULL;
  const image_info *ref_info = NULL;
  for (int i = 0; i < in->nimages; i++) {
    if (!strcmp(in->images[i].field, "face_reference")) face = &pics[i];
    if (!strcmp(in->images[i].field, "image_reference")) ref = &pics[i], ref_info = &infos[i];
  }
  uint64_t ref_hash = ref ? emu_hash(ref->rgba, (size_t)ref->width * (size_t)ref->height * 4, EMU_HASH_INIT) | 1 : 0;
  int aspect = in->aspect >= 0 ? in->aspect : ref ? nearest_aspect(ref_info->width, ref_info->height)
                                                  : EMU_ASPECT_COUNT - 1 /* 1:1 */;
  const char *aspect_name;
  int w, h;
  emu_aspect(aspect, &aspect_name, &w, &h);
  w *= in->res;
  h *= in->res;
  r->width = w;
  r->height = h;
  r->error_name = "InternalServerError";
  for (int i = 0; i < in->num_images; i++) {
    emu_scene s = {.prompt = in->prompt, .prompt_len = in->prompt_len, .seed = in->seed, .index = i,
                   .count = in->num_images, .aspect = aspect_name, .res = in->res, .ref_hash = ref_hash,
                   .face = face ? face->rgba : NULL, .face_w = face ? face->width : 0,
                   .face_h = face ? face->height : 0, .match_base = in->match_base,
                   .mark = e->cfg.dry_run_mark ? "DRY RUN" : "EMULATED"};
    if (__atomic_load_n(&e->stopping, __ATOMIC_RELAXED)) {
      snprintf(r->error, sizeof r->error, "the server is stopping");
      return;
    }
    image im = {w, h, emu_render(&s, w, h)};
    if (!im.rgba) {
      snprintf(r->error, sizeof r->error, "out of memory rendering %dx%d", w, h);
      return;
    }
    bool ok = encode(in, &im, &r->outputs[i], r);
    image_free(&im);
    if (!ok) return;
  }
  r->ok = true;
}

/* What each image field is to the renderers of render_models.c. */
typedef enum { ROLE_NONE, ROLE_MAIN, ROLE_GARMENT, ROLE_FACE, ROLE_EXTRA } image_role;

static image_role role_of(const char *model, const char *field) {
  if (!strcmp(field, "product_image")) return strcmp(model, "packshot") ? ROLE_GARMENT : ROLE_MAIN;
  if (!strcmp(field, "model_image") || !strcmp(field, "image") || !strcmp(field, "face_image")) return ROLE_MAIN;
  if (!strcmp(field, "garment_image")) return ROLE_GARMENT;
  if (!strcmp(field, "face_reference")) return ROLE_FACE;
  if (!strcmp(field, "background_reference") || !strcmp(field, "image_prompt") || !strcmp(field, "image_context"))
    return ROLE_EXTRA;
  return ROLE_NONE; /* mask, end_image: accepted, not drawn */
}

/* Fields whose picture gives the output its ratio when aspect_ratio is not given, in
 * order (product-to-model inherits background_reference, then image_prompt, then its
 * product; the others their main input). */
static const char *const ASPECT_SOURCES[] = {"background_reference", "image_prompt", "model_image", "image",
                                             "face_image", "product_image", NULL};

/* image-to-video: one short H.264 MP4 (h264.h, mp4.h) of a slow push into the input, the
 * closest of the ten ratios at 480 pixels on the long side, 12 frames a second, 2 s (4 s
 * for duration 10): small and quick to encode, and playable in a browser. */
#define VIDEO_LONG_SIDE 480
#define VIDEO_FPS 12
static void render_video(emu *e, const emu_inputs *in, const emu_model_scene *base, int aspect, render_result *r) {
  int aw, ah;
  emu_aspect(aspect, NULL, &aw, &ah);
  double k = (double)VIDEO_LONG_SIDE / (aw > ah ? aw : ah);
  int w = (int)lround(aw * k / 8) * 8, h = (int)lround(ah * k / 8) * 8;
  int frames = VIDEO_FPS * (in->duration == 10 ? 4 : 2);
  r->width = w;
  r->height = h;
  r->error_name = "InternalServerError";
  buf *samples = calloc((size_t)frames, sizeof *samples);
  bool *sync = calloc((size_t)frames, sizeof *sync);
  emu_h264 *enc = samples && sync ? emu_h264_open(w, h, VIDEO_FPS, r->error, sizeof r->error) : NULL;
  bool ok = enc != NULL;
  if (!samples || !sync) snprintf(r->error, sizeof r->error, "out of memory");
  for (int f = 0; ok && f < frames; f++) {
    if (__atomic_load_n(&e->stopping, __ATOMIC_RELAXED)) {
      snprintf(r->error, sizeof r->error, "the server is stopping");
      ok = false;
      break;
    }
    unsigned char *px = emu_render_video_frame(base, w, h, f, frames);
    if (!px) {
      snprintf(r->error, sizeof r->error, "out of memory rendering a %dx%d frame", w, h);
      ok = false;
      break;
    }
    ok = emu_h264_encode(enc, px, &samples[f], &sync[f], r->error, sizeof r->error);
    free(px);
  }
  if (ok) {
    emu_mp4_track t = {.width = w, .height = h, .fps = VIDEO_FPS, .nframes = frames, .samples = samples,
                       .sync = sync, .sps = emu_h264_sps(enc), .pps = emu_h264_pps(enc)};
    ok = emu_mp4_h264(&r->outputs[0], &t, r->error, sizeof r->error);
  }
  emu_h264_close(enc);
  for (int f = 0; samples && f < frames; f++) buf_free(&samples[f]);
  free(samples);
  free(sync);
  r->ok = ok;
}

/* Every other model: roles, output size, the model's own failures, then its renderer. */
static void render_other(emu *e, const emu_pred *p, const image *pics, const image_info *infos, render_result *r) {
  const emu_inputs *in = &p->in;
  const fashn_model *m = in->model;
  emu_model_scene s = {.mark = e->cfg.dry_run_mark ? "DRY RUN" : "EMULATED", .model = m->name, .prompt = in->prompt, .prompt_len = in->prompt_len, .seed = in->seed,
                       .count = in->num_images, .res = in->res, .match_base = in->match_base};
  const image_info *main_info = NULL;
  for (int i = 0; i < in->nimages; i++) {
    if (!pics[i].rgba) continue;
    emu_picture pic = {pics[i].rgba, pics[i].width, pics[i].height};
    switch (role_of(m->name, in->images[i].field)) {
      case ROLE_MAIN: if (!s.main.rgba) s.main = pic, main_info = &infos[i]; break;
      case ROLE_GARMENT: if (!s.garment.rgba) s.garment = pic; break;
      case ROLE_FACE: s.face = pic; break;
      case ROLE_EXTRA: if (!s.extra.rgba) s.extra = pic, s.extra_label = in->images[i].field; break;
      default: break;
    }
  }
  /* The output's ratio: given, else the field's documented default, else the picture's. */
  int aspect = in->aspect;
  const fashn_field *af = fashn_model_field(m, "aspect_ratio");
  if (aspect < 0 && af && af->default_value) {
    for (int i = 0; i < EMU_ASPECT_COUNT; i++) {
      const char *name;
      emu_aspect(i, &name, NULL, NULL);
      if (!strcmp(name, af->default_value)) aspect = i;
    }
  }
  for (int k = 0; aspect < 0 && ASPECT_SOURCES[k]; k++)
    for (int i = 0; i < in->nimages; i++)
      if (pics[i].rgba && !strcmp(in->images[i].field, ASPECT_SOURCES[k])) {
        aspect = nearest_aspect(infos[i].width, infos[i].height);
        break;
      }
  if (aspect < 0) aspect = EMU_ASPECT_COUNT - 1; /* 1:1 */
  emu_aspect(aspect, &s.aspect, NULL, NULL);

  /* The failures only this model has, on conditions a test can set up (documented in
   * fashn-emu --help). */
  r->error_name = "InputValidationError";
  if (!strcmp(m->name, "reframe") && main_info) {
    double have = (double)main_info->width / main_info->height, want = nominal_ratio(aspect);
    s.from_aspect = NULL;
    emu_aspect(nearest_aspect(main_info->width, main_info->height), &s.from_aspect, NULL, NULL);
    if (fabs(have / want - 1) <= 0.02) {
      snprintf(r->error, sizeof r->error,
               "the image (%dx%d) already has the aspect ratio %s (within 2%%): nothing to reframe",
               main_info->width, main_info->height, s.aspect);
      return;
    }
  }
  r->error_name = "PoseError";
  if (!strcmp(m->name, "tryon-v1.6") && main_info && main_info->width > main_info->height) {
    snprintf(r->error, sizeof r->error,
             "no standing person found in model_image (%dx%d): fashn-emu finds no pose in an image wider "
             "than it is tall",
             main_info->width, main_info->height);
    return;
  }
  if (in->video) {
    render_video(e, in, &s, aspect, r);
    return;
  }

  int w, h;
  emu_aspect(aspect, NULL, &w, &h);
  w *= in->res;
  h *= in->res;
  if (m->fixed_width > 0) w = m->fixed_width, h = m->fixed_height;
  r->width = w;
  r->height = h;
  r->error_name = "InternalServerError";
  for (int i = 0; i < in->num_images; i++) {
    if (__atomic_load_n(&e->stopping, __ATOMIC_RELAXED)) {
      snprintf(r->error, sizeof r->error, "the server is stopping");
      return;
    }
    s.index = i;
    image im = {w, h, emu_render_model(&s, w, h)};
    if (!im.rgba) {
      snprintf(r->error, sizeof r->error, "out of memory rendering %dx%d", w, h);
      return;
    }
    bool ok = encode(in, &im, &r->outputs[i], r);
    image_free(&im);
    if (!ok) return;
  }
  r->ok = true;
}

static void render_prediction(emu *e, const emu_pred *p, render_result *r) {
  const emu_inputs *in = &p->in;
  image pics[EMU_MAX_INPUT_IMAGES];
  image_info infos[EMU_MAX_INPUT_IMAGES];
  memset(infos, 0, sizeof infos);
  for (int i = 0; i < EMU_MAX_INPUT_IMAGES; i++) pics[i] = (image)IMAGE_INIT;
  bool create = !strcmp(in->model->name, "model-create");
  r->ok = false;
  r->error_name = "ImageLoadError";
  for (int i = 0; i < in->nimages; i++) {
    const emu_image_input *ii = &in->images[i];
    if (!strncmp(ii->ref, "saved:", 6)) continue; /* a studio's saved model: drawn, not loaded */
    /* model-create decodes as it always has (the face thumbnail, the reference's hash);
     * the others at most 1024 pixels on a side, whole. */
    bool face = !strcmp(ii->field, "face_reference");
    int box = create ? (face ? 512 : 256) : 1024;
    if (!load_input(e, ii->field, ii->ref, ii->len, box, create, &pics[i], &infos[i], &r->ref_bytes[i], r->error,
                    sizeof r->error))
      goto done;
    r->refs[i] = infos[i];
  }
  if (e->output_file.len) { /* --output-file: the same bytes for every output, as they are */
    r->error_name = "InternalServerError";
    for (int i = 0; i < in->num_images; i++)
      if (!buf_append(&r->outputs[i], e->output_file.data, e->output_file.len)) {
        snprintf(r->error, sizeof r->error, "out of memory copying --output-file");
        goto done;
      }
    r->ok = true;
    goto done;
  }
  if (create) render_model_create(e, p, pics, infos, r);
  else render_other(e, p, pics, infos, r);
done:
  for (int i = 0; i < EMU_MAX_INPUT_IMAGES; i++) image_free(&pics[i]);
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
    for (int i = 0; r && i < EMU_MAX_INPUT_IMAGES; i++)
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
