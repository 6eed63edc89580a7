/* emu.h — fashn-emu as a library: an offline FASHN-compatible HTTP server (the contract
 * in runtime/api/API.md) that runs in-process on 127.0.0.1, serving from its own threads.
 * bin/fashn-emu is a thin command line around it; atelier embeds it as the default
 * backend. The config struct mirrors the command-line flags one to one. */
#ifndef ATELIER_EMU_H
#define ATELIER_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/buf.h"

typedef struct emu_config {
  int port;               /* --port: 0 = the OS chooses (read it back with emu_port) */
  const char *api_key;    /* --api-key: NULL = any non-empty bearer token is accepted */
  double time_scale;      /* --time-scale: multiplies every processing time (1.0) */
  int64_t credits;        /* --credits: starting balance (100000) */
  /* Rate limits: requests per window (seconds, real time, not scaled); 0 = no limit. */
  int run_limit;          /* --run-limit (50) / --run-window (60) */
  double run_window;
  int status_limit;       /* --status-limit (50) / --status-window (10) */
  double status_window;
  int credits_limit;      /* --credits-limit (30) / --credits-window (10) */
  double credits_window;
  int concurrency_limit;  /* --concurrency-limit: unfinished predictions (6); 0 = none */
  double base64_ttl;      /* --base64-ttl: seconds base64 outputs live; <0 = 3600 x scale */
  double retention;       /* --retention: seconds ids/CDN outputs live; <0 = 72 h x scale */
  size_t max_body;        /* --max-body: bytes; larger request bodies get 500 (16 MiB) */
  int render_threads;     /* --render-threads: image workers (2) */
  bool verbose;           /* --verbose: one stderr line per request */
  /* Fault injection (rates 0..1), reproducible for a given request order per endpoint. */
  uint64_t fault_seed;    /* --fault-seed (1) */
  double fail_rate;       /* --fail-rate: predictions that end "failed" */
  const char *fail_names; /* --fail-names: comma list of error names (PipelineError) */
  double http500_rate;    /* --http-500-rate: 500/503 answers (no prediction created) */
  double http429_rate;    /* --http-429-rate: API requests refused with a 429 before
                             they are handled (no prediction created) */
  const char *http429_name; /* --http-429-name: RateLimitExceeded (any API endpoint),
                               ConcurrencyLimitExceeded or OutOfCredits (/v1/run only) */
  double drop_rate;       /* --drop-rate: connections closed without an answer */
  const char *drop_when;  /* --drop-when: before | after (the request body was read) | any */
  int slow_ms;            /* --slow-ms: faultable answers delayed this long */
  double slow_rate;       /* --slow-rate: share of faultable answers delayed (1) */
  double malformed_rate;  /* --malformed-rate: 200 answers with a broken JSON body */
  const char *malformed_kind; /* --malformed-kind: garbage | truncated | any */
  double stuck_rate;      /* --stuck-rate: predictions that never finish */
  double truncate_rate;   /* --truncate-rate: downloads cut short of Content-Length */
  double expired_rate;    /* --expired-rate: completed base64 predictions whose outputs
                             read "<base64>_expired" from the first look */
  const char *fault_endpoints; /* --fault-endpoints: comma list of run,status,credits,cdn
                                  (NULL = all): where the transport faults (drop, 429,
                                  500/503, slow, malformed, truncate) happen; --fail-rate,
                                  --stuck-rate and --expired-rate are per prediction;
                                  /_emu/ is never faulted */
  const char *output_file; /* --output-file: every output is this file's bytes instead of
                              a rendered picture (hostile outputs for client tests) */
  const char *fail_message; /* --fail-message: the error message --fail-rate failures carry
                               (any bytes: hostile text for client tests) */
  const char *echo_key;   /* --echo-key id|error: a server that leaks the API key back (needs
                             --api-key): "id" answers POST /v1/run with the key as the
                             prediction id (the prediction is still created and charged);
                             "error" makes --fail-rate failures name it and quote it */
  const char *run_body;   /* --run-body: every accepted POST /v1/run (the prediction is
                             created and charged) is answered 200 with this file's bytes */
  const char *status_body; /* --status-body: every GET /v1/status of a known prediction is
                              answered 200 with this file's bytes (hostile status answers) */
  const char *tls_cert;   /* --tls-cert / --tls-key: PEM files; serve HTTPS (both needed) */
  const char *tls_key;
  bool dry_run_mark;      /* placeholders say "DRY RUN" instead of "EMULATED" (the
                             rehearsal server of atelier --dry-run; no flag) */
} emu_config;

/* Fills c with the contract's values (see the comments above). */
void emu_config_defaults(emu_config *c);

/* Parses command-line flags (argv[0] is skipped) into c, which should hold defaults.
 * Strings in c point into argv. Returns 0 when ok, 1 when --help was given (the caller
 * prints emu_config_usage), -1 on a bad flag or value (err says which). */
int emu_config_parse(emu_config *c, int argc, char **argv, char *err, size_t errlen);

/* Writes the --help text. */
void emu_config_usage(FILE *out, const char *progname);

typedef struct emu emu;

/* Starts an emulator on 127.0.0.1 (c->port, or an ephemeral port when 0), serving from
 * its own threads. The config is copied (strings too). NULL on failure, err says why. */
emu *emu_start(const emu_config *c, char *err, size_t errlen);

/* The port it listens on, and "http://127.0.0.1:PORT" ("https://..." with TLS; owned by e). */
int emu_port(const emu *e);
const char *emu_url(const emu *e);

/* Appends the JSON that GET /_emu/stats returns. False only when out of memory. */
bool emu_stats_json(emu *e, buf *out);

/* Stops serving, waits for its threads, frees everything. NULL is a no-op. */
void emu_stop(emu *e);

/* ---- facts the tests use (pure functions) ---------------------------------------- */

#define EMU_ASPECT_COUNT 10

/* The i-th supported aspect ratio (0..EMU_ASPECT_COUNT-1): its name ("3:4") and 1k
 * pixel size. False when i is out of range. */
bool emu_aspect(int i, const char **name, int *w1k, int *h1k);

/* Output size for an aspect-ratio name and a resolution ("1k", "2k", "4k"). */
bool emu_output_size(const char *aspect, const char *resolution, int *w, int *h);

/* Where the face_reference thumbnail is drawn in a w x h output: a square of side
 * *size whose top-left corner is (*x, *y). The face is scaled to fill it (cover). */
void emu_face_box(int w, int h, int *x, int *y, int *size);

#endif
