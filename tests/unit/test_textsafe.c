/* test_textsafe.c — outside text made safe for terminals (escaping), prediction ids (one
 * rule) and the API key kept out of server text (redaction before cutting). */
#include <stdlib.h>

#include "../../runtime/fashn/fashn_status.h"
#include "../../runtime/io/http.h"
#include "../../runtime/base/textsafe.h"
#include "unit.h"

static char *esc(const char *s, size_t n) {
  buf b = BUF_INIT;
  text_escape(&b, s, n);
  buf_append_char(&b, '\0');
  return b.data;
}

TEST(control_bytes_c1_and_broken_utf8_are_escaped) {
#define ESC(lit) esc(lit, sizeof lit - 1)
  char *e = ESC("a\x1b]0;evil\x07 \x1b[2J\r\x1b[1A\n\x7f");
  CHECK_STR(e, "a\\x1B]0;evil\\x07 \\x1B[2J\\x0D\\x1B[1A\\x0A\\x7F");
  free(e);
  e = ESC("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x91\x97"); /* valid UTF-8 stays */
  CHECK_STR(e, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x91\x97");
  free(e);
  e = ESC("\xc2\x9b" "2J|\xff|\xc3|\xed\xa0\x80|\xc0\xaf"); /* C1 CSI, bad byte, cut, surrogate, overlong */
  CHECK_STR(e, "\\xC2\\x9B2J|\\xFF|\\xC3|\\xED\\xA0\\x80|\\xC0\\xAF");
  free(e);
  e = esc("a\0b", 3);
  CHECK_STR(e, "a\\x00b");
  free(e);
  /* idempotent: escaped text escapes to itself, so every layer may escape again */
  const char *once = "x\\x1B[2J \\ y";
  e = esc(once, strlen(once));
  CHECK_STR(e, once);
  free(e);
  CHECK(text_is_safe(once, strlen(once)));
  CHECK(!text_is_safe("\x1b", 1));
}

TEST(escaping_in_place_cuts_between_whole_escapes) {
  char s[12] = "ab\x1b\x1b\x1b";
  text_escape_inplace(s, sizeof s);
  CHECK_STR(s, "ab\\x1B\\x1B"); /* 10 bytes; a third escape would not fit whole */
  char t[8] = "\xc3\xa9\xc3\xa9\x01";
  text_escape_inplace(t, 6);
  CHECK_STR(t, "\xc3\xa9\xc3\xa9");
  char *d = text_escape_dup("\x1b[31mred");
  CHECK_STR(d, "\\x1B[31mred");
  free(d);
}

TEST(one_rule_for_prediction_ids) {
  CHECK(fashn_id_valid("123a87r9-4129-4bb3-be18-9c9fb5bd7fc1-u1", 39));
  CHECK(fashn_id_valid("a.b_c", 5));
  CHECK(fashn_id_valid("...", 3));
  CHECK(!fashn_id_valid("..", 2));
  CHECK(!fashn_id_valid(".", 1));
  CHECK(!fashn_id_valid("", 0));
  CHECK(!fashn_id_valid(NULL, 0));
  CHECK(!fashn_id_valid("pred\0x", 6)); /* an embedded NUL is refused, not cut at */
  CHECK(fashn_id_valid("pred\0x", 4));
  CHECK(!fashn_id_valid("a/b", 3));
  CHECK(!fashn_id_valid("a%2F", 4));
  CHECK(!fashn_id_valid("a?b", 3));
  CHECK(!fashn_id_valid("a b", 3));
  CHECK(!fashn_id_valid("\xc3\xa9", 2));
  char long_id[FASHN_ID_MAX + 2];
  memset(long_id, 'a', sizeof long_id);
  CHECK(fashn_id_valid(long_id, FASHN_ID_MAX));
  CHECK(!fashn_id_valid(long_id, FASHN_ID_MAX + 1));
}

#define KEY "sk-test-5EcReT-k3y-0123456789abcdef"

TEST(the_key_is_redacted_whole_sanitized_or_cut_short) {
  char *r = http_redact_dup("id " KEY " and sk_test_5EcReT_k3y_0123456789abcdef end", KEY);
  CHECK(r && !strstr(r, "5EcReT"));
  CHECK(r && strstr(r, "end") != NULL);
  free(r);
  char s[64] = "cut here: sk-test-5Ec";
  http_redact(s, sizeof s, KEY);
  CHECK_STR(s, "cut here: [redacted]");
  CHECK(http_has_secret("x" KEY "y", KEY));
  CHECK(http_has_secret("xsk_test_5EcReT_k3y_0123456789abcdef", KEY));
  CHECK(!http_has_secret("sk-test-5EcReT", KEY));
  CHECK(!http_has_secret("anything", "short")); /* stand-in keys under 6 bytes are not secrets */
}

TEST(a_status_answer_is_redacted_before_it_is_cut) {
  fashn_status_view v;
  /* a 60-byte name then the key: cut at 63 bytes, a piece of the key would survive */
  const char *body = "{\"status\":\"failed\",\"error\":{\"name\":\"NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN"
                     KEY "\",\"message\":\"\\u001b]0;pwned\\u0007 " KEY "\"}}";
  fashn_status_read_secret(body, strlen(body), KEY, &v);
  CHECK_INT(v.kind, FASHN_STATUS_ENDED);
  CHECK(!strstr(v.err_name, "sk_t"));
  CHECK(!strstr(v.err_message, "5EcReT"));
  CHECK(!strchr(v.err_message, '\x1b') && !strchr(v.err_message, '\x07'));
  CHECK(strstr(v.err_message, "\\x1B]0;pwned\\x07") != NULL);
  fashn_status_free(&v);
  const char *st = "{\"status\":\"" KEY "\"}";
  fashn_status_read_secret(st, strlen(st), KEY, &v);
  CHECK(!strstr(v.status, "5EcReT"));
  fashn_status_free(&v);
}

TEST(only_whole_unreadable_status_answers_count_as_malformed) {
  fashn_status_view v;
  static const char *const whole[] = {"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "{\"status\":\"processing\xff\"}\n",
                                      "{\"status\":\"a\x01\"}"};
  for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
    fashn_status_read(whole[i], strlen(whole[i]), &v);
    CHECK_INT(v.kind, FASHN_STATUS_BAD);
    if (!v.malformed) unit_fail(__FILE__, __LINE__, "answer %zu not malformed: %s", i, v.why);
    fashn_status_free(&v);
  }
  /* damage in transit: cut (also in the middle of a character), or garbled */
  static const char *const damaged[] = {"{\"status\":\"proc", "{\"status\":\"caf\xc3",
                                        "{\"id\": \"<html>502 Bad Gateway</html>", "{}"};
  for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++) {
    fashn_status_read(damaged[i], strlen(damaged[i]), &v);
    CHECK_INT(v.kind, FASHN_STATUS_BAD);
    if (v.malformed) unit_fail(__FILE__, __LINE__, "answer %zu malformed: %s", i, v.why);
    fashn_status_free(&v);
  }
}
