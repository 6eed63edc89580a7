/* lfashn.h — the `fashn` Lua module's C side (module "fashn.core"; the friendly API is
 * scripts/fashn.lua) and the settings the command line hands it. */
#ifndef ATELIER_LFASHN_H
#define ATELIER_LFASHN_H

#include <lua.h>
#include <stdbool.h>

/* Command-line settings for the API client (main.c -> host -> here). */
typedef struct lfashn_cli {
  int concurrency;        /* --concurrency N; 0 = default */
  long max_credits;       /* --max-credits N; < 0 = no cap */
  bool dry_run;           /* --dry-run */
  const char *base_url;   /* --base-url URL, or NULL */
  bool emulator;          /* --emulator: use the embedded fashn-emu even with a key */
  bool quiet;             /* -q */
  const char *cacert;     /* --cacert FILE: CA certificates to trust instead of the system's */
  const char *plan_file;  /* --plan FILE: a dry run's plan as JSON, or NULL */
  bool silent;            /* the rehearsal under --max-credits: no plan printed */
} lfashn_cli;

/* Records the command line's settings in L (before any script runs). */
void lfashn_set_cli(lua_State *L, const lfashn_cli *cli);

/* Ends the run for the client, if one was made: final summary line and leak checks; in
 * a dry run the plan (stdout; JSON into --plan FILE). Returns 0, or 3 when a dry run's
 * plan is over --max-credits (a real run would buy nothing), or 1 when --plan FILE
 * cannot be written. */
int lfashn_finish(lua_State *L);

/* A dry run's planned spend so far: credits of the jobs submitted that the journal does
 * not hold (0 when nothing was submitted or this is no dry run). */
long lfashn_planned_credits(lua_State *L);

int luaopen_fashn_core(lua_State *L);

#endif
