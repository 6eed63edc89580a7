/* lazy_webp.c — libwebp's functions as atelier calls them, loading libwebp on the first
 * call: `atelier -e` and recipes that never touch a WebP skip it. */
#ifdef ATELIER_LAZY
#include <webp/decode.h>
#include <webp/encode.h>

#include "lazy.h"

#ifndef LAZY_SO_WEBP
#define LAZY_SO_WEBP "libwebp.so.7"
#endif
#define LAZY_THIS lazy_webp

#define ALL(F, V) \
  F(int, WebPConfigInitInternal, (WebPConfig* a0, WebPPreset a1, float a2, int a3), (a0, a1, a2, a3)) \
  F(VP8StatusCode, WebPDecode, (const uint8_t* a0, size_t a1, WebPDecoderConfig* a2), (a0, a1, a2)) \
  F(int, WebPEncode, (const WebPConfig* a0, WebPPicture* a1), (a0, a1)) \
  V(WebPFree, (void* a0), (a0)) \
  V(WebPFreeDecBuffer, (WebPDecBuffer* a0), (a0)) \
  F(VP8StatusCode, WebPGetFeaturesInternal, (const uint8_t* a0, size_t a1, WebPBitstreamFeatures* a2, int a3), (a0, a1, a2, a3)) \
  F(int, WebPInitDecoderConfigInternal, (WebPDecoderConfig* a0, int a1), (a0, a1)) \
  V(WebPPictureFree, (WebPPicture* a0), (a0)) \
  F(int, WebPPictureImportRGBA, (WebPPicture* a0, const uint8_t* a1, int a2), (a0, a1, a2)) \
  F(int, WebPPictureImportRGBX, (WebPPicture* a0, const uint8_t* a1, int a2), (a0, a1, a2)) \
  F(int, WebPPictureInitInternal, (WebPPicture* a0, int a1), (a0, a1)) \
  F(int, WebPValidateConfig, (const WebPConfig* a0), (a0)) \

LAZY_TABLE(LAZY_SO_WEBP, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_webp_unused; /* LAZY=0: linked with -lwebp instead */
#endif
