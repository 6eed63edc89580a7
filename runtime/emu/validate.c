/* validate.c — the Model Create input rules of runtime/api/API.md: a POST /v1/run body
 * becomes an emu_inputs or a BadRequest message naming the field that was wrong. Unknown
 * inputs are accepted and ignored: the contract does not say the service refuses them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../api/fashn_models.h"
#include "../base/json.h"
#include "emu_internal.h"

static const struct {
  const char *name;
  int w, h;
} ASPECTS[EMU_ASPECT_COUNT] = {
    {"21:9", 1568, 672}, {"16:9", 1360, 768}, {"9:16", 760, 1360}, {"4:3", 1176, 880},
    {"3:4", 880, 1176},  {"3:2", 1176, 784},  {"2:3", 832, 1248},  {"4:5", 912, 1144},
    {"5:4", 1144, 912},  {"1:1", 1024, 1024},
};

bool emu_aspect(int i, const char **name, int *w1k, int *h1k) {
  if (i < 0 || i >= EMU_ASPECT_COUNT) return false;
  if (name) *name = ASPECTS[i].name;
  if (w1k) *w1k = ASPECTS[i].w;
  if (h1k) *h1k = ASPECTS[i].h;
  return true;
}

static int aspect_index(const char *s) {
  for (int i = 0; i < EMU_ASPECT_COUNT; i++)
    if (!strcmp(s, ASPECTS[i].name)) return i;
  return -1;
}

static int res_factor(const char *s) {
  if (!strcmp(s, "1k")) return 1;
  if (!strcmp(s, "2k")) return 2;
  if (!strcmp(s, "4k")) return 4;
  return 0;
}

bool emu_output_size(const char *aspect, const char *resolution, int *w, int *h) {
  int i = aspect ? aspect_index(aspect) : -1, f = resolution ? res_factor(resolution) : 0;
  if (i < 0 || !f) return false;
  *w = ASPECTS[i].w * f;
  *h = ASPECTS[i].h * f;
  return true;
}

void emu_inputs_free(emu_inputs *in) {
  free(in->prompt);
  free(in->face_ref);
  free(in->image_ref);
  memset(in, 0, sizeof *in);
}

/* What the API charges: the shared price table of runtime/api/fashn_models.h. */
int emu_credit_cost(const emu_inputs *in) {
  static const char *const res_names[] = {NULL, "1k", "2k", NULL, "4k"};
  fashn_price_inputs p = {in->generation_mode, in->res >= 1 && in->res <= 4 ? res_names[in->res] : NULL,
                          in->face_ref != NULL, in->num_images, 0};
  int cost = fashn_model_credits(fashn_model_find(FASHN_DEFAULT_MODEL), &p);
  return cost < 0 ? in->num_images : cost;
}

/* A string member, or NULL when absent/null; false (with msg) when of another type. */
static bool opt_string(const json_value *inputs, const char *key, const json_value **out, char *msg,
                       size_t msglen) {
  const json_value *v = json_get(inputs, key);
  *out = NULL;
  if (json_is_null(v)) return true;
  if (v->type != JSON_STRING) {
    snprintf(msg, msglen, "inputs.%s must be a string", key);
    return false;
  }
  *out = v;
  return true;
}

/* An integral number in [lo, hi] (42 and 42.0 alike), or absent/null (*given false). */
static bool opt_integer(const json_value *inputs, const char *key, double lo, double hi, int64_t *out,
                        bool *given, char *msg, size_t msglen) {
  const json_value *v = json_get(inputs, key);
  *given = false;
  if (json_is_null(v)) return true;
  double d;
  if (!json_num(v, &d) || d != floor(d) || d < lo || d > hi) {
    snprintf(msg, msglen, "inputs.%s must be an integer from %.0f to %.0f", key, lo, hi);
    return false;
  }
  *out = v->u.num.is_int ? v->u.num.i : (int64_t)d;
  *given = true;
  return true;
}

/* One of `choices` (NULL-terminated); returns its index, or -1 when absent. */
static bool opt_choice(const json_value *inputs, const char *key, const char *const *choices, int *out,
                       char *msg, size_t msglen) {
  const json_value *v;
  *out = -1;
  if (!opt_string(inputs, key, &v, msg, msglen)) return false;
  if (!v) return true;
  for (int i = 0; choices[i]; i++)
    if (strlen(choices[i]) == v->u.str.len && !memcmp(choices[i], v->u.str.s, v->u.str.len)) {
      *out = i;
      return true;
    }
  buf list = BUF_INIT;
  for (int i = 0; choices[i]; i++) buf_printf(&list, "%s%s", i ? ", " : "", choices[i]);
  snprintf(msg, msglen, "inputs.%s must be one of %s", key, list.data ? list.data : "");
  buf_free(&list);
  return false;
}

/* An input image: an http(s) URL or data:image/<format>;base64,... Copied to *out. */
static bool opt_image(const json_value *inputs, const char *key, char **out, size_t *outlen, char *msg,
                      size_t msglen) {
  const json_value *v;
  *out = NULL;
  *outlen = 0;
  if (!opt_string(inputs, key, &v, msg, msglen)) return false;
  if (!v) return true;
  const char *s = v->u.str.s;
  size_t n = v->u.str.len;
  if (memchr(s, '\0', n)) {
    snprintf(msg, msglen, "inputs.%s must not contain NUL characters", key);
    return false;
  }
  bool url = (n > 7 && !strncasecmp(s, "http://", 7)) || (n > 8 && !strncasecmp(s, "https://", 8));
  bool data = n > 11 && !strncmp(s, "data:image/", 11);
  if (data) {
    const char *marker = strstr(s, ";base64,");
    const char *fmt = s + 11;
    if (!marker || marker == fmt || memchr(fmt, ',', (size_t)(marker - fmt))) data = false;
  }
  if (!url && !data) {
    snprintf(msg, msglen,
             "inputs.%s must be an image URL (http/https) or a data URI starting with "
             "data:image/<format>;base64,",
             key);
    return false;
  }
  *out = malloc(n + 1);
  if (!*out) {
    snprintf(msg, msglen, "out of memory");
    return false;
  }
  memcpy(*out, s, n + 1);
  *outlen = n;
  return true;
}

static bool parse_inputs(const json_value *inputs, emu_inputs *in, char *msg, size_t msglen) {
  const json_value *v;
  if (!opt_string(inputs, "prompt", &v, msg, msglen)) return false;
  if (!v || v->u.str.len == 0) {
    snprintf(msg, msglen, "inputs.prompt is required and must be a non-empty string");
    return false;
  }
  in->prompt = malloc(v->u.str.len + 1);
  if (!in->prompt) return snprintf(msg, msglen, "out of memory"), false;
  memcpy(in->prompt, v->u.str.s, v->u.str.len + 1);
  in->prompt_len = v->u.str.len;

  static const char *const aspects[] = {"21:9", "16:9", "9:16", "4:3", "3:4", "3:2",
                                        "2:3",  "4:5",  "5:4",  "1:1", NULL};
  static const char *const resolutions[] = {"1k", "2k", "4k", NULL};
  static const char *const formats[] = {"png", "jpeg", NULL};
  static const char *const modes[] = {"match_base", "match_reference", NULL};
  int choice;
  if (!opt_choice(inputs, "aspect_ratio", aspects, &in->aspect, msg, msglen)) return false;
  if (in->aspect >= 0) in->aspect = aspect_index(aspects[in->aspect]);
  if (!opt_choice(inputs, "resolution", resolutions, &choice, msg, msglen)) return false;
  in->res = choice < 0 ? 1 : res_factor(resolutions[choice]);
  if (!opt_choice(inputs, "output_format", formats, &choice, msg, msglen)) return false;
  in->jpeg = choice == 1;
  if (!opt_choice(inputs, "face_reference_mode", modes, &choice, msg, msglen)) return false;
  in->match_base = choice == 0;
  static const char *const generation_modes[] = {"fast", "balanced", "quality", NULL};
  if (!opt_choice(inputs, "generation_mode", generation_modes, &choice, msg, msglen)) return false;
  in->generation_mode = choice < 0 ? NULL : generation_modes[choice];

  int64_t n;
  bool given;
  if (!opt_integer(inputs, "seed", 0, 4294967295.0, &n, &given, msg, msglen)) return false;
  in->seed = given ? (uint32_t)n : 42;
  if (!opt_integer(inputs, "num_images", 1, EMU_MAX_IMAGES, &n, &given, msg, msglen)) return false;
  in->num_images = given ? (int)n : 1;

  v = json_get(inputs, "return_base64");
  if (!json_is_null(v) && !json_bool(v, &in->base64)) {
    snprintf(msg, msglen, "inputs.return_base64 must be a boolean");
    return false;
  }
  if (!opt_image(inputs, "image_reference", &in->image_ref, &in->image_ref_len, msg, msglen)) return false;
  if (!opt_image(inputs, "face_reference", &in->face_ref, &in->face_ref_len, msg, msglen)) return false;
  if (in->face_ref && in->res > 2) {
    snprintf(msg, msglen, "inputs.face_reference is only supported with resolution 1k or 2k (the output is capped at 2k)");
    return false;
  }
  return true;
}

bool emu_parse_run(const char *body, size_t len, emu_inputs *out, char *msg, size_t msglen) {
  memset(out, 0, sizeof *out);
  char jerr[160];
  /* The API's bodies are two levels deep; 32 leaves room for pass-through inputs. */
  json_doc *doc = json_parse(body, len, 32, jerr, sizeof jerr);
  if (!doc) {
    snprintf(msg, msglen, "malformed JSON body: %s", jerr);
    return false;
  }
  const json_value *root = json_root(doc);
  bool ok = false;
  if (root->type != JSON_OBJECT) {
    snprintf(msg, msglen, "the body must be a JSON object");
    goto done;
  }
  const char *model = json_str(json_get(root, "model_name"));
  if (!model) {
    snprintf(msg, msglen, "model_name is required and must be a string");
    goto done;
  }
  if (strcmp(model, "model-create") != 0) {
    snprintf(msg, msglen, "unknown model_name '%.60s' (this server knows model-create)", model);
    goto done;
  }
  const json_value *inputs = json_get(root, "inputs");
  if (!inputs || inputs->type != JSON_OBJECT) {
    snprintf(msg, msglen, "inputs is required and must be an object");
    goto done;
  }
  ok = parse_inputs(inputs, out, msg, msglen);
done:
  json_doc_free(doc);
  if (!ok) emu_inputs_free(out);
  return ok;
}
