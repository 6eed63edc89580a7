/* backend.c — choosing the server, and running the embedded emulator (see backend.h). */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/http.h"
#include "../io/netaddr.h"

#if __has_include("../emu/emu.h")
#include "../emu/emu.h"
#define HAVE_EMU 1
#else
#define HAVE_EMU 0
#endif

/* The embedded emulator; rehearsal: the private server of a dry run (see backend.h). */
static bool start_emulator(backend *b, bool quiet, bool rehearsal, char *err, size_t errlen) {
#if HAVE_EMU
  double scale = rehearsal ? BACKEND_REHEARSAL_SCALE : BACKEND_DEFAULT_EMU_SCALE;
  const char *env = rehearsal ? NULL : getenv("ATELIER_EMU_TIME_SCALE");
  if (env && *env) {
    char *end;
    scale = strtod(env, &end);
    if (*end || !(scale > 0) || scale > 100) {
      snprintf(err, errlen, "ATELIER_EMU_TIME_SCALE must be a number in (0, 100], got '%s'", env);
      return false;
    }
  }
  emu_config ec;
  emu_config_defaults(&ec);
  ec.port = 0;
  ec.time_scale = scale;
  /* the whole emulated service runs on the scaled clock, its rate windows included */
  ec.run_window *= scale;
  ec.status_window *= scale;
  ec.credits_window *= scale;
  ec.base64_ttl = -1;
  ec.retention = -1;
  if (rehearsal) { /* answers at once, never runs out, marks every picture DRY RUN */
    ec.credits = (int64_t)1 << 50;
    ec.dry_run_mark = true;
  }
  emu *e = emu_start(&ec, err, errlen);
  if (!e) return false;
  b->emu = e;
  b->kind = rehearsal ? BACKEND_DRY : BACKEND_EMULATOR;
  b->time_scale = scale;
  snprintf(b->base_url, sizeof b->base_url, "%s", emu_url(e));
  b->api_key = strdup("atelier-embedded-emulator");
  if (!quiet && !rehearsal)
    fprintf(stderr,
            "atelier: FASHN_API_KEY is not set: using the embedded fashn-emu (%s, time x%g); "
            "images are emulated, credits too (nothing is charged)\n",
            b->base_url, scale);
  return b->api_key != NULL;
#else
  (void)b;
  (void)quiet;
  snprintf(err, errlen, rehearsal ? "--dry-run needs the embedded emulator, which this build lacks"
                                  : "FASHN_API_KEY is not set and this build has no embedded emulator");
  return false;
#endif
}

bool backend_choose(backend *b, const backend_want *w, char *err, size_t errlen) {
  memset(b, 0, sizeof *b);
  b->time_scale = 1;
  if (w->dry_run) return start_emulator(b, w->quiet, true, err, errlen);
  const char *key = w->api_key;
  if (!key || !*key) key = getenv("FASHN_API_KEY");
  if (key && !*key) key = NULL;
  const char *url = w->base_url;
  if (!url || !*url) url = getenv("FASHN_BASE_URL");
  if (url && !*url) url = NULL;
  if (w->force_emulator || (!key && !url)) return start_emulator(b, w->quiet, false, err, errlen);
  if (!url) url = BACKEND_DEFAULT_URL;
  if (strlen(url) >= sizeof b->base_url) {
    snprintf(err, errlen, "the API base URL is too long");
    return false;
  }
  char why[160];
  if (!http_url_allowed(url, why, sizeof why)) {
    snprintf(err, errlen, "bad API base URL: %s", why);
    return false;
  }
  if (!key && !net_url_is_loopback(url)) {
    snprintf(err, errlen, "FASHN_API_KEY is not set (needed to talk to %s)", url);
    return false;
  }
  b->kind = BACKEND_API;
  snprintf(b->base_url, sizeof b->base_url, "%s", url);
  b->api_key = strdup(key ? key : "local"); /* a loopback server (fashn-emu) without a key */
  return b->api_key != NULL;
}

void backend_apply(const backend *b, fashn_config *cfg) {
  cfg->dry_run = b->kind == BACKEND_DRY;
  cfg->base_url = b->base_url;
  cfg->api_key = b->api_key;
  if (b->kind == BACKEND_EMULATOR || b->kind == BACKEND_DRY) {
    double s = b->time_scale;
    cfg->time_scale = s;
    cfg->run_window *= s;
    cfg->status_window *= s;
    cfg->status_rate /= s;
    cfg->credits_window *= s;
    cfg->poll_min_interval = cfg->poll_min_interval * s > 0.005 ? cfg->poll_min_interval * s : 0.005;
    cfg->poll_max_interval = cfg->poll_max_interval * s > 0.02 ? cfg->poll_max_interval * s : 0.02;
  }
}

void backend_stop(backend *b) {
#if HAVE_EMU
  if (b->emu) emu_stop(b->emu);
#endif
  b->emu = NULL;
  if (b->api_key) {
    memset(b->api_key, 0, strlen(b->api_key));
    free(b->api_key);
  }
  b->api_key = NULL;
  b->kind = BACKEND_NONE;
}

const char *backend_real_name(const backend_want *w) {
  const char *key = w->api_key;
  if (!key || !*key) key = getenv("FASHN_API_KEY");
  if (key && !*key) key = NULL;
  const char *url = w->base_url;
  if (!url || !*url) url = getenv("FASHN_BASE_URL");
  if (url && !*url) url = NULL;
  if (w->force_emulator || (!key && !url)) return NULL;
  return url ? url : BACKEND_DEFAULT_URL;
}

const char *backend_name(const backend *b) {
  switch (b->kind) {
    case BACKEND_DRY: return "dry-run";
    case BACKEND_API: return "api";
    case BACKEND_EMULATOR: return "emulator";
    default: return "none";
  }
}
