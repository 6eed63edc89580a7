/* validate.c — a POST /v1/run body checked as the service checks it: the model by its
 * name, its inputs against the model's description (runtime/api/fashn_models.h, through
 * fashn_inputs_check_model), becoming an emu_inputs or a BadRequest message naming the
 * field that was wrong. As a server it is more lenient than atelier's client, which
 * checks the same descriptions before sending: unknown inputs are accepted and ignored
 * (the contract does not say the service refuses them), a field that only means
 * something with another (face_reference_mode without face_reference) is ignored rather
 * than refused, and the deprecated background-change still runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../api/fashn_inputs.h"
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
  for (int i = 0; i < in->nimages; i++) free(in->images[i].ref);
  memset(in, 0, sizeof *in);
}

const emu_image_input *emu_input_image(const emu_inputs *in, const char *field) {
  for (int i = 0; i < in->nimages; i++)
    if (!strcmp(in->images[i].field, field)) return &in->images[i];
  return NULL;
}

void emu_output_type(const emu_inputs *in, const char **mime, const char **ext) {
  if (in->video) *mime = "video/mp4", *ext = "mp4";
  else if (in->jpeg) *mime = "image/jpeg", *ext = "jpg";
  else *mime = "image/png", *ext = "png";
}

/* What the API charges: computed from the model's price rule when the inputs were read. */
int emu_credit_cost(const emu_inputs *in) { return in->credits > 0 ? in->credits : in->num_images; }

/* An image input's form: an http(s) URL, data:image/<format>;base64,..., or (fields that
 * take one) "saved:<name>". Checked here, before the shared checker, so the message
 * speaks to a server's caller (the client's version talks about local files). */
static bool image_form(const json_value *v, const fashn_field *f, char *msg, size_t msglen) {
  if (json_is_null(v)) return true;
  if (v->type != JSON_STRING) {
    snprintf(msg, msglen, "inputs.%s must be a string (an image URL or a data URI)", f->name);
    return false;
  }
  const char *s = v->u.str.s;
  size_t n = v->u.str.len;
  if (memchr(s, '\0', n)) {
    snprintf(msg, msglen, "inputs.%s must not contain NUL characters", f->name);
    return false;
  }
  if ((f->flags & FIELD_SAVED_OK) && n > 6 && !strncmp(s, "saved:", 6)) return true;
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
             "data:image/<format>;base64,%s",
             f->name, (f->flags & FIELD_SAVED_OK) ? " (or saved:<name>)" : "");
    return false;
  }
  return true;
}

/* The model names this server runs, for the unknown-name message. */
static void known_models(char *out, size_t outlen) {
  size_t o = 0;
  out[0] = '\0';
  for (int i = 0; fashn_models[i] && o + 2 < outlen; i++) {
    if (fashn_models[i]->state == MODEL_RETIRED) continue;
    int n = snprintf(out + o, outlen - o, "%s%s", o ? ", " : "", fashn_models[i]->name);
    if (n < 0) break;
    o += (size_t)n;
  }
}

/* One static copy of each generation mode, so inputs can point at it after the JSON is freed. */
static const char *static_mode(const char *s) {
  static const char *const modes[] = {"fast", "balanced", "quality", NULL};
  for (int i = 0; s && modes[i]; i++)
    if (!strcmp(s, modes[i])) return modes[i];
  return NULL;
}

#define MAX_FIELDS 64
#define MAX_RULES 16

static bool check_inputs(const fashn_model *m, const json_value *inputs, emu_inputs *in, char *msg,
                         size_t msglen) {
  /* The inputs this model knows; the rest is ignored. SDK 0.11.1 calls reframe's ratio
   * target_aspect_ratio (with mode "aspect_ratio"): taken as aspect_ratio when that is
   * not given. */
  json_member kept[MAX_FIELDS];
  size_t nkept = 0;
  bool reframe = !strcmp(m->name, "reframe");
  for (size_t i = 0; i < inputs->u.obj.n && nkept < MAX_FIELDS; i++) {
    const json_member *mb = &inputs->u.obj.members[i];
    if (strlen(mb->key) != mb->keylen) continue;
    if (fashn_model_field(m, mb->key)) {
      kept[nkept++] = *mb;
    } else if (reframe && !strcmp(mb->key, "target_aspect_ratio") && !json_get(inputs, "aspect_ratio")) {
      kept[nkept] = *mb;
      kept[nkept].key = "aspect_ratio";
      kept[nkept++].keylen = strlen("aspect_ratio");
    }
  }
  json_value known = {.type = JSON_OBJECT};
  known.u.obj.members = kept;
  known.u.obj.n = nkept;

  for (const fashn_field *f = m->fields; f->name; f++)
    if (f->type == FIELD_IMAGE && !image_form(json_get(&known, f->name), f, msg, msglen)) return false;

  /* The description as a server applies it: active (background-change is deprecated but
   * runs), and without the rules that only refuse a field that would be ignored. */
  fashn_rule rules[MAX_RULES + 1];
  size_t nrules = 0;
  for (const fashn_rule *r = m->rules; r && r->field && nrules < MAX_RULES; r++)
    if (r->kind != RULE_NEEDS) rules[nrules++] = *r;
  memset(&rules[nrules], 0, sizeof rules[nrules]);
  fashn_model served = *m;
  served.state = MODEL_ACTIVE;
  served.rules = rules;

  fashn_input_facts facts;
  fashn_input_error ierr;
  if (!fashn_inputs_check_model(&served, &known, &facts, &ierr)) {
    snprintf(msg, msglen, "%s%s", ierr.field[0] ? "inputs." : "", ierr.message);
    return false;
  }

  in->model = m;
  const json_value *v = json_get(&known, "prompt");
  if (v && v->type == JSON_STRING) {
    if (!(in->prompt = malloc(v->u.str.len + 1))) return snprintf(msg, msglen, "out of memory"), false;
    memcpy(in->prompt, v->u.str.s, v->u.str.len + 1);
    in->prompt_len = v->u.str.len;
  }
  const char *aspect = json_str(json_get(&known, "aspect_ratio"));
  in->aspect = aspect ? aspect_index(aspect) : -1;
  in->video = m->output == MODEL_OUTPUT_VIDEO;
  in->res = facts.resolution_k >= 1 ? facts.resolution_k : 1;
  in->num_images = in->video ? 1 : facts.num_images >= 1 ? facts.num_images : 1;
  in->jpeg = !strcmp(facts.output_format, "jpeg");
  in->base64 = facts.base64;
  in->face = facts.face;
  const char *mode = json_str(json_get(&known, "face_reference_mode"));
  in->match_base = mode && !strcmp(mode, "match_base");
  in->generation_mode = static_mode(json_str(json_get(&known, "generation_mode")));
  int64_t n;
  in->seed = json_int(json_get(&known, "seed"), &n) ? (uint32_t)n : 42;
  in->duration = json_int(json_get(&known, "duration"), &n) ? (int)n : 5;
  in->credits = facts.credits;
  in->seconds = facts.seconds;
  for (const fashn_field *f = m->fields; f->name && in->nimages < EMU_MAX_INPUT_IMAGES; f++) {
    if (f->type != FIELD_IMAGE) continue;
    v = json_get(&known, f->name);
    if (json_is_null(v)) continue;
    emu_image_input *im = &in->images[in->nimages];
    if (!(im->ref = malloc(v->u.str.len + 1))) return snprintf(msg, msglen, "out of memory"), false;
    memcpy(im->ref, v->u.str.s, v->u.str.len + 1);
    im->len = v->u.str.len;
    im->field = f->name;
    in->nimages++;
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
  const char *name = json_str(json_get(root, "model_name"));
  if (!name) {
    snprintf(msg, msglen, "model_name is required and must be a string");
    goto done;
  }
  const fashn_model *m = fashn_model_find(name);
  if (!m) {
    char list[300];
    known_models(list, sizeof list);
    snprintf(msg, msglen, "unknown model_name '%.60s' (this server knows %s)", name, list);
    goto done;
  }
  if (m->state == MODEL_RETIRED) {
    snprintf(msg, msglen, "model_name '%s' is retired: use %s", m->name, m->replacement);
    goto done;
  }
  const json_value *inputs = json_get(root, "inputs");
  if (!inputs || inputs->type != JSON_OBJECT) {
    snprintf(msg, msglen, "inputs is required and must be an object");
    goto done;
  }
  ok = check_inputs(m, inputs, out, msg, msglen);
done:
  json_doc_free(doc);
  if (!ok) emu_inputs_free(out);
  return ok;
}
