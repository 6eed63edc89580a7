/* image_info.c — `atelier --info FILE...`: what an image file is (format, size, alpha),
 * or an MP4 (size, length), and its generation parameters (embedded, or looked up for a
 * file that carries none), one "key: value" line each (nested objects flattened with
 * dotted keys), for people and for grep. */
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "mp4_info.h"
#include "../base/json.h"

/* Prints a string value with control characters escaped, so a prompt cannot forge lines
 * or terminal escapes. */
static void put_text(FILE *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') fputs("\\n", out);
    else if (c == '\t') fputs("\\t", out);
    else if (c < 0x20 || c == 0x7f) fprintf(out, "\\x%02x", c);
    else fputc(c, out);
  }
}

static bool is_first_key(const json_member *m) {
  static const char *const first[] = {"model", "prompt", "seed", "id"};
  for (size_t k = 0; k < sizeof first / sizeof *first; k++)
    if (m->keylen == strlen(first[k]) && memcmp(m->key, first[k], m->keylen) == 0) return true;
  return false;
}

static void put_value(FILE *out, const char *prefix, const json_value *v, int depth) {
  if (v->type == JSON_OBJECT && depth < 4) {
    /* at the top, the keys people look for first (in the order of the file), then the rest */
    for (int pass = depth == 0 ? 0 : 1; pass < 2; pass++) {
      for (size_t i = 0; i < v->u.obj.n; i++) {
        const json_member *m = &v->u.obj.members[i];
        if (depth == 0 && is_first_key(m) != (pass == 0)) continue;
        char key[256];
        snprintf(key, sizeof key, "%s%s%.*s", prefix, *prefix ? "." : "", (int)m->keylen, m->key);
        put_value(out, key, &m->value, depth + 1);
      }
    }
    return;
  }
  fprintf(out, "  ");
  put_text(out, prefix, strlen(prefix));
  fprintf(out, ": ");
  if (v->type == JSON_STRING) {
    put_text(out, v->u.str.s, v->u.str.len);
  } else {
    buf b = BUF_INIT;
    json_writer w;
    jw_init(&w, &b);
    jw_value(&w, v);
    put_text(out, b.data ? b.data : "", b.len);
    buf_free(&b);
  }
  fputc('\n', out);
}

static const char *human_size(size_t n, char out[32]) {
  if (n >= 1000000) snprintf(out, 32, "%.1f MB", n / 1e6);
  else if (n >= 1000) snprintf(out, 32, "%.1f kB", n / 1e3);
  else snprintf(out, 32, "%zu bytes", n);
  return out;
}

static void put_meta(FILE *out, const buf *meta) {
  json_doc *d = json_parse(meta->data, meta->len, 0, NULL, 0);
  if (d) put_value(out, "", json_root(d), 0);
  json_doc_free(d);
}

/* No metadata in the file itself: what lookup knows, else say there is none. */
static void put_looked_up(FILE *out, const buf *data, image_meta_lookup lookup, void *ud) {
  buf meta = BUF_INIT;
  if (lookup && lookup(ud, data->data, data->len, &meta)) {
    fprintf(out, "  (generation metadata from the journal)\n");
    put_meta(out, &meta);
  } else {
    fprintf(out, "  (no generation metadata)\n");
  }
  buf_free(&meta);
}

int image_print_info(const char *path, FILE *out, FILE *errout, image_meta_lookup lookup, void *ud) {
  buf data = BUF_INIT, meta = BUF_INIT;
  char err[512];
  image_info info;
  int rc = 0;
  char sz[32];
  if (image_read_file(path, 0, &data, err, sizeof err) != IMAGE_OK) goto failed;
  if (mp4_is(data.data, data.len)) { /* a video: described from its boxes, never decoded */
    mp4_info mi;
    if (!mp4_probe(data.data, data.len, &mi, err, sizeof err)) goto failed;
    fprintf(out, "%s: mp4 %dx%d, %.1f s, %s\n", path, mi.width, mi.height, mi.seconds, human_size(data.len, sz));
    put_looked_up(out, &data, lookup, ud);
    goto done;
  }
  if (image_probe(data.data, data.len, NULL, &info, err + 0, sizeof err) != IMAGE_OK) goto failed;
  fprintf(out, "%s: %s %dx%d, %s%s%s%s\n", path, image_format_name(info.format), info.width, info.height,
          human_size(data.len, sz), info.has_alpha ? ", alpha" : "", info.progressive ? ", progressive" : "",
          info.animated ? ", animated" : "");
  image_status st = image_meta_read(data.data, data.len, &meta, err, sizeof err);
  if (st == IMAGE_ENOMETA) {
    put_looked_up(out, &data, lookup, ud);
  } else if (st != IMAGE_OK) {
    fprintf(errout, "atelier: %s: %s\n", path, err);
    rc = 1;
  } else {
    put_meta(out, &meta);
  }
  goto done;
failed:
  if (strncmp(err, path, strlen(path)) == 0) fprintf(errout, "atelier: %s\n", err);
  else fprintf(errout, "atelier: %s: %s\n", path, err);
  rc = 1;
done:
  buf_free(&data);
  buf_free(&meta);
  return rc;
}
