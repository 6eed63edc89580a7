/* fashn_models.h — every FASHN model atelier knows, as data: its input fields (type,
 * allowed values, range, default, whether required, whether an image), how it is priced,
 * how long it usually takes, the extra error names it can fail with and what it outputs.
 * Validation (fashn_inputs.h), cost, poll planning and fashn-emu read these descriptions,
 * so adding a model is adding a description, not a code path. The facts come from the
 * API contract summarised in runtime/api/API.md. */
#ifndef ATELIER_FASHN_MODELS_H
#define ATELIER_FASHN_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FASHN_DEFAULT_MODEL "model-create"

typedef enum {
  FIELD_TEXT,  /* a string; `required` text must hold more than white space */
  FIELD_ENUM,  /* one of `values` */
  FIELD_INT,   /* an integer in [lo, hi] */
  FIELD_BOOL,  /* true or false */
  FIELD_IMAGE, /* an image: URL, data: URI, or (before sending) a local file */
  FIELD_URL,   /* a URL that is not an image (lora_url) */
} fashn_field_type;

/* Field flags. */
#define FIELD_REQUIRED 0x1u /* the model refuses a request without it */
#define FIELD_LEGACY 0x2u   /* an older revision's field the API still accepts */
#define FIELD_UNSURE 0x4u   /* the sources disagree or say nothing: accepted, passed on */
#define FIELD_DEPRECATED 0x8u
#define FIELD_SAVED_OK 0x10u /* an image field that also takes "saved:<name>" */

typedef struct fashn_field {
  const char *name;
  fashn_field_type type;
  unsigned flags;
  const char *const *values; /* FIELD_ENUM: NULL-terminated; FIELD_INT: the only values, or NULL */
  int64_t lo, hi;            /* FIELD_INT */
  const char *default_value; /* as the API documents it, for messages and plans; NULL = none */
} fashn_field;

/* A rule between two fields, checked after each field on its own. */
typedef enum {
  RULE_NEEDS,      /* field needs other to be given */
  RULE_EXCLUDES,   /* field and other cannot both be given */
  RULE_ONLY_WITH,  /* field needs other (given or defaulted) to be value */
  RULE_NOT_WITH,   /* field cannot go with other (given or defaulted) = value */
} fashn_rule_kind;

typedef struct fashn_rule {
  fashn_rule_kind kind;
  const char *field, *other, *value;
  const char *why; /* added to the message */
} fashn_rule;

typedef enum {
  PRICE_TABLE,    /* generation_mode x resolution (fast 1/2/3, balanced 2/3/4, quality 3/4/5) */
  PRICE_BALANCED, /* the table without fast: no generation_mode is billed balanced */
  PRICE_ONE,      /* 1 credit per output */
  PRICE_VIDEO,    /* duration x video resolution */
} fashn_price_rule;

typedef enum { MODEL_OUTPUT_IMAGE, MODEL_OUTPUT_VIDEO } fashn_model_output;

typedef enum { MODEL_ACTIVE, MODEL_DEPRECATED, MODEL_RETIRED } fashn_model_state;

typedef struct fashn_model {
  const char *name;
  fashn_model_state state;
  const char *replacement; /* for deprecated and retired models: what to use instead */
  const fashn_field *fields; /* terminated by a field with a NULL name */
  const fashn_rule *rules;   /* terminated by a rule with a NULL field, or NULL */
  fashn_price_rule price;
  int face_extra;            /* credits added per output with face_reference */
  const char *count_field;   /* the field that multiplies outputs ("num_images"), or NULL */
  double typical_seconds;    /* a usual processing time, for the first poll */
  double face_seconds;       /* added with face_reference */
  int fixed_width, fixed_height; /* a fixed output size (tryon-v1.6), or 0 */
  const char *const *extra_errors; /* error names only this model raises, NULL-terminated */
  fashn_model_output output;
} fashn_model;

/* Every model, terminated by NULL, the default first. */
extern const fashn_model *const fashn_models[];

/* The allowed aspect ratios of image models, NULL-terminated. */
extern const char *const fashn_aspect_ratios[];

/* The model called name (any state), or NULL. */
const fashn_model *fashn_model_find(const char *name);

/* The field called name of model m, or NULL. */
const fashn_field *fashn_model_field(const fashn_model *m, const char *name);

/* The name in candidates (NULL-terminated) that name is most likely a typo of — within
 * two edits (insert, delete, replace, swap of neighbours; case ignored), or one edit for
 * names of four letters or fewer — or NULL when none is close. */
const char *fashn_closest_name(const char *name, const char *const *candidates);

/* The field name of m closest to name (see fashn_closest_name), or NULL. */
const char *fashn_model_closest_field(const fashn_model *m, const char *name);

/* What decides a price, read from a job's inputs. */
typedef struct fashn_price_inputs {
  const char *generation_mode; /* NULL = not given */
  const char *resolution;      /* NULL = the model's default */
  bool face;                   /* face_reference given */
  int outputs;                 /* num_images / num_samples (>= 1) */
  int duration;                /* image-to-video seconds (0 = default) */
} fashn_price_inputs;

/* Credits the API charges for one job of model m with p, or -1 when the combination has
 * no price (a value outside the model's table). */
int fashn_model_credits(const fashn_model *m, const fashn_price_inputs *p);

/* The output resolution tier a job of m with this resolution text produces: 1, 2 or 4
 * (image models; face_reference caps model-create at 2), or 0 for video. */
int fashn_model_resolution_k(const fashn_model *m, const char *resolution);

/* A typical processing time in seconds for a job of m (first-poll planning). */
double fashn_model_seconds(const fashn_model *m, const fashn_price_inputs *p);

#endif
