/* lazy_gobject.c — GObject's functions page_text calls itself: releasing Pango's objects
 * and the checked cast of its font map (libgobject-2.0, loaded with Pango). */
#ifdef ATELIER_LAZY
#include <glib-object.h>

#include "lazy.h"

#ifndef LAZY_SO_GOBJECT
#define LAZY_SO_GOBJECT "libgobject-2.0.so.0"
#endif
#define LAZY_THIS lazy_gobject

#define ALL(F, V) \
  V(g_object_unref, (gpointer a0), (a0)) \
  F(GTypeInstance *, g_type_check_instance_cast, (GTypeInstance * a0, GType a1), (a0, a1))

LAZY_TABLE(LAZY_SO_GOBJECT, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_gobject_unused; /* LAZY=0: linked with -lgobject-2.0 instead */
#endif
