/* test_image.c — sniffing, decode/encode round trips for every format pair, limits,
 * truncated and corrupt input. (Resize: test_image_resize.c; metadata: test_image_meta.c.) */
#include "imgtest.h"
#include "unit.h"

static const image_format FORMATS[] = {IMAGE_PNG, IMAGE_JPEG, IMAGE_WEBP};

TEST(image_sniffs_formats_by_magic_bytes) {
  image g = imgtest_gradient(8, 8, false);
  for (size_t i = 0; i < 3; i++) {
    buf b = imgtest_encode(&g, FORMATS[i], 90, false);
    CHECK_INT(image_sniff(b.data, b.len), FORMATS[i]);
    CHECK_INT(image_sniff(b.data, 2), IMAGE_UNKNOWN);
    buf_free(&b);
  }
  CHECK_INT(image_sniff("GIF89a....", 10), IMAGE_UNKNOWN);
  CHECK_INT(image_sniff("RIFF\0\0\0\0WAVE", 12), IMAGE_UNKNOWN);
  CHECK_INT(image_format_from_path("out/a.JPG"), IMAGE_JPEG);
  CHECK_INT(image_format_from_path("x.webp"), IMAGE_WEBP);
  CHECK_INT(image_format_from_path("dir.png/file"), IMAGE_UNKNOWN);
  CHECK_INT(image_format_from_name("image/jpeg"), IMAGE_JPEG);
  CHECK_STR(image_format_mime(IMAGE_WEBP), "image/webp");
  image_free(&g);
}

TEST(image_png_and_lossless_webp_round_trip_exactly_with_alpha) {
  image g = imgtest_gradient(67, 41, true);
  image_format lossless[] = {IMAGE_PNG, IMAGE_WEBP};
  for (int i = 0; i < 2; i++) {
    buf b = imgtest_encode(&g, lossless[i], 0, true);
    image d = IMAGE_INIT;
    image_info info;
    char err[200] = "";
    REQUIRE_INT(image_decode(b.data, b.len, NULL, &d, &info, err, sizeof err), IMAGE_OK);
    CHECK_INT(info.format, lossless[i]);
    CHECK(info.has_alpha);
    CHECK_INT(imgtest_maxdiff(&g, &d, true), 0);
    image_free(&d);
    buf_free(&b);
  }
  image_free(&g);
}

TEST(image_every_format_pair_round_trips_within_codec_tolerance) {
  image g = imgtest_gradient(96, 64, false);
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) {
      buf e1 = imgtest_encode(&g, FORMATS[a], 95, false);
      image d1 = IMAGE_INIT, d2 = IMAGE_INIT;
      char err[200] = "";
      REQUIRE_INT(image_decode(e1.data, e1.len, NULL, &d1, NULL, err, sizeof err), IMAGE_OK);
      buf e2 = imgtest_encode(&d1, FORMATS[b], 95, false);
      image_info info;
      REQUIRE_INT(image_decode(e2.data, e2.len, NULL, &d2, &info, err, sizeof err), IMAGE_OK);
      CHECK_INT(info.format, FORMATS[b]);
      REQUIRE_INT(d2.width, 96);
      REQUIRE_INT(d2.height, 64);
      double md = imgtest_meandiff(&g, &d2);
      if (md > 3.0)
        unit_fail(__FILE__, __LINE__, "%s -> %s: mean difference %.2f", image_format_name(FORMATS[a]),
                  image_format_name(FORMATS[b]), md);
      image_free(&d1);
      image_free(&d2);
      buf_free(&e1);
      buf_free(&e2);
    }
  image_free(&g);
}

TEST(image_jpeg_composites_transparency_over_white_and_can_be_progressive) {
  image clear = imgtest_solid(16, 16, 255, 0, 0, 0); /* fully transparent red */
  buf b = BUF_INIT;
  image_encode_opts o = {.format = IMAGE_JPEG, .quality = 90, .progressive = true};
  char err[200];
  CHECK_INT(image_encode(&clear, &o, &b, err, sizeof err), IMAGE_OK);
  image_info info;
  image d = IMAGE_INIT;
  REQUIRE_INT(image_decode(b.data, b.len, NULL, &d, &info, err, sizeof err), IMAGE_OK);
  CHECK(info.progressive);
  CHECK(d.rgba[0] > 250 && d.rgba[1] > 250 && d.rgba[2] > 250 && d.rgba[3] == 255);
  image_free(&d);
  image_free(&clear);
  buf_free(&b);
}

TEST(image_webp_near_lossless_and_quality_change_the_output) {
  image g = imgtest_gradient(64, 64, false);
  buf lo = imgtest_encode(&g, IMAGE_WEBP, 10, false), hi = imgtest_encode(&g, IMAGE_WEBP, 100, false);
  CHECK(lo.len < hi.len);
  buf nl = BUF_INIT;
  image_encode_opts o = {.format = IMAGE_WEBP, .near_lossless = 60};
  char err[200];
  CHECK_INT(image_encode(&g, &o, &nl, err, sizeof err), IMAGE_OK);
  image d = IMAGE_INIT;
  CHECK_INT(image_decode(nl.data, nl.len, NULL, &d, NULL, err, sizeof err), IMAGE_OK);
  int md = imgtest_maxdiff(&g, &d, false);
  CHECK(md >= 0 && md <= 8); /* near-lossless: small bounded error */
  o.near_lossless = 101;
  CHECK_INT(image_encode(&g, &o, &nl, err, sizeof err), IMAGE_EARG);
  CHECK_STR(err, "near_lossless 101 is outside 0..100");
  image_free(&d);
  image_free(&g);
  buf_free(&lo);
  buf_free(&hi);
  buf_free(&nl);
}

TEST(image_probe_reads_headers_without_decoding) {
  image g = imgtest_gradient(123, 45, true);
  for (int i = 0; i < 3; i++) {
    buf b = imgtest_encode(&g, FORMATS[i], 80, false);
    image_info info;
    char err[200] = "";
    REQUIRE_INT(image_probe(b.data, b.len, NULL, &info, err, sizeof err), IMAGE_OK);
    CHECK_INT(info.width, 123);
    CHECK_INT(info.height, 45);
    CHECK_INT(info.has_alpha, FORMATS[i] != IMAGE_JPEG);
    buf_free(&b);
  }
  image_free(&g);
}

/* A PNG header claiming w x h followed by a tiny IDAT: a decompression bomb's shape. */
static buf png_bomb(uint32_t w, uint32_t h) {
  image one = imgtest_solid(1, 1, 0, 0, 0, 255);
  buf b = imgtest_encode(&one, IMAGE_PNG, 0, false);
  uint8_t *p = (uint8_t *)b.data + 16;
  p[0] = (uint8_t)(w >> 24), p[1] = (uint8_t)(w >> 16), p[2] = (uint8_t)(w >> 8), p[3] = (uint8_t)w;
  p[4] = (uint8_t)(h >> 24), p[5] = (uint8_t)(h >> 16), p[6] = (uint8_t)(h >> 8), p[7] = (uint8_t)h;
  image_free(&one);
  return b;
}

TEST(image_refuses_decompression_bombs_from_the_header) {
  buf b = png_bomb(50000, 50000);
  image d = IMAGE_INIT;
  char err[200] = "";
  CHECK_INT(image_decode(b.data, b.len, NULL, &d, NULL, err, sizeof err), IMAGE_ETOOBIG);
  CHECK_STR(err, "image is 50000x50000 (2.5 Gpx), more than the 100 Mpx limit");
  CHECK(d.rgba == NULL);
  buf_free(&b);
  /* a JPEG frame header claiming 60000x60000 */
  image g = imgtest_gradient(16, 16, false);
  buf j = imgtest_encode(&g, IMAGE_JPEG, 80, false);
  for (size_t i = 2; i + 9 < j.len; i++)
    if ((uint8_t)j.data[i] == 0xFF && (uint8_t)j.data[i + 1] == 0xC0) {
      j.data[i + 5] = (char)0xEA, j.data[i + 6] = 0x60, j.data[i + 7] = (char)0xEA, j.data[i + 8] = 0x60;
      break;
    }
  CHECK_INT(image_decode(j.data, j.len, NULL, &d, NULL, err, sizeof err), IMAGE_ETOOBIG);
  CHECK_STR(err, "image is 60000x60000 (3.6 Gpx), more than the 100 Mpx limit");
  /* a custom lower limit */
  buf p = imgtest_encode(&g, IMAGE_PNG, 0, false);
  image_decode_opts o = {.limits = {.max_pixels = 100}};
  CHECK_INT(image_decode(p.data, p.len, &o, &d, NULL, err, sizeof err), IMAGE_ETOOBIG);
  CHECK_STR(err, "image is 16x16 (256 px), more than the 100 px limit");
  o.limits = (image_limits){.max_bytes = 10};
  CHECK_INT(image_decode(p.data, p.len, &o, &d, NULL, err, sizeof err), IMAGE_ETOOBIG);
  CHECK(strstr(err, "more than the 10-byte limit") != NULL);
  image_free(&g);
  buf_free(&j);
  buf_free(&p);
}

TEST(image_rejects_every_truncation_with_a_message_naming_the_format) {
  image g = imgtest_gradient(40, 30, true);
  const char *names[] = {"PNG", "JPEG", "WebP"};
  for (int i = 0; i < 3; i++) {
    buf b = imgtest_encode(&g, FORMATS[i], 80, false);
    for (size_t cut = 0; cut < b.len; cut += (cut < 64 ? 1 : 7)) {
      image d = IMAGE_INIT;
      char err[200] = "";
      image_status st = image_decode(b.data, cut, NULL, &d, NULL, err, sizeof err);
      if (st == IMAGE_OK) {
        unit_fail(__FILE__, __LINE__, "%s cut at %zu of %zu bytes decoded", names[i], cut, b.len);
        image_free(&d);
        break;
      }
      if (cut >= 16 && !strstr(err, names[i])) {
        unit_fail(__FILE__, __LINE__, "%s cut at %zu: message '%s' does not name the format", names[i], cut, err);
        break;
      }
      CHECK(d.rgba == NULL);
    }
    buf_free(&b);
  }
  image_free(&g);
}

TEST(image_survives_corrupted_bytes) {
  image g = imgtest_gradient(40, 30, true);
  uint32_t seed = 7;
  for (int i = 0; i < 3; i++) {
    buf b = imgtest_encode(&g, FORMATS[i], 80, false);
    for (int round = 0; round < 200; round++) {
      buf c = BUF_INIT;
      buf_append(&c, b.data, b.len);
      for (int k = 0; k < 4; k++) {
        seed = seed * 1103515245u + 12345u;
        size_t at = 8 + (seed >> 8) % (c.len - 8);
        c.data[at] = (char)(seed >> 3);
      }
      image d = IMAGE_INIT;
      char err[200] = "";
      image_status st = image_decode(c.data, c.len, NULL, &d, NULL, err, sizeof err);
      if (st == IMAGE_OK) CHECK(d.rgba != NULL && d.width > 0 && d.height > 0); /* e.g. a changed JPEG size */
      else CHECK(err[0] != '\0' && d.rgba == NULL);
      image_free(&d);
      buf_free(&c);
    }
    buf_free(&b);
  }
  image_free(&g);
}

TEST(image_rejects_what_is_not_an_image) {
  image d = IMAGE_INIT;
  char err[200];
  CHECK_INT(image_decode("", 0, NULL, &d, NULL, err, sizeof err), IMAGE_EFORMAT);
  CHECK_STR(err, "empty image data (0 bytes)");
  CHECK_INT(image_decode("<html>", 6, NULL, &d, NULL, err, sizeof err), IMAGE_EFORMAT);
  CHECK_STR(err, "not a PNG, JPEG or WebP image (unrecognised first bytes)");
  image empty = IMAGE_INIT;
  buf b = BUF_INIT;
  image_encode_opts o = {.format = IMAGE_PNG};
  CHECK_INT(image_encode(&empty, &o, &b, err, sizeof err), IMAGE_EARG);
  image g = imgtest_gradient(4, 4, false);
  o.format = IMAGE_UNKNOWN;
  CHECK_INT(image_encode(&g, &o, &b, err, sizeof err), IMAGE_EARG);
  o = (image_encode_opts){.format = IMAGE_JPEG, .quality = 101};
  CHECK_INT(image_encode(&g, &o, &b, err, sizeof err), IMAGE_EARG);
  CHECK_STR(err, "quality 101 is outside 1..100");
  CHECK_INT(b.len, 0);
  image_free(&g);
  buf_free(&b);
}

TEST(image_decodes_to_a_box_in_every_format) {
  image g = imgtest_gradient(800, 600, false);
  for (int i = 0; i < 3; i++) {
    buf b = imgtest_encode(&g, FORMATS[i], 90, false);
    image d = IMAGE_INIT;
    char err[200] = "";
    image_decode_opts o = {.box_width = 100, .box_height = 100};
    REQUIRE_INT(image_decode(b.data, b.len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
    REQUIRE_INT(d.width, 100);
    REQUIRE_INT(d.height, 75);
    /* the thumbnail looks like the image: compare with a resize of the original */
    image ref = IMAGE_INIT;
    REQUIRE_INT(image_resize(&g, 100, 75, &ref, err, sizeof err), IMAGE_OK);
    double md = imgtest_meandiff(&ref, &d);
    if (md > 3.0) unit_fail(__FILE__, __LINE__, "%s thumbnail differs by %.2f", image_format_name(FORMATS[i]), md);
    image_free(&d);
    image_free(&ref);
    o.cover = true;
    CHECK_INT(image_decode(b.data, b.len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
    CHECK_INT(d.width, 133);
    CHECK_INT(d.height, 100);
    image_free(&d);
    o = (image_decode_opts){.box_width = 2000}; /* never enlarged */
    CHECK_INT(image_decode(b.data, b.len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
    CHECK_INT(d.width, 800);
    image_free(&d);
    buf_free(&b);
  }
  image_free(&g);
}

TEST(image_interlaced_png_decodes_natively_and_to_a_box) {
  image g = imgtest_gradient(50, 40, true);
  buf b = BUF_INIT;
  image_encode_opts o = {.format = IMAGE_PNG, .progressive = true};
  char err[200];
  CHECK_INT(image_encode(&g, &o, &b, err, sizeof err), IMAGE_OK);
  image_info info;
  image d = IMAGE_INIT;
  REQUIRE_INT(image_decode(b.data, b.len, NULL, &d, &info, err, sizeof err), IMAGE_OK);
  CHECK(info.progressive);
  CHECK_INT(imgtest_maxdiff(&g, &d, true), 0);
  image_free(&d);
  image_decode_opts box = {.box_width = 25};
  CHECK_INT(image_decode(b.data, b.len, &box, &d, NULL, err, sizeof err), IMAGE_OK);
  CHECK_INT(d.width, 25);
  CHECK_INT(d.height, 20);
  image_free(&d);
  image_free(&g);
  buf_free(&b);
}

/* Reduced by 4x or more in height, an interlaced PNG streams its 7th pass (the odd rows) into the
 * reducer instead of decoding the whole image first: the result must still look like the
 * image, for sizes where passes are empty or uneven too. */
TEST(image_interlaced_png_reduced_from_its_last_pass_looks_like_the_image) {
  static const int sizes[][4] = {{800, 600, 100, 100}, {801, 603, 100, 0}, {9, 7, 3, 3}, {640, 64, 0, 8}, {5, 9, 1, 2}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int w = sizes[i][0], h = sizes[i][1];
    image g = imgtest_gradient(w, h, true);
    buf b = BUF_INIT;
    image_encode_opts eo = {.format = IMAGE_PNG, .progressive = true, .effort = 1};
    char err[200] = "";
    REQUIRE_INT(image_encode(&g, &eo, &b, err, sizeof err), IMAGE_OK);
    image d = IMAGE_INIT, ref = IMAGE_INIT;
    image_decode_opts o = {.box_width = sizes[i][2], .box_height = sizes[i][3]};
    REQUIRE_INT(image_decode(b.data, b.len, &o, &d, NULL, err, sizeof err), IMAGE_OK);
    int tw, th;
    REQUIRE(image_fit_size(w, h, o.box_width, o.box_height, IMAGE_FIT, &tw, &th));
    CHECK_INT(d.width, tw);
    CHECK_INT(d.height, th);
    REQUIRE_INT(image_resize(&g, d.width, d.height, &ref, err, sizeof err), IMAGE_OK);
    double md = imgtest_meandiff(&ref, &d);
    if (md > 4.0) unit_fail(__FILE__, __LINE__, "%dx%d -> %dx%d differs by %.2f", w, h, d.width, d.height, md);
    image_free(&d);
    image_free(&ref);
    image_free(&g);
    buf_free(&b);
  }
}

TEST(image_png_chunk_claiming_gigabytes_is_refused_before_libpng_allocates) {
  /* found by fuzz_png: an 85-byte file whose iTXt claims 1.4 GB made libpng allocate it */
  buf b = BUF_INIT;
  char err[200] = "";
  REQUIRE_INT(image_read_file("tests/fuzz/regressions/png/chunk-length-gigabytes-allocated-1", 0, &b, err, sizeof err),
              IMAGE_OK);
  image d = IMAGE_INIT;
  CHECK_INT(image_decode(b.data, b.len, NULL, &d, NULL, err, sizeof err), IMAGE_ETRUNCATED);
  CHECK(strstr(err, "truncated PNG: chunk 'iTXt' at byte ") != NULL && strstr(err, " remain") != NULL);
  buf_free(&b);
}
