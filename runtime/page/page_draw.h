/* page_draw.h — draws one lookbook page with cairo in layout pixels: background,
 * header (title, subtitle, section), axis labels, every cell's image and caption, footer (section,
 * page number). The same code draws PDF pages (vector text) and raster pages; only how a
 * cell's pixels are painted differs, so that is a callback. */
#ifndef ATELIER_PAGE_DRAW_H
#define ATELIER_PAGE_DRAW_H

#include <cairo.h>

#include "page_book.h"

/* Paints entry e's pixels into e->dst on cr (user space = layout pixels). */
typedef bool (*page_paint_fn)(cairo_t *cr, const page_book *b, const page_entry *e, void *ud, char *err,
                              size_t errlen);

/* Draws page p (0-based) of npages. False with a message when painting a cell failed
 * or cairo reported an error. */
bool page_draw(cairo_t *cr, const page_book *b, int p, int npages, page_paint_fn paint, void *ud, char *err,
               size_t errlen);

#endif
