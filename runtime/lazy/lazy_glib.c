/* lazy_glib.c — GLib's functions page_text calls itself (UTF-8 checks, upper-casing,
 * freeing what Pango returns), from libglib-2.0, loaded with Pango. */
#ifdef ATELIER_LAZY
#include <glib.h>

#include "lazy.h"

#ifndef LAZY_SO_GLIB
#define LAZY_SO_GLIB "libglib-2.0.so.0"
#endif
#define LAZY_THIS lazy_glib

#define ALL(F, V) \
  V(g_free, (gpointer a0), (a0)) \
  F(gchar *, g_strdup, (const gchar * a0), (a0)) \
  F(gchar *, g_utf8_strup, (const gchar * a0, gssize a1), (a0, a1)) \
  F(gboolean, g_utf8_validate, (const gchar * a0, gssize a1, const gchar ** a2), (a0, a1, a2))

LAZY_TABLE(LAZY_SO_GLIB, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_glib_unused; /* LAZY=0: linked with -lglib-2.0 instead */
#endif
