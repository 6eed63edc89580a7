/* page_text.c — lookbook text through Pango (see page_text.h). Pango breaks lines
 * (words, then characters for a word wider than the column), shapes every script and
 * picks fallback fonts from fontconfig for characters the family lacks; we place the
 * lines ourselves on a fixed baseline grid, so a caption in Japanese sits on the same
 * lines as one in Latin and its box never grows. */
#include "page_text.h"

#include "../base/fontfini.h"

#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct page_text {
  PangoFontMap *map;
  PangoContext *ctx;
  char *family;
  char resolved[128];
  double ascent_em, line_em;
  bool held; /* counted by font_fini_hold */
};

static PangoFontDescription *describe(const page_text *t, double size, bool bold, bool italic) {
  PangoFontDescription *d = pango_font_description_new();
  pango_font_description_set_family(d, t->family);
  pango_font_description_set_weight(d, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_style(d, italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
  pango_font_description_set_absolute_size(d, size * PANGO_SCALE);
  return d;
}

page_text *page_text_new(const char *family, char *err, size_t errlen) {
  page_text *t = calloc(1, sizeof *t);
  if (!t || !(t->family = strdup(family && *family ? family : PAGE_DEFAULT_FONT))) {
    free(t);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  font_fini_pango_started(); /* before Pango's own thread starts */
  font_fini_hold();            /* until page_text_free: its fonts are cairo's */
  t->held = true;
  t->map = pango_cairo_font_map_new();
  t->ctx = t->map ? pango_font_map_create_context(t->map) : NULL;
  if (!t->ctx) {
    page_text_free(t);
    snprintf(err, errlen, "font: Pango could not start (no fontconfig configuration?)");
    return NULL;
  }
  /* unhinted metrics: the PDF (vector) and page images (pixels) set the same widths */
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options(t->ctx, fo);
  cairo_font_options_destroy(fo);

  PangoFontDescription *d = describe(t, 100, false, false);
  PangoFont *font = pango_font_map_load_font(t->map, t->ctx, d);
  if (font) {
    PangoFontDescription *got = pango_font_describe(font);
    snprintf(t->resolved, sizeof t->resolved, "%s", pango_font_description_get_family(got));
    pango_font_description_free(got);
    g_object_unref(font);
  }
  /* a family that is not installed: fontconfig would quietly set another one */
  static const char *const generic[] = {"serif", "sans-serif", "sans", "monospace", "mono", "cursive", "fantasy", NULL};
  bool is_generic = false;
  for (int i = 0; generic[i]; i++) is_generic = is_generic || strcasecmp(t->family, generic[i]) == 0;
  bool asked = family && *family; /* the default may fall back: it is only a preference */
  if (asked && !is_generic && t->resolved[0] && strcasecmp(t->resolved, t->family) != 0) {
    snprintf(err, errlen, "font: no family \"%s\" is installed (fontconfig would use \"%s\"; `fc-list : family` lists them)",
             t->family, t->resolved);
    pango_font_description_free(d);
    page_text_free(t);
    return NULL;
  }
  PangoFontMetrics *m = pango_context_get_metrics(t->ctx, d, NULL);
  double asc = pango_font_metrics_get_ascent(m) / (double)PANGO_SCALE / 100;
  double desc = pango_font_metrics_get_descent(m) / (double)PANGO_SCALE / 100;
  pango_font_metrics_unref(m);
  pango_font_description_free(d);
  /* a floor under both: fallback fonts (CJK) are taller than many Latin faces */
  t->ascent_em = asc > 0.9 ? asc : 0.9;
  t->line_em = asc + desc > 1.2 ? asc + desc : 1.2;
  if (t->line_em < t->ascent_em + 0.28) t->line_em = t->ascent_em + 0.28;
  return t;
}

void page_text_free(page_text *t) {
  if (!t) return;
  if (t->ctx) g_object_unref(t->ctx);
  if (t->map) {
    pango_fc_font_map_shutdown(PANGO_FC_FONT_MAP(t->map)); /* lets go of fontconfig's objects */
    g_object_unref(t->map);
  }
  if (t->held) font_fini_unhold();
  free(t->family);
  free(t);
}

const char *page_text_family(const page_text *t) { return t->resolved[0] ? t->resolved : t->family; }

void page_text_metrics(page_text *t, double *ascent_em, double *line_em) {
  *ascent_em = t->ascent_em;
  *line_em = t->line_em;
}

bool page_text_set(page_text *t, cairo_t *cr, bool draw, const char *s, double x, double y, double w,
                   const page_text_style *st, page_text_extent *ext) {
  if (ext) memset(ext, 0, sizeof *ext);
  if (!s || !*s || w <= 0 || st->size <= 0) return false;
  /* one paragraph: the line limit counts every line of the text */
  char *text = st->upper ? g_utf8_strup(s, -1) : g_strdup(s);
  for (char *p = text; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  pango_cairo_update_context(cr, t->ctx);
  PangoLayout *lay = pango_layout_new(t->ctx);
  PangoFontDescription *d = describe(t, st->size, st->bold, st->italic);
  pango_layout_set_font_description(lay, d);
  pango_font_description_free(d);
  /* lining figures everywhere: an old-style "1" reads as "ı" in "Look 1" */
  PangoAttrList *attrs = pango_attr_list_new();
  if (st->tracking != 0)
    pango_attr_list_insert(attrs, pango_attr_letter_spacing_new((int)(st->tracking * st->size * PANGO_SCALE)));
  pango_attr_list_insert(attrs, pango_attr_font_features_new(st->lining ? "lnum 1, tnum 1" : "lnum 1"));
  pango_layout_set_attributes(lay, attrs);
  pango_attr_list_unref(attrs);
  int max_lines = st->max_lines > 0 ? st->max_lines : 1;
  pango_layout_set_width(lay, (int)(w * PANGO_SCALE));
  pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
  pango_layout_set_height(lay, -max_lines);
  pango_layout_set_alignment(lay, st->align > 0.75 ? PANGO_ALIGN_RIGHT : st->align > 0.25 ? PANGO_ALIGN_CENTER
                                                                                          : PANGO_ALIGN_LEFT);
  pango_layout_set_text(lay, text, -1);
  g_free(text);

  double lh = t->line_em * st->size, asc = t->ascent_em * st->size;
  double minx = 1e18, maxx = -1e18, iminx = 1e18, imaxx = -1e18, iminy = 1e18, imaxy = -1e18;
  int k = 0;
  if (draw) cairo_set_source_rgb(cr, st->r, st->g, st->b);
  PangoLayoutIter *it = pango_layout_get_iter(lay);
  do {
    if (k >= max_lines) break;
    PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
    PangoRectangle lr, ink, logical;
    pango_layout_iter_get_line_extents(it, NULL, &lr); /* x carries the alignment */
    pango_layout_line_get_extents(line, &ink, &logical);
    double lx = x + lr.x / (double)PANGO_SCALE, base = y + asc + k * lh;
    minx = fmin(minx, lx);
    maxx = fmax(maxx, lx + lr.width / (double)PANGO_SCALE);
    if (ink.width > 0 && ink.height > 0) {
      double ix = lx + (ink.x - logical.x) / (double)PANGO_SCALE;
      iminx = fmin(iminx, ix);
      imaxx = fmax(imaxx, ix + ink.width / (double)PANGO_SCALE);
      iminy = fmin(iminy, base + ink.y / (double)PANGO_SCALE);
      imaxy = fmax(imaxy, base + (ink.y + ink.height) / (double)PANGO_SCALE);
    }
    if (draw) {
      cairo_move_to(cr, lx - logical.x / (double)PANGO_SCALE, base);
      pango_cairo_show_layout_line(cr, line);
    }
    k++;
  } while (pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
  if (ext) {
    ext->nlines = k;
    ext->ellipsized = pango_layout_is_ellipsized(lay);
    ext->x = k ? minx : x;
    ext->w = k ? maxx - minx : 0;
    ext->y = y;
    ext->h = k * lh;
    if (iminx <= imaxx) {
      ext->ink_x = iminx, ext->ink_w = imaxx - iminx;
      ext->ink_y = iminy, ext->ink_h = imaxy - iminy;
    }
  }
  g_object_unref(lay);
  return k > 0;
}
