/* json_bench.c — why runtime/base/json.c reads JSON itself: json_parse against jansson's
 * json_loadb (json_bench_jansson.c) on a completed status answer carrying return_base64
 * outputs, the largest body the client reads, on its event-loop thread; beside them,
 * decoding those same data: URIs (the client's next step) and memcpy of the body. Then
 * the writer's json_escape against jansson's json_dumpb on one long string. Built and run
 * by bench_json.sh. Prints milliseconds, MB/s of JSON text and the ratio. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../runtime/base/base64.h"
#include "../../runtime/base/json.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned sink;

bool jansson_parse_once(const char *text, size_t len);
size_t jansson_dump_string(const char *s, size_t len, char **out);

/* A completed status answer with `outputs` PNG-sized data: URIs of `raw` bytes each. */
static void status_body(buf *b, int outputs, size_t raw) {
  unsigned char *img = malloc(raw);
  uint32_t seed = 1;
  for (size_t i = 0; i < raw; i++) img[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
  buf_append_str(b, "{\"id\":\"0b1e5a3c-bench\",\"status\":\"completed\",\"output\":[");
  for (int k = 0; k < outputs; k++) {
    if (k) buf_append_char(b, ',');
    buf_append_char(b, '"');
    data_uri_build(b, "image/png", img, raw);
    buf_append_char(b, '"');
  }
  buf_append_str(b, "],\"error\":null}");
  free(img);
}

int main(void) {
  const int outputs = 4, rounds = 7;
  const size_t raw = 2 << 20; /* 2 MiB images: about 2.8 MB of base64 each */
  buf body = BUF_INIT;
  status_body(&body, outputs, raw);
  char *copy = malloc(body.len);
  double best[4] = {1e9, 1e9, 1e9, 1e9};
  char err[256];
  for (int r = 0; r < rounds; r++) {
    double t = now();
    json_doc *d = json_parse(body.data, body.len, 16, err, sizeof err);
    t = now() - t;
    if (!d) {
      fprintf(stderr, "json_bench: %s\n", err);
      return 1;
    }
    if (t < best[0]) best[0] = t;
    const json_value *out = json_get(json_root(d), "output");
    t = now();
    for (size_t k = 0; k < out->u.arr.n; k++) {
      buf img = BUF_INIT;
      char mime[DATA_URI_MIME_MAX];
      const json_value *v = &out->u.arr.items[k];
      if (!data_uri_parse(v->u.str.s, v->u.str.len, B64_WHITESPACE, 0, mime, &img, err, sizeof err) ||
          img.len != raw) {
        fprintf(stderr, "json_bench: data URI: %s\n", err);
        return 1;
      }
      buf_free(&img);
    }
    t = now() - t;
    if (t < best[1]) best[1] = t;
    json_doc_free(d);
    t = now();
    if (!jansson_parse_once(body.data, body.len)) {
      fprintf(stderr, "json_bench: jansson refused the body\n");
      return 1;
    }
    t = now() - t;
    if (t < best[3]) best[3] = t;
    t = now();
    memcpy(copy, body.data, body.len);
    sink += (unsigned char)copy[r];
    t = now() - t;
    if (t < best[2]) best[2] = t;
  }
  double mb = body.len / 1e6;
  printf("status answer, %d outputs, %.1f MB of JSON, best of %d rounds:\n", outputs, mb, rounds);
  printf("  atelier json_parse           %6.1f ms  %6.0f MB/s\n", best[0] * 1e3, mb / best[0]);
  printf("  jansson json_loadb           %6.1f ms  %6.0f MB/s\n", best[3] * 1e3, mb / best[3]);
  printf("  data_uri_parse, every output %6.1f ms  %6.0f MB/s\n", best[1] * 1e3, mb / best[1]);
  printf("  memcpy of the body           %6.1f ms  %6.0f MB/s\n", best[2] * 1e3, mb / best[2]);
  printf("  jansson / atelier: %.1fx the time\n", best[3] / best[0]);

  /* The writer: one long string (a data: URI in a request body), ours against jansson's. */
  const json_value *first = NULL;
  json_doc *d = json_parse(body.data, body.len, 16, err, sizeof err);
  first = &json_get(json_root(d), "output")->u.arr.items[0];
  double wbest[2] = {1e9, 1e9};
  for (int r = 0; r < rounds; r++) {
    buf w = BUF_INIT;
    double t = now();
    json_escape(&w, first->u.str.s, first->u.str.len);
    t = now() - t;
    if (t < wbest[0]) wbest[0] = t;
    t = now();
    char *jb = NULL;
    size_t got = jansson_dump_string(first->u.str.s, first->u.str.len, &jb);
    t = now() - t;
    if (got != w.len || memcmp(jb, w.data, got)) {
      fprintf(stderr, "json_bench: json_dumpb wrote other bytes\n");
      return 1;
    }
    if (t < wbest[1]) wbest[1] = t;
    free(jb);
    buf_free(&w);
  }
  double smb = first->u.str.len / 1e6;
  printf("one %.1f MB string written:\n", smb);
  printf("  json_escape into a buf       %6.1f ms  %6.0f MB/s\n", wbest[0] * 1e3, smb / wbest[0]);
  printf("  jansson json_dumpb           %6.1f ms  %6.0f MB/s\n", wbest[1] * 1e3, smb / wbest[1]);
  json_doc_free(d);
  buf_free(&body);
  free(copy);
  return 0;
}
