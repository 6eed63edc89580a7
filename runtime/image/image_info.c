/* image_info.c — `atelier --info FILE...`: what an image file is (format, size, alpha)
 * and the generation parameters embedded in it, one "key: value" line each (nested
 * objects flattened with dotted keys), for people and for grep. */
#include <stdio.h>
#include <string.h>

#include "image.h"
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

int image_print_info(const char *path, FILE *out, FILE *errout) {
  buf data = BUF_INIT, meta = BUF_INIT;
  char err[512];
  image_info info;
  int rc = 0;
  if (image_read_file(path, 0, &data, err, sizeof err) != IMAGE_OK ||
      image_probe(data.data, data.len, NULL, &info, err + 0, sizeof err) != IMAGE_OK) {
    if (strncmp(err, path, strlen(path)) == 0) fprintf(errout, "atelier: %s\n", err);
    else fprintf(errout, "atelier: %s: %s\n", path, err);
    rc = 1;
    goto done;
  }
  char sz[32];
  fprintf(out, "%s: %s %dx%d, %s%s%s%s\n", path, image_format_name(info.format), info.width, info.height,
          human_size(data.len, sz), info.has_alpha ? ", alpha" : "", info.progressive ? ", progressive" : "",
          info.animated ? ", animated" : "");
  image_status st = image_meta_read(data.data, data.len, &meta, err, sizeof err);
  if (st == IMAGE_ENOMETA) {
    fprintf(out, "  (no generation metadata)\n");
  } else if (st != IMAGE_OK) {
    fprintf(errout, "atelier: %s: %s\n", path, err);
    rc = 1;
  } else {
    json_doc *d = json_parse(meta.data, meta.len, 0, NULL, 0);
    if (d) put_value(out, "", json_root(d), 0);
    json_doc_free(d);
  }
done:
  buf_free(&data);
  buf_free(&meta);
  return rc;
}
