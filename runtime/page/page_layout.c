/* page_layout.c — the lookbook page model's arithmetic (see page_layout.h). Geometry is
 * computed once per book in whole pixels at the output dpi, so raster pages draw cells
 * without resampling at their edges and the PDF (the same numbers in points) matches. */
#include "page_layout.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MM_PER_IN 25.4
#define PT_PER_IN 72.0

/* How many slots of size den fit in num (a grid's rows or columns): 0 when none or when
 * the sizes are degenerate (zero, negative or not finite), at most PAGE_MAX_GRID. */
static int grid_count(double num, double den) {
  if (!(den > 0) || !(num > 0) || !isfinite(num) || !isfinite(den)) return 0;
  double n = floor(num / den);
  if (!(n >= 1)) return 0;
  return n >= PAGE_MAX_GRID ? PAGE_MAX_GRID : (int)n;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return false;
}

/* A finite number > 0 at the start of s; *end after it. */
static bool parse_positive(const char *s, double *v, const char **end) {
  char *e;
  if (!s || !(*s == '.' || (*s >= '0' && *s <= '9'))) return false;
  double d = strtod(s, &e);
  if (e == s || !isfinite(d) || d <= 0 || d > 1e6) return false; /* no page is a kilometre wide */
  *v = d;
  *end = e;
  return true;
}

/* Points per unit, or 0 for an unknown unit. "" is millimetres. */
static double unit_pt(const char *u, double dpi) {
  if (!*u || strcmp(u, "mm") == 0) return PT_PER_IN / MM_PER_IN;
  if (strcmp(u, "cm") == 0) return 10 * PT_PER_IN / MM_PER_IN;
  if (strcmp(u, "in") == 0) return PT_PER_IN;
  if (strcmp(u, "pt") == 0) return 1;
  if (strcmp(u, "px") == 0) return PT_PER_IN / dpi;
  return 0;
}

bool page_length_parse(const char *s, double dpi, double *pt, char *err, size_t errlen) {
  const char *e;
  double v;
  if (s && strcmp(s, "0") == 0) {
    *pt = 0;
    return true;
  }
  if (!parse_positive(s, &v, &e))
    return fail(err, errlen, "expected a length such as \"12mm\", \"0.5in\", \"18pt\" or \"40px\", got \"%s\"",
                s ? s : "");
  double k = unit_pt(e, dpi);
  if (k == 0) return fail(err, errlen, "unknown unit \"%s\" in \"%s\" (use mm, cm, in, pt or px)", e, s);
  *pt = v * k;
  return true;
}

static const struct {
  const char *name;
  double w_mm, h_mm;
} named_sizes[] = {
    {"A3", 297, 420}, {"A4", 210, 297},       {"A5", 148, 210},        {"square", 210, 210},
    {"Letter", 215.9, 279.4}, {"Legal", 215.9, 355.6}, {"Tabloid", 279.4, 431.8},
};

bool page_size_parse(const char *s, double dpi, double *w_pt, double *h_pt, char *err, size_t errlen) {
  if (!s) s = "";
  for (size_t i = 0; i < sizeof named_sizes / sizeof *named_sizes; i++) {
    if (strcasecmp(s, named_sizes[i].name) == 0) {
      *w_pt = named_sizes[i].w_mm * PT_PER_IN / MM_PER_IN;
      *h_pt = named_sizes[i].h_mm * PT_PER_IN / MM_PER_IN;
      return true;
    }
  }
  const char *e;
  double w, h;
  if (parse_positive(s, &w, &e) && (*e == 'x' || *e == 'X') && parse_positive(e + 1, &h, &e)) {
    double k = unit_pt(e, dpi);
    if (k > 0 && *e) { /* custom sizes need an explicit unit: 210x297 is ambiguous */
      *w_pt = w * k;
      *h_pt = h * k;
      return true;
    }
  }
  return fail(err, errlen,
              "unknown page \"%s\" (use A3, A4, A5, Letter, Legal, Tabloid, square, or WIDTHxHEIGHT with a unit: "
              "\"210x297mm\", \"8.5x11in\", \"1080x1350px\")",
              s);
}

static const struct {
  const char *name;
  uint32_t rgb;
} named_colors[] = {
    {"white", 0xffffff}, {"black", 0x000000}, {"ivory", 0xf7f3ea}, {"grey", 0x808080},
    {"gray", 0x808080},  {"charcoal", 0x2b2b2b}, {"sand", 0xe8dcc8},
};

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool page_color_parse(const char *s, uint32_t *rgb, char *err, size_t errlen) {
  if (!s) s = "";
  for (size_t i = 0; i < sizeof named_colors / sizeof *named_colors; i++) {
    if (strcasecmp(s, named_colors[i].name) == 0) {
      *rgb = named_colors[i].rgb;
      return true;
    }
  }
  size_t n = strlen(s);
  if (s[0] == '#' && (n == 4 || n == 7)) {
    uint32_t v = 0;
    bool ok = true;
    for (size_t i = 1; i < n && ok; i++) {
      int d = hexval(s[i]);
      if (d < 0) ok = false;
      else if (n == 4) v = (v << 8) | (uint32_t)(d * 17);
      else v = (v << 4) | (uint32_t)d;
    }
    if (ok) {
      *rgb = v;
      return true;
    }
  }
  return fail(err, errlen,
              "unknown colour \"%s\" (use \"#rrggbb\", \"#rgb\", or white, black, ivory, grey, charcoal, sand)", s);
}

bool page_aspect_parse(const char *s, double *aspect, char *err, size_t errlen) {
  const char *e;
  double w, h;
  if (parse_positive(s, &w, &e) && *e == ':' && parse_positive(e + 1, &h, &e) && !*e) {
    double a = w / h;
    if (a >= 0.05 && a <= 20) {
      *aspect = a;
      return true;
    }
  }
  return fail(err, errlen, "expected an aspect ratio \"W:H\" between 1:20 and 20:1 such as \"3:4\", got \"%s\"",
              s ? s : "");
}

void page_options_default(page_options *o) {
  memset(o, 0, sizeof *o);
  o->page_w_pt = 210 * PT_PER_IN / MM_PER_IN;
  o->page_h_pt = 297 * PT_PER_IN / MM_PER_IN;
  o->dpi = 150;
  for (int i = 0; i < 4; i++) o->margin_pt[i] = 12 * PT_PER_IN / MM_PER_IN;
  o->gutter_pt = 4 * PT_PER_IN / MM_PER_IN;
  o->columns = 4;
  o->cell_aspect = 3.0 / 4.0;
  o->fit = PAGE_FIT;
  o->background = 0xffffff;
  o->caption_lines = 1;
  o->page_numbers = true;
  o->type_size_pt = 8;
  o->quality = 90;
}

/* ---- geometry ------------------------------------------------------------------------ */

static int px(const page_layout *l, double pt) { return (int)lround(pt * l->px_per_pt); }

int page_layout_lines_px(const page_layout *l, double size_pt, int n) {
  return n > 0 ? (int)ceil(size_pt * l->line_em * n * l->px_per_pt) : 0;
}

/* The cover: a logo band at the top, the text block (title, subtitle, season and date)
 * low on the page over the contact line, and the hero image filling what lies between
 * (without a hero, the text block sits a little above the middle). */
static void plan_cover(page_layout *l, int top, int right, int bottom, int left) {
  const page_options *o = &l->o;
  page_cover_layout *c = &l->cover;
  int w = l->page_w - left - right, gap = px(l, l->type.caption * 2.5);
  int y = top;
  if (o->has_logo) {
    c->logo = (page_rect){left, top, w / 3, px(l, l->type.cover * 1.5)};
    y += c->logo.h + gap;
  }
  int contact_h = page_layout_lines_px(l, l->type.caption, 2);
  c->contact = (page_rect){left, l->page_h - bottom - contact_h, w, contact_h};
  int title_h = page_layout_lines_px(l, l->type.cover, 2);
  int sub_h = page_layout_lines_px(l, l->type.section, 2);
  int meta_h = page_layout_lines_px(l, l->type.subtitle, 1);
  int block = title_h + sub_h + meta_h + gap / 2;
  int bottom_y = c->contact.y - gap;
  int ty = bottom_y - block;
  if (o->has_hero && ty - gap - y >= px(l, 72)) {
    c->hero = (page_rect){left, y, w, ty - gap - y};
  } else if (!o->has_hero) {
    int mid = y + (int)((bottom_y - y) * 0.42) - title_h / 2;
    if (mid < ty) ty = mid;
  }
  c->title = (page_rect){left, ty, w, title_h};
  c->subtitle = (page_rect){left, ty + title_h, w, sub_h};
  c->meta = (page_rect){left, ty + title_h + sub_h + gap / 2, w, meta_h};
}

/* Builds the cells of one template: spans first validated, then slots in reading order. */
static bool plan_template(page_layout *l, int t, char *err, size_t errlen) {
  const page_template *tp = t < l->o.ntemplates ? &l->o.templates[t] : NULL;
  int C = l->columns, R = l->rows;
  int owner[PAGE_MAX_GRID][PAGE_MAX_GRID]; /* span index + 1 covering a slot, or 0 */
  memset(owner, 0, sizeof owner);
  int nspans = tp ? tp->nspans : 0;
  for (int i = 0; i < nspans; i++) {
    const page_span *s = &tp->spans[i];
    if (s->col < 0 || s->row < 0 || s->cols < 1 || s->rows < 1 || s->col + s->cols > C || s->row + s->rows > R)
      return fail(err, errlen,
                  "layout: page template %d, span %d (column %d, row %d, %d x %d) does not fit the %d x %d grid",
                  t + 1, i + 1, s->col + 1, s->row + 1, s->cols, s->rows, C, R);
    for (int r = s->row; r < s->row + s->rows; r++)
      for (int c = s->col; c < s->col + s->cols; c++) {
        if (owner[r][c])
          return fail(err, errlen, "layout: page template %d, span %d overlaps span %d", t + 1, i + 1, owner[r][c]);
        owner[r][c] = i + 1;
      }
  }
  page_plan *p = &l->plans[t];
  p->cells = calloc((size_t)(C * R), sizeof *p->cells);
  if (!p->cells) return fail(err, errlen, "out of memory");
  int slot_h = l->image_h + l->caption_h;
  for (int r = 0; r < R; r++) {
    for (int c = 0; c < C; c++) {
      int cols = 1, rows = 1;
      if (owner[r][c]) {
        const page_span *s = &tp->spans[owner[r][c] - 1];
        if (s->col != c || s->row != r) continue; /* not the span's top-left slot */
        cols = s->cols;
        rows = s->rows;
      }
      page_cell *cell = &p->cells[p->ncells++];
      int x = l->grid.x + c * (l->cell_w + l->gutter);
      int y = l->grid.y + r * (slot_h + l->gutter);
      int w = cols * l->cell_w + (cols - 1) * l->gutter;
      int h = rows * slot_h + (rows - 1) * l->gutter;
      cell->image = (page_rect){x, y, w, h - l->caption_h};
      cell->caption = (page_rect){x, y + h - l->caption_h, w, l->caption_h};
    }
  }
  return true;
}

bool page_layout_init(page_layout *l, const page_options *o, char *err, size_t errlen) {
  memset(l, 0, sizeof *l);
  l->o = *o;
  if (!(o->dpi >= PAGE_MIN_DPI && o->dpi <= PAGE_MAX_DPI))
    return fail(err, errlen, "dpi: expected a number from %d to %d, got %g", PAGE_MIN_DPI, PAGE_MAX_DPI, o->dpi);
  l->px_per_pt = o->dpi / PT_PER_IN;
  double T = o->type_size_pt;
  if (!(T >= 4 && T <= 72)) return fail(err, errlen, "type_size: expected 4 to 72 points, got %g", T);
  l->type = (page_type_scale){T / 1.25, T, T * 1.25 * 1.25, T * 1.25 * 1.25 * 1.25, T * pow(1.25, 5),
                              T * pow(1.25, 7)};
  l->line_em = o->line_em > 0 ? o->line_em : 1.3;
  l->ascent_em = o->ascent_em > 0 ? o->ascent_em : 0.9;
  if (!(l->line_em >= 1 && l->line_em <= 3 && l->ascent_em > 0 && l->ascent_em < l->line_em))
    return fail(err, errlen, "font: unusable metrics (line %g em, ascent %g em)", l->line_em, l->ascent_em);
  if (o->field_lines < 0 || o->field_lines > 16)
    return fail(err, errlen, "fields: expected 0 to 16 lines under each image, got %d", o->field_lines);
  if (o->caption_lines < 0 || o->caption_lines > 2)
    return fail(err, errlen, "caption_lines: expected 0, 1 or 2, got %d", o->caption_lines);
  if (o->quality < 1 || o->quality > 100) return fail(err, errlen, "quality: expected 1 to 100, got %d", o->quality);
  if (o->columns < 0 || o->columns > PAGE_MAX_GRID || o->rows < 0 || o->rows > PAGE_MAX_GRID)
    return fail(err, errlen, "columns and rows: expected 1 to %d (or automatic), got %d x %d", PAGE_MAX_GRID,
                o->columns, o->rows);
  if (!(o->cell_aspect >= 0.05 && o->cell_aspect <= 20))
    return fail(err, errlen, "cell: aspect ratio %g is outside 1:20 .. 20:1", o->cell_aspect);
  if (o->ntemplates < 0 || o->ntemplates > PAGE_MAX_TEMPLATES)
    return fail(err, errlen, "layout: at most %d page templates", PAGE_MAX_TEMPLATES);

  /* bounded before anything becomes a pixel count (an int) */
  for (int i = 0; i < 4; i++)
    if (!(o->margin_pt[i] >= 0 && o->margin_pt[i] <= 72 * 100))
      return fail(err, errlen, "margin: expected 0 to 100 inches, got %g pt", o->margin_pt[i]);
  if (!(o->gutter_pt >= 0 && o->gutter_pt <= 72 * 100))
    return fail(err, errlen, "gutter: expected 0 to 100 inches, got %g pt", o->gutter_pt);
  if (!(o->row_label_pt >= 0 && o->row_label_pt <= 72 * 40))
    return fail(err, errlen, "row_label_width: expected 0 to 40 inches, got %g pt", o->row_label_pt);
  if (!(o->cell_w_pt >= 0 && o->cell_w_pt <= 72 * 100))
    return fail(err, errlen, "cell_width: expected 0 to 100 inches, got %g pt", o->cell_w_pt);

  int top = px(l, o->margin_pt[0]), right = px(l, o->margin_pt[1]);
  int bottom = px(l, o->margin_pt[2]), left = px(l, o->margin_pt[3]);
  int gap = px(l, T * 1.5); /* between header/footer and the grid */
  /* the running header: the title at the left and the section at the right, on one line
   * at the subtitle size; the subtitle under it (on the cover instead, when there is
   * one); a line sheet's note; a hairline below */
  int header_text_h = o->has_title || o->has_subtitle || o->has_header_note
                          ? page_layout_lines_px(l, l->type.subtitle, 1) +
                                (o->has_subtitle && !o->cover ? page_layout_lines_px(l, l->type.caption, 1) : 0) +
                                (o->has_header_note ? page_layout_lines_px(l, l->type.footer, 1) : 0)
                          : 0;
  int header_h = header_text_h ? header_text_h + gap : 0;
  int footer_text_h = o->page_numbers || o->has_footer_text
                          ? page_layout_lines_px(l, l->type.footer, o->has_footer_text ? 2 : 1)
                          : 0;
  int footer_h = footer_text_h ? footer_text_h + gap : 0;
  l->gutter = px(l, o->gutter_pt);
  int text_lines = o->caption_lines + o->field_lines;
  l->caption_h = text_lines ? px(l, T * 0.45) + page_layout_lines_px(l, T, text_lines) : 0;
  /* label bands: column names one line at the subtitle size above the grid; row names in
   * a band of the given width at its left; each kept half a caption line off the cells */
  int label_gap = px(l, T * 0.5);
  int col_band = o->has_col_labels ? px(l, l->type.subtitle * 1.6) : 0;
  int row_band = o->has_row_labels ? px(l, o->row_label_pt > 0 ? o->row_label_pt : T * 12) : 0;
  int col_total = col_band ? col_band + label_gap : 0, row_total = row_band ? row_band + label_gap : 0;

  int g = l->gutter, cap = l->caption_h;
  double a = o->cell_aspect;
  int C = o->columns, R = o->rows;
  int avail_w, avail_h;
  if (o->cell_w_pt > 0) { /* the page follows the grid */
    if (C < 1 || R < 1)
      return fail(err, errlen, "cell_width: a page sized to its cells needs columns and rows (got %d x %d)", C, R);
    l->cell_w = px(l, o->cell_w_pt);
    l->image_h = (int)floor(l->cell_w / a + 1e-6);
    if (l->cell_w < PAGE_MIN_CELL_PX || l->image_h < PAGE_MIN_CELL_PX)
      return fail(err, errlen, "cell_width: cells would be %d x %d px; at least %d px each way", l->cell_w,
                  l->image_h, PAGE_MIN_CELL_PX);
    avail_w = C * l->cell_w + (C - 1) * g;
    avail_h = R * (l->image_h + cap) + (R - 1) * g;
    double w = (double)left + row_total + avail_w + right;
    double h = (double)top + header_h + col_total + avail_h + footer_h + bottom;
    if (w > PAGE_MAX_SIDE_PX || h > PAGE_MAX_SIDE_PX)
      return fail(err, errlen,
                  "cell_width: %d x %d cells of %d px make a %.0f x %.0f px page, over the %d px limit per side "
                  "(use smaller cells or fewer of them)",
                  C, R, l->cell_w, w, h, PAGE_MAX_SIDE_PX);
    l->page_w = (int)w;
    l->page_h = (int)h;
    l->o.page_w_pt = l->page_w / l->px_per_pt;
    l->o.page_h_pt = l->page_h / l->px_per_pt;
  } else {
    double wpx = o->page_w_pt * l->px_per_pt, hpx = o->page_h_pt * l->px_per_pt;
    if (!(wpx >= 64 && hpx >= 64 && wpx <= PAGE_MAX_SIDE_PX && hpx <= PAGE_MAX_SIDE_PX))
      return fail(err, errlen, "page: %.0f x %.0f px at %g dpi is outside 64 .. %d px per side", wpx, hpx, o->dpi,
                  PAGE_MAX_SIDE_PX);
    l->page_w = px(l, o->page_w_pt);
    l->page_h = px(l, o->page_h_pt);
    if (l->page_w < 64 || l->page_h < 64 || l->page_w > PAGE_MAX_SIDE_PX || l->page_h > PAGE_MAX_SIDE_PX)
      return fail(err, errlen, "page: %d x %d px at %g dpi is outside 64 .. %d px per side", l->page_w, l->page_h,
                  o->dpi, PAGE_MAX_SIDE_PX);
    avail_w = l->page_w - left - right - row_total;
    avail_h = l->page_h - top - bottom - header_h - footer_h - col_total;
    if (avail_w < PAGE_MIN_CELL_PX || avail_h < PAGE_MIN_CELL_PX + cap)
      return fail(err, errlen, "margin: the margins%s leave no room for cells (%d x %d px left)",
                  header_h || footer_h || col_total || row_total ? ", title, labels and page numbers" : "",
                  avail_w, avail_h);
    double cw;
    if (!C && !R) C = 4;
    if (C && !R) { /* width decides; as many rows as fit */
      cw = (double)(avail_w - (C - 1) * g) / C;
      double slot = cw / a + cap;
      R = grid_count(avail_h + g, slot + g);
      if (R < 1) { /* even one row is too tall: shrink the cells to fit the height */
        R = 1;
        cw = fmin(cw, (avail_h - cap) * a);
      }
      if (R > PAGE_MAX_GRID) R = PAGE_MAX_GRID;
    } else if (R && !C) { /* height decides; as many columns as fit */
      double ih = (double)(avail_h - (R - 1) * g) / R - cap;
      if (ih < PAGE_MIN_CELL_PX)
        return fail(err, errlen,
                    "rows: %d rows leave %.0f px per image at %g dpi; use fewer rows, smaller margins, gutter or "
                    "captions, or a higher dpi",
                    R, ih, o->dpi);
      cw = ih * a;
      C = grid_count(avail_w + g, cw + g);
      if (C < 1) {
        C = 1;
        cw = avail_w;
      }
      if (C > PAGE_MAX_GRID) C = PAGE_MAX_GRID;
    } else { /* both given: the tighter of width and height decides */
      double by_w = (double)(avail_w - (C - 1) * g) / C;
      double by_h = ((double)(avail_h - (R - 1) * g) / R - cap) * a;
      cw = fmin(by_w, by_h);
    }
    /* cw and the image height are checked as doubles before they become ints: a
     * degenerate page (no room, extreme ratios) makes them negative or infinite */
    double ih_d = cw / a;
    bool fits = cw >= PAGE_MIN_CELL_PX && cw <= PAGE_MAX_SIDE_PX && ih_d >= PAGE_MIN_CELL_PX && ih_d <= PAGE_MAX_SIDE_PX;
    l->cell_w = fits ? (int)floor(cw) : 0;
    l->image_h = fits ? (int)floor(l->cell_w / a) : 0;
    if (!fits || l->cell_w < PAGE_MIN_CELL_PX || l->image_h < PAGE_MIN_CELL_PX)
      return fail(err, errlen,
                  "columns/rows: %d x %d cells would be %d x %d px at %g dpi; use fewer columns or rows, smaller "
                  "margins or gutter, or a higher dpi",
                  C, R, l->cell_w, l->image_h, o->dpi);
  }
  l->columns = C;
  l->rows = R;
  int inner_w = l->page_w - left - right;
  if (header_text_h) l->header = (page_rect){left, top, inner_w, header_text_h};
  if (o->cover) plan_cover(l, top, right, bottom, left);
  if (footer_text_h) l->footer = (page_rect){left, l->page_h - bottom - footer_text_h, inner_w, footer_text_h};
  int grid_w = C * l->cell_w + (C - 1) * g;
  int grid_h = R * (l->image_h + cap) + (R - 1) * g;
  /* anchored under the header: what the grid leaves of the height stays at the bottom of
   * the page, where an unfinished page ends anyway, never split above and below it */
  l->grid = (page_rect){left + row_total + (avail_w - grid_w) / 2, top + header_h + col_total, grid_w, grid_h};
  if (col_band) l->col_labels = (page_rect){l->grid.x, l->grid.y - col_total, grid_w, col_band};
  if (row_band) l->row_labels = (page_rect){l->grid.x - row_total, l->grid.y, row_band, grid_h};

  l->nplans = o->ntemplates > 0 ? o->ntemplates : 1;
  for (int t = 0; t < l->nplans; t++)
    if (!plan_template(l, t, err, errlen)) return false;
  return true;
}

void page_layout_free(page_layout *l) {
  for (int t = 0; t < PAGE_MAX_TEMPLATES; t++) {
    free(l->plans[t].cells);
    l->plans[t].cells = NULL;
    l->plans[t].ncells = 0;
  }
}

const page_plan *page_layout_plan(const page_layout *l, int page_in_section) {
  int t = page_in_section < l->nplans ? page_in_section : l->nplans - 1;
  return &l->plans[t < 0 ? 0 : t];
}

void page_fit_rect(page_fit fit, int w, int h, page_rect box, page_rect *dst, page_rect *src) {
  if (w < 1) w = 1;
  if (h < 1) h = 1;
  double sx = (double)box.w / w, sy = (double)box.h / h;
  if (fit == PAGE_FIT) {
    double s = fmin(sx, sy);
    int dw = (int)lround(w * s), dh = (int)lround(h * s);
    if (dw < 1) dw = 1;
    if (dh < 1) dh = 1;
    if (dw > box.w) dw = box.w;
    if (dh > box.h) dh = box.h;
    *dst = (page_rect){box.x + (box.w - dw) / 2, box.y + (box.h - dh) / 2, dw, dh};
    *src = (page_rect){0, 0, w, h};
  } else {
    double s = fmax(sx, sy);
    int sw = (int)lround(box.w / s), sh = (int)lround(box.h / s);
    if (sw < 1) sw = 1;
    if (sh < 1) sh = 1;
    if (sw > w) sw = w;
    if (sh > h) sh = h;
    *dst = box;
    *src = (page_rect){(w - sw) / 2, (h - sh) / 2, sw, sh};
  }
}

/* ---- pagination ---------------------------------------------------------------------- */

void page_cursor_init(page_cursor *c) { *c = (page_cursor){0, 0, 0, -1, false}; }

void page_cursor_section(page_cursor *c, int section) {
  if (c->page_open) c->page++;
  c->page_in_section = 0;
  c->cell = 0;
  c->page_open = false;
  c->section = section;
}

void page_cursor_take(page_cursor *c, const page_layout *l, int *page, int *cell) {
  if (c->cell >= page_layout_plan(l, c->page_in_section)->ncells) {
    c->page++;
    c->page_in_section++;
    c->cell = 0;
  }
  *page = c->page;
  *cell = c->cell++;
  c->page_open = true;
}

int page_cursor_pages(const page_cursor *c) { return c->page_open ? c->page + 1 : c->page; }

int page_layout_count_pages(const page_layout *l, int n) {
  page_cursor c;
  page_cursor_init(&c);
  int page = 0, cell = 0;
  for (int i = 0; i < n; i++) page_cursor_take(&c, l, &page, &cell);
  return page_cursor_pages(&c);
}
