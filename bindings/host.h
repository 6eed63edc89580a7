/* host.h — runs a script in a fresh Lua state on the event loop; the boundary between
 * the command line (main.c, which knows no Lua) and the bindings. */
#ifndef ATELIER_HOST_H
#define ATELIER_HOST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct host_options {
  const char *progname;     /* for messages, usually "atelier" */
  const char *script;       /* path, "-" for stdin, or NULL when only -e chunks run */
  const char *module;       /* -m MODULE: run require(MODULE).main(arg) instead of a script */
  char **script_args;       /* arg[1..n] */
  int nscript_args;
  const char **chunks;      /* -e CODE, in command-line order */
  int nchunks;
  const char **libs;        /* -l NAME: require(NAME) before the script, in order */
  int nlibs;
  char **argv;              /* the whole command line, for arg[negative] */
  int script_index;         /* argv index of the script (or argc when none) */
  int sandbox;              /* --sandbox: run someone else's recipe (see sandbox.h) */
  const char *out_dir;      /* --out DIR */
  const char **allow_read;  /* --allow-read PATH, repeatable */
  int nallow_read;
  const char **allow_env;   /* --allow-env NAME, repeatable: what os.getenv may see */
  int nallow_env;
  const char **allow_host;  /* --allow-host HOST, repeatable: image URLs a recipe may send */
  int nallow_host;
  size_t max_memory;        /* --max-memory: Lua heap cap in bytes (0 = the default:
                               512 MiB with --sandbox, none without) */
  double max_time;          /* --max-time: wall-time limit in seconds (0 = none) */
  const char *journal_path; /* --journal, NULL = the default (.atelier/journal.db) */
  bool journal_fresh;       /* --fresh: start a new journal generation */
  bool retry_unknown;       /* --retry-unknown: resubmit jobs whose outcome is unknown */
  /* The API client (bindings/lfashn.h): */
  int concurrency;          /* --concurrency N (0 = default 6) */
  long max_credits;         /* --max-credits N (< 0 = no cap) */
  bool dry_run;             /* --dry-run */
  const char *base_url;     /* --base-url URL */
  bool emulator;            /* --emulator */
  bool quiet;               /* -q */
  const char *cacert;       /* --cacert FILE */
  const char *plan_file;    /* --plan FILE: a dry run's plan as JSON */
  bool no_rehearse;         /* --no-rehearse: --max-credits without the rehearsal first */
  /* Set by host_run itself for the rehearsal before a capped run: */
  const char *rehearsal_dir; /* where a dry run writes (NULL = .atelier/dry-run) */
  bool silent;              /* no plan printed (the rehearsal's output is not shown) */
} host_options;

/* Runs everything o asks for; returns the process exit status (0 ok, 1 error, 2 a
 * setting that cannot be used, e.g. a bad --out, 3 a plan over --max-credits: nothing
 * was bought). With --max-credits (not --dry-run, not --no-rehearse, the script not from
 * standard input) the recipe is first rehearsed silently, as --dry-run would, and run
 * for real only when its planned spend fits the cap. */
int host_run(const host_options *o);

/* The directory holding the shipped Lua modules (in-tree scripts/ or the installed
 * share/atelier/scripts), or NULL when neither is found. Static storage. */
const char *host_scripts_dir(void);

#endif
