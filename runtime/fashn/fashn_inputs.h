/* fashn_inputs.h — Model Create inputs checked against the contract before anything is
 * sent (API.md, "Model Create inputs"): one rule per field, an error that names
 * the field and the allowed values, unknown inputs passed through; and what a job will
 * cost. Works on parsed JSON so the Lua side and any other caller share the rules. */
#ifndef ATELIER_FASHN_INPUTS_H
#define ATELIER_FASHN_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/json.h"

#define FASHN_MODEL "model-create"
#define FASHN_MAX_PROMPT 10000         /* bytes; the contract sets none, a runaway does */
#define FASHN_MAX_URL 8192
#define FASHN_MAX_REFERENCE (16u << 20) /* bytes of a data: URI we agree to send */
/* Bytes of a whole POST /v1/run body (both references together): oversized bodies make
 * the API fail with a 500 that no retry fixes (API.md, "Input images"), so they are not sent. */
#define FASHN_MAX_BODY (16u << 20)
#define FASHN_BODY_OVERHEAD 40 /* {"model_name":"model-create","inputs":} around the inputs */

typedef struct fashn_input_error {
  char field[64];    /* the input at fault ("" for the table as a whole) */
  char message[384]; /* what is wrong and what is allowed */
} fashn_input_error;

/* What the rest of the client needs to know about valid inputs. */
typedef struct fashn_input_facts {
  int num_images;     /* 1..4 */
  bool face;          /* face_reference given */
  int resolution_k;   /* 1, 2 or 4 */
  bool base64;        /* return_base64 */
  int credits;        /* num_images x (face ? 4 : 1) */
  char output_format[8];
} fashn_input_facts;

/* Checks every rule of the contract's table. Reference values (face_reference,
 * image_reference) must already be URLs or data: URIs. */
bool fashn_inputs_check(const json_value *inputs, fashn_input_facts *facts, fashn_input_error *err);

/* The POST /v1/run body these inputs (json_len bytes of JSON) make stays within
 * FASHN_MAX_BODY; else the error names the body's size and each reference's. */
bool fashn_inputs_check_size(const json_value *inputs, size_t json_len, fashn_input_error *e);

/* The same as fashn_inputs_check (and the size) on inputs given as JSON text (a parse
 * error names the byte). */
bool fashn_inputs_check_json(const char *json, size_t len, fashn_input_facts *facts,
                             fashn_input_error *err);

/* Kinds of image-reference values. */
typedef enum { REF_URL, REF_DATA_URI, REF_PATH, REF_INVALID } fashn_ref_kind;
fashn_ref_kind fashn_ref_classify(const char *value, size_t len);

/* The allowed aspect ratios, NULL-terminated (for messages and recipes). */
extern const char *const fashn_aspect_ratios[];

#endif
