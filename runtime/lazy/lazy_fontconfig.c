/* lazy_fontconfig.c — fontconfig's one function atelier calls itself (FcFini, releasing
 * its caches at exit for the leak checkers). fontconfig is cairo's to load; FcFini does
 * nothing unless it is loaded, rather than loading it to release nothing. */
#ifdef ATELIER_LAZY
#include <fontconfig/fontconfig.h>

#include "lazy.h"

#ifndef LAZY_SO_FONTCONFIG
#define LAZY_SO_FONTCONFIG "libfontconfig.so.1"
#endif
#define LAZY_THIS lazy_fontconfig

#define ALL(F, V) V(FcFini, , )

LAZY_TABLE(LAZY_SO_FONTCONFIG, ALL)
LAZY_DEF_CLEANUP(FcFini, (void), ())
#else
typedef int lazy_fontconfig_unused; /* LAZY=0: linked with -lfontconfig instead */
#endif
