/* lazy_jpeg.c — libturbojpeg's functions as atelier calls them, loading libturbojpeg on
 * the first call: `atelier -e` and recipes that never touch a JPEG skip it. */
#ifdef ATELIER_LAZY
#include <turbojpeg.h>

#include "lazy.h"

#ifndef LAZY_SO_TURBOJPEG
#define LAZY_SO_TURBOJPEG "libturbojpeg.so.0"
#endif
#define LAZY_THIS lazy_turbojpeg

#define ALL(F, V) \
  F(unsigned long, tjBufSize, (int a0, int a1, int a2), (a0, a1, a2)) \
  F(int, tjCompress2, (tjhandle a0, const unsigned char * a1, int a2, int a3, int a4, int a5, unsigned char ** a6, unsigned long * a7, int a8, int a9, int a10), (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10)) \
  F(int, tjDecompress2, (tjhandle a0, const unsigned char * a1, unsigned long a2, unsigned char * a3, int a4, int a5, int a6, int a7, int a8), (a0, a1, a2, a3, a4, a5, a6, a7, a8)) \
  F(int, tjDecompressHeader3, (tjhandle a0, const unsigned char * a1, unsigned long a2, int * a3, int * a4, int * a5, int * a6), (a0, a1, a2, a3, a4, a5, a6)) \
  F(int, tjDestroy, (tjhandle a0), (a0)) \
  F(int, tjGetErrorCode, (tjhandle a0), (a0)) \
  F(char *, tjGetErrorStr2, (tjhandle a0), (a0)) \
  F(tjscalingfactor *, tjGetScalingFactors, (int * a0), (a0)) \
  F(tjhandle, tjInitCompress, (void), ()) \
  F(tjhandle, tjInitDecompress, (void), ()) \

LAZY_TABLE(LAZY_SO_TURBOJPEG, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_jpeg_unused; /* LAZY=0: linked with -lturbojpeg instead */
#endif
