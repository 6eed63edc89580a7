/* lazy_pangocairo.c — Pango's cairo glue (libpangocairo-1.0): the font map page_text makes
 * and the drawing of its laid-out lines onto cairo, loaded with the first text of a page. */
#ifdef ATELIER_LAZY
#include <pango/pangocairo.h>

#include "lazy.h"

#ifndef LAZY_SO_PANGOCAIRO
#define LAZY_SO_PANGOCAIRO "libpangocairo-1.0.so.0"
#endif
#define LAZY_THIS lazy_pangocairo

#define ALL(F, V) \
  V(pango_cairo_context_set_font_options, (PangoContext * a0, const cairo_font_options_t * a1), (a0, a1)) \
  F(PangoFontMap *, pango_cairo_font_map_new, (void), ()) \
  V(pango_cairo_show_layout_line, (cairo_t * a0, PangoLayoutLine * a1), (a0, a1)) \
  V(pango_cairo_update_context, (cairo_t * a0, PangoContext * a1), (a0, a1))

LAZY_TABLE(LAZY_SO_PANGOCAIRO, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_pangocairo_unused; /* LAZY=0: linked with -lpangocairo-1.0 instead */
#endif
