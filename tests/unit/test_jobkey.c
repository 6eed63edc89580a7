/* test_jobkey.c — job keys: what makes two submissions the same job and what does not. */
#include <stdlib.h>
#include <unistd.h>

#include "../../runtime/journal/jobkey.h"
#include "unit.h"

#define BACKEND "https://api.fashn.ai"

/* The key of inputs (JSON text) for model-create on BACKEND; "" on error. */
static const char *key_of(const char *inputs) {
  static char out[4][SHA256_HEX_LEN + 1];
  static int slot;
  char *o = out[slot++ % 4];
  jobkey k;
  char err[300];
  if (!jobkey_compute(BACKEND, "model-create", inputs, strlen(inputs), &k, err, sizeof err)) {
    o[0] = '\0';
    return o;
  }
  strcpy(o, k.hex);
  jobkey_free(&k);
  return o;
}

static char *canonical_of(const char *model, const char *inputs) {
  jobkey k;
  char err[300];
  if (!jobkey_compute(BACKEND, model, inputs, strlen(inputs), &k, err, sizeof err)) return strdup(err);
  char *s = strdup(k.canonical.data);
  jobkey_free(&k);
  return s;
}

TEST(jobkey_ignores_key_order_and_number_spelling) {
  const char *a = key_of("{\"prompt\":\"linen suit\",\"seed\":7,\"num_images\":2}");
  CHECK(strlen(a) == 64);
  CHECK_STR(key_of("{\"num_images\":2.0,\"seed\":7e0,\"prompt\":\"linen suit\"}"), a);
}

TEST(jobkey_changes_with_any_input_that_changes_the_image) {
  char base[SHA256_HEX_LEN + 1];
  strcpy(base, key_of("{\"prompt\":\"linen suit\",\"seed\":7}"));
  CHECK(strcmp(key_of("{\"prompt\":\"linen suit\",\"seed\":8}"), base) != 0);
  CHECK(strcmp(key_of("{\"prompt\":\"linen suit \",\"seed\":7}"), base) != 0);
  CHECK(strcmp(key_of("{\"prompt\":\"Linen suit\",\"seed\":7}"), base) != 0);
  CHECK(strcmp(key_of("{\"prompt\":\"linen suit\",\"seed\":7,\"aspect_ratio\":\"3:4\"}"), base) != 0);
  CHECK(strcmp(key_of("{\"prompt\":\"linen suit\",\"seed\":7,\"my_new_flag\":true}"), base) != 0);
}

TEST(jobkey_treats_explicit_defaults_like_omitted_inputs) {
  const char *bare = key_of("{\"prompt\":\"p\"}");
  CHECK_STR(key_of("{\"prompt\":\"p\",\"seed\":42}"), bare);
  CHECK_STR(key_of("{\"prompt\":\"p\",\"resolution\":\"1k\",\"num_images\":1,\"output_format\":\"png\","
                   "\"aspect_ratio\":\"1:1\",\"face_reference_mode\":\"match_reference\"}"),
            bare);
  CHECK_STR(key_of("{\"prompt\":\"p\",\"seed\":null}"), bare);
  char *c = canonical_of("model-create", "{\"prompt\":\"p\"}");
  CHECK_STR(c,
            "{\"aspect_ratio\":\"1:1\",\"face_reference_mode\":\"match_reference\",\"num_images\":1,"
            "\"output_format\":\"png\",\"prompt\":\"p\",\"resolution\":\"1k\",\"seed\":42}");
  free(c);
}

TEST(jobkey_fills_aspect_ratio_only_without_an_image_reference) {
  /* with a reference the output takes the reference's ratio, so 1:1 is a different job */
  const char *url = "\"image_reference\":\"https://example.com/pose.jpg\"";
  char a[200], b[200];
  snprintf(a, sizeof a, "{\"prompt\":\"p\",%s}", url);
  snprintf(b, sizeof b, "{\"prompt\":\"p\",%s,\"aspect_ratio\":\"1:1\"}", url);
  CHECK(strcmp(key_of(a), key_of(b)) != 0);
}

TEST(jobkey_leaves_out_return_base64) {
  CHECK_STR(key_of("{\"prompt\":\"p\",\"return_base64\":true}"), key_of("{\"prompt\":\"p\"}"));
}

/* Other models get their description's defaults (typed as the API takes them), their
 * own image fields hashed, return_base64 left out; "saved:<name>" is a name. */
TEST(jobkey_fills_other_models_defaults_from_their_description) {
  char *c = canonical_of("tryon-v1.6", "{\"b\":1,\"a\":{\"z\":null,\"y\":[3.0,null,\"x\"]},"
                                       "\"model_image\":\"saved:anna\",\"garment_image\":\"data:image/png;base64,AAAA\","
                                       "\"return_base64\":true}");
  CHECK_STR(c, "{\"a\":{\"y\":[3,null,\"x\"]},\"b\":1,\"category\":\"auto\",\"garment_image\":{\"$data_sha256\":"
               "\"bde6da8e9d3902a86a1452ec62648cd07cb1cfbae0ec8dd5142ad881c7aa2ba0\"},\"garment_photo_type\":\"auto\","
               "\"mode\":\"balanced\",\"model_image\":\"saved:anna\",\"moderation_level\":\"permissive\","
               "\"num_samples\":1,\"output_format\":\"png\",\"seed\":42,\"segmentation_free\":true}");
  free(c);
  c = canonical_of("image-to-video", "{\"image\":\"https://x/y.png\"}");
  CHECK_STR(c, "{\"duration\":5,\"image\":\"https://x/y.png\",\"resolution\":\"1080p\",\"seed\":42}");
  free(c);
  /* an output of an earlier prediction, as the bindings write it, is kept as it is */
  c = canonical_of("reframe", "{\"image\":{\"$output\":\"abc#1\"},\"aspect_ratio\":\"4:5\"}");
  CHECK_STR(c, "{\"aspect_ratio\":\"4:5\",\"image\":{\"$output\":\"abc#1\"},\"num_images\":1,"
               "\"output_format\":\"png\",\"resolution\":\"1k\",\"seed\":42}");
  free(c);
}

/* Keys already in journals stay what they were: model-create keys computed by the code
 * before every model was described (rows written then must still be found). */
TEST(jobkey_keeps_model_create_keys_of_earlier_versions) {
  const char *in[] = {"{\"prompt\":\"linen suit\",\"seed\":7,\"face_reference\":\"data:image/png;base64,AAAA\","
                      "\"num_images\":2,\"return_base64\":true}",
                      "{\"prompt\":\"p\",\"image_reference\":\"https://x/y.png\",\"aspect_ratio\":\"1:1\"}"};
  const char *hex[] = {"8fc461091f62696f71755df18c13302a238717242f32ec7d0b4b7f293c09895c",
                       "e62a9865b72895fcdf8373c3e9fb567d1f76715f5892e22987428f814b5ec7a7"};
  for (int i = 0; i < 2; i++) {
    jobkey k;
    char err[200];
    REQUIRE(jobkey_compute("https://api.fashn.ai", "model-create", in[i], strlen(in[i]), &k, err, sizeof err));
    CHECK_STR(k.hex, hex[i]);
    jobkey_free(&k);
  }
}

TEST(jobkey_hashes_local_reference_files_by_content) {
  char dir[] = "/tmp/atelier-jobkey-XXXXXX";
  REQUIRE(mkdtemp(dir) != NULL);
  char a[300], b[300], in[800];
  snprintf(a, sizeof a, "%s/anna.jpg", dir);
  snprintf(b, sizeof b, "%s/renamed.jpg", dir);
  FILE *f = fopen(a, "wb");
  REQUIRE(f != NULL);
  fputs("not really a jpeg, but bytes", f);
  fclose(f);
  snprintf(in, sizeof in, "{\"prompt\":\"p\",\"face_reference\":\"%s\"}", a);
  char first[SHA256_HEX_LEN + 1];
  strcpy(first, key_of(in));
  CHECK(strlen(first) == 64);
  CHECK(rename(a, b) == 0);
  snprintf(in, sizeof in, "{\"prompt\":\"p\",\"face_reference\":\"%s\"}", b);
  CHECK_STR(key_of(in), first); /* renamed: same job */
  char *c = canonical_of("model-create", in);
  CHECK(strstr(c, "{\"$file_sha256\":\"") != NULL);
  CHECK(strstr(c, "renamed") == NULL); /* the path is not part of the identity */
  free(c);
  f = fopen(b, "ab");
  REQUIRE(f != NULL);
  fputs("!", f);
  fclose(f);
  CHECK(strcmp(key_of(in), first) != 0); /* edited: a new job */
  unlink(b);
  CHECK_STR(key_of(in), ""); /* missing: an error, not a key */
  jobkey k;
  char err[300];
  CHECK(!jobkey_compute(BACKEND, "model-create", in, strlen(in), &k, err, sizeof err));
  CHECK(strstr(err, "face_reference") != NULL && strstr(err, "renamed.jpg") != NULL);
  rmdir(dir);
}

TEST(jobkey_keeps_urls_and_hashes_data_uris) {
  char *c = canonical_of("model-create",
                         "{\"prompt\":\"p\",\"face_reference\":\"https://cdn.example/a.jpg\","
                         "\"image_reference\":\"data:image/png;base64,iVBORw0KGgo=\"}");
  CHECK(strstr(c, "\"face_reference\":\"https://cdn.example/a.jpg\"") != NULL);
  CHECK(strstr(c, "\"image_reference\":{\"$data_sha256\":\"") != NULL);
  CHECK(strstr(c, "iVBOR") == NULL);
  free(c);
  CHECK(jobkey_image_kind_of("HTTPS://x", 9) == JOBKEY_IMAGE_URL);
  CHECK(jobkey_image_kind_of("data:image/png;base64,", 22) == JOBKEY_IMAGE_DATA_URI);
  CHECK(jobkey_image_kind_of("faces/anna.jpg", 14) == JOBKEY_IMAGE_PATH);
}

TEST(jobkey_separates_backends_and_models) {
  const char *in = "{\"prompt\":\"p\"}";
  jobkey a, b, c;
  char err[300];
  REQUIRE(jobkey_compute("https://api.fashn.ai", "model-create", in, strlen(in), &a, err, sizeof err));
  REQUIRE(jobkey_compute("emulator:embedded", "model-create", in, strlen(in), &b, err, sizeof err));
  REQUIRE(jobkey_compute("https://api.fashn.ai", "model-create-2", in, strlen(in), &c, err, sizeof err));
  CHECK(strcmp(a.hex, b.hex) != 0);
  CHECK(strcmp(a.hex, c.hex) != 0);
  jobkey_free(&a);
  jobkey_free(&b);
  jobkey_free(&c);
}

TEST(jobkey_rejects_bad_inputs_with_a_reason) {
  const char *bad[] = {"[1,2]", "{\"prompt\":", "{\"seed\":1,\"seed\":2}", "\"x\""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    jobkey k;
    char err[300] = "";
    if (jobkey_compute(BACKEND, "model-create", bad[i], strlen(bad[i]), &k, err, sizeof err)) {
      unit_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
      jobkey_free(&k);
    }
    CHECK(err[0] != '\0');
  }
  char deep[200] = "";
  for (int i = 0; i < 40; i++) strcat(deep, "[");
  jobkey k;
  char err[300];
  char in[300];
  snprintf(in, sizeof in, "{\"x\":%s", deep);
  for (int i = 0; i < 40; i++) strcat(in, "]");
  strcat(in, "}");
  CHECK(!jobkey_compute(BACKEND, "model-create", in, strlen(in), &k, err, sizeof err));
  CHECK(!jobkey_compute("", "model-create", "{}", 2, &k, err, sizeof err));
}
