/* page_draw.c — lays one page's text and cells down with cairo (see page_draw.h). Text
 * is DejaVu Sans through cairo's font selection (fontconfig), one type scale for every
 * size; text longer than its box is cut with an ellipsis, never drawn over a neighbour. */
#include "page_draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FONT "DejaVu Sans"
#define ELLIPSIS "\xe2\x80\xa6"

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

static void set_colour(cairo_t *cr, rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

static void set_font(cairo_t *cr, const page_layout *l, double size_pt, bool bold) {
  cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size_pt * l->px_per_pt);
}

static double text_width(cairo_t *cr, const char *s) {
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s, &ext);
  return ext.x_advance;
}

/* The byte length of the longest prefix of s (cut at a UTF-8 boundary) that, followed
 * by `tail`, is at most max wide. */
static size_t fitting_prefix(cairo_t *cr, const char *s, const char *tail, double max, char *tmp) {
  size_t n = strlen(s), lo = 0, hi = n;
  while (lo < hi) { /* binary search on byte length, snapped to character starts */
    size_t mid = (lo + hi + 1) / 2;
    while (mid > lo && (s[mid] & 0xc0) == 0x80) mid--;
    if (mid == lo) break;
    memcpy(tmp, s, mid);
    strcpy(tmp + mid, tail);
    if (text_width(cr, tmp) <= max) lo = mid;
    else hi = mid - 1;
  }
  while (lo > 0 && (s[lo] & 0xc0) == 0x80) lo--;
  return lo;
}

/* Draws s with its left end (align 0), right end (1) or centre (0.5) at x, cut with an
 * ellipsis to max width. */
static void draw_text(cairo_t *cr, const char *s, double x, double baseline, double max, double align) {
  if (!s || !*s || max <= 0) return;
  size_t n = strlen(s);
  char *tmp = malloc(n + sizeof ELLIPSIS);
  if (!tmp) return;
  const char *show = s;
  if (text_width(cr, s) > max) {
    size_t k = fitting_prefix(cr, s, ELLIPSIS, max, tmp);
    while (k > 0 && s[k - 1] == ' ') k--;
    memcpy(tmp, s, k);
    strcpy(tmp + k, ELLIPSIS);
    show = tmp;
  }
  double w = text_width(cr, show);
  cairo_move_to(cr, x - w * align, baseline);
  cairo_show_text(cr, show);
  free(tmp);
}

/* Splits one long caption over two lines at the last space that fits. *second points
 * into s; first is a copy the caller frees (NULL when s fits on one line). */
static char *wrap_two(cairo_t *cr, const char *s, double max, const char **second) {
  *second = NULL;
  if (text_width(cr, s) <= max) return NULL;
  size_t n = strlen(s);
  char *tmp = malloc(n + 1);
  if (!tmp) return NULL;
  size_t k = fitting_prefix(cr, s, "", max, tmp);
  size_t cut = k;
  while (cut > 0 && s[cut] != ' ') cut--;
  if (cut == 0) { /* one long word: break after a _ - / inside it, else anywhere */
    cut = k;
    while (cut > 0 && !strchr("_-/", s[cut - 1])) cut--;
    if (cut == 0) cut = k;
  }
  if (cut == 0) {
    free(tmp);
    return NULL;
  }
  memcpy(tmp, s, cut);
  tmp[cut] = '\0';
  const char *rest = s + cut;
  while (*rest == ' ') rest++;
  *second = rest;
  return tmp;
}

/* The axis labels of a comparison grid: column names centred over their column, row
 * names right-aligned beside the middle of their row's images, on two lines when long. */
static void draw_labels(cairo_t *cr, const page_book *b, rgb colour) {
  const page_layout *l = &b->l;
  double size = l->type.subtitle * l->px_per_pt;
  set_font(cr, l, l->type.subtitle, true);
  set_colour(cr, colour);
  if (l->col_labels.h) {
    double base = l->col_labels.y + l->col_labels.h / 2.0 + 0.35 * size;
    for (int c = 0; c < b->ncol_labels && c < l->columns; c++) {
      double mid = l->grid.x + c * (l->cell_w + l->gutter) + l->cell_w / 2.0;
      draw_text(cr, b->col_labels[c], mid, base, l->cell_w, 0.5);
    }
  }
  if (l->row_labels.w) {
    double right = l->row_labels.x + l->row_labels.w, w = l->row_labels.w;
    for (int r = 0; r < b->nrow_labels && r < l->rows; r++) {
      const char *s = b->row_labels[r];
      if (!s) continue;
      double mid = l->grid.y + r * (l->image_h + l->caption_h + l->gutter) + l->image_h / 2.0;
      const char *second;
      char *first = wrap_two(cr, s, w, &second);
      if (first) {
        draw_text(cr, first, right, mid + 0.35 * size - 0.65 * size, w, 1);
        draw_text(cr, second, right, mid + 0.35 * size + 0.65 * size, w, 1);
        free(first);
      } else {
        draw_text(cr, s, right, mid + 0.35 * size, w, 1);
      }
    }
  }
}

bool page_draw(cairo_t *cr, const page_book *b, int p, int npages, page_paint_fn paint, void *ud, char *err,
               size_t errlen) {
  const page_layout *l = &b->l;
  rgb primary, secondary;
  text_colours(&l->o, &primary, &secondary);
  set_colour(cr, rgb_of(l->o.background));
  cairo_rectangle(cr, 0, 0, l->page_w, l->page_h);
  cairo_fill(cr);

  int section = page_book_page_section(b, p);
  const char *section_title = section >= 0 ? b->sections[section] : NULL;
  if (section_title && !*section_title) section_title = NULL;

  if (l->header.h) {
    double y = l->header.y, w = l->header.w, x = l->header.x;
    double title_w = w;
    if (section_title) { /* the section sits at the right of the first header line */
      double first = b->title ? l->type.title : l->type.subtitle;
      set_font(cr, l, l->type.section, true);
      set_colour(cr, primary);
      draw_text(cr, section_title, x + w, y + first * l->px_per_pt * 0.95, w * 0.4, 1);
      title_w = w * 0.58;
    }
    if (b->title && *b->title) {
      set_font(cr, l, l->type.title, true);
      set_colour(cr, primary);
      draw_text(cr, b->title, x, y + l->type.title * l->px_per_pt * 0.95, title_w, 0);
      y += l->type.title * 1.2 * l->px_per_pt;
    }
    if (b->subtitle && *b->subtitle) {
      set_font(cr, l, l->type.subtitle, false);
      set_colour(cr, secondary);
      draw_text(cr, b->subtitle, x, y + l->type.subtitle * l->px_per_pt * 1.05, b->title ? w : title_w, 0);
    }
  }

  draw_labels(cr, b, primary);

  int first, count;
  page_book_page_entries(b, p, &first, &count);
  const page_plan *plan = page_layout_plan(l, count ? b->entries[first].page_in_section : 0);
  double T = l->type.caption * l->px_per_pt;
  for (int i = first; i < first + count; i++) {
    const page_entry *e = &b->entries[i];
    if (!paint(cr, b, e, ud, err, errlen)) return false;
    if (!l->o.caption_lines || e->cell >= plan->ncells) continue;
    const page_rect *cap = &plan->cells[e->cell].caption;
    const char *line[2] = {e->caption[0], e->caption[1]};
    char *owned = NULL, *joined = NULL;
    set_font(cr, l, l->type.caption, false);
    if (l->o.caption_lines == 2 && line[0] && !line[1]) {
      const char *second;
      owned = wrap_two(cr, line[0], cap->w, &second);
      if (owned) line[0] = owned, line[1] = second;
    } else if (l->o.caption_lines == 1 && line[0] && line[1]) {
      size_t n = strlen(line[0]) + strlen(line[1]) + 8;
      if ((joined = malloc(n))) snprintf(joined, n, "%s \xc2\xb7 %s", line[0], line[1]);
      line[0] = joined ? joined : line[0];
      line[1] = NULL;
    } else if (!line[0]) {
      line[0] = line[1], line[1] = NULL;
    }
    double base = cap->y + 0.45 * T + 0.95 * T;
    for (int k = 0; k < l->o.caption_lines && k < 2; k++) {
      if (!line[k]) continue;
      set_colour(cr, k == 0 ? primary : secondary);
      draw_text(cr, line[k], cap->x, base + k * 1.3 * T, cap->w, 0);
    }
    free(owned);
    free(joined);
  }

  if (l->footer.h) {
    double y = l->footer.y + l->type.footer * l->px_per_pt * 0.95;
    set_font(cr, l, l->type.footer, false);
    set_colour(cr, secondary);
    char num[48];
    snprintf(num, sizeof num, "%d / %d", p + 1, npages);
    draw_text(cr, num, l->footer.x + l->footer.w, y, l->footer.w * 0.3, 1);
    if (section_title && !l->header.h) draw_text(cr, section_title, l->footer.x, y, l->footer.w * 0.65, 0);
  }
  cairo_status_t st = cairo_status(cr);
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "drawing page %d: %s", p + 1, cairo_status_to_string(st));
    return false;
  }
  return true;
}
