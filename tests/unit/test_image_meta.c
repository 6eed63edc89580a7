/* test_image_meta.c — generation metadata written by the encoders and spliced into
 * existing files (pixels untouched), read back, replaced, and refused when malformed. */
#define _GNU_SOURCE /* memmem */
#include "imgtest.h"
#include "unit.h"

static const image_format FORMATS[] = {IMAGE_PNG, IMAGE_JPEG, IMAGE_WEBP};
static const char META[] =
    "{\"model\":\"model-create\",\"prompt\":\"linen suit & <hat>, \\\"golden\\\" hour\",\"seed\":7,"
    "\"inputs\":{\"aspect_ratio\":\"3:4\",\"num_images\":1}}";

TEST(image_meta_round_trips_through_every_encoder) {
  image g = imgtest_gradient(32, 24, true);
  for (int i = 0; i < 3; i++) {
    buf b = BUF_INIT, m = BUF_INIT;
    image_encode_opts o = {.format = FORMATS[i], .quality = 80, .meta_json = META, .meta_len = strlen(META)};
    char err[200] = "";
    REQUIRE_INT(image_encode(&g, &o, &b, err, sizeof err), IMAGE_OK);
    CHECK_INT(image_meta_read(b.data, b.len, &m, err, sizeof err), IMAGE_OK);
    CHECK_STR(m.data, META);
    image d = IMAGE_INIT;
    CHECK_INT(image_decode(b.data, b.len, NULL, &d, NULL, err, sizeof err), IMAGE_OK); /* still a valid image */
    image_free(&d);
    buf_free(&b);
    buf_free(&m);
  }
  image_free(&g);
}

TEST(image_meta_embed_keeps_the_pixels_and_replaces_old_metadata) {
  image g = imgtest_gradient(40, 30, false);
  for (int i = 0; i < 3; i++) {
    buf plain = imgtest_encode(&g, FORMATS[i], 85, false), once = BUF_INIT, twice = BUF_INIT, m = BUF_INIT;
    char err[200] = "";
    CHECK_INT(image_meta_read(plain.data, plain.len, &m, err, sizeof err), IMAGE_ENOMETA);
    REQUIRE_INT(image_meta_embed(plain.data, plain.len, META, strlen(META), &once, err, sizeof err), IMAGE_OK);
    const char *second = "{\"seed\":8}";
    REQUIRE_INT(image_meta_embed(once.data, once.len, second, strlen(second), &twice, err, sizeof err), IMAGE_OK);
    CHECK_INT(image_meta_read(twice.data, twice.len, &m, err, sizeof err), IMAGE_OK);
    CHECK_STR(m.data, second);
    /* the metadata went in next to the pixel data, which is byte-for-byte the same */
    CHECK(twice.len > plain.len && twice.len < once.len);
    image a = IMAGE_INIT, b = IMAGE_INIT;
    REQUIRE_INT(image_decode(plain.data, plain.len, NULL, &a, NULL, err, sizeof err), IMAGE_OK);
    REQUIRE_INT(image_decode(twice.data, twice.len, NULL, &b, NULL, err, sizeof err), IMAGE_OK);
    CHECK_INT(imgtest_maxdiff(&a, &b, true), 0);
    if (FORMATS[i] == IMAGE_JPEG) { /* everything from the first SOS on is unchanged */
      const char *sos_a = memmem(plain.data, plain.len, "\xFF\xDA", 2), *sos_b = memmem(twice.data, twice.len, "\xFF\xDA", 2);
      REQUIRE(sos_a && sos_b); /* the offsets below are taken from them */
      size_t tail = plain.len - (size_t)(sos_a - plain.data);
      CHECK(tail == twice.len - (size_t)(sos_b - twice.data) && memcmp(sos_a, sos_b, tail) == 0);
    }
    image_free(&a);
    image_free(&b);
    buf_free(&plain);
    buf_free(&once);
    buf_free(&twice);
    buf_free(&m);
  }
  image_free(&g);
}

TEST(image_meta_xmp_carries_the_prompt_for_other_tools) {
  image g = imgtest_gradient(8, 8, false);
  buf b = BUF_INIT;
  image_encode_opts o = {.format = IMAGE_JPEG, .meta_json = META, .meta_len = strlen(META)};
  char err[200];
  CHECK_INT(image_encode(&g, &o, &b, err, sizeof err), IMAGE_OK);
  CHECK(memmem(b.data, b.len, "http://ns.adobe.com/xap/1.0/", 28) != NULL);
  const char *desc = "<rdf:li xml:lang=\"x-default\">linen suit &amp; &lt;hat&gt;, \"golden\" hour</rdf:li>";
  CHECK(memmem(b.data, b.len, desc, strlen(desc)) != NULL);
  image_free(&g);
  buf_free(&b);
}

TEST(image_meta_refuses_bad_metadata_and_bad_files) {
  image g = imgtest_gradient(8, 8, false);
  buf b = imgtest_encode(&g, IMAGE_PNG, 0, false), out = BUF_INIT;
  char err[200];
  CHECK_INT(image_meta_embed(b.data, b.len, "[1,2]", 5, &out, err, sizeof err), IMAGE_EARG);
  CHECK_STR(err, "metadata must be a JSON object");
  CHECK_INT(image_meta_embed(b.data, b.len, "{\"a\":", 5, &out, err, sizeof err), IMAGE_EARG);
  CHECK(strncmp(err, "metadata is not valid JSON", 26) == 0);
  char *huge = malloc(IMAGE_META_MAX + 20);
  memset(huge, ' ', IMAGE_META_MAX + 20);
  huge[0] = '{', huge[IMAGE_META_MAX + 19] = '}';
  CHECK_INT(image_meta_embed(b.data, b.len, huge, IMAGE_META_MAX + 20, &out, err, sizeof err), IMAGE_ETOOBIG);
  free(huge);
  CHECK_INT(image_meta_embed(b.data, b.len / 2, "{}", 2, &out, err, sizeof err), IMAGE_ETRUNCATED);
  CHECK_INT(image_meta_embed("hello", 5, "{}", 2, &out, err, sizeof err), IMAGE_EFORMAT);
  CHECK_INT(out.len, 0);
  /* every truncation of a file with metadata is handled */
  buf m = BUF_INIT;
  CHECK_INT(image_meta_embed(b.data, b.len, META, strlen(META), &m, err, sizeof err), IMAGE_OK);
  for (size_t cut = 0; cut < m.len; cut++) {
    buf r = BUF_INIT;
    image_meta_read(m.data, cut, &r, err, sizeof err); /* must not crash; result either way */
    buf_free(&r);
  }
  image_free(&g);
  buf_free(&b);
  buf_free(&m);
  buf_free(&out);
}

TEST(image_meta_read_rejects_empty_metadata) {
  /* found by fuzz_jpeg: an empty <atelier:generation> once reached json_parse(NULL, 0) */
  const char *files[] = {"tests/fuzz/regressions/jpeg/empty-xmp-generation-null-pointer",
                         "tests/fuzz/regressions/png/empty-text-chunk-null-pointer"};
  for (int i = 0; i < 2; i++) {
    buf data = BUF_INIT, m = BUF_INIT;
    char err[200] = "";
    if (image_read_file(files[i], 0, &data, err, sizeof err) != IMAGE_OK) {
      unit_fail(__FILE__, __LINE__, "%s", err);
      continue;
    }
    CHECK_INT(image_meta_read(data.data, data.len, &m, err, sizeof err), IMAGE_ECORRUPT);
    CHECK(strstr(err, "metadata: empty") != NULL);
    buf_free(&data);
    buf_free(&m);
  }
}
