/* fashn_status.h — what a GET /v1/status/{id} answer says, read without a job: the kind
 * of answer, the error of an ended prediction, the validated output list, what each output
 * string is and the bytes of a data: URI output; also the error body any API answer may
 * carry. Pure (no I/O, no client state), so the submit, poll, fetch and credits code, the
 * unit tests and tests/fuzz/fuzz_status.c share it. */
#ifndef ATELIER_FASHN_STATUS_H
#define ATELIER_FASHN_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "../base/json.h"

#define FASHN_MAX_OUTPUTS 8 /* the API returns num_images (<= 4); more is a broken answer */

typedef enum {
  FASHN_STATUS_BAD = 0,   /* not JSON, or no "status" string: `why` says which */
  FASHN_STATUS_PENDING,   /* starting, in_queue, processing, or a word from a newer API */
  FASHN_STATUS_COMPLETED, /* `outputs` says whether the list is usable */
  FASHN_STATUS_ENDED,     /* failed, canceled or time_out: err_name / err_message */
} fashn_status_kind;

typedef enum {
  FASHN_OUTPUTS_LIST = 0, /* an array of 1 .. FASHN_MAX_OUTPUTS values in `output` */
  FASHN_OUTPUTS_NONE,     /* missing, null or [] (a race on the server: look again) */
  FASHN_OUTPUTS_NOT_LIST, /* anything else that is not an array */
  FASHN_OUTPUTS_TOO_MANY, /* an array longer than FASHN_MAX_OUTPUTS */
} fashn_outputs_state;

/* One status answer, read. Made by fashn_status_read, released by fashn_status_free;
 * `output` points into the parsed document the view owns, so it lives until then. */
typedef struct fashn_status_view {
  fashn_status_kind kind;
  const char *why;        /* BAD: "the status answer is not valid JSON" / "... has no status" /
                             "... is nested too deep" / "... is not valid UTF-8" / "... has a
                             control character in a string" */
  bool malformed;         /* BAD for one of the last three reasons: an answer that arrived
                             whole and is unreadable as sent (damage in transit cuts or
                             garbles; it does not nest 17 deep or write invalid UTF-8) */
  char status[24];        /* the status word (first 23 bytes) with bytes outside
                             [A-Za-z0-9_] replaced by '_'; "" when BAD */
  /* ENDED */
  char err_name[64];      /* error.name, or "error": "Name", else PredictionCanceled /
                             PredictionTimedOut / PredictionFailed; sanitized like status */
  char err_message[400];  /* error.message, "" when none; escaped (textsafe.h) */
  bool failed;            /* the word is "failed" (not canceled or time_out) */
  bool retry_worthy;      /* failed with a name worth a resubmission (runtime/api/API.md, "Errors") */
  /* COMPLETED */
  fashn_outputs_state outputs; /* FASHN_OUTPUTS_NONE for the other kinds */
  const json_value *output; /* the array when outputs == FASHN_OUTPUTS_LIST, else NULL */
  json_doc *doc;            /* owned */
} fashn_status_view;

/* Reads a status answer body (len bytes; body may be NULL when len is 0) into *v, which
 * is always filled (running out of memory while parsing reads as BAD, not valid JSON).
 * Call fashn_status_free(v) afterwards, whatever the kind. */
void fashn_status_read(const char *body, size_t len, fashn_status_view *v);

/* The same, with the text the server chose (status word, error name and message) made
 * safe before it is cut to the view's sizes: secret (the API key; NULL = none) redacted as
 * http_redact does, then the message escaped (textsafe.h). fashn_status_read passes NULL. */
void fashn_status_read_secret(const char *body, size_t len, const char *secret, fashn_status_view *v);

/* The one rule for a prediction id, wherever one comes from (a submit answer, the
 * journal, a resumed job): len bytes (an embedded NUL is refused, not cut at), 1 to
 * FASHN_ID_MAX, of [A-Za-z0-9._-], and not "." or ".." (it becomes a URL path segment:
 * /v1/status/.. would be another resource). */
#define FASHN_ID_MAX 200
bool fashn_id_valid(const char *id, size_t len);
void fashn_status_free(fashn_status_view *v); /* idempotent */

/* True for the runtime error names worth one resubmission: ThirdPartyError,
 * UnavailableError, PipelineError, InternalServerError. */
bool fashn_status_retry_worthy(const char *name);

/* Replaces every byte of s (NUL-terminated, edited in place) outside [A-Za-z0-9_] by '_'. */
void fashn_status_sanitize(char *s);

typedef enum {
  FASHN_OUTPUT_NOT_STRING = 0, /* not a string, or an empty one */
  FASHN_OUTPUT_EXPIRED,        /* "<base64>_expired": the API no longer has it */
  FASHN_OUTPUT_DATA_URI,       /* starts with "data:" (any case): fashn_output_decode */
  FASHN_OUTPUT_URL,            /* an allowed URL of at most FASHN_MAX_URL bytes */
  FASHN_OUTPUT_BAD_URL,        /* anything else: why says what is wrong with it */
} fashn_output_kind;

/* What one entry of a completed output list is. s may be NULL (not a string); len is its
 * length in bytes (s is NUL-terminated, as json_str gives it). why gets a reason for
 * FASHN_OUTPUT_BAD_URL ("too long", or what http_url_allowed says). */
fashn_output_kind fashn_output_classify(const char *s, size_t len, char *why, size_t whylen);

typedef enum {
  FASHN_DECODED = 0,
  FASHN_DECODE_TOO_LARGE,  /* over max_bytes, or the image over the pixel limit: why */
  FASHN_DECODE_BAD_URI,    /* data_uri_parse refused it: why */
  FASHN_DECODE_INCOMPLETE, /* does not decode to a complete PNG, JPEG or WebP image */
  FASHN_DECODE_UNREADABLE, /* complete, but a header atelier cannot read: why */
} fashn_decode_status;

/* True when p..p+n is a whole PNG, JPEG or WebP file (signature and end marker), or a
 * whole MP4 (image-to-video; its top-level boxes fill it); fmt gets "png", "jpeg",
 * "webp", "mp4" or "unknown". */
bool fashn_output_complete(const unsigned char *p, size_t n, char *fmt, size_t fmtlen);

/* Checks a complete output's header: one atelier can decode, at most max_bytes, and within
 * the default pixel limit (a header declaring 50000x50000 is a decompression bomb); an
 * MP4 is only held to max_bytes (it is saved as delivered, never decoded).
 * FASHN_DECODED, FASHN_DECODE_TOO_LARGE or FASHN_DECODE_UNREADABLE, with why. */
fashn_decode_status fashn_output_check(const void *p, size_t n, size_t max_bytes, char *why, size_t whylen);

/* Decodes a data: URI output (whitespace in the payload allowed) under max_bytes (> 0),
 * then checks the bytes are complete (fmt as above) and pass fashn_output_check. On
 * FASHN_DECODED *out (empty on entry) owns the bytes; otherwise it is left empty. */
fashn_decode_status fashn_output_decode(const char *s, size_t len, size_t max_bytes, buf *out, char *fmt,
                                        size_t fmtlen, char *why, size_t whylen);

/* Parses an error answer, {"error": "Name" | {"name","message"}, "message": ...} with no
 * id: false when the body is not one. The name and message are redacted of secret (the
 * API key; NULL = none) before they are cut to size; the name is kept to [A-Za-z0-9_] and
 * the message escaped (base/textsafe.h). Read by submit, poll and credits answers alike. */
bool fashn_error_body(const buf *body, char *name, size_t namelen, char *msg, size_t msglen, const char *secret);

#endif
