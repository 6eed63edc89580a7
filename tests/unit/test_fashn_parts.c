/* test_fashn_parts.c — the pure pieces of the transport: backoff, URL policy, secret
 * redaction, error bodies, output completeness, the Model Create rules in C. */
#include <math.h>

#include "../../runtime/api/fashn_inputs.h"
#include "../../runtime/fashn/fashn_status.h"
#include "../../runtime/io/http.h"
#include "unit.h"

TEST(backoff_doubles_with_jitter_up_to_its_cap_and_honours_retry_after) {
  for (int n = 1; n <= 10; n++) {
    double full = fmin(30, 0.5 * pow(2, n - 1));
    double lo = http_backoff(n, 0.5, 30, -1, 0.0), hi = http_backoff(n, 0.5, 30, -1, 0.999999);
    CHECK(fabs(lo - full / 2) < 1e-9);
    CHECK(hi <= full + 1e-9 && hi > full * 0.99);
  }
  double ra = http_backoff(3, 0.5, 30, 7, 0.5);
  CHECK(ra >= 7 && ra <= 7.8);
  CHECK(http_backoff(1, 0.5, 30, 100000, 0) <= 301); /* capped */
}

TEST(only_https_or_loopback_http_urls_are_allowed) {
  char why[128];
  CHECK(http_url_allowed("https://api.fashn.ai/v1/run", why, sizeof why));
  CHECK(http_url_allowed("http://127.0.0.1:8080/cdn/x.png", why, sizeof why));
  CHECK(http_url_allowed("http://localhost/x", why, sizeof why));
  CHECK(http_url_allowed("http://[::1]:9/x", why, sizeof why));
  CHECK(!http_url_allowed("http://cdn.example.com/x.png", why, sizeof why));
  CHECK(strstr(why, "loopback") != NULL);
  CHECK(!http_url_allowed("file:///etc/passwd", why, sizeof why));
  CHECK(!http_url_allowed("ftp://127.0.0.1/x", why, sizeof why));
  CHECK(!http_url_allowed("not a url", why, sizeof why));
  CHECK(!http_url_allowed("http://169.254.169.254/latest", why, sizeof why));
}

TEST(redaction_removes_the_secret_and_url_credentials) {
  char s[200] = "Failed to connect to https://user:sk-ABC@api.example/v1 with key sk-ABC (sk-ABCsk-ABC)";
  http_redact(s, sizeof s, "sk-ABC");
  CHECK(strstr(s, "sk-ABC") == NULL);
  CHECK(strstr(s, "user") == NULL);
  CHECK_STR(s, "Failed to connect to https://[redacted]@api.example/v1 with key [redacted] ([redacted][redacted])");
  char small[16] = "key=sk-ABC";
  http_redact(small, 12, "sk-ABC");
  CHECK(strstr(small, "sk-") == NULL);
}

static bool body(const char *text, char *name, char *msg) {
  buf b = BUF_INIT;
  buf_append_str(&b, text);
  bool ok = fashn_error_body(&b, name, 64, msg, 200, NULL);
  buf_free(&b);
  return ok;
}

TEST(a_refusal_is_an_error_body_without_an_id) {
  char name[64], msg[200];
  CHECK(body("{\"error\":\"RateLimitExceeded\",\"message\":\"slow down\"}", name, msg));
  CHECK_STR(name, "RateLimitExceeded");
  CHECK_STR(msg, "slow down");
  CHECK(body("{\"error\":{\"name\":\"BadRequest\",\"message\":\"x\"}}", name, msg));
  CHECK_STR(name, "BadRequest");
  CHECK(!body("{\"id\":\"p1\",\"error\":\"InternalServerError\"}", name, msg)); /* an id: not certain */
  CHECK(!body("<html>503</html>", name, msg));
  CHECK(!body("{\"error\":null}", name, msg));
  CHECK(body("{\"error\":\"Bad Name<script>\"}", name, msg));
  CHECK_STR(name, "Bad_Name_script_"); /* names are kept to identifier characters */
}

TEST(an_output_is_complete_only_with_its_end_marker) {
  static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                      0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
  char fmt[8];
  REQUIRE(fashn_output_complete(png, sizeof png, fmt, sizeof fmt));
  CHECK_STR(fmt, "png");
  CHECK(!fashn_output_complete(png, sizeof png - 5, fmt, sizeof fmt));
  static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9};
  REQUIRE(fashn_output_complete(jpeg, sizeof jpeg, fmt, sizeof fmt));
  CHECK_STR(fmt, "jpeg");
  CHECK(!fashn_output_complete(jpeg, sizeof jpeg - 1, fmt, sizeof fmt));
  CHECK(!fashn_output_complete((const unsigned char *)"<html>", 6, fmt, sizeof fmt));
}

/* image-to-video's MP4: whole when its top-level boxes fill it exactly; held to the byte
 * limit only (it is never decoded). */
TEST(an_mp4_output_is_complete_when_its_boxes_fill_it) {
  static const unsigned char mp4[] = {0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0,
                                      0, 0, 0, 12, 'm', 'd', 'a', 't', 1, 2, 3, 4};
  char fmt[8], why[200];
  REQUIRE(fashn_output_complete(mp4, sizeof mp4, fmt, sizeof fmt));
  CHECK_STR(fmt, "mp4");
  CHECK(!fashn_output_complete(mp4, sizeof mp4 - 1, fmt, sizeof fmt)); /* cut short */
  CHECK(!fashn_output_complete(mp4, 20, fmt, sizeof fmt));             /* a box header cut */
  CHECK(fashn_output_check(mp4, sizeof mp4, 1000, why, sizeof why) == FASHN_DECODED);
  CHECK(fashn_output_check(mp4, sizeof mp4, 10, why, sizeof why) == FASHN_DECODE_TOO_LARGE);
}

static bool check(const char *json, char *field) {
  fashn_input_facts f;
  fashn_input_error e;
  bool ok = fashn_inputs_check_json(json, strlen(json), &f, &e);
  strcpy(field, e.field);
  return ok;
}

TEST(the_model_create_rules_in_c) {
  char field[64];
  CHECK(check("{\"prompt\":\"x\",\"seed\":4294967295,\"num_images\":4,\"resolution\":\"2k\"}", field));
  CHECK(!check("{\"prompt\":\"x\",\"seed\":4294967296}", field));
  CHECK_STR(field, "seed");
  CHECK(!check("{\"prompt\":\"x\",\"seed\":1.5}", field));
  CHECK(!check("{\"prompt\":\"x\",\"face_reference\":\"https://a/b.png\",\"resolution\":\"4k\"}", field));
  CHECK_STR(field, "face_reference");
  CHECK(!check("[1]", field));
  CHECK(!check("{\"prompt\":\"x\",", field));
  fashn_input_facts f;
  fashn_input_error e;
  const char *j = "{\"prompt\":\"x\",\"num_images\":3,\"face_reference\":\"data:image/png;base64,AAAA\"}";
  REQUIRE(fashn_inputs_check_json(j, strlen(j), &f, &e));
  CHECK_INT(f.credits, 12);
  CHECK(f.face);
}
