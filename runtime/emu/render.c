/* render.c — draws fashn-emu's placeholder pictures with cairo: a standing figure whose
 * palette comes from the prompt and whose pose and backdrop come from the seed, the seed
 * printed small, a face_reference thumbnail, and an unmistakable EMULATED mark. Pure
 * function of its inputs, so the same request renders the same bytes. */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emu_draw.h"
#include "../base/fontfini.h"
#include "emu_internal.h"

typedef struct rgb {
  double r, g, b;
} rgb;

static rgb hsl(double h, double s, double l) {
  h = fmod(h, 360.0);
  if (h < 0) h += 360.0;
  double c = (1 - fabs(2 * l - 1)) * s, x = c * (1 - fabs(fmod(h / 60.0, 2) - 1)), m = l - c / 2;
  double r = 0, g = 0, b = 0;
  if (h < 60) r = c, g = x;
  else if (h < 120) r = x, g = c;
  else if (h < 180) g = c, b = x;
  else if (h < 240) g = x, b = c;
  else if (h < 300) r = x, b = c;
  else r = c, b = x;
  return (rgb){r + m, g + m, b + m};
}

static void set(cairo_t *cr, rgb c, double alpha) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

/* A small deterministic generator for the seed-driven choices. */
typedef struct dice {
  uint64_t s;
} dice;

static double roll(dice *d) {
  d->s = emu_mix(d->s);
  return (double)(d->s >> 11) * 0x1.0p-53;
}

static double between(dice *d, double lo, double hi) { return lo + (hi - lo) * roll(d); }

void emu_face_box(int w, int h, int *x, int *y, int *size) {
  int m = w < h ? w : h;
  *size = (int)lround(m * 0.24);
  *x = w - *size - (int)lround(m * 0.05);
  *y = (int)lround(m * 0.11);
}

/* A limb: a thick line with round ends. */
static void limb(cairo_t *cr, double x0, double y0, double x1, double y1, double width) {
  cairo_set_line_width(cr, width);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

static void draw_backdrop(cairo_t *cr, int w, int h, uint64_t ph, dice *d) {
  double hue = (double)(ph % 360);
  cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, 0, h);
  rgb top = hsl(hue, 0.45, 0.88), bottom = hsl(hue + 25, 0.40, 0.68);
  cairo_pattern_add_color_stop_rgb(g, 0, top.r, top.g, top.b);
  cairo_pattern_add_color_stop_rgb(g, 1, bottom.r, bottom.g, bottom.b);
  cairo_set_source(cr, g);
  cairo_paint(cr);
  cairo_pattern_destroy(g);
  /* Seed-placed discs and a floor line: the backdrop changes with every seed. */
  double m = w < h ? w : h;
  for (int i = 0; i < 14; i++) {
    set(cr, hsl(hue + between(d, 150, 230), 0.55, between(d, 0.45, 0.75)), 0.18);
    cairo_arc(cr, between(d, 0, w), between(d, 0, h * 0.8), between(d, 0.03, 0.16) * m, 0, 2 * M_PI);
    cairo_fill(cr);
  }
  set(cr, hsl(hue + 25, 0.30, 0.52), 1);
  cairo_rectangle(cr, 0, h * 0.86, w, h * 0.14);
  cairo_fill(cr);
}

static void draw_figure(cairo_t *cr, int w, int h, uint64_t ph, dice *d) {
  double hue = (double)(ph % 360);
  static const rgb skins[] = {{0.96, 0.80, 0.69}, {0.89, 0.68, 0.53}, {0.78, 0.57, 0.42},
                              {0.63, 0.44, 0.30}, {0.47, 0.32, 0.22}, {0.36, 0.24, 0.17}};
  static const rgb hairs[] = {{0.10, 0.08, 0.07}, {0.35, 0.22, 0.12}, {0.72, 0.55, 0.30}, {0.55, 0.20, 0.10}};
  rgb skin = skins[(ph >> 16) % 6], hair = hairs[(ph >> 24) % 4];
  rgb garment = hsl(hue + 150 + (double)((ph >> 8) % 60), 0.55, 0.42);
  rgb accent = hsl(hue + 210, 0.50, 0.30);
  bool dress = (ph >> 32) & 1;

  double fh = h * 0.80, f = fh / 100.0; /* figure units */
  double cx = w / 2.0 + between(d, -0.12, 0.12) * (w < h ? w : h), y0 = h * 0.08;
  /* Shadow. */
  cairo_save(cr);
  cairo_translate(cr, cx, y0 + 96 * f);
  cairo_scale(cr, 22 * f, 3.5 * f);
  cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
  cairo_restore(cr);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.22);
  cairo_fill(cr);

  /* Legs (stance from the seed). */
  double spread = between(d, 2, 9);
  set(cr, dress ? skin : accent, 1);
  limb(cr, cx - 4 * f, y0 + 46 * f, cx - 4 * f - spread * f, y0 + 93 * f, 5.5 * f);
  limb(cr, cx + 4 * f, y0 + 46 * f, cx + 4 * f + spread * f * between(d, 0.2, 1.0), y0 + 93 * f, 5.5 * f);
  set(cr, hsl(hue + 300, 0.2, 0.15), 1);
  limb(cr, cx - 5 * f - spread * f, y0 + 94 * f, cx - 9 * f - spread * f, y0 + 94 * f, 3.5 * f);
  limb(cr, cx + 5 * f + spread * f * 0.6, y0 + 94 * f, cx + 9 * f + spread * f * 0.6, y0 + 94 * f, 3.5 * f);

  /* Arms (angles from the seed), behind the torso. */
  set(cr, skin, 1);
  for (int side = -1; side <= 1; side += 2) {
    double sx = cx + side * 10.5 * f, sy = y0 + 21 * f;
    double a = between(d, 0.05, 0.75), el = between(d, -0.4, 0.6);
    double ex = sx + side * sin(a) * 16 * f, ey = sy + cos(a) * 16 * f;
    double hx = ex + side * sin(a + el) * 15 * f, hy = ey + cos(a + el) * 15 * f;
    limb(cr, sx, sy, ex, ey, 4.2 * f);
    limb(cr, ex, ey, hx, hy, 3.6 * f);
  }
  /* Torso and skirt/trousers top. */
  set(cr, garment, 1);
  cairo_move_to(cr, cx - 11.5 * f, y0 + 19 * f);
  cairo_line_to(cr, cx + 11.5 * f, y0 + 19 * f);
  cairo_line_to(cr, cx + 7 * f, y0 + 42 * f);
  if (dress) {
    cairo_line_to(cr, cx + 17 * f, y0 + 70 * f);
    cairo_line_to(cr, cx - 17 * f, y0 + 70 * f);
  } else {
    cairo_line_to(cr, cx + 8.5 * f, y0 + 48 * f);
    cairo_line_to(cr, cx - 8.5 * f, y0 + 48 * f);
  }
  cairo_line_to(cr, cx - 7 * f, y0 + 42 * f);
  cairo_close_path(cr);
  cairo_fill(cr);
  set(cr, accent, 1);
  cairo_rectangle(cr, cx - 7.5 * f, y0 + 40.5 * f, 15 * f, 2.2 * f); /* belt */
  cairo_fill(cr);
  /* Neck, head, hair. */
  set(cr, skin, 1);
  cairo_rectangle(cr, cx - 2 * f, y0 + 13 * f, 4 * f, 7 * f);
  cairo_fill(cr);
  double tilt = between(d, -1.5, 1.5) * f;
  cairo_arc(cr, cx + tilt, y0 + 8 * f, 6.2 * f, 0, 2 * M_PI);
  cairo_fill(cr);
  set(cr, hair, 1);
  cairo_arc(cr, cx + tilt, y0 + 7.2 * f, 6.6 * f, M_PI * 1.02, M_PI * 1.98);
  cairo_fill(cr);
}

/* Appends up to max bytes of s that are whole printable UTF-8 characters (cairo refuses
 * invalid UTF-8 by disabling the context). s is valid UTF-8 (the JSON reader checks). */
static void printable(char *out, size_t outlen, const char *s, size_t len, size_t max) {
  size_t o = 0;
  for (size_t i = 0; i < len && o < max && o + 4 < outlen;) {
    unsigned char c = (unsigned char)s[i];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n > len || o + n > max) break;
    if (c < 0x20 || c == 0x7f) {
      out[o++] = ' ';
    } else {
      memcpy(out + o, s + i, n);
      o += n;
    }
    i += n;
  }
  out[o] = '\0';
}

static void text(cairo_t *cr, double x, double y, double size, bool bold, const char *s) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s);
}

void emu_draw_text(cairo_t *cr, double x, double y, double size, bool bold, const char *s) {
  text(cr, x, y, size, bold, s);
}

void emu_printable(char *out, size_t outlen, const char *s, size_t len, size_t max) {
  printable(out, outlen, s, len, max);
}

void emu_draw_banner(cairo_t *cr, int w, int h, const char *mark) {
  if (!mark) mark = "EMULATED";
  double m = w < h ? w : h, u = m / 100.0;
  /* Banner. */
  cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.78);
  cairo_rectangle(cr, 0, 0, w, 7 * u);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  char banner[80];
  snprintf(banner, sizeof banner, "%s \xc2\xb7 fashn-emu \xc2\xb7 not a FASHN image", mark);
  text(cr, 2.5 * u, 4.9 * u, 3.4 * u, true, banner);
  /* Watermark across the middle. */
  cairo_save(cr);
  cairo_translate(cr, w / 2.0, h / 2.0);
  cairo_rotate(cr, -atan2(h, w));
  cairo_set_source_rgba(cr, 1, 1, 1, 0.28);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 15 * u);
  cairo_text_extents_t ex;
  cairo_text_extents(cr, mark, &ex);
  cairo_move_to(cr, -ex.width / 2 - ex.x_bearing, ex.height / 2);
  cairo_show_text(cr, mark);
  cairo_restore(cr);
}

static void draw_marks(cairo_t *cr, const emu_scene *s, int w, int h) {
  double m = w < h ? w : h, u = m / 100.0;
  emu_draw_banner(cr, w, h, s->mark);
  /* Seed and settings, small, bottom left; the prompt's start above them. */
  char line[200], prompt[160];
  snprintf(line, sizeof line, "seed %u \xc2\xb7 %s \xc2\xb7 %dk \xc2\xb7 image %d/%d%s", s->seed, s->aspect, s->res,
           s->index + 1, s->count, s->ref_hash ? " \xc2\xb7 image_reference" : "");
  cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
  text(cr, 2.5 * u, h - 2.5 * u, 2.2 * u, false, line);
  printable(prompt, sizeof prompt, s->prompt, s->prompt_len, 120);
  text(cr, 2.5 * u, h - 5.6 * u, 2.2 * u, false, prompt);
}

/* The decoded face, scaled to cover its box, framed; the thumbnail proves the upload. */
static void draw_face(cairo_t *cr, const emu_scene *s, int w, int h) {
  int x, y, size;
  emu_face_box(w, h, &x, &y, &size);
  double u = (w < h ? w : h) / 100.0;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x - 0.8 * u, y - 0.8 * u, size + 1.6 * u, size + 1.6 * u);
  cairo_fill(cr);
  cairo_surface_t *face = emu_surface_from_rgba(s->face, s->face_w, s->face_h);
  if (cairo_surface_status(face) == CAIRO_STATUS_SUCCESS) {
    cairo_save(cr);
    cairo_rectangle(cr, x, y, size, size);
    cairo_clip(cr);
    double sc = fmax((double)size / s->face_w, (double)size / s->face_h);
    cairo_translate(cr, x + (size - s->face_w * sc) / 2, y + (size - s->face_h * sc) / 2);
    cairo_scale(cr, sc, sc);
    cairo_set_source_surface(cr, face, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint(cr);
    cairo_restore(cr);
  }
  cairo_surface_destroy(face);
  cairo_set_source_rgba(cr, 0.05, 0.05, 0.08, 0.85);
  text(cr, x, y + size + 3.2 * u, 2.0 * u, false, s->match_base ? "face \xc2\xb7 match_base" : "face \xc2\xb7 match_reference");
}

/* cairo keeps process-wide font caches (fontconfig patterns) for as long as the process
 * lives; releasing them at exit, after every emulator has stopped, keeps leak checkers
 * quiet about memory that is not a leak so that real leaks stand out. */
static void release_font_caches(void) {
  font_fini(); /* idempotent: the page renderer may release them too */
}
static void register_release(void) { atexit(release_font_caches); }

void emu_draw_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_release);
}

cairo_surface_t *emu_surface_from_rgba(const unsigned char *rgba, int w, int h) {
  cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) return sf;
  cairo_surface_flush(sf);
  unsigned char *dst = cairo_image_surface_get_data(sf);
  int stride = cairo_image_surface_get_stride(sf);
  for (int j = 0; j < h; j++) {
    uint32_t *row = (uint32_t *)(dst + (size_t)j * (size_t)stride);
    const unsigned char *src = rgba + (size_t)j * (size_t)w * 4;
    for (int i = 0; i < w; i++, src += 4) {
      uint32_t a = src[3];
      row[i] = a << 24 | (src[0] * a / 255) << 16 | (src[1] * a / 255) << 8 | (src[2] * a / 255);
    }
  }
  cairo_surface_mark_dirty(sf);
  return sf;
}

void emu_surface_to_rgba(unsigned char *px, int w, int h, bool opaque) {
  /* Cairo's native-endian premultiplied ARGB to straight RGBA bytes. */
  uint32_t *p32 = (uint32_t *)px;
  for (size_t i = 0, n = (size_t)w * (size_t)h; i < n; i++) {
    uint32_t v = p32[i], a = opaque ? 255 : v >> 24;
    unsigned char *o = px + i * 4;
    unsigned r = (v >> 16) & 255, g = (v >> 8) & 255, b = v & 255;
    if (!opaque && a && a < 255) r = (r * 255 + a / 2) / a, g = (g * 255 + a / 2) / a, b = (b * 255 + a / 2) / a;
    o[0] = (unsigned char)(r > 255 ? 255 : r);
    o[1] = (unsigned char)(g > 255 ? 255 : g);
    o[2] = (unsigned char)(b > 255 ? 255 : b);
    o[3] = (unsigned char)a;
  }
}

void emu_draw_figure_scene(cairo_t *cr, const char *prompt, size_t prompt_len, uint32_t seed, uint64_t salt,
                           int w, int h) {
  uint64_t ph = emu_mix(emu_hash(prompt ? prompt : "", prompt ? prompt_len : 0, EMU_HASH_INIT));
  dice d = {emu_mix(ph ^ emu_mix(seed) ^ emu_mix(salt))};
  draw_backdrop(cr, w, h, ph, &d);
  draw_figure(cr, w, h, ph, &d);
}

unsigned char *emu_render(const emu_scene *s, int w, int h) {
  emu_draw_once();
  if (w <= 0 || h <= 0 || w > 20000 || h > 20000) return NULL;
  int stride = cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, w);
  if (stride != w * 4) return NULL;
  unsigned char *px = malloc((size_t)stride * (size_t)h);
  if (!px) return NULL;
  cairo_surface_t *surf = cairo_image_surface_create_for_data(px, CAIRO_FORMAT_ARGB32, w, h, stride);
  cairo_t *cr = cairo_create(surf);
  uint64_t ph = emu_mix(emu_hash(s->prompt, s->prompt_len, EMU_HASH_INIT));
  dice d = {emu_mix(ph ^ emu_mix(s->seed) ^ emu_mix(s->ref_hash + (uint64_t)s->index * 0x9e37))};
  draw_backdrop(cr, w, h, ph, &d);
  draw_figure(cr, w, h, ph, &d);
  if (s->face) draw_face(cr, s, w, h);
  draw_marks(cr, s, w, h);
  bool ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
  cairo_destroy(cr);
  cairo_surface_flush(surf);
  cairo_surface_destroy(surf);
  if (!ok) {
    free(px);
    return NULL;
  }
  emu_surface_to_rgba(px, w, h, true); /* the picture is opaque */
  return px;
}
