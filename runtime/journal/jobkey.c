/* jobkey.c — canonicalises a job's inputs and hashes them into its journal key; the
 * rules are in jobkey.h. */
#include "jobkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/json.h"
#include "../api/fashn_models.h"

jobkey_image_kind jobkey_image_kind_of(const char *s, size_t len) {
  if ((len >= 7 && strncasecmp(s, "http://", 7) == 0) || (len >= 8 && strncasecmp(s, "https://", 8) == 0))
    return JOBKEY_IMAGE_URL;
  if (len >= 5 && strncasecmp(s, "data:", 5) == 0) return JOBKEY_IMAGE_DATA_URI;
  return JOBKEY_IMAGE_PATH;
}

/* The field of m called key (keylen bytes), or NULL. */
static const fashn_field *field_of(const fashn_model *m, const char *key, size_t len) {
  if (!m) return NULL;
  for (const fashn_field *f = m->fields; f->name; f++)
    if (strlen(f->name) == len && memcmp(f->name, key, len) == 0) return f;
  return NULL;
}

/* An image input of m: model-create's two references, every FIELD_IMAGE of the others;
 * a "saved:<name>" of a field that takes one is a name, not a file. */
static bool is_image_input(const fashn_model *m, const char *key, size_t len, const json_value *v) {
  const fashn_field *f = field_of(m, key, len);
  if (!f || f->type != FIELD_IMAGE) return false;
  return !((f->flags & FIELD_SAVED_OK) && v->type == JSON_STRING && v->u.str.len > 6 &&
           memcmp(v->u.str.s, "saved:", 6) == 0);
}

static bool key_is(const json_member *m, const char *name) {
  return m->keylen == strlen(name) && memcmp(m->key, name, m->keylen) == 0;
}

/* A member to write: its key and the value (borrowed or one of ours). */
typedef struct entry {
  const char *key;
  size_t keylen;
  const json_value *value;
} entry;

static int entry_cmp(const void *a, const void *b) {
  const entry *x = a, *y = b;
  size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
  int c = memcmp(x->key, y->key, n);
  if (c) return c;
  return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

typedef struct canon {
  json_writer w;
  char *err;
  size_t errlen;
} canon;

static bool write_value(canon *c, const json_value *v, int depth);

static bool write_number(canon *c, const json_value *v) {
  if (v->u.num.is_int) {
    jw_int(&c->w, v->u.num.i);
    return true;
  }
  double d = v->u.num.d;
  /* integral doubles as integers: 7.0 and 7e0 are the seed 7 */
  if (d > -9.2e18 && d < 9.2e18 && d == (double)(int64_t)d) jw_int(&c->w, (int64_t)d); /* range first: */
  /* converting an out-of-range double to int64_t is undefined (found by fuzz_jobkey) */
  else jw_double(&c->w, d);
  return true;
}

/* Writes the members of entries (n of them) sorted, rejecting duplicates. */
static bool write_entries(canon *c, entry *e, size_t n, int depth) {
  qsort(e, n, sizeof *e, entry_cmp);
  jw_object_begin(&c->w);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && entry_cmp(&e[i - 1], &e[i]) == 0) {
      snprintf(c->err, c->errlen, "input \"%.*s\" is given twice", (int)(e[i].keylen > 60 ? 60 : e[i].keylen),
               e[i].key);
      return false;
    }
    jw_key_len(&c->w, e[i].key, e[i].keylen);
    if (!write_value(c, e[i].value, depth + 1)) return false;
  }
  jw_object_end(&c->w);
  return true;
}

static bool write_object(canon *c, const json_value *v, int depth) {
  size_t n = v->u.obj.n, k = 0;
  entry *e = calloc(n ? n : 1, sizeof *e);
  if (!e) {
    snprintf(c->err, c->errlen, "out of memory");
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    const json_member *m = &v->u.obj.members[i];
    if (m->value.type == JSON_NULL) continue;
    e[k++] = (entry){m->key, m->keylen, &m->value};
  }
  bool ok = write_entries(c, e, k, depth);
  free(e);
  return ok;
}

static bool write_value(canon *c, const json_value *v, int depth) {
  if (depth > JOBKEY_MAX_DEPTH) {
    snprintf(c->err, c->errlen, "inputs are nested more than %d levels deep", JOBKEY_MAX_DEPTH);
    return false;
  }
  switch (v->type) {
    case JSON_NULL: jw_null(&c->w); return true;
    case JSON_BOOL: jw_bool(&c->w, v->u.boolean); return true;
    case JSON_NUMBER: return write_number(c, v);
    case JSON_STRING: jw_string_len(&c->w, v->u.str.s, v->u.str.len); return true;
    case JSON_ARRAY:
      jw_array_begin(&c->w);
      for (size_t i = 0; i < v->u.arr.n; i++)
        if (!write_value(c, &v->u.arr.items[i], depth + 1)) return false;
      jw_array_end(&c->w);
      return true;
    case JSON_OBJECT: return write_object(c, v, depth);
  }
  return false;
}

/* A value built here rather than parsed: a default, or {"$file_sha256": hex}. */
typedef struct synth {
  json_value value;
  json_member member;
  json_value inner;
  char hex[SHA256_HEX_LEN + 1];
} synth;

static void synth_string(json_value *v, const char *s) {
  v->type = JSON_STRING;
  v->u.str.s = s;
  v->u.str.len = strlen(s);
}

static void synth_bool(json_value *v, bool b) {
  v->type = JSON_BOOL;
  v->u.boolean = b;
}

static void synth_int(json_value *v, int64_t i) {
  v->type = JSON_NUMBER;
  v->u.num.i = i;
  v->u.num.d = (double)i;
  v->u.num.is_int = true;
}

/* Replaces an image input's value by what identifies its content; false on an
 * unreadable file. */
static bool image_identity(const json_member *m, synth *s, char *err, size_t errlen) {
  const char *str = m->value.u.str.s;
  size_t len = m->value.u.str.len;
  jobkey_image_kind kind = jobkey_image_kind_of(str, len);
  if (kind == JOBKEY_IMAGE_URL) return false; /* caller keeps the URL as is */
  const char *tag;
  if (kind == JOBKEY_IMAGE_DATA_URI) {
    if (!sha256_hex(str, len, s->hex)) {
      char what[200];
      snprintf(what, sizeof what, "%.*s: cannot hash the data URI", (int)m->keylen, m->key);
      sha256_failed(what, err, errlen);
      return true;
    }
    tag = "$data_sha256";
  } else {
    if (memchr(str, '\0', len)) {
      snprintf(err, errlen, "%.*s: a file path cannot contain a NUL byte", (int)m->keylen, m->key);
      return true;
    }
    char ferr[300];
    if (!sha256_file(str, JOBKEY_MAX_FILE, s->hex, NULL, ferr, sizeof ferr)) {
      snprintf(err, errlen, "%.*s: %s", (int)m->keylen, m->key, ferr);
      return true;
    }
    tag = "$file_sha256";
  }
  synth_string(&s->inner, s->hex);
  s->member = (json_member){tag, strlen(tag), s->inner};
  s->value.type = JSON_OBJECT;
  s->value.u.obj.members = &s->member;
  s->value.u.obj.n = 1;
  return true;
}

/* The documented defaults of model-create (runtime/api/API.md, "Model Create inputs"),
 * filled in when absent. */
static const struct {
  const char *key;
  const char *str;
  int64_t num;
} DEFAULTS[] = {{"resolution", "1k", 0},
                {"seed", NULL, 42},
                {"num_images", NULL, 1},
                {"output_format", "png", 0},
                {"face_reference_mode", "match_reference", 0},
                {"aspect_ratio", "1:1", 0}};
#define NDEFAULTS (sizeof DEFAULTS / sizeof *DEFAULTS)

/* Fills in the documented defaults of a model other than model-create, from its
 * description (model-create keeps its table above, so its keys never change). Values are
 * written as the API takes them: enums and text as strings, integers, booleans. */
static void other_defaults(const fashn_model *m, entry *e, size_t *k, synth *syn, size_t *ns) {
  for (const fashn_field *f = m->fields; f->name; f++) {
    if (!f->default_value || strcmp(f->name, "return_base64") == 0) continue;
    bool present = false;
    for (size_t i = 0; i < *k && !present; i++)
      present = e[i].keylen == strlen(f->name) && memcmp(e[i].key, f->name, e[i].keylen) == 0;
    if (present) continue;
    json_value *v = &syn[*ns].value;
    if (f->type == FIELD_INT) synth_int(v, strtoll(f->default_value, NULL, 10));
    else if (f->type == FIELD_BOOL) synth_bool(v, strcmp(f->default_value, "true") == 0);
    else synth_string(v, f->default_value);
    (*ns)++;
    e[(*k)++] = (entry){f->name, strlen(f->name), v};
  }
}

static size_t field_count(const fashn_model *m) {
  size_t n = 0;
  if (m)
    for (const fashn_field *f = m->fields; f->name; f++) n++;
  return n;
}

static bool canonical_inputs(canon *c, const json_value *root, const fashn_model *m) {
  size_t n = root->u.obj.n, nd = NDEFAULTS + field_count(m);
  bool model_create = m == fashn_models[0];
  entry *e = calloc(n + nd + 1, sizeof *e);
  synth *syn = calloc(n + nd + 1, sizeof *syn);
  bool ok = false;
  if (!e || !syn) {
    snprintf(c->err, c->errlen, "out of memory");
    goto done;
  }
  size_t k = 0, ns = 0;
  bool has_image_reference = false;
  for (size_t i = 0; i < n; i++) {
    const json_member *mb = &root->u.obj.members[i];
    if (mb->value.type == JSON_NULL) continue;
    if (m && key_is(mb, "return_base64")) continue;
    if (key_is(mb, "image_reference")) has_image_reference = true;
    const json_value *v = &mb->value;
    if (is_image_input(m ? m : fashn_models[0], mb->key, mb->keylen, v) && v->type == JSON_STRING) {
      c->err[0] = '\0';
      if (image_identity(mb, &syn[ns], c->err, c->errlen)) {
        if (c->err[0]) goto done;
        v = &syn[ns++].value;
      }
    }
    e[k++] = (entry){mb->key, mb->keylen, v};
  }
  if (m && !model_create) other_defaults(m, e, &k, syn, &ns);
  if (model_create) {
    for (size_t d = 0; d < NDEFAULTS; d++) {
      if (strcmp(DEFAULTS[d].key, "aspect_ratio") == 0 && has_image_reference) continue;
      bool present = false;
      for (size_t i = 0; i < k && !present; i++)
        present =
            e[i].keylen == strlen(DEFAULTS[d].key) && memcmp(e[i].key, DEFAULTS[d].key, e[i].keylen) == 0;
      if (present) continue;
      if (DEFAULTS[d].str) synth_string(&syn[ns].value, DEFAULTS[d].str);
      else synth_int(&syn[ns].value, DEFAULTS[d].num);
      e[k++] = (entry){DEFAULTS[d].key, strlen(DEFAULTS[d].key), &syn[ns++].value};
    }
  }
  ok = write_entries(c, e, k, 0);
done:
  free(e);
  free(syn);
  return ok;
}

bool jobkey_compute(const char *backend, const char *model_name, const char *inputs_json, size_t len,
                    jobkey *k, char *errbuf, size_t errlen) {
  memset(k, 0, sizeof *k);
  if (!backend || !*backend || !model_name || !*model_name) {
    snprintf(errbuf, errlen, "a job key needs a backend and a model name");
    return false;
  }
  char perr[200];
  json_doc *d = json_parse(inputs_json, len, JOBKEY_MAX_DEPTH + 1, perr, sizeof perr);
  if (!d) {
    snprintf(errbuf, errlen, "inputs are not valid JSON: %s", perr);
    return false;
  }
  const json_value *root = json_root(d);
  if (root->type != JSON_OBJECT) {
    snprintf(errbuf, errlen, "inputs must be a JSON object");
    json_doc_free(d);
    return false;
  }
  canon c = {.err = errbuf, .errlen = errlen};
  jw_init(&c.w, &k->canonical);
  /* A model atelier does not describe (a name from a newer journal) gets no defaults. */
  bool ok = canonical_inputs(&c, root, fashn_model_find(model_name));
  json_doc_free(d);
  if (ok && k->canonical.oom) {
    snprintf(errbuf, errlen, "out of memory");
    ok = false;
  }
  if (!ok) {
    buf_free(&k->canonical);
    return false;
  }
  /* The hashed text separates its parts with NULs, which none of them can contain
   * (the canonical JSON escapes them), so no two different triples hash the same text. */
  sha256_ctx h;
  uint8_t digest[SHA256_LEN];
  char version[32];
  int vn = snprintf(version, sizeof version, "atelier.jobkey/%d", JOBKEY_VERSION);
  sha256_init(&h);
  sha256_update(&h, version, (size_t)vn + 1);
  sha256_update(&h, backend, strlen(backend) + 1);
  sha256_update(&h, model_name, strlen(model_name) + 1);
  sha256_update(&h, k->canonical.data, k->canonical.len);
  if (!sha256_final(&h, digest)) {
    sha256_failed("cannot hash the job key", errbuf, errlen);
    buf_free(&k->canonical);
    return false;
  }
  sha256_to_hex(digest, k->hex);
  return true;
}

void jobkey_free(jobkey *k) {
  buf_free(&k->canonical);
  memset(k, 0, sizeof *k);
}
