/* test_json.c — the strict JSON reader and the writer. */
#include <stdlib.h>

#include "../../runtime/base/json.h"
#include "unit.h"

static json_doc *parse(const char *s, char *err) { return json_parse(s, strlen(s), 0, err, 200); }

TEST(json_parses_a_status_body) {
  char err[200] = "";
  json_doc *d = parse("{\"id\":\"abc-1\",\"status\":\"completed\",\"output\":[\"http://x/1.png\"],\"error\":null,"
                      "\"n\":42,\"f\":1.5,\"ok\":true}",
                      err);
  REQUIRE(d != NULL);
  const json_value *r = json_root(d);
  CHECK_STR(json_str(json_get(r, "id")), "abc-1");
  CHECK_STR(json_str(json_get(r, "status")), "completed");
  const json_value *out = json_get(r, "output");
  REQUIRE(out && out->type == JSON_ARRAY && out->u.arr.n == 1);
  CHECK_STR(json_str(&out->u.arr.items[0]), "http://x/1.png");
  CHECK(json_is_null(json_get(r, "error")));
  CHECK(json_is_null(json_get(r, "missing")));
  int64_t n = 0;
  CHECK(json_int(json_get(r, "n"), &n));
  CHECK_INT(n, 42);
  CHECK(!json_int(json_get(r, "f"), &n));
  bool b = false;
  CHECK(json_bool(json_get(r, "ok"), &b) && b);
  json_doc_free(d);
}

TEST(json_keeps_large_integers_exact) {
  char err[200];
  json_doc *d = parse("[4294967295, 9007199254740993, -0, 1e3]", err);
  REQUIRE(d != NULL);
  const json_value *a = json_root(d);
  REQUIRE(a->type == JSON_ARRAY && a->u.arr.n == 4); /* indexed below */
  int64_t v;
  CHECK(json_int(&a->u.arr.items[0], &v) && v == 4294967295LL);
  CHECK(json_int(&a->u.arr.items[1], &v) && v == 9007199254740993LL);
  CHECK(json_int(&a->u.arr.items[3], &v) && v == 1000);
  json_doc_free(d);
}

TEST(json_decodes_escapes_and_surrogate_pairs) {
  char err[200];
  json_doc *d = parse("\"a\\n\\\"b\\u00e9\\ud83d\\ude00\"", err);
  REQUIRE(d != NULL);
  CHECK_STR(json_str(json_root(d)), "a\n\"b\xc3\xa9\xf0\x9f\x98\x80");
  json_doc_free(d);
}

TEST(json_rejects_bad_input_naming_the_byte) {
  const char *bad[] = {"",         "{",          "{\"a\":}",  "[1,]",       "\"abc",     "01",
                       "1.",       "tru",        "{\"a\" 1}", "[1] x",      "\"\\x\"",   "\"\\ud800\"",
                       "\"\x01\"", "\"\xff\"",   "\"\xc0\xaf\"", "-",        "1e",        "{a:1}"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char err[200] = "";
    json_doc *d = parse(bad[i], err);
    if (d) unit_fail(__FILE__, __LINE__, "accepted bad JSON #%zu: %s", i, bad[i]);
    json_doc_free(d);
    CHECK(strstr(err, "invalid JSON at byte") != NULL);
  }
  char err[200];
  CHECK(parse("{\"a\": [1, 2, }", err) == NULL);
  CHECK(strstr(err, "byte 13") != NULL);
  /* the message may end up in a JSON body or on a terminal: never the input's raw bytes */
  CHECK(parse("[\"\xff\x01\"]", err) == NULL);
  for (const char *c = err; *c; c++) CHECK(*c >= 0x20 && *c < 0x7f);
}

TEST(json_strings_and_keys_keep_nul_bytes) {
  char err[200];
  json_doc *d = json_parse("\"a\\u0000b\"", 10, 0, err, sizeof err);
  CHECK(d != NULL);
  const json_value *v = json_root(d);
  CHECK(v->type == JSON_STRING && v->u.str.len == 3 && memcmp(v->u.str.s, "a\0b", 4) == 0);
  json_doc_free(d);
  d = json_parse("{\"a\\u0000b\":1}", 14, 0, err, sizeof err);
  CHECK(d != NULL);
  const json_member *m = &json_root(d)->u.obj.members[0];
  CHECK(m->keylen == 3 && memcmp(m->key, "a\0b", 4) == 0);
  CHECK(json_get(json_root(d), "a") == NULL); /* lookups by C string never match it */
  json_doc_free(d);
}

TEST(json_keeps_document_order_and_finds_the_first_of_duplicate_keys) {
  char err[200];
  json_doc *d = parse("{\"a\":1,\"b\":2,\"a\":3}", err);
  CHECK(d != NULL);
  int64_t n = 0;
  CHECK(json_int(json_get(json_root(d), "a"), &n) && n == 1);
  CHECK(json_root(d)->u.obj.n == 3); /* all kept: a writer copying the document keeps them */
  json_doc_free(d);
  d = parse("{\"z\":1,\"a\":2,\"m\":3}", err);
  CHECK(d != NULL);
  const json_value *r = json_root(d);
  CHECK(r->u.obj.n == 3 && r->u.obj.members[0].key[0] == 'z' && r->u.obj.members[1].key[0] == 'a' &&
        r->u.obj.members[2].key[0] == 'm' && r->u.obj.members[2].keylen == 1);
  json_doc_free(d);
}

TEST(json_reads_integers_beyond_int64_as_doubles) {
  char err[200];
  json_doc *d = parse("{\"seed\":99999999999999999999,\"n\":7}", err);
  CHECK(d != NULL);
  const json_value *r = json_root(d);
  double x = 0;
  int64_t n = 0;
  CHECK(json_num(json_get(r, "seed"), &x) && x == 1e20);
  CHECK(!json_int(json_get(r, "seed"), &n)); /* out of int64: not an integer to us */
  CHECK(json_int(json_get(r, "n"), &n) && n == 7);
  json_doc_free(d);
  CHECK(parse("[1e400]", err) == NULL);
  CHECK(parse("[1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000]",
              err) == NULL);
  CHECK(strstr(err, "invalid JSON at byte") != NULL);
}

TEST(json_limits_nesting_depth) {
  char deep[300];
  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  deep[200] = '\0';
  char err[200];
  CHECK(json_parse(deep, 200, 64, err, sizeof err) == NULL);
  CHECK(strstr(err, "deeper") != NULL);
  CHECK(strstr(err, "invalid JSON at byte 64: nested deeper than 64 levels") != NULL);
  json_doc *d = json_parse(deep + 40, 120, 64, err, sizeof err);
  CHECK(d != NULL);
  json_doc_free(d);
  /* far deeper than any limit: refused, never a stack overflow */
  size_t n = 100000;
  char *huge = malloc(2 * n);
  CHECK(huge != NULL);
  memset(huge, '[', n);
  memset(huge + n, ']', n);
  CHECK(json_parse(huge, 2 * n, 64, err, sizeof err) == NULL);
  CHECK(strstr(err, "invalid JSON at byte") != NULL);
  CHECK(json_parse(huge, 2 * n, 1000000, err, sizeof err) == NULL); /* capped at JSON_MAX_DEPTH */
  CHECK(strstr(err, "invalid JSON at byte 1024: nested deeper than 1024 levels") != NULL);
  free(huge);
}

TEST(json_writer_builds_compact_escaped_text_and_round_trips) {
  buf b = BUF_INIT;
  json_writer w;
  jw_init(&w, &b);
  jw_object_begin(&w);
  jw_key(&w, "model_name");
  jw_string(&w, "model-create");
  jw_key(&w, "inputs");
  jw_object_begin(&w);
  jw_key(&w, "prompt");
  jw_string(&w, "say \"hi\"\n\x01");
  jw_key(&w, "seed");
  jw_int(&w, 4294967295LL);
  jw_key(&w, "return_base64");
  jw_bool(&w, true);
  jw_key(&w, "list");
  jw_array_begin(&w);
  jw_int(&w, 1);
  jw_null(&w);
  jw_double(&w, 0.5);
  jw_array_end(&w);
  jw_object_end(&w);
  jw_object_end(&w);
  CHECK_STR(buf_cstr(&b), "{\"model_name\":\"model-create\",\"inputs\":{\"prompt\":\"say \\\"hi\\\"\\n\\u0001\","
                          "\"seed\":4294967295,\"return_base64\":true,\"list\":[1,null,0.5]}}");
  char err[200];
  json_doc *d = json_parse(b.data, b.len, 0, err, sizeof err);
  REQUIRE(d != NULL);
  buf again = BUF_INIT;
  jw_init(&w, &again);
  jw_value(&w, json_root(d));
  CHECK_STR(buf_cstr(&again), buf_cstr(&b));
  json_doc_free(d);
  buf_free(&b);
  buf_free(&again);
}

TEST(buf_grows_and_formats) {
  buf b = BUF_INIT;
  for (int i = 0; i < 1000; i++) buf_printf(&b, "%d,", i);
  REQUIRE(b.len > 3000);
  CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
  size_t len;
  char *s = buf_take(&b, &len);
  CHECK(s && len == strlen(s));
  CHECK(b.data == NULL && b.len == 0);
  free(s);
}
