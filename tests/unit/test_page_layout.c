/* test_page_layout.c — the lookbook page model's arithmetic: parsing sizes, lengths,
 * colours and aspects; grids (given or automatic); spans; pagination. */
#include <math.h>

#include "../../runtime/page/page_layout.h"
#include "unit.h"

#define NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

TEST(page_sizes_parse_named_and_custom) {
  double w, h;
  char err[256];
  CHECK(page_size_parse("A4", 150, &w, &h, err, sizeof err));
  NEAR(w, 595.28, 0.01);
  NEAR(h, 841.89, 0.01);
  CHECK(page_size_parse("letter", 150, &w, &h, err, sizeof err));
  NEAR(w, 612, 0.01);
  NEAR(h, 792, 0.01);
  CHECK(page_size_parse("1080x1350px", 144, &w, &h, err, sizeof err));
  NEAR(w, 540, 1e-9);
  NEAR(h, 675, 1e-9);
  CHECK(page_size_parse("8.5x11in", 150, &w, &h, err, sizeof err));
  NEAR(w, 612, 1e-9);
  CHECK(!page_size_parse("210x297", 150, &w, &h, err, sizeof err)); /* unit required */
  CHECK(strstr(err, "210x297") != NULL);
  CHECK(!page_size_parse("B7", 150, &w, &h, err, sizeof err));
  CHECK(strstr(err, "A4") != NULL); /* the message lists what is allowed */
  CHECK(!page_size_parse("-3x4mm", 150, &w, &h, err, sizeof err));
}

TEST(page_lengths_colours_and_aspects_parse_or_say_why_not) {
  double pt, a;
  uint32_t rgb;
  char err[256];
  CHECK(page_length_parse("25.4mm", 150, &pt, err, sizeof err));
  NEAR(pt, 72, 1e-9);
  CHECK(page_length_parse("10", 150, &pt, err, sizeof err)); /* bare = mm */
  NEAR(pt, 28.3465, 1e-3);
  CHECK(page_length_parse("150px", 150, &pt, err, sizeof err));
  NEAR(pt, 72, 1e-9);
  CHECK(page_length_parse("0", 150, &pt, err, sizeof err) && pt == 0);
  CHECK(!page_length_parse("12furlongs", 150, &pt, err, sizeof err));
  CHECK(strstr(err, "furlongs") != NULL);
  CHECK(page_color_parse("#f0a", &rgb, err, sizeof err) && rgb == 0xff00aa);
  CHECK(page_color_parse("#102030", &rgb, err, sizeof err) && rgb == 0x102030);
  CHECK(page_color_parse("Ivory", &rgb, err, sizeof err) && rgb == 0xf7f3ea);
  CHECK(!page_color_parse("#12345", &rgb, err, sizeof err));
  CHECK(!page_color_parse("#ggg", &rgb, err, sizeof err));
  CHECK(page_aspect_parse("3:4", &a, err, sizeof err));
  NEAR(a, 0.75, 1e-12);
  CHECK(!page_aspect_parse("3:0", &a, err, sizeof err));
  CHECK(!page_aspect_parse("3:4x", &a, err, sizeof err));
  CHECK(!page_aspect_parse("100:1", &a, err, sizeof err));
}

static page_options a4(int columns, int rows) {
  page_options o;
  page_options_default(&o);
  o.columns = columns;
  o.rows = rows;
  return o;
}

TEST(page_grid_with_columns_fills_rows_that_fit_and_keeps_cells_inside_the_page) {
  page_options o = a4(4, 0);
  page_layout l;
  char err[256];
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  CHECK_INT(l.page_w, 1240); /* A4 at 150 dpi */
  CHECK_INT(l.page_h, 1754);
  CHECK_INT(l.columns, 4);
  CHECK(l.rows >= 3 && l.rows <= 4);
  REQUIRE_INT(l.plans[0].ncells, l.columns * l.rows);
  NEAR((double)l.cell_w / l.image_h, 0.75, 0.01);
  for (int i = 0; i < l.plans[0].ncells; i++) {
    page_cell c = l.plans[0].cells[i];
    CHECK(c.image.x >= 0 && c.image.x + c.image.w <= l.page_w);
    CHECK(c.caption.y == c.image.y + c.image.h);
    CHECK(c.caption.y + c.caption.h <= l.page_h - (l.footer.h ? l.footer.h : 0));
  }
  /* reading order: the second cell is right of the first, same row */
  CHECK(l.plans[0].cells[1].image.x > l.plans[0].cells[0].image.x);
  CHECK_INT(l.plans[0].cells[1].image.y, l.plans[0].cells[0].image.y);
  page_layout_free(&l);
}

TEST(page_grid_with_both_given_uses_exactly_that_grid) {
  page_options o = a4(4, 4);
  o.cell_aspect = 880.0 / 1176.0;
  page_layout l;
  char err[256];
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  CHECK_INT(l.columns * l.rows, 16);
  CHECK_INT(l.plans[0].ncells, 16);
  CHECK(l.grid.y + l.grid.h <= l.footer.y);
  CHECK_INT(page_layout_count_pages(&l, 64), 4);
  CHECK_INT(page_layout_count_pages(&l, 65), 5);
  CHECK_INT(page_layout_count_pages(&l, 0), 0);
  page_layout_free(&l);
}

TEST(page_grid_with_rows_only_fits_columns_to_the_width) {
  page_options o = a4(0, 2);
  o.page_w_pt = 841.89; /* landscape */
  o.page_h_pt = 595.28;
  page_layout l;
  char err[256];
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  CHECK_INT(l.rows, 2);
  CHECK(l.columns >= 4);
  CHECK(l.grid.w <= l.page_w);
  page_layout_free(&l);
}

TEST(page_too_many_columns_is_an_error_naming_the_option) {
  page_options o = a4(32, 32);
  o.dpi = 36;
  page_layout l;
  char err[256];
  CHECK(!page_layout_init(&l, &o, err, sizeof err));
  CHECK(strstr(err, "columns") != NULL);
  page_layout_free(&l);
  o = a4(4, 0);
  o.dpi = 5000;
  CHECK(!page_layout_init(&l, &o, err, sizeof err));
  CHECK(strstr(err, "dpi") != NULL);
  page_layout_free(&l);
}

TEST(page_hero_span_merges_slots_and_later_pages_are_plain) {
  page_options o = a4(4, 3);
  o.ntemplates = 2;
  o.templates[0].nspans = 1;
  o.templates[0].spans[0] = (page_span){0, 0, 2, 2};
  page_layout l;
  char err[256];
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  REQUIRE_INT(page_layout_plan(&l, 0)->ncells, 12 - 4 + 1);
  CHECK_INT(page_layout_plan(&l, 1)->ncells, 12);
  CHECK_INT(page_layout_plan(&l, 7)->ncells, 12); /* the last template repeats */
  const page_cell *hero = &page_layout_plan(&l, 0)->cells[0];
  const page_cell *next = &page_layout_plan(&l, 0)->cells[1];
  CHECK_INT(hero->image.w, 2 * l.cell_w + l.gutter);
  CHECK(hero->image.h > 2 * l.image_h); /* two slots and the gutter, less one caption band */
  CHECK_INT(next->image.x, hero->image.x + hero->image.w + l.gutter);
  CHECK_INT(page_layout_count_pages(&l, 9), 1);
  CHECK_INT(page_layout_count_pages(&l, 10), 2);
  CHECK_INT(page_layout_count_pages(&l, 21), 2);
  CHECK_INT(page_layout_count_pages(&l, 22), 3);
  page_layout_free(&l);
}

TEST(page_spans_outside_the_grid_or_overlapping_are_rejected) {
  page_options o = a4(4, 3);
  o.ntemplates = 1;
  o.templates[0].nspans = 1;
  o.templates[0].spans[0] = (page_span){3, 0, 2, 1};
  page_layout l;
  char err[256];
  CHECK(!page_layout_init(&l, &o, err, sizeof err));
  CHECK(strstr(err, "does not fit") != NULL);
  page_layout_free(&l);
  o.templates[0].nspans = 2;
  o.templates[0].spans[0] = (page_span){0, 0, 2, 2};
  o.templates[0].spans[1] = (page_span){1, 1, 2, 2};
  CHECK(!page_layout_init(&l, &o, err, sizeof err));
  CHECK(strstr(err, "overlaps") != NULL);
  page_layout_free(&l);
}

TEST(page_sections_start_fresh_pages_but_never_leave_an_empty_one) {
  page_options o = a4(2, 2);
  page_layout l;
  char err[256];
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  page_cursor c;
  page_cursor_init(&c);
  int page, cell;
  page_cursor_section(&c, 0); /* a section before any image: still page 0 */
  page_cursor_take(&c, &l, &page, &cell);
  CHECK_INT(page, 0);
  CHECK_INT(cell, 0);
  page_cursor_section(&c, 1);
  page_cursor_section(&c, 2); /* an empty section takes no page */
  page_cursor_take(&c, &l, &page, &cell);
  CHECK_INT(page, 1);
  CHECK_INT(cell, 0);
  for (int i = 0; i < 4; i++) page_cursor_take(&c, &l, &page, &cell);
  CHECK_INT(page, 2);
  CHECK_INT(cell, 0);
  CHECK_INT(page_cursor_pages(&c), 3);
  page_layout_free(&l);
}

TEST(page_fit_letterboxes_and_fill_crops_the_centre) {
  page_rect dst, src;
  page_rect box = {10, 20, 300, 400};
  page_fit_rect(PAGE_FIT, 1000, 1000, box, &dst, &src);
  CHECK_INT(dst.w, 300);
  CHECK_INT(dst.h, 300);
  CHECK_INT(dst.y, 70);
  CHECK_INT(src.w, 1000);
  page_fit_rect(PAGE_FILL, 1000, 1000, box, &dst, &src);
  CHECK_INT(dst.w, 300);
  CHECK_INT(dst.h, 400);
  CHECK_INT(src.w, 750);
  CHECK_INT(src.h, 1000);
  CHECK_INT(src.x, 125);
}

/* Pixels as points at the given dpi, so sizes below are exact pixel counts. */
static double px_pt(double px, double dpi) { return px * 72.0 / dpi; }

TEST(page_sized_to_its_cells_follows_cell_width_and_the_axis_counts) {
  page_options o = a4(3, 2);
  o.cell_w_pt = px_pt(200, o.dpi);
  for (int i = 0; i < 4; i++) o.margin_pt[i] = px_pt(20, o.dpi);
  o.gutter_pt = px_pt(8, o.dpi);
  o.caption_lines = 0;
  o.page_numbers = false;
  o.cell_aspect = 3.0 / 4.0;
  page_layout l;
  char err[256];
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  CHECK_INT(l.cell_w, 200);
  CHECK_INT(l.image_h, 266); /* 200 / 0.75, whole pixels */
  CHECK_INT(l.page_w, 20 + 3 * 200 + 2 * 8 + 20);
  CHECK_INT(l.page_h, 20 + 2 * 266 + 8 + 20);
  CHECK_INT(l.grid.x, 20);
  CHECK_INT(l.grid.y, 20);
  CHECK_INT(l.col_labels.h, 0);
  CHECK_INT(l.row_labels.w, 0);
  page_layout_free(&l);

  /* labels add their bands (plus half a caption line each) and nothing else */
  o.has_col_labels = o.has_row_labels = true;
  o.row_label_pt = px_pt(140, o.dpi);
  int label_gap = (int)lround(o.type_size_pt * 0.5 * o.dpi / 72);
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  CHECK_INT(l.row_labels.w, 140);
  CHECK(l.col_labels.h > 0);
  CHECK_INT(l.page_w, 20 + 140 + label_gap + 3 * 200 + 2 * 8 + 20);
  CHECK_INT(l.page_h, 20 + l.col_labels.h + label_gap + 2 * 266 + 8 + 20);
  CHECK_INT(l.row_labels.x, 20);
  CHECK_INT(l.row_labels.x + l.row_labels.w + label_gap, l.grid.x);
  CHECK_INT(l.row_labels.y, l.grid.y);
  CHECK_INT(l.row_labels.h, l.grid.h);
  CHECK_INT(l.col_labels.y, 20);
  CHECK_INT(l.col_labels.y + l.col_labels.h + label_gap, l.grid.y);
  CHECK_INT(l.col_labels.x, l.grid.x);
  CHECK_INT(l.col_labels.w, l.grid.w);
  REQUIRE_INT(l.plans[0].ncells, 6); /* cells[4] is read below */
  CHECK_INT(l.plans[0].cells[0].image.x, l.grid.x);
  CHECK_INT(l.plans[0].cells[4].image.x, l.grid.x + 200 + 8); /* row 2, column 2 */
  CHECK_INT(l.plans[0].cells[4].image.y, l.grid.y + 266 + 8);
  page_layout_free(&l);

  /* a title goes above the column labels */
  o.has_title = true;
  REQUIRE(page_layout_init(&l, &o, err, sizeof err));
  CHECK(l.header.h > 0);
  CHECK(l.col_labels.y >= l.header.y + l.header.h);
  page_layout_free(&l);
}

TEST(page_sized_to_its_cells_needs_a_grid_and_a_page_within_the_limit) {
  page_options o = a4(0, 2);
  o.cell_w_pt = px_pt(200, o.dpi);
  page_layout l;
  char err[256];
  CHECK(!page_layout_init(&l, &o, err, sizeof err));
  CHECK(strstr(err, "cell_width") && strstr(err, "columns and rows"));
  page_layout_free(&l);
  o = a4(32, 2);
  o.cell_w_pt = px_pt(1024, o.dpi);
  CHECK(!page_layout_init(&l, &o, err, sizeof err));
  CHECK(strstr(err, "cell_width") && strstr(err, "16384"));
  page_layout_free(&l);
}

TEST(page_label_bands_on_a_fixed_page_take_room_from_the_cells) {
  page_options o = a4(4, 4);
  page_layout plain, labelled;
  char err[256];
  CHECK(page_layout_init(&plain, &o, err, sizeof err));
  o.has_col_labels = o.has_row_labels = true;
  CHECK(page_layout_init(&labelled, &o, err, sizeof err));
  CHECK_INT(labelled.page_w, plain.page_w);
  CHECK(labelled.cell_w < plain.cell_w);
  CHECK(labelled.row_labels.w > 0 && labelled.row_labels.x + labelled.row_labels.w < labelled.grid.x);
  CHECK(labelled.col_labels.h > 0 && labelled.col_labels.y + labelled.col_labels.h < labelled.grid.y);
  CHECK(labelled.grid.x + labelled.grid.w <= labelled.page_w);
  page_layout_free(&plain);
  page_layout_free(&labelled);
}

TEST(page_grid_sits_right_under_the_header_and_the_rest_stays_at_the_bottom) {
  /* one row of cells on an A4 page: the grid starts under the header, never in the
   * vertical middle, and Tabloid is a size in both orientations */
  const char *sizes[] = {"A4", "A3", "Letter", "Tabloid"};
  for (int i = 0; i < 4; i++) {
    for (int landscape = 0; landscape < 2; landscape++) {
      page_options o;
      page_options_default(&o);
      char err[200];
      CHECK(page_size_parse(sizes[i], o.dpi, &o.page_w_pt, &o.page_h_pt, err, sizeof err));
      if (landscape) {
        double w = o.page_w_pt;
        o.page_w_pt = o.page_h_pt, o.page_h_pt = w;
      }
      o.has_title = true;
      o.rows = 1;
      page_layout l;
      CHECK(page_layout_init(&l, &o, err, sizeof err));
      int top = (int)lround(o.margin_pt[0] * l.px_per_pt);
      CHECK(l.header.y == top);
      CHECK(l.grid.y > l.header.y + l.header.h);
      CHECK(l.grid.y - (l.header.y + l.header.h) <= (int)lround(o.type_size_pt * 1.5 * l.px_per_pt) + 1);
      CHECK(l.page_h - (l.grid.y + l.grid.h) > l.grid.y); /* the space left is below the grid */
      page_layout_free(&l);
    }
  }
}
