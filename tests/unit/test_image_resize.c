/* test_image_resize.c — fit arithmetic, resize sizes/aspect/quality, crop, and the memory
 * bound of decoding many large images into thumbnails. */
#include <malloc.h>
#include <stdio.h>

#include "imgtest.h"
#include "unit.h"

TEST(image_fit_size_keeps_the_aspect_for_fit_and_crop) {
  int w, h;
  CHECK(image_fit_size(1000, 500, 200, 200, IMAGE_FIT, &w, &h) && w == 200 && h == 100);
  CHECK(image_fit_size(1000, 500, 200, 200, IMAGE_CROP, &w, &h) && w == 400 && h == 200);
  CHECK(image_fit_size(1000, 500, 200, 200, IMAGE_FILL, &w, &h) && w == 200 && h == 200);
  CHECK(image_fit_size(500, 1000, 200, 200, IMAGE_FIT, &w, &h) && w == 100 && h == 200);
  CHECK(image_fit_size(880, 1176, 512, 0, IMAGE_FIT, &w, &h) && w == 512 && h == 684);
  CHECK(image_fit_size(880, 1176, 0, 300, IMAGE_FILL, &w, &h) && w == 224 && h == 300);
  CHECK(image_fit_size(10000, 1, 10, 10, IMAGE_FIT, &w, &h) && w == 10 && h == 1); /* never 0 */
  CHECK(!image_fit_size(100, 100, 0, 0, IMAGE_FIT, &w, &h));
  CHECK(!image_fit_size(0, 100, 10, 10, IMAGE_FIT, &w, &h));
}

TEST(image_resize_fit_fill_crop_give_the_promised_sizes) {
  image g = imgtest_gradient(300, 200, true);
  char err[200];
  struct {
    int bw, bh;
    image_fit mode;
    int w, h;
  } cases[] = {
      {100, 100, IMAGE_FIT, 100, 67}, {100, 100, IMAGE_FILL, 100, 100}, {100, 100, IMAGE_CROP, 100, 100},
      {600, 0, IMAGE_FIT, 600, 400},  {0, 50, IMAGE_CROP, 75, 50},      {31, 97, IMAGE_CROP, 31, 97},
      {1, 1, IMAGE_FIT, 1, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    image d = IMAGE_INIT;
    CHECK_INT(image_resize_fit(&g, cases[i].bw, cases[i].bh, cases[i].mode, &d, err, sizeof err), IMAGE_OK);
    if (d.width != cases[i].w || d.height != cases[i].h)
      unit_fail(__FILE__, __LINE__, "case %zu: %dx%d, expected %dx%d", i, d.width, d.height, cases[i].w, cases[i].h);
    image_free(&d);
  }
  image_free(&g);
}

TEST(image_resize_preserves_flat_colours_in_both_directions) {
  image s = imgtest_solid(97, 61, 200, 100, 50, 255);
  int sizes[][2] = {{10, 7}, {300, 190}, {97, 20}, {20, 61}, {1, 1}, {33, 200}};
  char err[200];
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    image d = IMAGE_INIT, want = imgtest_solid(sizes[i][0], sizes[i][1], 200, 100, 50, 255);
    CHECK_INT(image_resize(&s, sizes[i][0], sizes[i][1], &d, err, sizeof err), IMAGE_OK);
    CHECK_INT(imgtest_maxdiff(&d, &want, true), 0);
    image_free(&d);
    image_free(&want);
  }
  image_free(&s);
}

TEST(image_resize_does_not_bleed_colour_from_transparent_pixels) {
  /* left half transparent pure red, right half opaque blue */
  image s = imgtest_solid(64, 64, 0, 0, 255, 255);
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 32; x++) {
      uint8_t *p = s.rgba + ((size_t)y * 64 + x) * 4;
      p[0] = 255, p[1] = 0, p[2] = 0, p[3] = 0;
    }
  char err[200];
  int sizes[][2] = {{16, 16}, {7, 5}, {40, 40}, {100, 100}};
  for (size_t i = 0; i < 4; i++) {
    image d = IMAGE_INIT;
    CHECK_INT(image_resize(&s, sizes[i][0], sizes[i][1], &d, err, sizeof err), IMAGE_OK);
    for (size_t k = 0; k < (size_t)d.width * d.height; k++)
      if (d.rgba[k * 4 + 3] > 0 && d.rgba[k * 4] > 2) {
        unit_fail(__FILE__, __LINE__, "%dx%d: pixel %zu picked up red %d", d.width, d.height, k, d.rgba[k * 4]);
        break;
      }
    image_free(&d);
  }
  image_free(&s);
}

TEST(image_area_reduction_averages_exactly) {
  /* 4x1 columns 0,100,200,60 -> 2x1 = 50,130; 3 -> 1 averages thirds. */
  image s = imgtest_solid(4, 2, 0, 0, 0, 255);
  uint8_t v[4] = {0, 100, 200, 60};
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 4; x++) s.rgba[(y * 4 + x) * 4] = v[x];
  image d = IMAGE_INIT;
  char err[200];
  /* a PNG decoded into a box goes through the area reducer */
  buf b = imgtest_encode(&s, IMAGE_PNG, 0, false);
  image_decode_opts o = {.box_width = 2};
  REQUIRE_INT(image_decode(b.data, b.len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
  REQUIRE_INT(d.width, 2);
  REQUIRE_INT(d.height, 1);
  CHECK_INT(d.rgba[0], 50);
  CHECK_INT(d.rgba[4], 130);
  image_free(&d);
  o.box_width = 3; /* fractional coverage: 0+100/3 / (4/3) ... */
  REQUIRE_INT(image_decode(b.data, b.len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
  REQUIRE_INT(d.width, 3);
  CHECK_INT(d.rgba[0], 25);  /* (0*1 + 100*1/3) / (4/3) */
  CHECK_INT(d.rgba[4], 150); /* (100*2/3 + 200*2/3) / (4/3) */
  CHECK_INT(d.rgba[8], 95);  /* (200*1/3 + 60) / (4/3) */
  image_free(&d);
  image_free(&s);
  buf_free(&b);
}

TEST(image_crop_copies_the_rectangle_and_checks_bounds) {
  image g = imgtest_gradient(50, 40, true), d = IMAGE_INIT;
  char err[200];
  REQUIRE_INT(image_crop(&g, 10, 5, 20, 30, &d, err, sizeof err), IMAGE_OK);
  REQUIRE_INT(d.width, 20);
  REQUIRE_INT(d.height, 30);
  CHECK(memcmp(d.rgba, g.rgba + (5 * 50 + 10) * 4, 20 * 4) == 0);
  CHECK(memcmp(d.rgba + 29 * 20 * 4, g.rgba + (34 * 50 + 10) * 4, 20 * 4) == 0);
  image_free(&d);
  CHECK_INT(image_crop(&g, 40, 0, 11, 10, &d, err, sizeof err), IMAGE_EARG);
  CHECK_STR(err, "crop rectangle 11x10 at (40,0) is not inside the 50x40 image");
  CHECK_INT(image_crop(&g, -1, 0, 5, 5, &d, err, sizeof err), IMAGE_EARG);
  CHECK_INT(image_crop(&g, 0, 0, 0, 5, &d, err, sizeof err), IMAGE_EARG);
  CHECK_INT(image_resize(&g, 0, 5, &d, err, sizeof err), IMAGE_EARG);
  CHECK_INT(image_resize(&g, 70000, 5, &d, err, sizeof err), IMAGE_EARG);
  CHECK(d.rgba == NULL);
  image_free(&g);
}

/* VmHWM / VmRSS from /proc/self/status in kB (-1 when unavailable). */
static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0) v = strtol(line + n + 1, NULL, 10);
  fclose(f);
  return v;
}

/* Resets the peak RSS to the current RSS (Linux >= 4.0); false when not permitted. */
static bool reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

/* The lookbook decodes many 4096x4096 inputs into cells; a thumbnail decode must not hold
 * the full-size image: 64 MB of RGBA per input otherwise. Checks the growth of peak RSS
 * (a generous bound: the 16.7 Mpx RGBA source we make is itself 64 MB). */
TEST(image_thumbnail_decodes_of_4096_square_inputs_stay_small) {
  image big = imgtest_gradient(4096, 4096, false);
  image_format fm[] = {IMAGE_PNG, IMAGE_JPEG, IMAGE_PNG};
  buf enc[3];
  for (int i = 0; i < 3; i++) {
    enc[i] = (buf)BUF_INIT;
    /* the third: interlaced, streamed from its last pass */
    image_encode_opts o = {.format = fm[i], .quality = 85, .effort = 1, .progressive = i == 2};
    char err[200];
    CHECK_INT(image_encode(&big, &o, &enc[i], err, sizeof err), IMAGE_OK);
  }
  image_free(&big);
  malloc_trim(0);
  if (!reset_peak_rss() || status_kb("VmHWM:") < 0) {
    printf("    (cannot reset the peak RSS here; memory bound not checked)\n");
    for (int i = 0; i < 3; i++) buf_free(&enc[i]);
    return;
  }
  long before = status_kb("VmRSS:");
  for (int round = 0; round < 4; round++)
    for (int i = 0; i < 3; i++) {
      image d = IMAGE_INIT;
      char err[200] = "";
      image_decode_opts o = {.box_width = 512, .box_height = 512};
      CHECK_INT(image_decode(enc[i].data, enc[i].len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
      CHECK_INT(d.width, 512);
      image_free(&d);
    }
  long grew_mb = (status_kb("VmHWM:") - before) / 1024;
  if (grew_mb > 40) unit_fail(__FILE__, __LINE__, "thumbnail decodes raised peak memory by %ld MB", grew_mb);
  for (int i = 0; i < 3; i++) buf_free(&enc[i]);
}
