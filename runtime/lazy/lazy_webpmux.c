/* lazy_webpmux.c — libwebpmux's functions (XMP metadata in WebP files), loading
 * libwebpmux on the first call. */
#ifdef ATELIER_LAZY
#include <webp/mux.h>

#include "lazy.h"

#ifndef LAZY_SO_WEBPMUX
#define LAZY_SO_WEBPMUX "libwebpmux.so.3"
#endif
#define LAZY_THIS lazy_webpmux

#define ALL(F, V) \
  F(WebPMuxError, WebPMuxAssemble, (WebPMux* a0, WebPData* a1), (a0, a1)) \
  F(WebPMux*, WebPMuxCreateInternal, (const WebPData* a0, int a1, int a2), (a0, a1, a2)) \
  V(WebPMuxDelete, (WebPMux* a0), (a0)) \
  F(WebPMuxError, WebPMuxGetChunk, (const WebPMux* a0, const char a1[4], WebPData* a2), (a0, a1, a2)) \
  F(WebPMuxError, WebPMuxSetChunk, (WebPMux* a0, const char a1[4], const WebPData* a2, int a3), (a0, a1, a2, a3)) \

LAZY_TABLE(LAZY_SO_WEBPMUX, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_webpmux_unused; /* LAZY=0: linked with -lwebpmux instead */
#endif
