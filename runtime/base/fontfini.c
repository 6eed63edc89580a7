/* fontfini.c — the exit-time release of font caches, when it is safe (see fontfini.h). */
#include "fontfini.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <stdatomic.h>
#include <stdbool.h>

static atomic_bool pango_started;
static atomic_int holders;

void font_fini_pango_started(void) { atomic_store(&pango_started, true); }
void font_fini_hold(void) { atomic_fetch_add(&holders, 1); }
void font_fini_unhold(void) { atomic_fetch_sub(&holders, 1); }

void font_fini(void) {
  if (atomic_load(&holders) > 0) return; /* cairo asserts on a font still in use */
  cairo_debug_reset_static_data();
  if (!atomic_load(&pango_started)) FcFini();
}
