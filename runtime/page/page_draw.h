/* page_draw.h — draws one lookbook page with cairo in layout pixels: the cover (title,
 * subtitle, season, logo, hero, contact) or a body page (background, running header with
 * the title and section, axis labels, every cell's image, caption and line-sheet fields,
 * footer with the contact and page number). Text is set by page_text.h. The same code
 * draws PDF pages (vector text) and raster pages; only how a cell's pixels are painted
 * differs, so that is a callback. */
#ifndef ATELIER_PAGE_DRAW_H
#define ATELIER_PAGE_DRAW_H

#include <cairo.h>

#include "page_book.h"

/* Paints entry e's pixels into e->dst on cr (user space = layout pixels). */
typedef bool (*page_paint_fn)(cairo_t *cr, const page_book *b, const page_entry *e, void *ud, char *err,
                              size_t errlen);

/* Draws output page p (0-based; the cover is page 0 when the book has one) of npages.
 * False with a message when painting a cell failed or cairo reported an error. */
bool page_draw(cairo_t *cr, const page_book *b, int p, int npages, page_paint_fn paint, void *ud, char *err,
               size_t errlen);

#endif
