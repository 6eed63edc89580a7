/* page_draw.c — lays one page's text and cells down with cairo (see page_draw.h). Text
 * is set with Pango (page_text.h): wrapped to its box, with a line limit and an ellipsis
 * only after the last line, in the book's font family with fallback fonts for scripts it
 * lacks. Every size comes from one type scale. A body page carries a small running
 * header (title at the left, the section at the right, a hairline under them) and a
 * footer (contact or terms at the left, the page number at the right); the cover sets
 * the title large over a hero image. */
#include "page_draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_text.h"

typedef struct rgb {
  double r, g, b;
} rgb;

static rgb rgb_of(uint32_t c) { return (rgb){(c >> 16 & 255) / 255.0, (c >> 8 & 255) / 255.0, (c & 255) / 255.0}; }
static rgb mix(rgb a, rgb b, double t) { return (rgb){a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }

/* Primary and secondary text colours: given, or dark on light backgrounds and light on
 * dark ones. */
static void text_colours(const page_options *o, rgb *primary, rgb *secondary) {
  rgb bg = rgb_of(o->background);
  if (o->color_set) {
    *primary = rgb_of(o->color);
  } else {
    double lum = 0.2126 * bg.r + 0.7152 * bg.g + 0.0722 * bg.b;
    *primary = lum > 0.55 ? rgb_of(0x1c1c1c) : rgb_of(0xf2f2f2);
  }
  *secondary = mix(*primary, bg, 0.42);
}

/* What one page's drawing needs, and where inspection records go (NULL when saving). */
typedef struct draw_ctx {
  cairo_t *cr;
  const page_book *b;
  const page_layout *l;
  page_text *text;
  int page;
  rgb primary, secondary;
  page_inspect_text *log;
  int nlog, caplog;
  bool oom;
  int last_lines; /* lines the last text() took */
} draw_ctx;

typedef struct tstyle {
  double size_pt;
  int lines;
  double align;
  bool bold, italic, upper, muted;
  double tracking;
  bool lining;
} tstyle;

static void log_text(draw_ctx *d, const char *what, double x, double y, double w, double h,
                     const page_text_extent *e) {
  if (d->caplog < 0) return; /* not inspecting */
  if (d->nlog == d->caplog) {
    int cap = d->caplog ? d->caplog * 2 : 64;
    page_inspect_text *v = realloc(d->log, sizeof *v * (size_t)cap);
    if (!v) {
      d->oom = true;
      return;
    }
    d->log = v;
    d->caplog = cap;
  }
  d->log[d->nlog++] = (page_inspect_text){d->page, what, {x, y, w, h}, {e->x, e->y, e->w, e->h},
                                          {e->ink_x, e->ink_y, e->ink_w, e->ink_h}, e->nlines, e->ellipsized};
}

/* Sets s in the box whose first line's top is y, w wide, st.lines lines high. Returns
 * the width the text took. */
static double text(draw_ctx *d, const char *what, const char *s, double x, double y, double w, tstyle st) {
  if (!s || !*s || w <= 0) return 0;
  rgb c = st.muted ? d->secondary : d->primary;
  double size = st.size_pt * d->l->px_per_pt;
  page_text_style ps = {size, st.bold, st.italic, st.lines, st.align, st.tracking, st.upper, st.lining, c.r, c.g, c.b};
  page_text_extent e;
  d->last_lines = 0;
  if (!page_text_set(d->text, d->cr, d->caplog < 0, s, x, y, w, &ps, &e)) return 0;
  d->last_lines = e.nlines;
  log_text(d, what, x, y, w, st.lines * d->l->line_em * size, &e);
  return e.w;
}

/* The top of a line of size `size_pt` whose baseline is that of a line of `ref_pt` set
 * at y: text of two sizes on one line share a baseline. */
static double align_top(const page_layout *l, double y, double ref_pt, double size_pt) {
  return y + l->ascent_em * (ref_pt - size_pt) * l->px_per_pt;
}

static void rule(draw_ctx *d, double x, double y, double w) {
  if (d->caplog >= 0) return;
  cairo_set_source_rgb(d->cr, d->secondary.r, d->secondary.g, d->secondary.b);
  cairo_set_line_width(d->cr, 0.5 * d->l->px_per_pt);
  cairo_move_to(d->cr, x, y);
  cairo_line_to(d->cr, x + w, y);
  cairo_stroke(d->cr);
}

/* The axis labels of a comparison grid: column names centred over their column, row
 * names right-aligned beside the middle of their row's images, on two lines when long. */
static void draw_labels(draw_ctx *d) {
  const page_book *b = d->b;
  const page_layout *l = d->l;
  double S = l->type.subtitle;
  tstyle st = {S, 1, 0.5, true, false, false, false, 0, true}; /* lining figures: a "1" as tall as a capital */
  if (l->col_labels.h) {
    double top = l->col_labels.y + (l->col_labels.h - page_layout_lines_px(l, S, 1)) / 2.0;
    for (int c = 0; c < b->ncol_labels && c < l->columns; c++) {
      double x = l->grid.x + c * (l->cell_w + l->gutter);
      text(d, "column label", b->col_labels[c], x, top, l->cell_w, st);
    }
  }
  if (l->row_labels.w) {
    st.align = 1;
    st.lines = 2;
    double lh = l->line_em * S * l->px_per_pt;
    for (int r = 0; r < b->nrow_labels && r < l->rows; r++) {
      const char *s = b->row_labels[r];
      if (!s) continue;
      double mid = l->grid.y + r * (l->image_h + l->caption_h + l->gutter) + l->image_h / 2.0;
      /* measure first: one line or two, centred on the row either way */
      page_text_style ps = {S * l->px_per_pt, true, false, 2, 1, 0, false, false, 0, 0, 0};
      page_text_extent e;
      page_text_set(d->text, d->cr, false, s, l->row_labels.x, 0, l->row_labels.w, &ps, &e);
      text(d, "row label", s, l->row_labels.x, mid - e.nlines * lh / 2, l->row_labels.w, st);
    }
  }
}

/* The running header: the title in spaced capitals and the subtitle after it at the
 * left, the section's label at the right, the note on a second line, a hairline under. */
static void draw_header(draw_ctx *d, const char *section) {
  const page_book *b = d->b;
  const page_layout *l = d->l;
  if (!l->header.h) return;
  double x = l->header.x, y = l->header.y, w = l->header.w, S = l->type.subtitle, C = l->type.caption;
  double left_w = w;
  if (section && *section) {
    double used = text(d, "section", section, x + w * 0.45, y, w * 0.55,
                       (tstyle){S, 1, 1, false, true, false, false, 0, false});
    left_w = w - used - S * l->px_per_pt;
  }
  if (b->title && *b->title)
    text(d, "title", b->title, x, y, left_w, (tstyle){S, 1, 0, false, false, false, false, 0, false});
  y += page_layout_lines_px(l, S, 1);
  if (b->subtitle && *b->subtitle && !l->o.cover) {
    text(d, "subtitle", b->subtitle, x, y, w, (tstyle){C, 1, 0, false, true, false, true, 0, false});
    y += page_layout_lines_px(l, C, 1);
  }
  if (b->extra && b->extra->header_note)
    text(d, "header note", b->extra->header_note, x, y, w,
         (tstyle){l->type.footer, 1, 0, false, false, false, true, 0, false});
  rule(d, x, l->header.y + l->header.h + l->type.caption * 0.6 * l->px_per_pt, w);
}

static void draw_footer(draw_ctx *d, int p, int npages, const char *section) {
  const page_book *b = d->b;
  const page_layout *l = d->l;
  if (!l->footer.h) return;
  double F = l->type.footer, x = l->footer.x, w = l->footer.w, y = l->footer.y;
  tstyle st = {F, 1, 1, false, false, false, true, 0, true};
  double num_w = 0;
  if (l->o.page_numbers) {
    char num[48];
    snprintf(num, sizeof num, "%d / %d", p + 1, npages);
    num_w = text(d, "page number", num, x + w * 0.7, y, w * 0.3, st);
  }
  const page_extra *xt = b->extra;
  char *left = NULL;
  if (xt && (xt->contact || xt->footer)) {
    size_t n = (xt->contact ? strlen(xt->contact) : 0) + (xt->footer ? strlen(xt->footer) : 0) + 8;
    if ((left = malloc(n)))
      snprintf(left, n, "%s%s%s", xt->contact ? xt->contact : "", xt->contact && xt->footer ? "  \xc2\xb7  " : "",
               xt->footer ? xt->footer : "");
  } else if (section && *section && !l->header.h) {
    left = strdup(section);
  }
  if (left) {
    st.align = 0;
    st.lines = l->o.has_footer_text ? 2 : 1;
    text(d, "footer", left, x, y, w - num_w - 2 * F * l->px_per_pt, st);
    free(left);
  }
}

/* Caption lines (caption[0] first, taking the lines caption[1] leaves) and the line
 * sheet's fields, one line each: label at the left in small capitals, value beside it. */
static void draw_cell_text(draw_ctx *d, const page_entry *e, const page_rect *cap) {
  const page_layout *l = d->l;
  double T = l->type.caption, lh = l->line_em * T * l->px_per_pt;
  double y = cap->y + 0.45 * T * l->px_per_pt;
  int lines = l->o.caption_lines;
  const char *c0 = e->caption[0], *c1 = e->caption[1];
  if (!c0) c0 = c1, c1 = NULL;
  if (lines > 0 && c0) {
    char *joined = NULL;
    if (lines == 1 && c1) { /* one line for two captions: joined with a middle dot */
      size_t n = strlen(c0) + strlen(c1) + 8;
      if ((joined = malloc(n))) snprintf(joined, n, "%s \xc2\xb7 %s", c0, c1);
      c0 = joined ? joined : c0;
      c1 = NULL;
    }
    int first = c1 ? lines - 1 : lines;
    text(d, "caption", c0, cap->x, y, cap->w, (tstyle){T, first, 0, false, false, false, false, 0, false});
    if (c1) text(d, "caption", c1, cap->x, y + first * lh, cap->w, (tstyle){T, 1, 0, false, false, false, true, 0, false});
    free(joined);
  }
  const page_extra *x = d->b->extra;
  if (!x || !x->nfields) return;
  y += lines * lh;
  double label_w = cap->w * 0.36, F = l->type.footer;
  for (int i = 0; i < x->nfields && i < l->o.field_lines; i++, y += lh) {
    const char *v = page_entry_meta(e, x->fields[i]);
    text(d, "field label", x->field_labels[i], cap->x, align_top(l, y, T, F), label_w - F * l->px_per_pt,
         (tstyle){F, 1, 0, false, false, true, true, 0, false});
    text(d, "field", v && *v ? v : "\xe2\x80\x94", cap->x + label_w, y, cap->w - label_w,
         (tstyle){T, 1, 0, false, false, false, !(v && *v), 0, true});
  }
}

static bool finish(cairo_t *cr, int p, char *err, size_t errlen) {
  cairo_status_t st = cairo_status(cr);
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "drawing page %d: %s", p + 1, cairo_status_to_string(st));
    return false;
  }
  return true;
}

static bool draw_cover(draw_ctx *d, page_paint_fn paint, void *ud, char *err, size_t errlen) {
  const page_book *b = d->b;
  const page_layout *l = d->l;
  const page_cover_layout *c = &l->cover;
  const page_extra *x = b->extra;
  if (paint && x->has_logo && !paint(d->cr, b, &x->logo, ud, err, errlen)) return false;
  if (paint && x->has_hero && !paint(d->cr, b, &x->hero, ud, err, errlen)) return false;
  /* lines the title and subtitle leave unused close up, so the block reads as one */
  text(d, "cover title", b->title, c->title.x, c->title.y, c->title.w,
       (tstyle){l->type.cover, 2, 0, false, false, false, false, 0, false});
  double up = (2 - d->last_lines) * l->line_em * l->type.cover * l->px_per_pt;
  text(d, "cover subtitle", b->subtitle, c->subtitle.x, c->subtitle.y - up, c->subtitle.w,
       (tstyle){l->type.section, 2, 0, false, true, false, true, 0, false});
  up += (2 - d->last_lines) * l->line_em * l->type.section * l->px_per_pt;
  char meta[2 * PAGE_MAX_TEXT + 16] = "";
  snprintf(meta, sizeof meta, "%s%s%s", x->season ? x->season : "", x->season && x->date ? "  \xc2\xb7  " : "",
           x->date ? x->date : "");
  text(d, "cover season", meta, c->meta.x, c->meta.y - up, c->meta.w,
       (tstyle){l->type.subtitle, 1, 0, false, false, false, false, 0, false});
  if (x->contact) {
    rule(d, c->contact.x, c->contact.y - l->type.caption * 0.8 * l->px_per_pt, c->contact.w);
    text(d, "cover contact", x->contact, c->contact.x, c->contact.y, c->contact.w,
         (tstyle){l->type.caption, 2, 0, false, false, false, true, 0, false});
  }
  return true;
}

/* Draws output page p of npages (the cover is page 0 when the book has one). */
static bool draw_page(draw_ctx *d, int p, int npages, page_paint_fn paint, void *ud, char *err, size_t errlen) {
  const page_book *b = d->b;
  const page_layout *l = d->l;
  d->page = p;
  text_colours(&l->o, &d->primary, &d->secondary);
  if (d->caplog < 0) {
    cairo_set_source_rgb(d->cr, rgb_of(l->o.background).r, rgb_of(l->o.background).g, rgb_of(l->o.background).b);
    cairo_rectangle(d->cr, 0, 0, l->page_w, l->page_h);
    cairo_fill(d->cr);
  }
  bool cover = b->extra && b->extra->cover;
  if (cover && p == 0) return draw_cover(d, paint, ud, err, errlen) && finish(d->cr, p, err, errlen);
  int body = p - (cover ? 1 : 0);

  int section = page_book_page_section(b, body);
  const char *section_title = section >= 0 ? b->sections[section] : NULL;
  draw_header(d, section_title);
  draw_labels(d);

  int first, count;
  page_book_page_entries(b, body, &first, &count);
  const page_plan *plan = page_layout_plan(l, count ? b->entries[first].page_in_section : 0);
  for (int i = first; i < first + count; i++) {
    const page_entry *e = &b->entries[i];
    if (paint && !paint(d->cr, b, e, ud, err, errlen)) return false;
    if (e->cell < plan->ncells && plan->cells[e->cell].caption.h) draw_cell_text(d, e, &plan->cells[e->cell].caption);
  }
  draw_footer(d, p, npages, section_title);
  return finish(d->cr, p, err, errlen);
}

bool page_draw(cairo_t *cr, const page_book *b, int p, int npages, page_paint_fn paint, void *ud, char *err,
               size_t errlen) {
  draw_ctx d = {.cr = cr, .b = b, .l = &b->l, .text = b->text, .caplog = -1};
  return draw_page(&d, p, npages, paint, ud, err, errlen);
}

bool page_book_inspect(page_book *b, page_inspect_text **out, int *n, char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  int npages = page_book_total_pages(b);
  cairo_surface_t *s = cairo_recording_surface_create(CAIRO_CONTENT_COLOR, NULL);
  cairo_t *cr = cairo_create(s);
  draw_ctx d = {.cr = cr, .b = b, .l = &b->l, .text = b->text, .caplog = 0};
  bool ok = true;
  for (int p = 0; p < npages && ok; p++) ok = draw_page(&d, p, npages, NULL, NULL, err, errlen);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  if (ok && d.oom) {
    snprintf(err, errlen, "out of memory");
    ok = false;
  }
  if (!ok) {
    free(d.log);
    return false;
  }
  *out = d.log;
  *n = d.nlog;
  return true;
}
