/* jobkey.h — the identity of a job in the journal: a SHA-256 over the backend, the
 * model name and the canonical form of the inputs, so the same request made again (in
 * this run or a later one) finds the row of the first one.
 *
 * Canonical inputs (version 1; changing any rule means bumping JOBKEY_VERSION, which
 * makes old rows unreachable rather than wrongly matched):
 *  - object keys sorted bytewise, at every depth; compact JSON; a key given twice is an
 *    error; null values are dropped (an input set to null is an input not given);
 *  - numbers: integral values as integers whatever their spelling (7, 7.0, 7e0 -> 7),
 *    others as %.17g; strings byte for byte (no trimming, no case folding: the server
 *    may tell them apart);
 *  - image inputs (every image field of the model, runtime/api/fashn_models.h; for a
 *    model atelier does not describe, face_reference and image_reference): a local file path becomes
 *    {"$file_sha256": <hex of the file's bytes>} (renaming or moving a reference does
 *    not re-buy; editing it does); a data: URI becomes {"$data_sha256": <hex of the
 *    URI text>} (keeps megabytes out of the row); a URL stays the URL (what it serves
 *    is the server's business); an object (the bindings write an unchanged output of
 *    an earlier prediction as {"$output": "<id>#<index>"}) is canonicalised like any
 *    other; tryon-v1.6's "saved:<name>" stays the name;
 *  - for model-create, every documented default is filled in when the input is absent,
 *    so `seed = 42` and no seed are the same job: the server receives what is, by the
 *    contract, the same request, and the user should not pay twice for spelling out a
 *    default. aspect_ratio is the exception: its default (1:1) only applies without an
 *    image_reference (with one the output takes the reference's ratio), so it is
 *    filled only then. Every other model gets the defaults its description documents
 *    (enums and text as strings, integers, booleans), model-create keeping the table
 *    it always had so its keys are unchanged;
 *  - return_base64 is left out: it changes how the bytes travel, not which image is
 *    made, and the journal keeps the bytes either way;
 *  - unknown inputs pass through (canonicalised like the rest). */
#ifndef ATELIER_JOBKEY_H
#define ATELIER_JOBKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "../base/sha256.h"

#define JOBKEY_VERSION 1
#define JOBKEY_MAX_DEPTH 16
#define JOBKEY_MAX_FILE ((uint64_t)64 << 20) /* a reference file the transport would read */

typedef struct jobkey {
  char hex[SHA256_HEX_LEN + 1]; /* the key */
  buf canonical;                /* canonical inputs as JSON text; owned, free with jobkey_free */
} jobkey;

/* Computes the key of (backend, model_name, inputs) where inputs_json is a JSON object.
 * backend names where jobs run ("https://api.fashn.ai", "emulator:embedded", ...): a
 * prediction id only means something to the server that issued it, and an emulated
 * image must never be served for a real one. Local files named by image inputs are
 * read (relative paths from the working directory). False with errbuf set on bad JSON,
 * an unreadable file, or out of memory; k then holds nothing to free. */
bool jobkey_compute(const char *backend, const char *model_name, const char *inputs_json, size_t len,
                    jobkey *k, char *errbuf, size_t errlen);

void jobkey_free(jobkey *k);

/* How an image input string is read: a URL, a data: URI or a local file path. The
 * same rule the transport uses to decide what to upload. */
typedef enum { JOBKEY_IMAGE_URL, JOBKEY_IMAGE_DATA_URI, JOBKEY_IMAGE_PATH } jobkey_image_kind;
jobkey_image_kind jobkey_image_kind_of(const char *s, size_t len);

#endif
