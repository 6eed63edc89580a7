/* test_page_render.c — lookbook output: raster pages checked pixel by pixel (cells where
 * the layout puts them, background everywhere else), fit vs fill, the PDF's framing, the
 * HTML folder, and bad images refused with the file named and nothing added. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/page/page.h"
#include "unit.h"

static void solid(image *im, int w, int h, uint32_t rgb) {
  REQUIRE_INT(image_alloc(im, w, h, NULL, 0), IMAGE_OK); /* called from test bodies only */
  for (int i = 0; i < w * h; i++) {
    im->rgba[4 * i] = (uint8_t)(rgb >> 16);
    im->rgba[4 * i + 1] = (uint8_t)(rgb >> 8);
    im->rgba[4 * i + 2] = (uint8_t)rgb;
    im->rgba[4 * i + 3] = 255;
  }
}

static uint32_t pixel(const image *im, int x, int y) {
  const uint8_t *p = im->rgba + ((size_t)y * (size_t)im->width + (size_t)x) * 4;
  return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static bool close_to(uint32_t a, uint32_t b) {
  for (int s = 0; s <= 16; s += 8) {
    int d = (int)(a >> s & 255) - (int)(b >> s & 255);
    if (d < -6 || d > 6) return false;
  }
  return true;
}

static bool load_png(const char *path, image *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  static char data[16 << 20];
  size_t n = fread(data, 1, sizeof data, f);
  fclose(f);
  return image_decode(data, n, NULL, out, NULL, NULL, 0) == IMAGE_OK;
}

static char *tmpdir(void) {
  static char dir[64];
  snprintf(dir, sizeof dir, "/tmp/atelier-page-XXXXXX");
  REQUIRE(mkdtemp(dir) != NULL); /* called from test bodies only */
  return dir;
}

static const uint32_t colours[] = {0xd01010, 0x10a020, 0x1030d0, 0xe0c000, 0x8010a0};
#define BG 0x203040

TEST(page_png_pages_have_cells_where_the_layout_says_and_background_elsewhere) {
  page_options o;
  page_options_default(&o);
  o.columns = 2;
  o.rows = 2;
  o.dpi = 72; /* small pages keep the test quick */
  o.background = BG;
  o.fit = PAGE_FILL;
  char err[300] = "";
  page_book *b = page_book_new(&o, "Title", NULL, err, sizeof err);
  REQUIRE(b != NULL);
  for (int i = 0; i < 5; i++) {
    image im = IMAGE_INIT;
    solid(&im, 300, 400, colours[i]);
    page_item item = {.caption = {"caption", NULL}};
    CHECK(page_book_add_image(b, &im, &item, err, sizeof err) == PAGE_OK);
    image_free(&im);
  }
  CHECK_INT(page_book_count(b), 5);
  CHECK_INT(page_book_pages(b), 2);
  char *dir = tmpdir();
  char path[128];
  snprintf(path, sizeof path, "%s/book.png", dir);
  page_files files = {0};
  CHECK(page_book_save(b, path, &files, err, sizeof err));
  CHECK_INT(files.n, 2);
  const page_layout *l = page_book_layout(b);
  const page_plan *plan = page_layout_plan(l, 0);
  image p1 = IMAGE_INIT, p2 = IMAGE_INIT;
  REQUIRE(files.n == 2 && load_png(files.paths[0], &p1) && load_png(files.paths[1], &p2));
  if (p1.rgba && p2.rgba) {
    REQUIRE_INT(p1.width, l->page_w);
    REQUIRE_INT(p1.height, l->page_h);
    REQUIRE(p2.width == p1.width && p2.height == p1.height); /* pixel() reads both at layout places */
    REQUIRE_INT(plan->ncells, 4);                             /* cells[0..3] are read below */
    for (int c = 0; c < 4; c++) {
      page_rect r = plan->cells[c].image;
      /* every corner and the centre of the cell show the image */
      CHECK(close_to(pixel(&p1, r.x + 1, r.y + 1), colours[c]));
      CHECK(close_to(pixel(&p1, r.x + r.w - 2, r.y + r.h - 2), colours[c]));
      CHECK(close_to(pixel(&p1, r.x + r.w / 2, r.y + r.h / 2), colours[c]));
      /* just outside the cell (margin or gutter side) is background */
      CHECK(close_to(pixel(&p1, r.x - 1, r.y + r.h / 2), BG));
      CHECK(close_to(pixel(&p1, r.x + r.w, r.y + r.h / 2), BG));
      CHECK(close_to(pixel(&p1, r.x + r.w / 2, r.y - 1), BG));
    }
    /* the gutter between the first two cells */
    page_rect a = plan->cells[0].image, bb = plan->cells[1].image;
    CHECK(close_to(pixel(&p1, (a.x + a.w + bb.x) / 2, a.y + a.h / 2), BG));
    /* the corners of the page */
    CHECK(close_to(pixel(&p1, 0, 0), BG));
    CHECK(close_to(pixel(&p1, p1.width - 1, p1.height - 1), BG));
    /* page 2: the fifth image in the first cell, the other cells empty */
    page_rect r0 = plan->cells[0].image;
    CHECK(close_to(pixel(&p2, r0.x + r0.w / 2, r0.y + r0.h / 2), colours[4]));
    for (int c = 1; c < 4; c++) {
      page_rect r = plan->cells[c].image;
      CHECK(close_to(pixel(&p2, r.x + r.w / 2, r.y + r.h / 2), BG));
    }
  }
  image_free(&p1);
  image_free(&p2);
  for (int i = 0; i < files.n; i++) unlink(files.paths[i]);
  page_files_free(&files);
  rmdir(dir);
  page_book_free(b);
}

TEST(page_fit_keeps_the_whole_image_and_fill_covers_the_cell) {
  for (int mode = 0; mode < 2; mode++) {
    page_options o;
    page_options_default(&o);
    o.columns = 1;
    o.rows = 1;
    o.dpi = 72;
    o.cell_aspect = 1; /* square cell, wide image */
    o.background = 0xffffff;
    o.fit = mode ? PAGE_FILL : PAGE_FIT;
    o.page_numbers = false;
    o.caption_lines = 0;
    char err[300];
    page_book *b = page_book_new(&o, NULL, NULL, err, sizeof err);
    REQUIRE(b != NULL);
    image im = IMAGE_INIT;
    solid(&im, 400, 200, 0x0000ff);
    CHECK(page_book_add_image(b, &im, NULL, err, sizeof err) == PAGE_OK);
    image_free(&im);
    char *dir = tmpdir();
    char path[128];
    snprintf(path, sizeof path, "%s/p.png", dir);
    page_files files = {0};
    CHECK(page_book_save(b, path, &files, err, sizeof err));
    image pg = IMAGE_INIT;
    REQUIRE(files.n == 1 && load_png(files.paths[0], &pg));
    REQUIRE(pg.width == page_book_layout(b)->page_w && pg.height == page_book_layout(b)->page_h);
    page_rect r = page_layout_plan(page_book_layout(b), 0)->cells[0].image;
    if (pg.rgba) {
      uint32_t top = pixel(&pg, r.x + r.w / 2, r.y + r.h / 8); /* above a letterboxed image */
      CHECK(close_to(top, mode ? 0x0000ff : 0xffffff));
      CHECK(close_to(pixel(&pg, r.x + r.w / 2, r.y + r.h / 2), 0x0000ff));
    }
    image_free(&pg);
    for (int i = 0; i < files.n; i++) unlink(files.paths[i]);
    page_files_free(&files);
    rmdir(dir);
    page_book_free(b);
  }
}

TEST(page_pdf_and_html_are_written_whole) {
  page_options o;
  page_options_default(&o);
  o.dpi = 72;
  o.html_parameters = true; /* the meta below is shown (escaped) */
  char err[300];
  page_book *b = page_book_new(&o, "PDF <test> & \"more\"", "sub", err, sizeof err);
  REQUIRE(b != NULL);
  CHECK(page_book_section(b, "One", err, sizeof err));
  for (int i = 0; i < 3; i++) {
    image im = IMAGE_INIT;
    solid(&im, 30, 40, colours[i]);
    const char *meta[] = {"seed", "7", "prompt", "linen <suit>"};
    page_item item = {.caption = {"a", "b"}, .meta = meta, .nmeta = 2};
    CHECK(page_book_add_image(b, &im, &item, err, sizeof err) == PAGE_OK);
    image_free(&im);
  }
  char *dir = tmpdir();
  char path[160];
  snprintf(path, sizeof path, "%s/book.pdf", dir);
  CHECK(page_book_save(b, path, NULL, err, sizeof err));
  FILE *f = fopen(path, "rb");
  char head[8] = "", tail[64] = "";
  if (f) {
    CHECK(fread(head, 1, 5, f) == 5);
    fseek(f, -32, SEEK_END);
    size_t n = fread(tail, 1, 32, f);
    tail[n] = '\0';
    fclose(f);
  }
  CHECK(memcmp(head, "%PDF-", 5) == 0);
  CHECK(strstr(tail, "%%EOF") != NULL);
  unlink(path);
  snprintf(path, sizeof path, "%s/book.html", dir);
  page_files files = {0};
  CHECK(page_book_save(b, path, &files, err, sizeof err));
  CHECK_INT(files.n, 1);
  char buf[16384] = "";
  f = files.n ? fopen(files.paths[0], "rb") : NULL;
  if (f) {
    buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
    fclose(f);
  }
  CHECK(strstr(buf, "<title>PDF &lt;test&gt; &amp; &quot;more&quot;</title>") != NULL);
  CHECK(strstr(buf, "images/003.jpg") != NULL);
  CHECK(strstr(buf, "linen &lt;suit&gt;") != NULL);
  CHECK(strstr(buf, "<h2>One</h2>") != NULL);
  char img[200];
  snprintf(img, sizeof img, "%s/book/images/001.jpg", dir);
  struct stat st;
  CHECK(stat(img, &st) == 0 && st.st_size > 0);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  page_files_free(&files);
  page_book_free(b);
}

TEST(page_bad_images_and_text_are_refused_naming_the_file_and_nothing_is_added) {
  page_options o;
  page_options_default(&o);
  char err[300] = "";
  page_book *b = page_book_new(&o, NULL, NULL, err, sizeof err);
  REQUIRE(b != NULL);
  CHECK(page_book_add_encoded(b, "not an image at all", 19, "looks/broken.png", NULL, err, sizeof err) == PAGE_EIMAGE);
  CHECK(strstr(err, "looks/broken.png") != NULL);
  static const unsigned char png_head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  CHECK(page_book_add_encoded(b, png_head, sizeof png_head, "cut.png", NULL, err, sizeof err) == PAGE_EIMAGE);
  CHECK(strstr(err, "cut.png") != NULL);
  CHECK(page_book_add_file(b, "/nonexistent/dir/x.png", NULL, err, sizeof err) == PAGE_EFILE);
  CHECK(strstr(err, "/nonexistent/dir/x.png") != NULL);
  image im = IMAGE_INIT;
  solid(&im, 10, 10, 0);
  page_item bad = {.caption = {"\xff\xfe", NULL}};
  CHECK(page_book_add_image(b, &im, &bad, err, sizeof err) == PAGE_EINVAL);
  CHECK(strstr(err, "UTF-8") != NULL);
  image_free(&im);
  CHECK_INT(page_book_count(b), 0);
  CHECK(!page_book_save(b, "/tmp/never.pdf", NULL, err, sizeof err)); /* empty */
  CHECK(strstr(err, "empty") != NULL);
  page_book_free(b);
}
