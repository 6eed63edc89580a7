/* lazy_pango.c — Pango's own functions as page_text lays out captions, covers and labels
 * with them (libpango-1.0, which brings GLib, HarfBuzz and fribidi): only a run that makes
 * a page with text loads it. */
#ifdef ATELIER_LAZY
#include <pango/pango.h>

#include "lazy.h"

#ifndef LAZY_SO_PANGO
#define LAZY_SO_PANGO "libpango-1.0.so.0"
#endif
#define LAZY_THIS lazy_pango

#define ALL(F, V) \
  F(PangoAttribute *, pango_attr_font_features_new, (const char * a0), (a0)) \
  F(PangoAttribute *, pango_attr_letter_spacing_new, (int a0), (a0)) \
  V(pango_attr_list_insert, (PangoAttrList * a0, PangoAttribute * a1), (a0, a1)) \
  F(PangoAttrList *, pango_attr_list_new, (void), ()) \
  V(pango_attr_list_unref, (PangoAttrList * a0), (a0)) \
  F(PangoFontMetrics *, pango_context_get_metrics, (PangoContext * a0, const PangoFontDescription * a1, PangoLanguage * a2), (a0, a1, a2)) \
  F(PangoFontDescription *, pango_font_describe, (PangoFont * a0), (a0)) \
  V(pango_font_description_free, (PangoFontDescription * a0), (a0)) \
  F(const char *, pango_font_description_get_family, (const PangoFontDescription * a0), (a0)) \
  F(PangoFontDescription *, pango_font_description_new, (void), ()) \
  V(pango_font_description_set_absolute_size, (PangoFontDescription * a0, double a1), (a0, a1)) \
  V(pango_font_description_set_family, (PangoFontDescription * a0, const char * a1), (a0, a1)) \
  V(pango_font_description_set_style, (PangoFontDescription * a0, PangoStyle a1), (a0, a1)) \
  V(pango_font_description_set_weight, (PangoFontDescription * a0, PangoWeight a1), (a0, a1)) \
  F(PangoContext *, pango_font_map_create_context, (PangoFontMap * a0), (a0)) \
  F(PangoFont *, pango_font_map_load_font, (PangoFontMap * a0, PangoContext * a1, const PangoFontDescription * a2), (a0, a1, a2)) \
  F(int, pango_font_metrics_get_ascent, (PangoFontMetrics * a0), (a0)) \
  F(int, pango_font_metrics_get_descent, (PangoFontMetrics * a0), (a0)) \
  V(pango_font_metrics_unref, (PangoFontMetrics * a0), (a0)) \
  F(PangoLayoutIter *, pango_layout_get_iter, (PangoLayout * a0), (a0)) \
  F(gboolean, pango_layout_is_ellipsized, (PangoLayout * a0), (a0)) \
  V(pango_layout_iter_free, (PangoLayoutIter * a0), (a0)) \
  V(pango_layout_iter_get_line_extents, (PangoLayoutIter * a0, PangoRectangle * a1, PangoRectangle * a2), (a0, a1, a2)) \
  F(PangoLayoutLine *, pango_layout_iter_get_line_readonly, (PangoLayoutIter * a0), (a0)) \
  F(gboolean, pango_layout_iter_next_line, (PangoLayoutIter * a0), (a0)) \
  V(pango_layout_line_get_extents, (PangoLayoutLine * a0, PangoRectangle * a1, PangoRectangle * a2), (a0, a1, a2)) \
  F(PangoLayout *, pango_layout_new, (PangoContext * a0), (a0)) \
  V(pango_layout_set_alignment, (PangoLayout * a0, PangoAlignment a1), (a0, a1)) \
  V(pango_layout_set_attributes, (PangoLayout * a0, PangoAttrList * a1), (a0, a1)) \
  V(pango_layout_set_ellipsize, (PangoLayout * a0, PangoEllipsizeMode a1), (a0, a1)) \
  V(pango_layout_set_font_description, (PangoLayout * a0, const PangoFontDescription * a1), (a0, a1)) \
  V(pango_layout_set_height, (PangoLayout * a0, int a1), (a0, a1)) \
  V(pango_layout_set_text, (PangoLayout * a0, const char * a1, int a2), (a0, a1, a2)) \
  V(pango_layout_set_width, (PangoLayout * a0, int a1), (a0, a1)) \
  V(pango_layout_set_wrap, (PangoLayout * a0, PangoWrapMode a1), (a0, a1))

LAZY_TABLE(LAZY_SO_PANGO, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_pango_unused; /* LAZY=0: linked with -lpango-1.0 instead */
#endif
