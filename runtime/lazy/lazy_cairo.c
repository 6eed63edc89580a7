/* lazy_cairo.c — cairo's functions as the lookbook draws with them, loading cairo (and
 * pixman, freetype, fontconfig, X libraries) on the first call: only a run that makes a
 * page needs it. */
#ifdef ATELIER_LAZY
#include <cairo-pdf.h>
#include <cairo.h>

#include "lazy.h"

#ifndef LAZY_SO_CAIRO
#define LAZY_SO_CAIRO "libcairo.so.2"
#endif
#define LAZY_THIS lazy_cairo

#define ALL(F, V)                                                                                              \
  V(cairo_arc, (cairo_t * a0, double a1, double a2, double a3, double a4, double a5), (a0, a1, a2, a3, a4, a5)) \
  V(cairo_clip, (cairo_t * a0), (a0))                                                                          \
  V(cairo_close_path, (cairo_t * a0), (a0))                                                                    \
  F(cairo_t *, cairo_create, (cairo_surface_t * a0), (a0))                                                     \
  V(cairo_destroy, (cairo_t * a0), (a0))                                                                       \
  V(cairo_fill, (cairo_t * a0), (a0))                                                                          \
  F(cairo_font_options_t *, cairo_font_options_create, (void), ())                                             \
  V(cairo_font_options_destroy, (cairo_font_options_t * a0), (a0))                                             \
  V(cairo_font_options_set_antialias, (cairo_font_options_t * a0, cairo_antialias_t a1), (a0, a1))             \
  V(cairo_font_options_set_hint_metrics, (cairo_font_options_t * a0, cairo_hint_metrics_t a1), (a0, a1))       \
  F(int, cairo_format_stride_for_width, (cairo_format_t a0, int a1), (a0, a1))                                 \
  F(cairo_pattern_t *, cairo_get_source, (cairo_t * a0), (a0))                                                 \
  F(cairo_surface_t *, cairo_get_target, (cairo_t * a0), (a0))                                                 \
  F(cairo_surface_t *, cairo_image_surface_create, (cairo_format_t a0, int a1, int a2), (a0, a1, a2))          \
  F(cairo_surface_t *, cairo_image_surface_create_for_data,                                                    \
    (unsigned char *a0, cairo_format_t a1, int a2, int a3, int a4), (a0, a1, a2, a3, a4))                      \
  F(unsigned char *, cairo_image_surface_get_data, (cairo_surface_t * a0), (a0))                               \
  F(int, cairo_image_surface_get_height, (cairo_surface_t * a0), (a0))                                         \
  F(int, cairo_image_surface_get_stride, (cairo_surface_t * a0), (a0))                                         \
  F(int, cairo_image_surface_get_width, (cairo_surface_t * a0), (a0))                                          \
  V(cairo_line_to, (cairo_t * a0, double a1, double a2), (a0, a1, a2))                                         \
  V(cairo_move_to, (cairo_t * a0, double a1, double a2), (a0, a1, a2))                                         \
  V(cairo_paint, (cairo_t * a0), (a0))                                                                         \
  V(cairo_pattern_add_color_stop_rgb, (cairo_pattern_t * a0, double a1, double a2, double a3, double a4),      \
    (a0, a1, a2, a3, a4))                                                                                      \
  F(cairo_pattern_t *, cairo_pattern_create_linear, (double a0, double a1, double a2, double a3),              \
    (a0, a1, a2, a3))                                                                                          \
  V(cairo_pattern_destroy, (cairo_pattern_t * a0), (a0))                                                       \
  V(cairo_pattern_set_extend, (cairo_pattern_t * a0, cairo_extend_t a1), (a0, a1))                             \
  V(cairo_pattern_set_filter, (cairo_pattern_t * a0, cairo_filter_t a1), (a0, a1))                             \
  F(cairo_surface_t *, cairo_pdf_surface_create_for_stream,                                                    \
    (cairo_write_func_t a0, void *a1, double a2, double a3), (a0, a1, a2, a3))                                 \
  V(cairo_pdf_surface_set_metadata, (cairo_surface_t * a0, cairo_pdf_metadata_t a1, const char *a2),           \
    (a0, a1, a2))                                                                                              \
  V(cairo_rectangle, (cairo_t * a0, double a1, double a2, double a3, double a4), (a0, a1, a2, a3, a4))         \
  V(cairo_restore, (cairo_t * a0), (a0))                                                                       \
  V(cairo_rotate, (cairo_t * a0, double a1), (a0, a1))                                                         \
  V(cairo_save, (cairo_t * a0), (a0))                                                                          \
  V(cairo_scale, (cairo_t * a0, double a1, double a2), (a0, a1, a2))                                           \
  V(cairo_select_font_face, (cairo_t * a0, const char *a1, cairo_font_slant_t a2, cairo_font_weight_t a3),     \
    (a0, a1, a2, a3))                                                                                          \
  V(cairo_set_font_options, (cairo_t * a0, const cairo_font_options_t *a1), (a0, a1))                          \
  V(cairo_set_font_size, (cairo_t * a0, double a1), (a0, a1))                                                  \
  V(cairo_set_line_cap, (cairo_t * a0, cairo_line_cap_t a1), (a0, a1))                                         \
  V(cairo_set_line_width, (cairo_t * a0, double a1), (a0, a1))                                                 \
  V(cairo_set_source, (cairo_t * a0, cairo_pattern_t * a1), (a0, a1))                                          \
  V(cairo_set_source_rgb, (cairo_t * a0, double a1, double a2, double a3), (a0, a1, a2, a3))                   \
  V(cairo_set_source_rgba, (cairo_t * a0, double a1, double a2, double a3, double a4), (a0, a1, a2, a3, a4))   \
  V(cairo_set_source_surface, (cairo_t * a0, cairo_surface_t * a1, double a2, double a3), (a0, a1, a2, a3))    \
  V(cairo_show_page, (cairo_t * a0), (a0))                                                                     \
  V(cairo_show_text, (cairo_t * a0, const char *a1), (a0, a1))                                                 \
  F(cairo_status_t, cairo_status, (cairo_t * a0), (a0))                                                        \
  F(const char *, cairo_status_to_string, (cairo_status_t a0), (a0))                                           \
  V(cairo_stroke, (cairo_t * a0), (a0))                                                                        \
  V(cairo_surface_destroy, (cairo_surface_t * a0), (a0))                                                       \
  V(cairo_surface_finish, (cairo_surface_t * a0), (a0))                                                        \
  V(cairo_surface_flush, (cairo_surface_t * a0), (a0))                                                         \
  V(cairo_surface_mark_dirty, (cairo_surface_t * a0), (a0))                                                    \
  V(cairo_surface_mark_dirty_rectangle, (cairo_surface_t * a0, int a1, int a2, int a3, int a4),                \
    (a0, a1, a2, a3, a4))                                                                                      \
  F(cairo_status_t, cairo_surface_set_mime_data, (cairo_surface_t * a0, const char *a1,                        \
                                                  const unsigned char *a2, unsigned long a3,                   \
                                                  cairo_destroy_func_t a4, void *a5),                          \
    (a0, a1, a2, a3, a4, a5))                                                                                  \
  V(cairo_fill_preserve, (cairo_t * a0), (a0)) \
  V(cairo_font_options_set_hint_style, (cairo_font_options_t * a0, cairo_hint_style_t a1), (a0, a1)) \
  V(cairo_new_path, (cairo_t * a0), (a0)) \
  V(cairo_new_sub_path, (cairo_t * a0), (a0)) \
  V(cairo_paint_with_alpha, (cairo_t * a0, double a1), (a0, a1)) \
  V(cairo_pop_group_to_source, (cairo_t * a0), (a0)) \
  V(cairo_push_group, (cairo_t * a0), (a0)) \
  F(cairo_surface_t *, cairo_recording_surface_create, (cairo_content_t a0, const cairo_rectangle_t * a1), (a0, a1)) \
  V(cairo_set_dash, (cairo_t * a0, const double * a1, int a2, double a3), (a0, a1, a2, a3)) \
  V(cairo_set_fill_rule, (cairo_t * a0, cairo_fill_rule_t a1), (a0, a1)) \
  F(cairo_status_t, cairo_surface_status, (cairo_surface_t * a0), (a0))                                        \
  V(cairo_text_extents, (cairo_t * a0, const char *a1, cairo_text_extents_t *a2), (a0, a1, a2))                \
  V(cairo_translate, (cairo_t * a0, double a1, double a2), (a0, a1, a2))
#define WITH_CLEANUP(F, V) ALL(F, V) V(cairo_debug_reset_static_data, , )

LAZY_TABLE(LAZY_SO_CAIRO, WITH_CLEANUP)
ALL(LAZY_DEF_F, LAZY_DEF_V)
LAZY_DEF_CLEANUP(cairo_debug_reset_static_data, (void), ())

#else
typedef int lazy_cairo_unused; /* LAZY=0: linked with -lcairo instead */
#endif
