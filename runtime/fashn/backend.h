/* backend.h — which FASHN server atelier talks to:
 * FASHN_API_KEY set -> the real API (https://api.fashn.ai, or FASHN_BASE_URL / an explicit
 * base URL); not set (or --emulator) -> the embedded fashn-emu started in-process on
 * 127.0.0.1 with an ephemeral port and a time scale from ATELIER_EMU_TIME_SCALE, with one
 * line on stderr saying images are emulated; --dry-run -> no server at all. */
#ifndef ATELIER_BACKEND_H
#define ATELIER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "fashn.h"

#define BACKEND_DEFAULT_URL "https://api.fashn.ai"
#define BACKEND_DEFAULT_EMU_SCALE 0.05

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
/* "api", "emulator", "dry-run" or "none". */
const char *backend_name(const backend *b);

#endif
