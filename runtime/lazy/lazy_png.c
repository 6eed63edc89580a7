/* lazy_png.c — libpng's functions as atelier calls them, loading libpng (and zlib) on
 * the first call: `atelier -e` and recipes that never read or write a PNG skip it. */
#ifdef ATELIER_LAZY
#include <png.h>
#include <stdlib.h>

#include "lazy.h"

#ifndef LAZY_SO_PNG16
#define LAZY_SO_PNG16 "libpng16.so.16"
#endif
#define LAZY_THIS lazy_png

#define PLAIN(F, V) \
  F(png_infop, png_create_info_struct, (png_const_structrp a0), (a0)) \
  F(png_structp, png_create_read_struct_2, (png_const_charp a0, png_voidp a1, png_error_ptr a2, png_error_ptr a3, png_voidp a4, png_malloc_ptr a5, png_free_ptr a6), (a0, a1, a2, a3, a4, a5, a6)) \
  F(png_structp, png_create_write_struct, (png_const_charp a0, png_voidp a1, png_error_ptr a2, png_error_ptr a3), (a0, a1, a2, a3)) \
  V(png_destroy_read_struct, (png_structpp a0, png_infopp a1, png_infopp a2), (a0, a1, a2)) \
  V(png_destroy_write_struct, (png_structpp a0, png_infopp a1), (a0, a1)) \
  F(png_voidp, png_get_error_ptr, (png_const_structrp a0), (a0)) \
  F(png_uint_32, png_get_image_height, (png_const_structrp a0, png_const_inforp a1), (a0, a1)) \
  F(png_byte, png_get_interlace_type, (png_const_structrp restrict a0, png_const_inforp restrict a1), (a0, a1)) \
  F(png_uint_32, png_get_image_width, (png_const_structrp a0, png_const_inforp a1), (a0, a1)) \
  F(png_voidp, png_get_io_ptr, (png_const_structrp a0), (a0)) \
  F(size_t, png_get_rowbytes, (png_const_structrp a0, png_const_inforp a1), (a0, a1)) \
  V(png_read_end, (png_structrp a0, png_inforp a1), (a0, a1)) \
  V(png_read_image, (png_structrp a0, png_bytepp a1), (a0, a1)) \
  V(png_read_info, (png_structrp a0, png_inforp a1), (a0, a1)) \
  V(png_read_row, (png_structrp a0, png_bytep a1, png_bytep a2), (a0, a1, a2)) \
  V(png_read_update_info, (png_structrp a0, png_inforp a1), (a0, a1)) \
  V(png_set_IHDR, (png_const_structrp a0, png_inforp a1, png_uint_32 a2, png_uint_32 a3, int a4, int a5, int a6, int a7, int a8), (a0, a1, a2, a3, a4, a5, a6, a7, a8)) \
  V(png_set_add_alpha, (png_structrp a0, png_uint_32 a1, int a2), (a0, a1, a2)) \
  V(png_set_chunk_malloc_max, (png_structrp a0, png_alloc_size_t a1), (a0, a1)) \
  V(png_set_compression_level, (png_structrp a0, int a1), (a0, a1)) \
  V(png_set_expand, (png_structrp a0), (a0)) \
  V(png_set_gray_to_rgb, (png_structrp a0), (a0)) \
  F(int, png_set_interlace_handling, (png_structrp a0), (a0)) \
  V(png_set_read_fn, (png_structrp a0, png_voidp a1, png_rw_ptr a2), (a0, a1, a2)) \
  V(png_set_rows, (png_const_structrp a0, png_inforp a1, png_bytepp a2), (a0, a1, a2)) \
  V(png_set_scale_16, (png_structrp a0), (a0)) \
  V(png_set_text, (png_const_structrp a0, png_inforp a1, png_const_textp a2, int a3), (a0, a1, a2, a3)) \
  V(png_set_user_limits, (png_structrp a0, png_uint_32 a1, png_uint_32 a2), (a0, a1, a2)) \
  V(png_set_write_fn, (png_structrp a0, png_voidp a1, png_rw_ptr a2, png_flush_ptr a3), (a0, a1, a2, a3)) \
  V(png_write_png, (png_structrp a0, png_inforp a1, int a2, png_voidp a3), (a0, a1, a2, a3)) \

/* png_error never returns (it longjmps to the caller's handler); written out below. */
#define ALL(F, V) PLAIN(F, V) V(png_error, , )

LAZY_TABLE(LAZY_SO_PNG16, ALL)
PLAIN(LAZY_DEF_F, LAZY_DEF_V)

void(png_error)(png_const_structrp png, png_const_charp msg) {
  LAZY_FN(png_error)(png, msg);
  abort(); /* not reached: libpng's png_error does not return */
}
#else
typedef int lazy_png_unused; /* LAZY=0: linked with -lpng16 instead */
#endif
