/* fuzz_page_layout.c — libFuzzer target: the lookbook option parsers on arbitrary text
 * and the layout maths on arbitrary options. Whatever page_layout_init accepts must put
 * every cell inside the page, with a positive size, and no two cells of a page overlap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/page/page_layout.h"

static bool overlap(page_rect a, page_rect b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[400], text[256];
  size_t n = 0;
  while (n < size && n < sizeof text - 1 && data[n] != '\n') n++;
  memcpy(text, data, n);
  text[n] = '\0';
  const uint8_t *p = n < size ? data + n + 1 : data + size;
  size_t left = (size_t)(data + size - p);
  uint8_t b[64] = {0};
  memcpy(b, p, left < sizeof b ? left : sizeof b);

  page_options o;
  page_options_default(&o);
  double w, h, pt, a;
  uint32_t rgb;
  o.dpi = 36 + b[2] * 2;
  if (page_size_parse(text, o.dpi, &w, &h, err, sizeof err)) o.page_w_pt = w, o.page_h_pt = h;
  if (page_length_parse(text, o.dpi, &pt, err, sizeof err)) o.gutter_pt = pt;
  if (page_color_parse(text, &rgb, err, sizeof err)) o.background = rgb;
  if (page_aspect_parse(text, &a, err, sizeof err)) o.cell_aspect = a;
  o.columns = b[0] % 34;
  o.rows = b[1] % 34;
  for (int i = 0; i < 4; i++) o.margin_pt[i] = b[5 + i];
  if (b[9]) o.gutter_pt = b[9] / 4.0;
  o.caption_lines = b[10] % 3;
  o.type_size_pt = 4 + b[11] % 60;
  o.has_title = b[12] & 1;
  o.has_subtitle = b[12] & 2;
  o.page_numbers = b[12] & 4;
  o.fit = (b[12] & 8) ? PAGE_FILL : PAGE_FIT;
  o.has_col_labels = b[50] & 1;
  o.has_row_labels = b[50] & 2;
  o.row_label_pt = (b[50] & 4) ? b[51] * 2 : 0;
  o.cell_w_pt = (b[50] & 8) ? 10 + b[52] * 3 : 0; /* a page sized to its cells */
  o.ntemplates = b[13] % 3;
  for (int t = 0; t < o.ntemplates; t++) {
    o.templates[t].nspans = b[14 + t] % 3;
    for (int s = 0; s < o.templates[t].nspans; s++) {
      const uint8_t *q = b + 20 + 8 * t + 4 * s;
      o.templates[t].spans[s] = (page_span){q[0] % 8, q[1] % 8, 1 + q[2] % 4, 1 + q[3] % 4};
    }
  }
  page_layout l;
  if (page_layout_init(&l, &o, err, sizeof err)) {
    for (int t = 0; t < l.nplans; t++) {
      const page_plan *plan = &l.plans[t];
      if (plan->ncells < 1) abort();
      for (int i = 0; i < plan->ncells; i++) {
        page_rect r = plan->cells[i].image;
        if (r.w < 1 || r.h < 1 || r.x < 0 || r.y < 0 || r.x + r.w > l.page_w || r.y + r.h > l.page_h) abort();
        for (int k = 0; k < i; k++)
          if (overlap(r, plan->cells[k].image)) abort();
        page_rect fit_dst, fit_src;
        page_fit_rect(o.fit, 1 + b[30] * 7, 1 + b[31] * 7, r, &fit_dst, &fit_src);
        if (fit_dst.x < r.x || fit_dst.y < r.y || fit_dst.x + fit_dst.w > r.x + r.w || fit_dst.y + fit_dst.h > r.y + r.h)
          abort();
      }
    }
    int prev = 0;
    for (int k = 0; k < 40; k++) {
      int pages = page_layout_count_pages(&l, k);
      if (pages < prev) abort();
      prev = pages;
    }
  }
  page_layout_free(&l);
  return 0;
}
