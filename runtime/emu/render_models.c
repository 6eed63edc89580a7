/* render_models.c — fashn-emu's placeholder outputs for every model but model-create
 * (render.c), drawn with cairo from the decoded inputs so a person can follow a pipeline
 * by eye: try-on pastes the product onto the model's torso, reframe centres the input on
 * the new canvas, background-remove cuts a figure out on transparency, edit writes its
 * prompt on the image, and so on. Every output carries the EMULATED banner; the same
 * scene always gives the same pixels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emu_draw.h"
#include "emu_internal.h"

void emu_torso_box(int w, int h, int *x, int *y, int *bw, int *bh) {
  double width = fmin(0.36 * w, 0.2 * h);
  *bw = (int)lround(width);
  *bh = (int)lround(0.24 * h);
  *x = (int)lround(w / 2.0 - width / 2);
  *y = (int)lround(0.23 * h);
}

/* Paints pic into the box (x, y, bw, bh): covering it (cropped) or contained in it
 * (centred), at the given opacity. */
static void paint_picture(cairo_t *cr, const emu_picture *pic, double x, double y, double bw, double bh, bool cover,
                          double alpha) {
  if (!pic->rgba || pic->w <= 0 || pic->h <= 0 || bw <= 0 || bh <= 0) return;
  cairo_surface_t *sf = emu_surface_from_rgba(pic->rgba, pic->w, pic->h);
  if (cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS) {
    double sx = bw / pic->w, sy = bh / pic->h, sc = cover ? fmax(sx, sy) : fmin(sx, sy);
    cairo_save(cr);
    cairo_rectangle(cr, x, y, bw, bh);
    cairo_clip(cr);
    cairo_translate(cr, x + (bw - pic->w * sc) / 2, y + (bh - pic->h * sc) / 2);
    cairo_scale(cr, sc, sc);
    cairo_set_source_surface(cr, sf, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint_with_alpha(cr, alpha);
    cairo_restore(cr);
  }
  cairo_surface_destroy(sf);
}

static void rounded(cairo_t *cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
  cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
  cairo_arc(cr, x + r, y + r, r, M_PI, 1.5 * M_PI);
  cairo_close_path(cr);
}

/* A framed thumbnail in the top-right corner (below the banner), labelled. */
static void thumbnail(cairo_t *cr, const emu_picture *pic, const char *label, int w, int h, int slot) {
  if (!pic->rgba) return;
  double u = (w < h ? w : h) / 100.0, size = 20 * u, x = w - size - 4 * u, y = 10 * u + slot * (size + 7 * u);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x - 0.8 * u, y - 0.8 * u, size + 1.6 * u, size + 1.6 * u);
  cairo_fill(cr);
  paint_picture(cr, pic, x, y, size, size, true, 1);
  cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.85);
  emu_draw_text(cr, x, y + size + 3.2 * u, 2.0 * u, false, label);
}

/* The model's name, what it did (`what`), the output's settings and the prompt's start,
 * on a dark strip at the bottom. */
static void caption(cairo_t *cr, const emu_model_scene *s, int w, int h, const char *what) {
  double u = (w < h ? w : h) / 100.0;
  cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.72);
  cairo_rectangle(cr, 0, h - 10 * u, w, 10 * u);
  cairo_fill(cr);
  char line[260], prompt[160];
  snprintf(line, sizeof line, "%s \xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %dk \xc2\xb7 seed %u \xc2\xb7 %d/%d", s->model, what,
           s->aspect, s->res, s->seed, s->index + 1, s->count);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.95);
  emu_draw_text(cr, 2.5 * u, h - 6.0 * u, 2.4 * u, true, line);
  if (s->prompt) {
    emu_printable(prompt, sizeof prompt, s->prompt, s->prompt_len, 120);
    emu_draw_text(cr, 2.5 * u, h - 2.4 * u, 2.2 * u, false, prompt);
  }
}

/* The model picture under a renderer: the input itself, or when there is none (tryon-v1.6
 * with saved:<name>) the figure model-create would draw. */
static void base_picture(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  if (s->main.rgba) paint_picture(cr, &s->main, 0, 0, w, h, true, 1);
  else emu_draw_figure_scene(cr, s->prompt, s->prompt_len, s->seed, (uint64_t)s->index, w, h);
}

/* The garment on the torso, framed, so its colour visibly lands on the model. */
static void garment_on_torso(cairo_t *cr, const emu_picture *g, int w, int h) {
  int x, y, bw, bh;
  emu_torso_box(w, h, &x, &y, &bw, &bh);
  double u = (w < h ? w : h) / 100.0;
  cairo_save(cr);
  rounded(cr, x, y, bw, bh, 3 * u);
  cairo_clip(cr);
  paint_picture(cr, g, x, y, bw, bh, true, 1);
  cairo_restore(cr);
  rounded(cr, x, y, bw, bh, 3 * u);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
  cairo_set_line_width(cr, 0.6 * u);
  cairo_stroke(cr);
}

static void draw_tryon(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  base_picture(cr, s, w, h);
  garment_on_torso(cr, &s->garment, w, h);
  thumbnail(cr, &s->garment, "garment", w, h, 0);
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "garment on model");
}

static void draw_product_to_model(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  if (s->extra.rgba) paint_picture(cr, &s->extra, 0, 0, w, h, true, 1); /* background_reference */
  else emu_draw_figure_scene(cr, s->prompt, s->prompt_len, s->seed, (uint64_t)s->index, w, h);
  if (s->main.rgba) { /* the deprecated model_image: the product goes on that model */
    paint_picture(cr, &s->main, 0, 0, w, h, true, 1);
  } else if (s->extra.rgba) { /* a figure in front of the background reference */
    cairo_push_group(cr);
    emu_draw_figure_scene(cr, s->prompt, s->prompt_len, s->seed, (uint64_t)s->index, w, h);
    cairo_pop_group_to_source(cr);
    cairo_paint_with_alpha(cr, 0.55);
  }
  garment_on_torso(cr, &s->garment, w, h);
  thumbnail(cr, &s->garment, "product", w, h, 0);
  thumbnail(cr, &s->face, s->match_base ? "face \xc2\xb7 match_base" : "face \xc2\xb7 match_reference", w, h, 1);
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "product on a generated model");
}

static void draw_face_to_model(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  emu_draw_figure_scene(cr, s->prompt, s->prompt_len, s->seed, (uint64_t)s->index, w, h);
  thumbnail(cr, &s->main, "face_image", w, h, 0);
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "model from a face");
}

/* A disc over the head in a colour of the seed: the "new person" of model-swap. */
static void draw_model_swap(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  base_picture(cr, s, w, h);
  double m = w < h ? w : h, u = m / 100.0;
  uint64_t r = emu_mix(s->seed ^ ((uint64_t)s->index << 40));
  double hue = (double)(r % 360) * M_PI / 180;
  cairo_set_source_rgba(cr, 0.55 + 0.35 * cos(hue), 0.55 + 0.35 * cos(hue + 2.1), 0.55 + 0.35 * cos(hue + 4.2), 0.85);
  cairo_arc(cr, w / 2.0, 0.15 * h, 0.07 * h, 0, 2 * M_PI);
  cairo_fill_preserve(cr);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_set_line_width(cr, 0.6 * u);
  cairo_stroke(cr);
  thumbnail(cr, &s->face, s->match_base ? "face \xc2\xb7 match_base" : "face \xc2\xb7 match_reference", w, h, 0);
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "same look, another model");
}

/* The prompt in a box on the image, wrapped to at most five lines. */
static void prompt_box(cairo_t *cr, const emu_model_scene *s, int w, int h, const char *lead) {
  double u = (w < h ? w : h) / 100.0, size = 3.2 * u;
  char text[600];
  emu_printable(text, sizeof text, s->prompt ? s->prompt : "", s->prompt ? s->prompt_len : 0, 400);
  char lines[6][200];
  int n = 0;
  snprintf(lines[n++], sizeof lines[0], "%s", lead);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  const char *p = text;
  double maxw = w - 16 * u;
  while (*p && n < 6) {
    char line[200] = "";
    size_t len = 0;
    for (;;) { /* add words while they fit */
      const char *sp = strchr(p, ' ');
      size_t wl = sp ? (size_t)(sp - p) : strlen(p), at = len ? len + 1 : 0;
      if (at + wl >= sizeof line) break;
      char trial[sizeof line];
      memcpy(trial, line, len);
      if (len) trial[len] = ' ';
      memcpy(trial + at, p, wl);
      trial[at + wl] = '\0';
      cairo_text_extents_t ex;
      cairo_text_extents(cr, trial, &ex);
      if (len && ex.x_advance > maxw) break;
      memcpy(line, trial, at + wl + 1);
      len = at + wl;
      p += wl;
      while (*p == ' ') p++;
      if (!*p) break;
    }
    if (!len) break; /* one word wider than the box: stop here */
    snprintf(lines[n++], sizeof lines[0], "%s", line);
  }
  double bh = n * size * 1.35 + 3 * u, y = h * 0.62;
  rounded(cr, 5 * u, y, w - 10 * u, bh, 2 * u);
  cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.72);
  cairo_fill(cr);
  for (int i = 0; i < n; i++) {
    cairo_set_source_rgba(cr, 1, 1, 1, i ? 0.95 : 0.7);
    emu_draw_text(cr, 8 * u, y + 1.5 * u + (i + 1) * size * 1.35 - 0.35 * size, size, i == 0, lines[i]);
  }
}

static void draw_edit(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  base_picture(cr, s, w, h);
  prompt_box(cr, s, w, h, "edit:");
  thumbnail(cr, &s->extra, s->extra_label ? s->extra_label : "", w, h, 0);
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "edited");
}

static void draw_background_change(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  base_picture(cr, s, w, h);
  uint64_t ph = emu_mix(emu_hash(s->prompt ? s->prompt : "", s->prompt_len, EMU_HASH_INIT));
  double hue = (double)(ph % 360) * M_PI / 180;
  cairo_set_source_rgba(cr, 0.5 + 0.4 * cos(hue), 0.5 + 0.4 * cos(hue + 2.1), 0.5 + 0.4 * cos(hue + 4.2), 0.45);
  cairo_rectangle(cr, 0, 0, w, h);
  cairo_rectangle(cr, w * 0.3, h * 0.1, w * 0.4, h * 0.85);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_fill(cr);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  prompt_box(cr, s, w, h, "new background:");
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "background changed");
}

/* The input, whole, centred on the new canvas; around it the input again, faded, stands
 * for what the model would generate; a dashed line marks the original frame. */
static void draw_reframe(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  double u = (w < h ? w : h) / 100.0;
  cairo_set_source_rgb(cr, 0.82, 0.82, 0.84);
  cairo_paint(cr);
  paint_picture(cr, &s->main, 0, 0, w, h, true, 0.35);
  if (s->main.rgba) {
    double sc = fmin((double)w / s->main.w, (double)h / s->main.h), iw = s->main.w * sc, ih = s->main.h * sc;
    double x = (w - iw) / 2, y = (h - ih) / 2;
    paint_picture(cr, &s->main, x, y, iw, ih, false, 1);
    double dash = 2 * u;
    cairo_set_dash(cr, &dash, 1, 0);
    cairo_set_line_width(cr, 0.5 * u);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_rectangle(cr, x + 0.25 * u, y + 0.25 * u, iw - 0.5 * u, ih - 0.5 * u);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  emu_draw_banner(cr, w, h, s->mark);
  char what[64];
  snprintf(what, sizeof what, "reframed %s \xe2\x86\x92 %s", s->from_aspect ? s->from_aspect : "?", s->aspect);
  caption(cr, s, w, h, what);
}

/* A standing figure's outline, in units of u from (cx, top): the opaque part of a cut-out. */
static void silhouette(cairo_t *cr, double cx, double top, double u) {
  cairo_new_path(cr);
  cairo_arc(cr, cx, top + 11 * u, 7.5 * u, 0, 2 * M_PI);
  cairo_new_sub_path(cr);
  static const double body[][2] = {{-5, 18},  {-17, 24}, {-19, 30}, {-13, 52}, {-15, 62}, {-12, 95},
                                   {-3, 95},  {0, 66},   {3, 95},   {12, 95},  {15, 62},  {13, 52},
                                   {19, 30},  {17, 24},  {5, 18}};
  for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
    double x = cx + body[i][0] * u, y = top + body[i][1] * u;
    if (i) cairo_line_to(cr, x, y);
    else cairo_move_to(cr, x, y);
  }
  cairo_close_path(cr);
}

static void draw_background_remove(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  double u = fmin(w / 0.6, (double)h) / 100.0, top = (h - 100 * u) / 2;
  double m = (w < h ? w : h) / 100.0;
  cairo_push_group(cr);
  base_picture(cr, s, w, h);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 3.2 * m);
  cairo_text_extents_t ex;
  cairo_text_extents(cr, "EMULATED", &ex);
  cairo_move_to(cr, w / 2.0 - ex.width / 2 - ex.x_bearing, top + 40 * u);
  cairo_show_text(cr, "EMULATED");
  cairo_pop_group_to_source(cr);
  silhouette(cr, w / 2.0, top, u);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  cairo_fill(cr);
}

static void draw_packshot(cairo_t *cr, const emu_model_scene *s, int w, int h) {
  double u = (w < h ? w : h) / 100.0;
  cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, 0, h);
  cairo_pattern_add_color_stop_rgb(g, 0, 0.98, 0.98, 0.97);
  cairo_pattern_add_color_stop_rgb(g, 1, 0.86, 0.86, 0.85);
  cairo_set_source(cr, g);
  cairo_paint(cr);
  cairo_pattern_destroy(g);
  thumbnail(cr, &s->extra, s->extra_label ? s->extra_label : "", w, h, 0);
  cairo_save(cr); /* a soft floor shadow */
  cairo_translate(cr, w / 2.0, h * 0.84);
  cairo_scale(cr, 0.32 * w, 2.5 * u);
  cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
  cairo_restore(cr);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.18);
  cairo_fill(cr);
  paint_picture(cr, &s->main, w * 0.15, h * 0.12, w * 0.7, h * 0.7, false, 1);
  emu_draw_banner(cr, w, h, s->mark);
  caption(cr, s, w, h, "packshot");
}

typedef void (*renderer)(cairo_t *cr, const emu_model_scene *s, int w, int h);

static const struct {
  const char *model;
  renderer draw;
  bool alpha;
} RENDERERS[] = {
    {"tryon-max", draw_tryon, false},
    {"tryon-v1.6", draw_tryon, false},
    {"product-to-model", draw_product_to_model, false},
    {"face-to-model", draw_face_to_model, false},
    {"model-swap", draw_model_swap, false},
    {"edit", draw_edit, false},
    {"reframe", draw_reframe, false},
    {"background-remove", draw_background_remove, true},
    {"background-change", draw_background_change, false},
    {"packshot", draw_packshot, false},
};

/* A w x h ARGB32 canvas over caller-owned pixels (stride w * 4), or NULL. */
static unsigned char *canvas(int w, int h, cairo_surface_t **surf, cairo_t **cr) {
  emu_draw_once();
  if (w <= 0 || h <= 0 || w > 20000 || h > 20000) return NULL;
  if (cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, w) != w * 4) return NULL;
  unsigned char *px = calloc((size_t)w * (size_t)h, 4); /* transparent */
  if (!px) return NULL;
  *surf = cairo_image_surface_create_for_data(px, CAIRO_FORMAT_ARGB32, w, h, w * 4);
  *cr = cairo_create(*surf);
  return px;
}

static unsigned char *finish(unsigned char *px, cairo_surface_t *surf, cairo_t *cr, int w, int h, bool alpha) {
  bool ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
  cairo_destroy(cr);
  cairo_surface_flush(surf);
  cairo_surface_destroy(surf);
  if (!ok) {
    free(px);
    return NULL;
  }
  emu_surface_to_rgba(px, w, h, !alpha);
  return px;
}

unsigned char *emu_render_model(const emu_model_scene *s, int w, int h) {
  renderer draw = draw_edit; /* a model without its own picture shows the input, labelled */
  bool alpha = false;
  for (size_t i = 0; i < sizeof RENDERERS / sizeof RENDERERS[0]; i++)
    if (!strcmp(RENDERERS[i].model, s->model)) draw = RENDERERS[i].draw, alpha = RENDERERS[i].alpha;
  cairo_surface_t *surf;
  cairo_t *cr;
  unsigned char *px = canvas(w, h, &surf, &cr);
  if (!px) return NULL;
  draw(cr, s, w, h);
  return finish(px, surf, cr, w, h, alpha);
}

unsigned char *emu_render_video_frame(const emu_model_scene *s, int w, int h, int frame, int frames) {
  cairo_surface_t *surf;
  cairo_t *cr;
  unsigned char *px = canvas(w, h, &surf, &cr);
  if (!px) return NULL;
  double t = frames > 1 ? (double)frame / (frames - 1) : 0, u = (w < h ? w : h) / 100.0;
  double zoom = 1.0 + 0.12 * t; /* a slow push in, drifting up a little: the camera move */
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.12);
  cairo_paint(cr);
  cairo_save(cr);
  cairo_translate(cr, w / 2.0, h / 2.0 - 0.03 * h * t);
  cairo_scale(cr, zoom, zoom);
  cairo_translate(cr, -w / 2.0, -h / 2.0);
  if (s->main.rgba) paint_picture(cr, &s->main, 0, 0, w, h, true, 1);
  else emu_draw_figure_scene(cr, s->prompt, s->prompt_len, s->seed, 0, w, h);
  cairo_restore(cr);
  cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.78);
  cairo_rectangle(cr, 0, 0, w, 9 * u);
  cairo_fill(cr);
  char line[96];
  snprintf(line, sizeof line, "EMULATED \xc2\xb7 fashn-emu \xc2\xb7 %d/%d", frame + 1, frames);
  cairo_set_source_rgb(cr, 1, 1, 1);
  emu_draw_text(cr, 2.5 * u, 6 * u, 3.6 * u, true, line);
  /* A progress bar along the bottom makes the motion obvious even on a flat input. */
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, 0, h - 2 * u, w * (frame + 1.0) / frames, 2 * u);
  cairo_fill(cr);
  return finish(px, surf, cr, w, h, false);
}
