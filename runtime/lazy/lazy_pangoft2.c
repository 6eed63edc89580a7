/* lazy_pangoft2.c — Pango's fontconfig font map (libpangoft2-1.0), which page_text shuts
 * down when a book is freed so fontconfig's objects are let go of. */
#ifdef ATELIER_LAZY
#include <pango/pangofc-fontmap.h>

#include "lazy.h"

#ifndef LAZY_SO_PANGOFT2
#define LAZY_SO_PANGOFT2 "libpangoft2-1.0.so.0"
#endif
#define LAZY_THIS lazy_pangoft2

#define ALL(F, V) \
  F(GType, pango_fc_font_map_get_type, (void), ()) \
  V(pango_fc_font_map_shutdown, (PangoFcFontMap * a0), (a0))

LAZY_TABLE(LAZY_SO_PANGOFT2, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_pangoft2_unused; /* LAZY=0: linked with -lpangoft2-1.0 instead */
#endif
