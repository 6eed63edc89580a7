/* backend.h — which FASHN server atelier talks to:
 * FASHN_API_KEY set -> the real API (https://api.fashn.ai, or FASHN_BASE_URL / an explicit
 * base URL); not set (or --emulator) -> the embedded fashn-emu started in-process on
 * 127.0.0.1 with an ephemeral port and a time scale from ATELIER_EMU_TIME_SCALE, with one
 * line on stderr saying images are emulated; --dry-run -> a private embedded fashn-emu
 * in rehearsal mode: it answers at once (time x BACKEND_REHEARSAL_SCALE), never runs out
 * of credits, injects no faults and marks its placeholders "DRY RUN", so a dry run goes
 * through the client's real submit/poll/fetch paths and every job returns images. */
#ifndef ATELIER_BACKEND_H
#define ATELIER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "fashn.h"

#define BACKEND_DEFAULT_URL "https://api.fashn.ai"
#define BACKEND_DEFAULT_EMU_SCALE 0.05
#define BACKEND_REHEARSAL_SCALE 0.0005

typedef enum { BACKEND_NONE, BACKEND_DRY, BACKEND_API, BACKEND_EMULATOR } backend_kind;

typedef struct backend_want {
  bool dry_run, force_emulator, quiet;
  const char *base_url; /* explicit (configure / --base-url); NULL = env or default */
  const char *api_key;  /* explicit; NULL = env FASHN_API_KEY */
} backend_want;

typedef struct backend {
  backend_kind kind;
  char base_url[512];
  char *api_key;       /* owned, wiped on stop */
  double time_scale;   /* the embedded emulator's, else 1 */
  void *emu;           /* the embedded emulator (emu *) */
} backend;

/* Chooses and, for the emulator, starts the backend. False with err on failure. */
bool backend_choose(backend *b, const backend_want *w, char *err, size_t errlen);
/* Points cfg at the backend (base URL, key, and for the emulator its time scale). */
void backend_apply(const backend *b, fashn_config *cfg);
/* Stops the embedded emulator and forgets the key. */
void backend_stop(backend *b);
/* The base URL a real run (not a dry one) with w would talk to, or NULL when it would
 * use the embedded emulator; decides nothing and starts nothing (the journal keys of a
 * dry run's "cached" look-ups). Environment strings are returned as they are. */
const char *backend_real_name(const backend_want *w);
/* "api", "emulator", "dry-run" or "none". */
const char *backend_name(const backend *b);

#endif
