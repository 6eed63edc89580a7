/* lazy_openh264.c — libopenh264's entry points (the H.264 encoder of fashn-emu's
 * image-to-video clips), loading libopenh264 on the first call: only a recipe that makes
 * a clip on the emulator maps it. The encoder's other calls go through the object these
 * return, so they need no line here. */
#ifdef ATELIER_LAZY
#include <wels/codec_api.h>

#include "lazy.h"

#ifndef LAZY_SO_OPENH264
#define LAZY_SO_OPENH264 "libopenh264.so.7"
#endif
#define LAZY_THIS lazy_openh264

#define ALL(F, V) \
  F(int, WelsCreateSVCEncoder, (ISVCEncoder** a0), (a0)) \
  V(WelsDestroySVCEncoder, (ISVCEncoder* a0), (a0)) \

LAZY_TABLE(LAZY_SO_OPENH264, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_openh264_unused; /* LAZY=0: linked with -lopenh264 instead */
#endif
