/* page_text.h — sets lookbook text with Pango over cairo: a font family chosen by name
 * through fontconfig (with fallback fonts for scripts it lacks: CJK, accents, emoji),
 * paragraphs wrapped to a width with a line limit and an ellipsis only after the last
 * line, and lines placed on a fixed baseline grid so a box's height is known before any
 * text is set (page_layout.c reserves n lines x line_em x size). */
#ifndef ATELIER_PAGE_TEXT_H
#define ATELIER_PAGE_TEXT_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

/* The family used when a book names none: a book face that reads as editorial
 * (fonts-ebgaramond). fontconfig substitutes its nearest match when it is missing. */
#define PAGE_DEFAULT_FONT "EB Garamond"

typedef struct page_text page_text;

/* A text setter for one font family (NULL or "" = PAGE_DEFAULT_FONT). Its own font map,
 * so nothing is shared between threads or left behind in Pango's per-thread default.
 * NULL with a message when the family is not installed (generic names such as "serif"
 * or "sans-serif" are fontconfig's to choose). */
page_text *page_text_new(const char *family, char *err, size_t errlen);
void page_text_free(page_text *t);

/* The family fontconfig actually gives for the name (for messages and tests). */
const char *page_text_family(const page_text *t);

/* The main font's ascent and line height (ascent + descent, at least 1.15) per em: what
 * page_layout reserves for a line. */
void page_text_metrics(page_text *t, double *ascent_em, double *line_em);

typedef struct page_text_style {
  double size;      /* em size in user-space units (layout pixels) */
  bool bold, italic;
  int max_lines;    /* >= 1: wrap into at most this many lines, an ellipsis ends the last */
  double align;     /* 0 left, 0.5 centre, 1 right (within the width) */
  double tracking;  /* extra space between letters, in em (0.06 for small capitals) */
  bool upper;       /* set in capitals */
  bool lining;      /* tabular figures (style numbers, prices line up); figures are
                       always lining */
  double r, g, b;   /* colour */
} page_text_style;

/* Where set text landed: its lines' logical box and the ink of every glyph, in user
 * space, and how many lines it took. */
typedef struct page_text_extent {
  double x, y, w, h;         /* logical: widths of the set lines, nlines x line height */
  double ink_x, ink_y, ink_w, ink_h;
  int nlines;
  bool ellipsized;
} page_text_extent;

/* Sets s in a column of width w whose first line's top is y (baseline at y + ascent),
 * line after line line_em x size apart. Draws on cr when draw is true (cr is needed in
 * both cases: it gives the transformation the text is measured under). ext may be NULL.
 * False when s is empty or w <= 0 (nothing set). */
bool page_text_set(page_text *t, cairo_t *cr, bool draw, const char *s, double x, double y, double w,
                   const page_text_style *st, page_text_extent *ext);

#endif
