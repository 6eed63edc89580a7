/* fontfini.c — fontconfig's exit-time release, skipped once Pango runs (see fontfini.h). */
#include "fontfini.h"

#include <fontconfig/fontconfig.h>
#include <stdatomic.h>
#include <stdbool.h>

static atomic_bool pango_started;

void font_fini_pango_started(void) { atomic_store(&pango_started, true); }

void font_fini(void) {
  if (!atomic_load(&pango_started)) FcFini();
}
