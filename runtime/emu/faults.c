/* faults.c — fault injection dice. Every decision is a hash of (fault seed, kind, how
 * many decisions of that kind came before), so a run with the same --fault-seed and the
 * same request order sees the same faults. */
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

uint64_t emu_mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t emu_hash(const void *data, size_t len, uint64_t h) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static const char *ENDPOINT_NAMES[] = {"run", "status", "credits", "cdn"};

/* Splits a comma list into owned strings; empty items are an error. */
static bool split_names(const char *list, char ***out, size_t *n, char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  size_t cap = 1;
  for (const char *p = list; *p; p++) cap += *p == ',';
  char **v = calloc(cap, sizeof *v);
  if (!v) return false;
  const char *p = list;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == 0 || len >= 40) {
      snprintf(err, errlen, "--fail-names: names must be 1..39 characters, comma separated");
      for (size_t i = 0; i < *n; i++) free(v[i]);
      free(v);
      return false;
    }
    v[*n] = strndup(p, len);
    if (!v[*n]) break;
    (*n)++;
    if (!comma) break;
    p = comma + 1;
  }
  *out = v;
  return true;
}

/* One of the words of a flag that picks a variant; NULL or "" = the first (default). */
static bool pick(const char *flag, const char *v, const char *const words[3], emu_fault_variant *out, char *err,
                 size_t errlen) {
  if (!v || !*v) v = words[0];
  for (int i = 0; i < 3; i++)
    if (!strcmp(v, words[i])) {
      *out = (emu_fault_variant)i;
      return true;
    }
  snprintf(err, errlen, "--%s: '%s' is not one of %s, %s, %s", flag, v, words[0], words[1], words[2]);
  return false;
}

bool emu_faults_init(emu_faults *f, const emu_config *c, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  f->seed = c->fault_seed;
  static const char *const when[3] = {"any", "before", "after"};
  static const char *const kind[3] = {"any", "garbage", "truncated"};
  if (!pick("drop-when", c->drop_when, when, &f->drop_when, err, errlen) ||
      !pick("malformed-kind", c->malformed_kind, kind, &f->malformed_kind, err, errlen))
    return false;
  static const char *const names429[] = {"RateLimitExceeded", "ConcurrencyLimitExceeded", "OutOfCredits", NULL};
  const char *n429 = c->http429_name && *c->http429_name ? c->http429_name : names429[0];
  for (int i = 0; names429[i]; i++)
    if (!strcmp(n429, names429[i])) f->http429_name = names429[i];
  if (!f->http429_name) {
    snprintf(err, errlen, "--http-429-name: '%s' is not one of RateLimitExceeded, ConcurrencyLimitExceeded, OutOfCredits",
             n429);
    return false;
  }
  if (!split_names(c->fail_names && *c->fail_names ? c->fail_names : "PipelineError", &f->fail_names,
                   &f->nfail, err, errlen))
    return false;
  if (!c->fault_endpoints) {
    f->endpoints = (1u << EP_RUN) | (1u << EP_STATUS) | (1u << EP_CREDITS) | (1u << EP_CDN);
    return true;
  }
  const char *p = c->fault_endpoints;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    int found = -1;
    for (int i = 0; i < 4; i++)
      if (strlen(ENDPOINT_NAMES[i]) == len && !memcmp(ENDPOINT_NAMES[i], p, len)) found = i;
    if (found < 0) {
      snprintf(err, errlen, "--fault-endpoints: '%.*s' is not one of run,status,credits,cdn", (int)len, p);
      emu_faults_free(f);
      return false;
    }
    f->endpoints |= 1u << found;
    if (!comma) break;
    p = comma + 1;
  }
  return true;
}

void emu_faults_free(emu_faults *f) {
  for (size_t i = 0; i < f->nfail; i++) free(f->fail_names[i]);
  free(f->fail_names);
  f->fail_names = NULL;
  f->nfail = 0;
}

bool emu_fault_roll(emu_faults *f, emu_fault_kind k, double rate, uint64_t *bits) {
  uint64_t n = f->counters[k]++;
  uint64_t h = emu_mix(f->seed ^ emu_mix(((uint64_t)k << 56) ^ n));
  if (bits) *bits = emu_mix(h);
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return (double)(h >> 11) * 0x1.0p-53 < rate;
}

bool emu_fault_endpoint(const emu_faults *f, emu_endpoint ep) {
  return ep < EP_OTHER && (f->endpoints & (1u << ep));
}
