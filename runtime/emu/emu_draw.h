/* emu_draw.h — the cairo pieces fashn-emu's renderers share (render.c draws them,
 * render_models.c reuses them): the seed-driven figure on its backdrop, the EMULATED
 * banner and watermark, text that cairo accepts, and input pixels as a cairo surface.
 * Internal to runtime/emu/. */
#ifndef ATELIER_EMU_DRAW_H
#define ATELIER_EMU_DRAW_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called before a renderer first draws: cairo's font caches are released at exit. */
void emu_draw_once(void);

/* The backdrop and standing figure of a model-create picture for this prompt and seed
 * (salt varies it further, as the image index does). */
void emu_draw_figure_scene(cairo_t *cr, const char *prompt, size_t prompt_len, uint32_t seed, uint64_t salt,
                           int w, int h);

/* The "EMULATED · fashn-emu · not a FASHN image" banner across the top and the large
 * EMULATED watermark across the middle. */
void emu_draw_banner(cairo_t *cr, int w, int h, const char *mark); /* mark: NULL = "EMULATED" */

/* Text in DejaVu Sans at (x, y) (baseline), in the current source. */
void emu_draw_text(cairo_t *cr, double x, double y, double size, bool bold, const char *s);

/* At most max bytes of s (valid UTF-8) as whole printable characters, NUL-terminated. */
void emu_printable(char *out, size_t outlen, const char *s, size_t len, size_t max);

/* A cairo image surface (premultiplied ARGB32) holding w x h RGBA pixels; check its
 * status before use, destroy it after. */
cairo_surface_t *emu_surface_from_rgba(const unsigned char *rgba, int w, int h);

/* The pixels of an ARGB32 surface of w x h (stride w * 4) as straight RGBA bytes, in
 * place; opaque forces alpha to 255. */
void emu_surface_to_rgba(unsigned char *px, int w, int h, bool opaque);

#endif
