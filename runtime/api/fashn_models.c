/* fashn_models.c — the descriptions of every FASHN model (see fashn_models.h) and the
 * look-ups, typo suggestions and price rules that read them. */
#include "fashn_models.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *const fashn_aspect_ratios[] = {"21:9", "16:9", "9:16", "4:3", "3:4", "3:2",
                                           "2:3",  "4:5",  "5:4",  "1:1", NULL};
static const char *const vertical_ratios[] = {"1:1", "4:5", "3:4", "2:3", "9:16", NULL};
static const char *const resolutions[] = {"1k", "2k", "4k", NULL};
static const char *const modes[] = {"fast", "balanced", "quality", NULL};
static const char *const slow_modes[] = {"balanced", "quality", NULL};
static const char *const face_modes[] = {"match_base", "match_reference", NULL};
static const char *const formats[] = {"png", "jpeg", NULL};
static const char *const reference_types[] = {"pose", "silhouette", NULL};
static const char *const categories[] = {"auto", "tops", "bottoms", "one-pieces", NULL};
static const char *const moderation_levels[] = {"conservative", "permissive", "none", NULL};
static const char *const garment_photo_types[] = {"auto", "flat-lay", "model", NULL};
static const char *const tryon_modes[] = {"performance", "balanced", "quality", NULL};
static const char *const video_resolutions[] = {"480p", "720p", "1080p", NULL};
static const char *const durations[] = {"5", "10", NULL}; /* seconds, sent as a number */

/* Field builders, so each model below reads as a list of its inputs. */
#define TEXT(n, fl) {n, FIELD_TEXT, fl, NULL, 0, 0, NULL}
#define ENUM(n, v, d, fl) {n, FIELD_ENUM, fl, v, 0, 0, d}
#define INT(n, lo, hi, d, fl) {n, FIELD_INT, fl, NULL, lo, hi, d}
#define BOOL(n, d, fl) {n, FIELD_BOOL, fl, NULL, 0, 0, d}
#define IMAGE(n, fl) {n, FIELD_IMAGE, fl, NULL, 0, 0, NULL}
#define URL(n, fl) {n, FIELD_URL, fl, NULL, 0, 0, NULL}
#define END {NULL, FIELD_TEXT, 0, NULL, 0, 0, NULL}
#define REQ FIELD_REQUIRED
#define SEED INT("seed", 0, 4294967295LL, "42", 0)
#define NUM_IMAGES INT("num_images", 1, 4, "1", 0)
#define OUTPUT_FORMAT(d) ENUM("output_format", formats, d, 0)
#define RETURN_BASE64 BOOL("return_base64", "false", 0)
#define RESOLUTION(fl) ENUM("resolution", resolutions, "1k", fl)
#define GENERATION_MODE ENUM("generation_mode", modes, NULL, 0)
#define ASPECT(fl) ENUM("aspect_ratio", fashn_aspect_ratios, NULL, fl)

static const fashn_field model_create_fields[] = {
    TEXT("prompt", REQ), IMAGE("image_reference", 0), ENUM("aspect_ratio", fashn_aspect_ratios, "1:1", 0),
    IMAGE("face_reference", 0), ENUM("face_reference_mode", face_modes, "match_reference", 0),
    RESOLUTION(0), GENERATION_MODE, SEED, NUM_IMAGES, OUTPUT_FORMAT("png"), RETURN_BASE64,
    ENUM("reference_type", reference_types, NULL, FIELD_LEGACY),
    BOOL("disable_prompt_enhancement", "false", FIELD_LEGACY), URL("lora_url", FIELD_LEGACY), END};

static const fashn_field tryon_max_fields[] = {
    IMAGE("product_image", REQ), IMAGE("model_image", REQ), TEXT("prompt", 0), RESOLUTION(0),
    ENUM("generation_mode", slow_modes, NULL, 0), ASPECT(FIELD_UNSURE), SEED, NUM_IMAGES,
    OUTPUT_FORMAT("png"), RETURN_BASE64, END};

static const fashn_field tryon_v16_fields[] = {
    IMAGE("model_image", REQ | FIELD_SAVED_OK), IMAGE("garment_image", REQ),
    ENUM("category", categories, "auto", 0), BOOL("segmentation_free", "true", 0),
    ENUM("moderation_level", moderation_levels, "permissive", 0),
    ENUM("garment_photo_type", garment_photo_types, "auto", 0), ENUM("mode", tryon_modes, "balanced", 0),
    INT("num_samples", 1, 4, "1", 0), SEED, OUTPUT_FORMAT("png"), RETURN_BASE64, END};

static const fashn_field product_to_model_fields[] = {
    IMAGE("product_image", REQ), IMAGE("image_prompt", 0), IMAGE("face_reference", 0),
    ENUM("face_reference_mode", face_modes, "match_reference", 0), IMAGE("background_reference", 0),
    TEXT("prompt", 0), ASPECT(0), RESOLUTION(0), GENERATION_MODE, IMAGE("model_image", FIELD_DEPRECATED),
    SEED, NUM_IMAGES, OUTPUT_FORMAT("png"), RETURN_BASE64, END};

static const fashn_field face_to_model_fields[] = {
    IMAGE("face_image", REQ), TEXT("prompt", 0), ENUM("aspect_ratio", vertical_ratios, "2:3", 0),
    RESOLUTION(0), GENERATION_MODE, SEED, NUM_IMAGES, OUTPUT_FORMAT("jpeg"), RETURN_BASE64, END};

static const fashn_field model_swap_fields[] = {
    IMAGE("model_image", REQ), TEXT("prompt", 0), IMAGE("face_reference", 0),
    ENUM("face_reference_mode", face_modes, "match_reference", 0), ASPECT(FIELD_UNSURE), RESOLUTION(0),
    GENERATION_MODE, SEED, NUM_IMAGES, OUTPUT_FORMAT("png"), RETURN_BASE64, END};

static const fashn_field edit_fields[] = {
    IMAGE("image", REQ), TEXT("prompt", REQ), IMAGE("mask", 0), IMAGE("image_context", 0),
    ASPECT(FIELD_UNSURE), RESOLUTION(0), GENERATION_MODE, SEED, NUM_IMAGES, OUTPUT_FORMAT("png"),
    RETURN_BASE64, END};

static const fashn_field reframe_fields[] = {
    IMAGE("image", REQ), ENUM("aspect_ratio", fashn_aspect_ratios, NULL, REQ), RESOLUTION(FIELD_UNSURE),
    GENERATION_MODE, SEED, NUM_IMAGES, OUTPUT_FORMAT("png"), RETURN_BASE64, END};

static const fashn_field background_remove_fields[] = {IMAGE("image", REQ), RETURN_BASE64, END};

static const fashn_field image_to_video_fields[] = {
    IMAGE("image", REQ), TEXT("prompt", 0), {"duration", FIELD_INT, 0, durations, 5, 10, "5"},
    ENUM("resolution", video_resolutions, "1080p", 0), IMAGE("end_image", 0),
    TEXT("negative_prompt", FIELD_UNSURE), INT("seed", 0, 4294967295LL, "42", FIELD_UNSURE), RETURN_BASE64,
    END};

static const fashn_field packshot_fields[] = {
    IMAGE("product_image", REQ), TEXT("prompt", 0), IMAGE("image_context", 0), ASPECT(0), RESOLUTION(0),
    GENERATION_MODE, SEED, NUM_IMAGES, OUTPUT_FORMAT("png"), RETURN_BASE64, END};

static const fashn_field background_change_fields[] = {IMAGE("image", REQ), TEXT("prompt", REQ), END};
static const fashn_field no_fields[] = {END};

static const fashn_rule model_create_rules[] = {
    {RULE_NEEDS, "face_reference_mode", "face_reference", NULL, "it is only meaningful with one"},
    {RULE_NOT_WITH, "face_reference", "resolution", "4k",
     "with a face reference the output is capped at 2k: use resolution \"2k\" or \"1k\""},
    {0, NULL, NULL, NULL, NULL}};
static const fashn_rule face_mode_rules[] = {
    {RULE_NEEDS, "face_reference_mode", "face_reference", NULL, "it is only meaningful with one"},
    {0, NULL, NULL, NULL, NULL}};
static const fashn_rule product_to_model_rules[] = {
    {RULE_NEEDS, "face_reference_mode", "face_reference", NULL, "it is only meaningful with one"},
    {RULE_EXCLUDES, "model_image", "image_prompt", NULL, "model_image is deprecated: use image_prompt alone"},
    {RULE_EXCLUDES, "model_image", "background_reference", NULL, "model_image is deprecated"},
    {RULE_EXCLUDES, "model_image", "face_reference", NULL, "model_image is deprecated"},
    {0, NULL, NULL, NULL, NULL}};
static const fashn_rule video_rules[] = {
    {RULE_ONLY_WITH, "end_image", "resolution", "1080p", "the API takes an end image only at 1080p"},
    {0, NULL, NULL, NULL, NULL}};

static const char *const lora_errors[] = {"LoRALoadError", NULL};
static const char *const pose_errors[] = {"PoseError", NULL};

#define IMAGES MODEL_OUTPUT_IMAGE
static const fashn_model model_create = {
    .name = "model-create", .fields = model_create_fields, .rules = model_create_rules,
    .price = PRICE_TABLE, .face_extra = 3, .count_field = "num_images", .typical_seconds = 12,
    .face_seconds = 25, .extra_errors = lora_errors, .output = IMAGES};
static const fashn_model tryon_max = {
    .name = "tryon-max", .fields = tryon_max_fields, .price = PRICE_BALANCED, .count_field = "num_images",
    .typical_seconds = 40, .output = IMAGES};
static const fashn_model tryon_v16 = {
    .name = "tryon-v1.6", .fields = tryon_v16_fields, .price = PRICE_ONE, .count_field = "num_samples",
    .typical_seconds = 8, .fixed_width = 864, .fixed_height = 1296, .extra_errors = pose_errors,
    .output = IMAGES};
static const fashn_model product_to_model = {
    .name = "product-to-model", .fields = product_to_model_fields, .rules = product_to_model_rules,
    .price = PRICE_TABLE, .face_extra = 3, .count_field = "num_images", .typical_seconds = 20,
    .face_seconds = 25, .output = IMAGES};
static const fashn_model face_to_model = {
    .name = "face-to-model", .fields = face_to_model_fields, .price = PRICE_TABLE, .count_field = "num_images",
    .typical_seconds = 20, .output = IMAGES};
static const fashn_model model_swap = {
    .name = "model-swap", .fields = model_swap_fields, .rules = face_mode_rules, .price = PRICE_TABLE,
    .face_extra = 3, .count_field = "num_images", .typical_seconds = 20, .face_seconds = 25, .output = IMAGES};
static const fashn_model edit = {
    .name = "edit", .fields = edit_fields, .price = PRICE_TABLE, .count_field = "num_images",
    .typical_seconds = 20, .output = IMAGES};
static const fashn_model reframe = {
    .name = "reframe", .fields = reframe_fields, .price = PRICE_TABLE, .count_field = "num_images",
    .typical_seconds = 20, .output = IMAGES};
static const fashn_model background_remove = {
    .name = "background-remove", .fields = background_remove_fields, .price = PRICE_ONE,
    .typical_seconds = 2, .output = IMAGES};
static const fashn_model image_to_video = {
    .name = "image-to-video", .fields = image_to_video_fields, .rules = video_rules, .price = PRICE_VIDEO,
    .typical_seconds = 60, .output = MODEL_OUTPUT_VIDEO};
static const fashn_model packshot = {
    .name = "packshot", .fields = packshot_fields, .price = PRICE_TABLE, .count_field = "num_images",
    .typical_seconds = 20, .output = IMAGES};
static const fashn_model background_change = {
    .name = "background-change", .state = MODEL_DEPRECATED, .replacement = "edit with image_context",
    .fields = background_change_fields, .price = PRICE_ONE, .typical_seconds = 20, .output = IMAGES};
static const fashn_model model_variation = {
    .name = "model-variation", .state = MODEL_RETIRED, .replacement = "model-create with image_reference, or edit",
    .fields = no_fields, .price = PRICE_ONE, .typical_seconds = 20, .output = IMAGES};

const fashn_model *const fashn_models[] = {&model_create, &tryon_max, &tryon_v16, &product_to_model,
                                           &face_to_model, &model_swap, &edit, &reframe,
                                           &background_remove, &image_to_video, &packshot,
                                           &background_change, &model_variation, NULL};

const fashn_model *fashn_model_find(const char *name) {
  if (!name) return NULL;
  for (int i = 0; fashn_models[i]; i++)
    if (strcmp(fashn_models[i]->name, name) == 0) return fashn_models[i];
  return NULL;
}

const fashn_field *fashn_model_field(const fashn_model *m, const char *name) {
  if (!m || !name) return NULL;
  for (const fashn_field *f = m->fields; f->name; f++)
    if (strcmp(f->name, name) == 0) return f;
  return NULL;
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one
 * substring), case ignored; stops counting past `limit`. Names are short. */
static int edit_distance(const char *a, const char *b, int limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return limit + 1;
  if ((la > lb ? la - lb : lb - la) > (size_t)limit) return limit + 1;
  int d[64][64];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

/* A plural, a missing prefix or suffix ("seeds" for "seed", "face_mode" for
 * "face_reference_mode") is as likely a slip as an edit: one name inside the other, when
 * the shorter is at least four letters. */
static bool contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (n < 4) return false;
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0) return true;
  return false;
}

const char *fashn_closest_name(const char *name, const char *const *candidates) {
  if (!name || !candidates) return NULL;
  size_t len = strlen(name);
  int limit = len <= 4 ? 1 : 2;
  const char *best = NULL;
  int best_d = limit + 1;
  for (int i = 0; candidates[i]; i++) {
    int d = edit_distance(name, candidates[i], limit);
    if (d < best_d) best_d = d, best = candidates[i];
  }
  if (best) return best;
  for (int i = 0; candidates[i]; i++)
    if (contains_ci(candidates[i], name) || contains_ci(name, candidates[i])) return candidates[i];
  return NULL;
}

const char *fashn_model_closest_field(const fashn_model *m, const char *name) {
  if (!m) return NULL;
  const char *names[64];
  int n = 0;
  for (const fashn_field *f = m->fields; f->name && n < 63; f++) names[n++] = f->name;
  names[n] = NULL;
  return fashn_closest_name(name, names);
}

/* Index of text in a NULL-terminated list, or -1. */
static int index_of(const char *const *list, const char *text) {
  for (int i = 0; text && list[i]; i++)
    if (strcmp(list[i], text) == 0) return i;
  return -1;
}

int fashn_model_resolution_k(const fashn_model *m, const char *resolution) {
  if (m && m->output == MODEL_OUTPUT_VIDEO) return 0;
  if (!resolution) return 1;
  int r = index_of(resolutions, resolution);
  return r < 0 ? -1 : (r == 0 ? 1 : r == 1 ? 2 : 4);
}

int fashn_model_credits(const fashn_model *m, const fashn_price_inputs *p) {
  if (!m || !p) return -1;
  int outputs = p->outputs > 0 ? p->outputs : 1;
  int per_output;
  switch (m->price) {
    case PRICE_ONE: per_output = 1; break;
    case PRICE_VIDEO: {
      static const int five[] = {1, 3, 6}, ten[] = {2, 6, 12};
      int r = p->resolution ? index_of(video_resolutions, p->resolution) : 2;
      if (r < 0 || (p->duration != 0 && p->duration != 5 && p->duration != 10)) return -1;
      return p->duration == 10 ? ten[r] : five[r];
    }
    case PRICE_TABLE:
    case PRICE_BALANCED: {
      /* Rows fast, balanced, quality; columns 1k, 2k, 4k. */
      static const int table[3][3] = {{1, 2, 3}, {2, 3, 4}, {3, 4, 5}};
      int r = p->resolution ? index_of(resolutions, p->resolution) : 0;
      if (r < 0) return -1;
      int mode;
      if (p->generation_mode) {
        mode = index_of(modes, p->generation_mode);
        if (mode < 0 || (m->price == PRICE_BALANCED && mode == 0)) return -1;
      } else {
        /* Not given: billed fast at 1k and balanced above (tryon-max: always balanced). */
        mode = m->price == PRICE_BALANCED || r > 0 ? 1 : 0;
      }
      per_output = table[mode][r];
      break;
    }
    default: return -1;
  }
  if (p->face) per_output += m->face_extra;
  return per_output * outputs;
}

double fashn_model_seconds(const fashn_model *m, const fashn_price_inputs *p) {
  if (!m) return 12;
  double s = m->typical_seconds;
  if (p && p->face) s += m->face_seconds;
  if (m->price == PRICE_TABLE || m->price == PRICE_BALANCED) {
    /* Larger and slower modes take longer: up to about 120 s at quality 4k. */
    int r = p && p->resolution ? index_of(resolutions, p->resolution) : 0;
    int mode = p && p->generation_mode ? index_of(modes, p->generation_mode) : 0;
    s *= 1.0 + 0.5 * (r > 0 ? r : 0) + 0.5 * (mode > 0 ? mode : 0);
  }
  return s;
}
