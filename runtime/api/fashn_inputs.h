/* fashn_inputs.h — a job's inputs checked against its model's description before
 * anything is sent: unknown names refused (with the field a typo probably meant), one
 * rule per field, an error that names the field and the allowed values; and what a job
 * will cost. Works on parsed JSON so the Lua side and any other caller share the rules. */
#ifndef ATELIER_FASHN_INPUTS_H
#define ATELIER_FASHN_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/json.h"
#include "fashn_models.h" /* fashn_aspect_ratios */

#define FASHN_MODEL "model-create"
#define FASHN_MAX_PROMPT 10000         /* bytes; the contract sets none, a runaway does */
#define FASHN_MAX_URL 8192
#define FASHN_MAX_REFERENCE (16u << 20) /* bytes of a data: URI we agree to send */
/* Bytes of a whole POST /v1/run body (both references together): oversized bodies make
 * the API fail with a 500 that no retry fixes (API.md, "Input images"), so they are not sent. */
#define FASHN_MAX_BODY (16u << 20)
#define FASHN_BODY_OVERHEAD 64 /* {"model_name":"...","inputs":} around the inputs */

typedef struct fashn_input_error {
  char field[64];    /* the input at fault ("" for the table as a whole) */
  char message[384]; /* what is wrong and what is allowed */
} fashn_input_error;

/* What the rest of the client needs to know about valid inputs. */
/* The one input that is not a field: a table of names the API takes and atelier does not
 * know, sent as they are. Spelled out so that a typo is never sent by accident; a known
 * name inside it is refused (it belongs outside, where it is checked). */
#define FASHN_PASSTHROUGH "passthrough"

/* What the rest of the client needs to know about valid inputs. */
typedef struct fashn_input_facts {
  const fashn_model *model;
  int num_images;     /* outputs: num_images or num_samples, 1..4 */
  bool face;          /* face_reference given */
  int resolution_k;   /* 1, 2 or 4 (0 for video) */
  bool base64;        /* return_base64 */
  int credits;        /* what the API charges for the job (fashn_model_credits) */
  double seconds;     /* a typical processing time */
  char output_format[8];
} fashn_input_facts;

/* Checks inputs against model m: every name is a field of m (or inside passthrough),
 * every field's type, values and range, the rules between fields; fills the facts.
 * Image values must already be URLs or data: URIs. A deprecated or retired model is
 * refused, naming its replacement. */
bool fashn_inputs_check_model(const fashn_model *m, const json_value *inputs, fashn_input_facts *facts,
                              fashn_input_error *err);

/* The same for the default model (model-create). */
bool fashn_inputs_check(const json_value *inputs, fashn_input_facts *facts, fashn_input_error *err);

/* The POST /v1/run body these inputs (json_len bytes of JSON) make stays within
 * FASHN_MAX_BODY; else the error names the body's size and its largest input. */
bool fashn_inputs_check_size(const json_value *inputs, size_t json_len, fashn_input_error *e);

/* fashn_inputs_check_model (and the size) on inputs given as JSON text (a parse error
 * names the byte); the _json form checks against the default model. */
bool fashn_inputs_check_json_model(const fashn_model *m, const char *json, size_t len, fashn_input_facts *facts,
                                   fashn_input_error *err);
bool fashn_inputs_check_json(const char *json, size_t len, fashn_input_facts *facts,
                             fashn_input_error *err);

/* Appends the POST /v1/run body {"model_name": ..., "inputs": {...}} to out, with the
 * passthrough table's fields among the others. False when out ran out of memory. */
bool fashn_inputs_write_body(const fashn_model *m, const json_value *inputs, buf *out);

/* Kinds of image-reference values. */
typedef enum { REF_URL, REF_DATA_URI, REF_PATH, REF_INVALID } fashn_ref_kind;
fashn_ref_kind fashn_ref_classify(const char *value, size_t len);


#endif
