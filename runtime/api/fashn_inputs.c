/* fashn_inputs.c — a job's inputs checked against its model's description (see
 * fashn_inputs.h and fashn_models.h), and the request body they make. */
#include "fashn_inputs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>


static bool fail(fashn_input_error *e, const char *field, const char *fmt, ...) {
  snprintf(e->field, sizeof e->field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  char msg[320];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(e->message, sizeof e->message, "%s%s%s", field, *field ? ": " : "", msg);
  return false;
}

static const char *type_name(const json_value *v) {
  static const char *const names[] = {"null", "boolean", "number", "string", "list", "table"};
  return names[v->type];
}

static void join(char *out, size_t outlen, const char *const *list) {
  out[0] = '\0';
  for (int i = 0; list[i]; i++) {
    size_t n = strlen(out);
    snprintf(out + n, outlen - n, "%s%s", i ? ", " : "", list[i]);
  }
}

/* A short, printable rendering of a bad value for messages. */
static void show(const json_value *v, char *out, size_t outlen) {
  if (v->type == JSON_STRING) {
    size_t n = v->u.str.len > 40 ? 40 : v->u.str.len;
    char tmp[48];
    for (size_t i = 0; i < n; i++) {
      unsigned char ch = (unsigned char)v->u.str.s[i];
      tmp[i] = ch >= 32 && ch < 127 && ch != '"' ? (char)ch : '?';
    }
    tmp[n] = '\0';
    snprintf(out, outlen, "\"%s\"%s", tmp, v->u.str.len > 40 ? "..." : "");
  } else if (v->type == JSON_NUMBER) {
    snprintf(out, outlen, "%.17g", v->u.num.d);
  } else if (v->type == JSON_BOOL) {
    snprintf(out, outlen, "%s", v->u.boolean ? "true" : "false");
  } else {
    snprintf(out, outlen, "a %s", type_name(v));
  }
}

static bool one_of(const json_value *inputs, const char *field, const char *const *allowed,
                   const char *extra, fashn_input_error *e, const char **out) {
  const json_value *v = json_get(inputs, field);
  if (!v) return true;
  char list[256], got[64];
  join(list, sizeof list, allowed);
  show(v, got, sizeof got);
  if (v->type != JSON_STRING || strlen(v->u.str.s) != v->u.str.len)
    return fail(e, field, "must be one of %s%s, got %s", list, extra, got);
  for (int i = 0; allowed[i]; i++) {
    if (strcmp(v->u.str.s, allowed[i]) == 0) {
      if (out) *out = allowed[i];
      return true;
    }
  }
  return fail(e, field, "must be one of %s%s, got %s", list, extra, got);
}

static bool integer_in(const json_value *inputs, const char *field, int64_t lo, int64_t hi,
                       int64_t *out, fashn_input_error *e) {
  const json_value *v = json_get(inputs, field);
  if (!v) return true;
  char got[64];
  show(v, got, sizeof got);
  int64_t n;
  if (v->type != JSON_NUMBER || !json_int(v, &n) || n < lo || n > hi)
    return fail(e, field, "must be an integer from %lld to %lld, got %s", (long long)lo,
                (long long)hi, got);
  if (out) *out = n;
  return true;
}

fashn_ref_kind fashn_ref_classify(const char *s, size_t len) {
  if (!s || !len || strlen(s) != len) return REF_INVALID;
  if (len >= 5 && strncasecmp(s, "data:", 5) == 0) return REF_DATA_URI;
  if ((len > 8 && strncasecmp(s, "https://", 8) == 0) || (len > 7 && strncasecmp(s, "http://", 7) == 0))
    return REF_URL;
  return REF_PATH;
}

/* A reference that is about to be sent: a URL or a well-formed data: URI of an image. */
static bool reference(const json_value *inputs, const char *field, fashn_input_error *e, bool *present) {
  const json_value *v = json_get(inputs, field);
  *present = v && v->type != JSON_NULL;
  if (!*present) return true;
  if (v->type != JSON_STRING)
    return fail(e, field, "must be a URL, a data: URI or a local file path, got a %s", type_name(v));
  const char *s = v->u.str.s;
  size_t len = v->u.str.len;
  switch (fashn_ref_classify(s, len)) {
    case REF_URL:
      if (len > FASHN_MAX_URL)
        return fail(e, field, "the URL is %zu bytes long; at most %d are allowed", len, FASHN_MAX_URL);
      for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 32 || s[i] == 127)
          return fail(e, field, "the URL contains a space or a control character");
      return true;
    case REF_DATA_URI: {
      if (len > FASHN_MAX_REFERENCE)
        return fail(e, field,
                    "the data: URI is %zu bytes; at most %u are sent (oversized bodies make the "
                    "API fail): pass a file path so it is resized, or shrink the image",
                    len, FASHN_MAX_REFERENCE);
      const char *comma = memchr(s, ',', len);
      if (strncasecmp(s, "data:image/", 11) != 0 || !comma || comma - s < 18 ||
          strncasecmp(comma - 7, ";base64", 7) != 0)
        return fail(e, field, "a data: URI must start with data:image/<format>;base64,");
      if (comma + 1 == s + len) return fail(e, field, "the data: URI carries no image data");
      return true;
    }
    case REF_PATH:
      return fail(e, field, "local file paths must be read before the inputs are checked");
    default:
      return fail(e, field, "must be a non-empty URL, data: URI or file path");
  }
}

/* Whether v is given: present and not null (null means "not given", as in the journal). */
static bool given(const json_value *v) { return v && v->type != JSON_NULL; }

/* A text field: a string without NUL bytes, bounded; required text holds more than blanks. */
static bool text_field(const json_value *v, const fashn_field *f, fashn_input_error *e) {
  if (v->type != JSON_STRING)
    return fail(e, f->name, "must be %sa string, got a %s", f->flags & FIELD_REQUIRED ? "a non-empty " : "",
                type_name(v));
  if (v->u.str.len > FASHN_MAX_PROMPT)
    return fail(e, f->name, "is %zu bytes long; at most %d are allowed", v->u.str.len, FASHN_MAX_PROMPT);
  if (strlen(v->u.str.s) != v->u.str.len) return fail(e, f->name, "must not contain NUL bytes");
  if (f->flags & FIELD_REQUIRED) {
    size_t i = 0;
    while (i < v->u.str.len && strchr(" \t\r\n", v->u.str.s[i])) i++;
    if (i == v->u.str.len) return fail(e, f->name, "must be a non-empty string, got \"%s\"", v->u.str.s);
  }
  return true;
}

/* One field's value against its description. */
static bool check_field(const json_value *in, const fashn_field *f, fashn_input_error *e) {
  const json_value *v = json_get(in, f->name);
  if (!given(v)) {
    if (f->flags & FIELD_REQUIRED)
      return fail(e, f->name, "is required (%s)", f->type == FIELD_TEXT ? "a non-empty string" : "an image");
    return true;
  }
  bool present;
  switch (f->type) {
    case FIELD_TEXT: return text_field(v, f, e);
    case FIELD_ENUM: return one_of(in, f->name, f->values, "", e, NULL);
    case FIELD_INT: {
      int64_t n = 0;
      if (!integer_in(in, f->name, f->lo, f->hi, &n, e)) return false;
      if (!f->values) return true;
      char text[24], list[128];
      snprintf(text, sizeof text, "%lld", (long long)n);
      for (int i = 0; f->values[i]; i++)
        if (strcmp(f->values[i], text) == 0) return true;
      join(list, sizeof list, f->values);
      return fail(e, f->name, "must be one of %s, got %s", list, text);
    }
    case FIELD_BOOL: {
      bool b;
      if (json_bool(v, &b)) return true;
      char got[64];
      show(v, got, sizeof got);
      return fail(e, f->name, "must be true or false, got %s", got);
    }
    case FIELD_IMAGE:
      if ((f->flags & FIELD_SAVED_OK) && v->type == JSON_STRING && strncmp(v->u.str.s, "saved:", 6) == 0 &&
          v->u.str.len > 6 && v->u.str.len <= 128 && strlen(v->u.str.s) == v->u.str.len)
        return true;
      return reference(in, f->name, e, &present);
    case FIELD_URL:
      if (v->type != JSON_STRING || fashn_ref_classify(v->u.str.s, v->u.str.len) != REF_URL)
        return fail(e, f->name, "must be an http(s) URL");
      return reference(in, f->name, e, &present);
  }
  return true;
}

/* The text value of field name: given, else the model's default (NULL when neither). */
static const char *value_text(const fashn_model *m, const json_value *in, const char *name) {
  const char *s = json_str(json_get(in, name));
  if (s) return s;
  const fashn_field *f = fashn_model_field(m, name);
  return f ? f->default_value : NULL;
}

static bool check_rules(const fashn_model *m, const json_value *in, fashn_input_error *e) {
  for (const fashn_rule *r = m->rules; r && r->field; r++) {
    if (!given(json_get(in, r->field))) continue;
    bool other = given(json_get(in, r->other));
    const char *value = value_text(m, in, r->other);
    bool equal = value && r->value && strcmp(value, r->value) == 0;
    switch (r->kind) {
      case RULE_NEEDS:
        if (!other) return fail(e, r->field, "needs %s, which is not given: %s", r->other, r->why);
        break;
      case RULE_EXCLUDES:
        if (other) return fail(e, r->field, "cannot be given with %s: %s", r->other, r->why);
        break;
      case RULE_ONLY_WITH:
        if (!equal) return fail(e, r->field, "needs %s \"%s\", got \"%s\": %s", r->other, r->value,
                                value ? value : "(none)", r->why);
        break;
      case RULE_NOT_WITH:
        if (equal) return fail(e, r->field, "is not allowed with %s \"%s\": %s", r->other, r->value, r->why);
        break;
    }
  }
  return true;
}

/* Every name must be one of the model's fields, or sit in the passthrough table (and
 * then must not be one). A typo is named, with the field it probably meant. */
static bool check_names(const fashn_model *m, const json_value *in, fashn_input_error *e) {
  for (size_t i = 0; i < in->u.obj.n; i++) {
    const json_member *mb = &in->u.obj.members[i];
    if (strlen(mb->key) != mb->keylen) return fail(e, "", "an input name contains a NUL byte");
    if (strcmp(mb->key, FASHN_PASSTHROUGH) == 0) {
      if (mb->value.type == JSON_NULL) continue;
      if (mb->value.type != JSON_OBJECT)
        return fail(e, FASHN_PASSTHROUGH, "must be a table of input names the API takes and atelier does not "
                                          "know, got a %s", type_name(&mb->value));
      for (size_t k = 0; k < mb->value.u.obj.n; k++) {
        const char *name = mb->value.u.obj.members[k].key;
        if (fashn_model_field(m, name) || strcmp(name, FASHN_PASSTHROUGH) == 0)
          return fail(e, FASHN_PASSTHROUGH, "%s is an input atelier knows: give it directly so it is checked",
                      name);
        if (!*name) return fail(e, FASHN_PASSTHROUGH, "an input name cannot be empty");
      }
      continue;
    }
    if (fashn_model_field(m, mb->key)) continue;
    char shown[64];
    snprintf(shown, sizeof shown, "%.60s", mb->key);
    for (char *p = shown; *p; p++)
      if ((unsigned char)*p < 32 || *p == 127) *p = '?';
    const char *near = fashn_model_closest_field(m, mb->key);
    snprintf(e->field, sizeof e->field, "%s", shown);
    if (near)
      snprintf(e->message, sizeof e->message,
               "%s: not an input of %s; did you mean \"%s\"? (nothing was sent)", shown, m->name, near);
    else
      snprintf(e->message, sizeof e->message,
               "%s: not an input of %s (nothing was sent; to send a field atelier does not know on "
               "purpose, put it in " FASHN_PASSTHROUGH " = { ... })",
               shown, m->name);
    return false;
  }
  return true;
}

bool fashn_inputs_check_model(const fashn_model *m, const json_value *in, fashn_input_facts *f,
                              fashn_input_error *e) {
  memset(f, 0, sizeof *f);
  memset(e, 0, sizeof *e);
  if (!m) return fail(e, "", "unknown model");
  if (m->state != MODEL_ACTIVE)
    return fail(e, "", "the model %s is %s: use %s", m->name, m->state == MODEL_RETIRED ? "retired" : "deprecated",
                m->replacement);
  if (!in || in->type != JSON_OBJECT)
    return fail(e, "", "the inputs must be a table of named fields (prompt = ..., seed = ...)");
  if (!check_names(m, in, e)) return false;
  for (const fashn_field *fd = m->fields; fd->name; fd++)
    if (!check_field(in, fd, e)) return false;
  if (!check_rules(m, in, e)) return false;

  f->model = m;
  f->face = given(json_get(in, "face_reference"));
  int64_t n = 1;
  if (m->count_field && given(json_get(in, m->count_field))) json_int(json_get(in, m->count_field), &n);
  f->num_images = (int)n;
  const char *res = value_text(m, in, "resolution");
  f->resolution_k = fashn_model_resolution_k(m, m->output == MODEL_OUTPUT_VIDEO ? NULL : res);
  if (f->resolution_k < 0) f->resolution_k = 1;
  const json_value *b64 = json_get(in, "return_base64");
  if (given(b64)) json_bool(b64, &f->base64);
  const char *fmt = value_text(m, in, "output_format");
  snprintf(f->output_format, sizeof f->output_format, "%s", m->output == MODEL_OUTPUT_VIDEO ? "mp4" : fmt ? fmt : "png");
  int64_t duration = 0;
  if (given(json_get(in, "duration"))) json_int(json_get(in, "duration"), &duration);
  fashn_price_inputs p = {json_str(json_get(in, "generation_mode")), res, f->face, f->num_images, (int)duration};
  f->credits = fashn_model_credits(m, &p);
  if (f->credits < 0) return fail(e, "", "%s has no published price for these inputs", m->name);
  f->seconds = fashn_model_seconds(m, &p);
  return true;
}

bool fashn_inputs_check(const json_value *in, fashn_input_facts *f, fashn_input_error *e) {
  return fashn_inputs_check_model(fashn_model_find(FASHN_DEFAULT_MODEL), in, f, e);
}

bool fashn_inputs_write_body(const fashn_model *m, const json_value *in, buf *out) {
  json_writer w;
  jw_init(&w, out);
  jw_object_begin(&w);
  jw_key(&w, "model_name");
  jw_string(&w, m->name);
  jw_key(&w, "inputs");
  jw_object_begin(&w);
  for (size_t i = 0; in && in->type == JSON_OBJECT && i < in->u.obj.n; i++) {
    const json_member *mb = &in->u.obj.members[i];
    bool passthrough = strcmp(mb->key, FASHN_PASSTHROUGH) == 0;
    if (passthrough && mb->value.type == JSON_OBJECT) { /* its fields go in as they are */
      for (size_t k = 0; k < mb->value.u.obj.n; k++) {
        jw_key_len(&w, mb->value.u.obj.members[k].key, mb->value.u.obj.members[k].keylen);
        jw_value(&w, &mb->value.u.obj.members[k].value);
      }
    } else if (!passthrough) {
      jw_key_len(&w, mb->key, mb->keylen);
      jw_value(&w, &mb->value);
    }
  }
  jw_object_end(&w);
  jw_object_end(&w);
  return !out->oom;
}

bool fashn_inputs_check_size(const json_value *inputs, size_t json_len, fashn_input_error *e) {
  size_t body = json_len + FASHN_BODY_OVERHEAD;
  if (body <= FASHN_MAX_BODY) return true;
  /* Name the large inputs (almost always images sent as data: URIs), the largest first
   * as the field at fault. */
  const char *largest = "";
  size_t most = 0;
  char sizes[200] = "";
  for (size_t i = 0; inputs && inputs->type == JSON_OBJECT && i < inputs->u.obj.n; i++) {
    const json_member *m = &inputs->u.obj.members[i];
    if (m->value.type != JSON_STRING || m->value.u.str.len < 1024) continue;
    if (m->value.u.str.len > most) most = m->value.u.str.len, largest = m->key;
    size_t n = strlen(sizes);
    snprintf(sizes + n, sizeof sizes - n, "%s%.40s %zu", n ? ", " : "", m->key, m->value.u.str.len);
  }
  return fail(e, largest,
              "the request would be %zu bytes (%s); at most %u are sent (oversized bodies make the "
              "API fail): pass file paths so they are resized, or shrink the images",
              body, *sizes ? sizes : "no single large input", FASHN_MAX_BODY);
}

bool fashn_inputs_check_json(const char *json, size_t len, fashn_input_facts *f, fashn_input_error *e) {
  return fashn_inputs_check_json_model(fashn_model_find(FASHN_DEFAULT_MODEL), json, len, f, e);
}

bool fashn_inputs_check_json_model(const fashn_model *model, const char *json, size_t len, fashn_input_facts *f,
                                   fashn_input_error *e) {
  char perr[160];
  json_doc *d = json_parse(json, len, 16, perr, sizeof perr);
  if (!d) {
    memset(f, 0, sizeof *f);
    return fail(e, "", "the inputs are not valid JSON: %s", perr);
  }
  bool ok = fashn_inputs_check_model(model, json_root(d), f, e) && fashn_inputs_check_size(json_root(d), len, e);
  json_doc_free(d);
  return ok;
}
