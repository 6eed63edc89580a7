/* fashn_inputs.c — the Model Create input rules (see fashn_inputs.h). */
#include "fashn_inputs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const resolutions[] = {"1k", "4k", "2k", NULL};
static const char *const face_modes[] = {"match_base", "match_reference", NULL};
static const char *const formats[] = {"png", "jpeg", NULL};

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

bool fashn_inputs_check(const json_value *in, fashn_input_facts *f, fashn_input_error *e) {
  memset(f, 0, sizeof *f);
  memset(e, 0, sizeof *e);
  if (!in || in->type != JSON_OBJECT)
    return fail(e, "", "the inputs must be a table of named fields (prompt = ..., seed = ...)");

  const json_value *prompt = json_get(in, "prompt");
  if (!prompt || prompt->type == JSON_NULL) return fail(e, "prompt", "is required (a non-empty string)");
  if (prompt->type != JSON_STRING)
    return fail(e, "prompt", "must be a non-empty string, got a %s", type_name(prompt));
  size_t i = 0;
  while (i < prompt->u.str.len && strchr(" \t\r\n", prompt->u.str.s[i])) i++;
  if (i == prompt->u.str.len) return fail(e, "prompt", "must be a non-empty string, got \"%s\"", prompt->u.str.s);
  if (prompt->u.str.len > FASHN_MAX_PROMPT)
    return fail(e, "prompt", "is %zu bytes long; at most %d are allowed", prompt->u.str.len, FASHN_MAX_PROMPT);
  if (strlen(prompt->u.str.s) != prompt->u.str.len) return fail(e, "prompt", "must not contain NUL bytes");

  if (!one_of(in, "aspect_ratio", fashn_aspect_ratios, "", e, NULL)) return false;
  const char *res = "1k";
  if (!one_of(in, "resolution", resolutions, " (2k on newer API revisions)", e, &res)) return false;
  f->resolution_k = res[0] - '0';

  bool face = false, imgref = false;
  if (!reference(in, "face_reference", e, &face)) return false;
  if (!reference(in, "image_reference", e, &imgref)) return false;
  f->face = face;
  if (face && f->resolution_k != 1)
    return fail(e, "face_reference", "is only allowed with resolution \"1k\", got \"%s\"", res);
  if (!one_of(in, "face_reference_mode", face_modes, "", e, NULL)) return false;
  const json_value *mode = json_get(in, "face_reference_mode");
  if (mode && mode->type != JSON_NULL && !face)
    return fail(e, "face_reference_mode", "is only meaningful with face_reference, which is not given");

  if (!integer_in(in, "seed", 0, 4294967295LL, NULL, e)) return false;
  int64_t n = 1;
  if (!integer_in(in, "num_images", 1, 4, &n, e)) return false;
  f->num_images = (int)n;

  const char *fmt = "png";
  if (!one_of(in, "output_format", formats, "", e, &fmt)) return false;
  snprintf(f->output_format, sizeof f->output_format, "%s", fmt);

  const json_value *b64 = json_get(in, "return_base64");
  if (b64 && !json_bool(b64, &f->base64)) {
    char got[64];
    show(b64, got, sizeof got);
    return fail(e, "return_base64", "must be true or false, got %s", got);
  }
  f->credits = f->num_images * (face ? 4 : 1);
  return true;
}

bool fashn_inputs_check_size(const json_value *inputs, size_t json_len, fashn_input_error *e) {
  size_t body = json_len + FASHN_BODY_OVERHEAD;
  if (body <= FASHN_MAX_BODY) return true;
  const json_value *face = json_get(inputs, "face_reference"), *ref = json_get(inputs, "image_reference");
  size_t fl = json_str(face) ? face->u.str.len : 0, rl = json_str(ref) ? ref->u.str.len : 0;
  return fail(e, fl >= rl ? (fl ? "face_reference" : "") : "image_reference",
              "the request would be %zu bytes (face_reference %zu, image_reference %zu); at most %u are "
              "sent (oversized bodies make the API fail): pass file paths so they are resized, or shrink "
              "the images",
              body, fl, rl, FASHN_MAX_BODY);
}

bool fashn_inputs_check_json(const char *json, size_t len, fashn_input_facts *f, fashn_input_error *e) {
  char perr[160];
  json_doc *d = json_parse(json, len, 16, perr, sizeof perr);
  if (!d) {
    memset(f, 0, sizeof *f);
    return fail(e, "", "the inputs are not valid JSON: %s", perr);
  }
  bool ok = fashn_inputs_check(json_root(d), f, e) && fashn_inputs_check_size(json_root(d), len, e);
  json_doc_free(d);
  return ok;
}
