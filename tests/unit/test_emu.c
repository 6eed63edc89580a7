/* test_emu.c — fashn-emu as a library: its pure facts (sizes, flags, limits, loopback
 * checks) and an in-process emulator driven over real HTTP with libcurl, whose outputs
 * are decoded with runtime/image/image.h (JPEG sizes, the face thumbnail, reference aspect). */
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "../../runtime/base/base64.h"
#include "../../runtime/emu/emu.h"
#include "../../runtime/emu/emu_internal.h"
#include "../../runtime/image/image.h"
#include "../../runtime/base/json.h"
#include "unit.h"

TEST(emu_output_sizes_follow_the_contract_table) {
  static const struct {
    const char *a;
    int w, h;
  } want[] = {{"21:9", 1568, 672}, {"16:9", 1360, 768}, {"9:16", 760, 1360}, {"4:3", 1176, 880},
              {"3:4", 880, 1176},  {"3:2", 1176, 784},  {"2:3", 832, 1248},  {"4:5", 912, 1144},
              {"5:4", 1144, 912},  {"1:1", 1024, 1024}};
  for (int i = 0; i < EMU_ASPECT_COUNT; i++) {
    const char *name;
    int w, h;
    REQUIRE(emu_aspect(i, &name, &w, &h));
    CHECK_STR(name, want[i].a);
    CHECK_INT(w, want[i].w);
    CHECK_INT(h, want[i].h);
    const char *res[] = {"1k", "2k", "4k"};
    for (int r = 0; r < 3; r++) {
      CHECK(emu_output_size(name, res[r], &w, &h));
      CHECK_INT(w, want[i].w * (r == 0 ? 1 : r == 1 ? 2 : 4));
      CHECK_INT(h, want[i].h * (r == 0 ? 1 : r == 1 ? 2 : 4));
    }
  }
  int w, h;
  CHECK(!emu_aspect(EMU_ASPECT_COUNT, NULL, NULL, NULL));
  CHECK(!emu_output_size("2:1", "1k", &w, &h));
  CHECK(!emu_output_size("1:1", "8k", &w, &h));
}

TEST(emu_config_parses_every_kind_of_flag_and_names_bad_ones) {
  emu_config c;
  emu_config_defaults(&c);
  CHECK_INT(c.run_limit, 50);
  CHECK_INT(c.status_limit, 50);
  CHECK_INT(c.credits_limit, 30);
  CHECK_INT(c.concurrency_limit, 6);
  char *argv[] = {"fashn-emu", "--port", "0", "--time-scale=0.01", "--api-key", "k", "--fail-rate", "0.5",
                  "--fault-seed", "18446744073709551615", "--verbose", "--max-body", "4096"};
  char err[200];
  REQUIRE_INT(emu_config_parse(&c, 13, argv, err, sizeof err), 0);
  CHECK(fabs(c.time_scale - 0.01) < 1e-12);
  CHECK_STR(c.api_key, "k");
  CHECK(c.fail_rate == 0.5);
  CHECK(c.fault_seed == UINT64_MAX);
  CHECK(c.verbose);
  CHECK_INT(c.max_body, 4096);
  struct {
    const char *flag, *value, *complaint;
  } bad[] = {{"--fail-rate", "1.5", "--fail-rate"}, {"--port", "70000", "--port"}, {"--time-scale", "abc", "--time-scale"},
             {"--run-limit", "2.5", "--run-limit"}, {"--nope", "1", "--nope"},      {"--credits", "", "--credits"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *av[] = {"fashn-emu", (char *)bad[i].flag, (char *)bad[i].value};
    err[0] = '\0';
    CHECK_INT(emu_config_parse(&c, 3, av, err, sizeof err), -1);
    CHECK(strstr(err, bad[i].complaint) != NULL);
  }
  char *help[] = {"fashn-emu", "--help"};
  CHECK_INT(emu_config_parse(&c, 2, help, err, sizeof err), 1);
}

TEST(emu_window_admits_limit_requests_per_window_and_says_how_long_to_wait) {
  emu_window w;
  REQUIRE(emu_window_init(&w, 3, 10));
  double ra = -1;
  CHECK(emu_window_admit(&w, 100.0, &ra));
  CHECK(emu_window_admit(&w, 101.0, &ra));
  CHECK(emu_window_admit(&w, 102.0, &ra));
  CHECK(!emu_window_admit(&w, 103.0, &ra));
  CHECK(fabs(ra - 7.0) < 1e-9); /* the request at 100 leaves at 110 */
  CHECK(emu_window_admit(&w, 110.0, &ra));
  CHECK(!emu_window_admit(&w, 110.5, &ra));
  emu_window_free(&w);
  REQUIRE(emu_window_init(&w, 0, 10)); /* unlimited */
  for (int i = 0; i < 1000; i++) CHECK(emu_window_admit(&w, 1.0, &ra));
  emu_window_free(&w);
}

TEST(emu_only_loopback_urls_count_as_loopback) {
  CHECK(emu_is_loopback_url("http://127.0.0.1:8080/x.png"));
  CHECK(emu_is_loopback_url("http://127.1.2.3/x"));
  CHECK(emu_is_loopback_url("https://localhost/x"));
  CHECK(emu_is_loopback_url("http://[::1]:9/x"));
  CHECK(emu_is_loopback_url("HTTP://LOCALHOST:1"));
  CHECK(!emu_is_loopback_url("http://example.com/x.png"));
  CHECK(!emu_is_loopback_url("http://127.0.0.1.example.com/x"));
  CHECK(!emu_is_loopback_url("http://localhost.example.com/x"));
  CHECK(!emu_is_loopback_url("http://user@example.com@127.0.0.1/"));
  CHECK(!emu_is_loopback_url("http://10.0.0.1/x"));
  CHECK(!emu_is_loopback_url("http://[::2]/x"));
  CHECK(!emu_is_loopback_url("ftp://127.0.0.1/x"));
  CHECK(!emu_is_loopback_url("http://256.0.0.1/x"));
}

/* ---- in-process over HTTP ---------------------------------------------------------- */

static size_t sink(char *p, size_t size, size_t n, void *ud) {
  buf_append(ud, p, size * n);
  return size * n;
}

/* One request; returns the HTTP status (0 when there was no answer). */
static long http(const char *method, const char *url, const char *body, buf *out) {
  CURL *h = curl_easy_init();
  struct curl_slist *hdr = curl_slist_append(NULL, "Authorization: Bearer unit");
  hdr = curl_slist_append(hdr, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
  if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  long code = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  return code;
}

/* Submits inputs (a JSON object text), waits for the end, downloads output 0 and decodes
 * it. Returns the final status name into status (completed/failed). */
static void run_and_fetch(emu *e, const char *inputs, char *status, size_t slen, image *out, buf *raw) {
  char url[256];
  buf body = BUF_INIT, resp = BUF_INIT;
  buf_printf(&body, "{\"model_name\":\"model-create\",\"inputs\":%s}", inputs);
  snprintf(url, sizeof url, "%s/v1/run", emu_url(e));
  REQUIRE_INT(http("POST", url, body.data, &resp), 200);
  json_doc *d = json_parse(resp.data, resp.len, 0, NULL, 0);
  const char *id = d ? json_str(json_get(json_root(d), "id")) : NULL;
  REQUIRE(id != NULL);
  snprintf(status, slen, "none");
  char sturl[256];
  snprintf(sturl, sizeof sturl, "%s/v1/status/%s", emu_url(e), id ? id : "x");
  json_doc_free(d);
  d = NULL;
  for (int i = 0; i < 6000; i++) {
    buf_reset(&resp);
    REQUIRE_INT(http("GET", sturl, NULL, &resp), 200);
    json_doc_free(d);
    d = json_parse(resp.data, resp.len, 0, NULL, 0);
    const char *st = d ? json_str(json_get(json_root(d), "status")) : NULL;
    if (st && (!strcmp(st, "completed") || !strcmp(st, "failed"))) {
      snprintf(status, slen, "%s", st);
      break;
    }
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  const json_value *output = d ? json_get(json_root(d), "output") : NULL;
  if (!strcmp(status, "completed") && output && output->type == JSON_ARRAY && output->u.arr.n > 0) {
    buf_reset(raw);
    CHECK_INT(http("GET", json_str(&output->u.arr.items[0]), NULL, raw), 200);
    char err[200];
    CHECK_INT(image_decode(raw->data, raw->len, NULL, out, NULL, err, sizeof err), IMAGE_OK);
  }
  json_doc_free(d);
  buf_free(&body);
  buf_free(&resp);
}

static emu *start_fast(void) {
  emu_config c;
  emu_config_defaults(&c);
  c.time_scale = 0.001;
  c.status_limit = c.run_limit = c.credits_limit = c.concurrency_limit = 0;
  char err[200];
  emu *e = emu_start(&c, err, sizeof err);
  if (!e) unit_fail(__FILE__, __LINE__, "emu_start: %s", err);
  return e;
}

/* A w x h PNG or JPEG of one colour, as a data URI. */
static char *solid_data_uri(int w, int h, const unsigned char rgb[3], image_format f) {
  image im = IMAGE_INIT;
  char err[200];
  REQUIRE_INT(image_alloc(&im, w, h, err, sizeof err), IMAGE_OK); /* the loop writes its pixels */
  for (int i = 0; i < w * h; i++) memcpy(im.rgba + i * 4, rgb, 3), im.rgba[i * 4 + 3] = 255;
  buf enc = BUF_INIT, uri = BUF_INIT;
  image_encode_opts eo = {.format = f, .quality = 95};
  REQUIRE_INT(image_encode(&im, &eo, &enc, err, sizeof err), IMAGE_OK);
  data_uri_build(&uri, image_format_mime(f), enc.data, enc.len);
  image_free(&im);
  buf_free(&enc);
  return buf_take(&uri, NULL);
}

TEST(emu_face_reference_appears_as_a_thumbnail_in_the_output) {
  emu *e = start_fast();
  if (!e) return;
  const unsigned char red[3] = {210, 20, 40};
  char *face = solid_data_uri(300, 200, red, IMAGE_JPEG);
  buf inputs = BUF_INIT, raw = BUF_INIT;
  buf_printf(&inputs, "{\"prompt\":\"face test\",\"aspect_ratio\":\"2:3\",\"face_reference\":\"%s\"}", face);
  char status[32];
  image out = IMAGE_INIT;
  run_and_fetch(e, inputs.data, status, sizeof status, &out, &raw);
  CHECK_STR(status, "completed");
  CHECK_INT(out.width, 832);
  CHECK_INT(out.height, 1248);
  int x, y, size;
  emu_face_box(out.width, out.height, &x, &y, &size);
  if (out.rgba) {
    /* The middle of the box is the face's colour (PNG is lossless; JPEG input ±2). */
    const unsigned char *px = out.rgba + ((size_t)(y + size / 2) * out.width + (x + size / 2)) * 4;
    CHECK(abs(px[0] - red[0]) <= 3 && abs(px[1] - red[1]) <= 3 && abs(px[2] - red[2]) <= 3);
  }
  image_free(&out);
  /* Without a face the same spot is something else. */
  run_and_fetch(e, "{\"prompt\":\"face test\",\"aspect_ratio\":\"2:3\"}", status, sizeof status, &out, &raw);
  if (out.rgba) {
    const unsigned char *px = out.rgba + ((size_t)(y + size / 2) * out.width + (x + size / 2)) * 4;
    CHECK(!(abs(px[0] - red[0]) <= 3 && abs(px[1] - red[1]) <= 3 && abs(px[2] - red[2]) <= 3));
  }
  image_free(&out);
  free(face);
  buf_free(&inputs);
  buf_free(&raw);
  emu_stop(e);
}

TEST(emu_jpeg_outputs_decode_at_the_contract_size_for_every_aspect_ratio) {
  emu *e = start_fast();
  if (!e) return;
  buf raw = BUF_INIT;
  for (int i = 0; i < EMU_ASPECT_COUNT; i++) {
    const char *name;
    int w, h;
    REQUIRE(emu_aspect(i, &name, &w, &h));
    char inputs[200], status[32];
    snprintf(inputs, sizeof inputs, "{\"prompt\":\"jpeg\",\"aspect_ratio\":\"%s\",\"output_format\":\"jpeg\"}", name);
    image out = IMAGE_INIT;
    run_and_fetch(e, inputs, status, sizeof status, &out, &raw);
    CHECK_STR(status, "completed");
    CHECK_INT(image_sniff(raw.data, raw.len), IMAGE_JPEG);
    CHECK_INT(out.width, w);
    CHECK_INT(out.height, h);
    image_free(&out);
  }
  buf_free(&raw);
  emu_stop(e);
}

TEST(emu_image_reference_sets_the_nearest_aspect_ratio_unless_one_is_given) {
  emu *e = start_fast();
  if (!e) return;
  const unsigned char grey[3] = {90, 90, 90};
  struct {
    int w, h;
    const char *explicit_aspect;
    int want_w, want_h;
  } cases[] = {{1600, 900, NULL, 1360, 768},   /* 16:9 */
               {700, 300, NULL, 1568, 672},    /* 2.33 -> 21:9 */
               {600, 800, NULL, 880, 1176},    /* 3:4 */
               {500, 510, NULL, 1024, 1024},   /* ~1:1 */
               {1600, 900, "9:16", 760, 1360}, /* explicit wins */
               {85, 100, NULL, 912, 1144}};    /* 0.85 -> 4:5 */
  buf raw = BUF_INIT;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *ref = solid_data_uri(cases[i].w, cases[i].h, grey, i % 2 ? IMAGE_PNG : IMAGE_JPEG);
    buf inputs = BUF_INIT;
    buf_printf(&inputs, "{\"prompt\":\"ref\",\"image_reference\":\"%s\"", ref);
    if (cases[i].explicit_aspect) buf_printf(&inputs, ",\"aspect_ratio\":\"%s\"", cases[i].explicit_aspect);
    buf_append_str(&inputs, "}");
    char status[32];
    image out = IMAGE_INIT;
    run_and_fetch(e, inputs.data, status, sizeof status, &out, &raw);
    CHECK_STR(status, "completed");
    CHECK_INT(out.width, cases[i].want_w);
    CHECK_INT(out.height, cases[i].want_h);
    image_free(&out);
    buf_free(&inputs);
    free(ref);
  }
  buf_free(&raw);
  emu_stop(e);
}

TEST(emu_starts_on_an_ephemeral_port_and_stops_with_work_in_flight) {
  emu_config c;
  emu_config_defaults(&c);
  c.time_scale = 100; /* nothing finishes */
  char err[200];
  emu *a = emu_start(&c, err, sizeof err), *b = emu_start(&c, err, sizeof err);
  CHECK(a && b);
  if (!a || !b) {
    emu_stop(a);
    emu_stop(b);
    return;
  }
  CHECK(emu_port(a) > 0 && emu_port(b) > 0 && emu_port(a) != emu_port(b));
  char want[64];
  snprintf(want, sizeof want, "http://127.0.0.1:%d", emu_port(a));
  CHECK_STR(emu_url(a), want);
  /* The port is taken: a third on the same port fails with a message. */
  c.port = emu_port(a);
  CHECK(emu_start(&c, err, sizeof err) == NULL);
  CHECK(strstr(err, "127.0.0.1") != NULL);
  char url[128];
  buf resp = BUF_INIT;
  snprintf(url, sizeof url, "%s/v1/run", emu_url(a));
  CHECK_INT(http("POST", url, "{\"model_name\":\"model-create\",\"inputs\":{\"prompt\":\"x\",\"resolution\":\"4k\",\"num_images\":4}}", &resp), 200);
  buf_reset(&resp);
  REQUIRE(emu_stats_json(a, &resp));
  CHECK(strstr(resp.data, "\"run_accepted\":1") != NULL);
  buf_free(&resp);
  emu_stop(a); /* a 4x 16 MP render is under way: stop must not wait for all of it */
  emu_stop(b);
  emu_stop(NULL);
}
