/* fashn_plan.c — a dry run's plan: rows kept in order, the table for people and the
 * JSON for tools (see fashn_plan.h). */
#include "fashn_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/json.h"

struct fashn_plan {
  fashn_plan_row *rows;
  size_t n, cap;
};

fashn_plan *fashn_plan_new(void) { return calloc(1, sizeof(fashn_plan)); }

void fashn_plan_free(fashn_plan *p) {
  if (!p) return;
  free(p->rows);
  free(p);
}

bool fashn_plan_add(fashn_plan *p, const fashn_plan_row *r) {
  if (p->n == p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 16;
    fashn_plan_row *nr = realloc(p->rows, ncap * sizeof *nr);
    if (!nr) return false;
    p->rows = nr;
    p->cap = ncap;
  }
  p->rows[p->n++] = *r;
  return true;
}

void fashn_plan_totals_of(const fashn_plan *p, fashn_plan_totals *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < p->n; i++) {
    t->jobs++;
    t->images += p->rows[i].images;
    if (p->rows[i].cached) t->cached++;
    else t->credits += p->rows[i].credits;
  }
}

void fashn_plan_clip(char *out, size_t outlen, const char *s, size_t len, size_t max) {
  size_t o = 0, shown = 0, i = 0;
  if (!outlen) return;
  for (; i < len && shown < max; shown++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    size_t n;
    if (c == '\n' || c == '\t' || c == '\r') {
      snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
      n = 2;
      i++;
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\x%02X", c);
      n = 4;
      i++;
    } else { /* one whole UTF-8 character (or one stray byte) */
      n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (i + n > len) n = len - i;
      memcpy(esc, s + i, n);
      i += n;
    }
    if (o + n + 4 > outlen) break;
    memcpy(out + o, esc, n);
    o += n;
  }
  if (i < len && o + 4 <= outlen) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* Display width of a UTF-8 string: one per character (good enough for a plan). */
static int width(const char *s) {
  int w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) w++;
  return w;
}

static void cell(FILE *out, const char *s, int w, bool last) {
  fputs(s, out);
  if (!last)
    for (int pad = w - width(s) + 2; pad > 0; pad--) fputc(' ', out);
}

void fashn_plan_print(const fashn_plan *p, FILE *out, long cap) {
  static const char *head[] = {"#", "model", "prompt", "seed", "mode", "references", "res", "images", "credits"};
  enum { NCOL = 9 };
  int w[NCOL];
  for (int c = 0; c < NCOL; c++) w[c] = width(head[c]);
  char v[NCOL][260];
  for (int pass = 0; pass < 2; pass++) {
    if (pass) {
      for (int c = 0; c < NCOL; c++) cell(out, head[c], w[c], c == NCOL - 1);
      fputc('\n', out);
    }
    for (size_t i = 0; i < p->n; i++) {
      const fashn_plan_row *r = &p->rows[i];
      snprintf(v[0], sizeof v[0], "%zu", i + 1);
      snprintf(v[1], sizeof v[1], "%s", r->model);
      snprintf(v[2], sizeof v[2], "%s", r->prompt[0] ? r->prompt : "-");
      if (r->seed >= 0) snprintf(v[3], sizeof v[3], "%lld", r->seed);
      else snprintf(v[3], sizeof v[3], "-");
      snprintf(v[4], sizeof v[4], "%s", r->mode[0] ? r->mode : "-");
      snprintf(v[5], sizeof v[5], "%s", r->refs[0] ? r->refs : "-");
      snprintf(v[6], sizeof v[6], "%dk", r->resolution_k);
      snprintf(v[7], sizeof v[7], "%d", r->images);
      if (r->cached) snprintf(v[8], sizeof v[8], "0 (cached)");
      else snprintf(v[8], sizeof v[8], "%d", r->credits);
      for (int c = 0; c < NCOL; c++) {
        if (!pass) {
          if (width(v[c]) > w[c]) w[c] = width(v[c]);
        } else {
          cell(out, v[c], w[c], c == NCOL - 1);
        }
      }
      if (pass) fputc('\n', out);
    }
  }
  fashn_plan_totals t;
  fashn_plan_totals_of(p, &t);
  fprintf(out, "total: %ld job%s, %ld image%s, %ld credit%s", t.jobs, t.jobs == 1 ? "" : "s", t.images,
          t.images == 1 ? "" : "s", t.credits, t.credits == 1 ? "" : "s");
  if (t.cached) fprintf(out, " (%ld job%s cached in the journal: 0 credits)", t.cached, t.cached == 1 ? "" : "s");
  fputc('\n', out);
  if (cap >= 0)
    fprintf(out, "--max-credits %ld: %s\n", cap,
            t.credits <= cap ? "a real run fits the cap" : "over the cap: a real run would buy nothing");
  fflush(out);
}

bool fashn_plan_write_json(const fashn_plan *p, const char *path, long cap, char *err, size_t errlen) {
  buf b = BUF_INIT;
  json_writer w;
  jw_init(&w, &b);
  jw_object_begin(&w);
  jw_key(&w, "jobs");
  jw_array_begin(&w);
  for (size_t i = 0; i < p->n; i++) {
    const fashn_plan_row *r = &p->rows[i];
    jw_object_begin(&w);
    jw_key(&w, "model");
    jw_string(&w, r->model);
    jw_key(&w, "prompt");
    jw_string(&w, r->prompt);
    jw_key(&w, "seed");
    if (r->seed >= 0) jw_int(&w, r->seed);
    else jw_null(&w);
    jw_key(&w, "mode");
    jw_string(&w, r->mode);
    jw_key(&w, "references");
    jw_string(&w, r->refs);
    jw_key(&w, "resolution");
    char res[8];
    snprintf(res, sizeof res, "%dk", r->resolution_k);
    jw_string(&w, res);
    jw_key(&w, "images");
    jw_int(&w, r->images);
    jw_key(&w, "credits");
    jw_int(&w, r->cached ? 0 : r->credits);
    jw_key(&w, "cached");
    jw_bool(&w, r->cached);
    jw_object_end(&w);
  }
  jw_array_end(&w);
  fashn_plan_totals t;
  fashn_plan_totals_of(p, &t);
  jw_key(&w, "totals");
  jw_object_begin(&w);
  jw_key(&w, "jobs");
  jw_int(&w, t.jobs);
  jw_key(&w, "images");
  jw_int(&w, t.images);
  jw_key(&w, "credits");
  jw_int(&w, t.credits);
  jw_key(&w, "cached");
  jw_int(&w, t.cached);
  jw_object_end(&w);
  jw_key(&w, "max_credits");
  if (cap >= 0) jw_int(&w, cap);
  else jw_null(&w);
  jw_object_end(&w);
  buf_append(&b, "\n", 1);
  bool ok = !b.oom;
  if (!ok) snprintf(err, errlen, "out of memory writing the plan");
  FILE *f = ok ? fopen(path, "w") : NULL;
  if (ok && !f) {
    snprintf(err, errlen, "cannot write the plan to %s: %s", path, strerror(errno));
    ok = false;
  }
  if (f) {
    bool wrote = fwrite(b.data, 1, b.len, f) == b.len;
    if (fclose(f) != 0 || !wrote) {
      snprintf(err, errlen, "cannot write the plan to %s: %s", path, strerror(errno));
      ok = false;
    }
  }
  buf_free(&b);
  return ok;
}
