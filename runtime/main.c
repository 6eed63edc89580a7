/* main.c — the `atelier` command line: one option table drives getopt_long, `--help` and
 * the man page's check (tests/lua/test_docs.lua), with the stock `lua` interpreter's
 * options where they overlap. Knows no Lua: everything past argument parsing happens in
 * bindings/host.c. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bindings/host.h"
#include "base/version.h"
#include "image/image.h"
#include "base/sha256.h"
#include "journal/journal.h"
#include "journal/journal_peek.h"

#define PROGNAME "atelier"

/* Ids of options without a one-letter form start past every character. */
enum {
  OPT_INFO = 256, OPT_SANDBOX, OPT_OUT, OPT_ALLOW_READ, OPT_ALLOW_ENV, OPT_ALLOW_HOST, OPT_MAX_MEMORY,
  OPT_MAX_TIME, OPT_CONCURRENCY, OPT_MAX_CREDITS,
  OPT_DRY_RUN, OPT_BASE_URL, OPT_CACERT, OPT_EMULATOR, OPT_JOURNAL, OPT_FRESH,
  OPT_RETRY_UNKNOWN, OPT_JOURNAL_REPORT, OPT_PLAN, OPT_NO_REHEARSE,
};

/* One row per option: how getopt_long knows it and how --help shows it. A row with
 * id 0 is a section heading (help holds the heading text). */
typedef struct cli_option {
  int id;           /* getopt_long's value: the short letter, or an OPT_* id */
  const char *name; /* the long name, or NULL */
  const char *arg;  /* the argument's name in --help, or NULL when it takes none */
  const char *help; /* lines separated by \n */
} cli_option;

static const cli_option OPTIONS[] = {
  {0, NULL, NULL, "Options:"},
  {'e', NULL, "CODE", "run CODE before the script (may repeat)"},
  {'l', NULL, "NAME", "require module NAME into global NAME before the script"},
  {'m', NULL, "MODULE",
   "run a shipped module's command line instead of a script; what\n"
   "follows MODULE is its own (atelier -m lookbook --help)"},
  {OPT_SANDBOX, "sandbox", NULL,
   "run a recipe someone else wrote: no processes, C modules or\n"
   "debug library; writes only under --out, reads only there, in\n"
   "the script file's directory and under --allow-read paths; no\n"
   "environment variables, image URLs only on --allow-host hosts,\n"
   "API limits only lowered, Lua memory capped (see README)"},
  {OPT_OUT, "out", "DIR", "where a sandboxed recipe writes (also its working directory)"},
  {OPT_ALLOW_READ, "allow-read", "PATH", "another directory a sandboxed recipe may read (repeatable)"},
  {OPT_ALLOW_ENV, "allow-env", "NAME",
   "an environment variable os.getenv may see in the sandbox\n"
   "(repeatable; without it every name reads as nil)"},
  {OPT_ALLOW_HOST, "allow-host", "HOST",
   "a host whose image URLs a sandboxed recipe may send as\n"
   "references (repeatable; exact name, any case)"},
  {OPT_MAX_MEMORY, "max-memory", "SIZE",
   "cap on Lua memory, image objects included, e.g. 256M, 1G\n"
   "(512M with --sandbox, else none); past it the run stops\n"
   "(MemoryLimit)"},
  {OPT_MAX_TIME, "max-time", "SECONDS",
   "wall-time limit; past it the run stops (TimeLimit), jobs in\n"
   "flight stay in the journal for a rerun"},
  {OPT_INFO, "info", "FILE...",
   "print each image's format, size and embedded generation\n"
   "parameters (prompt, seed, model, inputs), an MP4's size and\n"
   "length and what the journal knows of it, then exit"},
  {'v', "version", NULL, "print the version"},
  {'h', "help", NULL, "print this help"},
  {0, NULL, NULL, "FASHN API (FASHN_API_KEY set: the real API; unset: the embedded emulator):"},
  {OPT_CONCURRENCY, "concurrency", "N", "unfinished predictions at once (default 6, the account limit)"},
  {OPT_MAX_CREDITS, "max-credits", "N",
   "all or nothing: rehearse the recipe first (as --dry-run) and\n"
   "buy nothing when its plan costs more than N credits (exit 3);\n"
   "each submit is checked against N too"},
  {OPT_NO_REHEARSE, "no-rehearse", NULL,
   "with --max-credits: skip the rehearsal, check N at each submit\n"
   "only (the jobs that fit are bought)"},
  {OPT_DRY_RUN, "dry-run", NULL,
   "rehearse: run the whole recipe against a private emulator\n"
   "(placeholder images marked DRY RUN), its files written under\n"
   ".atelier/dry-run/, then print the plan: every job, its cost,\n"
   "the total; nothing is sent to the API"},
  {OPT_PLAN, "plan", "FILE", "with --dry-run: write the plan as JSON to FILE"},
  {OPT_BASE_URL, "base-url", "URL", "the API's address (default $FASHN_BASE_URL or https://api.fashn.ai)"},
  {OPT_CACERT, "cacert", "FILE",
   "trust the CA certificates in FILE (PEM) instead of the system's;\n"
   "TLS is always verified"},
  {OPT_EMULATOR, "emulator", NULL, "use the embedded fashn-emu even when FASHN_API_KEY is set"},
  {'q', "quiet", NULL, "no progress line or log lines on stderr"},
  {0, NULL, NULL,
   "The journal (every job submitted, what came back, the images; a rerun buys nothing\n"
   "twice and resumes what was in flight):"},
  {OPT_JOURNAL, "journal", "PATH", "where it is (default " JOURNAL_DEFAULT_PATH " in this directory)"},
  {OPT_FRESH, "fresh", NULL, "ignore what it holds: submit every job anew (history is kept)"},
  {OPT_RETRY_UNKNOWN, "retry-unknown", NULL,
   "submit again the jobs whose earlier submit has an unknown\n"
   "outcome (it may have been charged: this can pay twice)"},
  {OPT_JOURNAL_REPORT, "journal-report", NULL, "print what it holds (jobs, credits spent and saved) and exit"},
};
#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

/* The column where help texts start; an option wider than it gets its own line. */
#define HELP_COLUMN 19

/* "-e CODE", "--out DIR", "-v, --version" into out. */
static void option_label(const cli_option *c, char *out, size_t len) {
  char shortform[4] = "";
  if (c->id > 0 && c->id < 256) snprintf(shortform, sizeof shortform, "-%c", c->id);
  snprintf(out, len, "%s%s%s%s%s%s", shortform, *shortform && c->name ? ", " : "", c->name ? "--" : "",
           c->name ? c->name : "", c->arg ? " " : "", c->arg ? c->arg : "");
}

static void print_usage(FILE *f) {
  fprintf(f,
          "usage: %s [options] [script.lua [args...]]\n"
          "       %s [options] -m MODULE [its arguments...]\n"
          "Runs a Lua 5.4 recipe that generates fashion-model images (FASHN Model Create).\n",
          PROGNAME, PROGNAME);
  for (size_t i = 0; i < NOPTIONS; i++) {
    const cli_option *c = &OPTIONS[i];
    if (c->id == 0) {
      fprintf(f, "\n%s\n", c->help);
      if (i == 0) { /* the two spellings getopt handles itself, with lua's meaning */
        fprintf(f, "  %-*s%s\n", HELP_COLUMN - 2, "-", "read the script from standard input");
        fprintf(f, "  %-*s%s\n", HELP_COLUMN - 2, "--", "stop handling options");
      }
      continue;
    }
    char label[64];
    option_label(c, label, sizeof label);
    /* The label, then the text from HELP_COLUMN (two spaces at least between them). */
    int pad = HELP_COLUMN - 2 - (int)strlen(label);
    fprintf(f, "  %s%*s", label, pad < 2 ? 2 : pad, "");
    for (const char *line = c->help, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
      nl = strchr(line, '\n');
      int n = nl ? (int)(nl - line) : (int)strlen(line);
      fprintf(f, "%*s%.*s\n", line == c->help ? 0 : HELP_COLUMN, "", n, line);
    }
  }
  fprintf(f,
          "\nWithout a script or -e, a script is read from standard input when it is not a "
          "terminal.\n"
          "Exit status: 0 success, 1 script error, 2 usage error, 3 the plan is over\n"
          "--max-credits (nothing was bought).\n");
}

static void print_version(void) {
  printf("%s %s (Lua 5.4)\n", PROGNAME, ATELIER_VERSION);
}

static int usage_error(const char *fmt, const char *what) {
  fprintf(stderr, "%s: ", PROGNAME);
  fprintf(stderr, fmt, what);
  fprintf(stderr, "\nTry '%s --help'.\n", PROGNAME);
  return 2;
}

/* A size in bytes: digits with an optional K, M or G suffix (binary multiples), at
 * least 1 MiB (less cannot even load the shipped modules) and at most 1 TiB. */
static bool parse_size(const char *s, size_t *out) {
  char *end;
  if (*s < '0' || *s > '9') return false;
  unsigned long long v = strtoull(s, &end, 10);
  unsigned long long mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1ull << 10, end++;
  else if (*end == 'M' || *end == 'm') mul = 1ull << 20, end++;
  else if (*end == 'G' || *end == 'g') mul = 1ull << 30, end++;
  if (*end == 'B' || *end == 'b') end++;
  if (*end || v > (1ull << 40) / mul) return false;
  v *= mul;
  if (v < (1ull << 20) || v > (1ull << 40)) return false;
  *out = (size_t)v;
  return true;
}

/* A host name as URLs are matched against it: letters, digits, '.', '-', '_'. */
static bool plain_host(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
          *s == '-' || *s == '_'))
      return false;
  return true;
}

/* Seconds: a positive decimal number, at most a year. */
static bool parse_seconds(const char *s, double *out) {
  char *end;
  if (!*s) return false;
  double v = strtod(s, &end);
  if (*end || !(v > 0 && v <= 366.0 * 86400)) return false;
  *out = v;
  return true;
}

/* A whole decimal number in [lo, hi]. */
static bool parse_count(const char *s, long lo, long hi, long *out) {
  char *end;
  if (!*s) return false;
  long v = strtol(s, &end, 10);
  if (*end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* getopt_long's tables from OPTIONS: "+:" stops at the script (its arguments are its
 * own, as with lua) and lets us word the errors. */
static void build_getopt_tables(struct option *longopts, char *shortopts) {
  size_t nl = 0, ns = 0;
  shortopts[ns++] = '+';
  shortopts[ns++] = ':';
  for (size_t i = 0; i < NOPTIONS; i++) {
    const cli_option *c = &OPTIONS[i];
    if (c->id == 0) continue;
    if (c->name)
      longopts[nl++] = (struct option){c->name, c->arg && c->id != OPT_INFO ? required_argument : no_argument,
                                       NULL, c->id};
    if (c->id < 256) {
      shortopts[ns++] = (char)c->id;
      if (c->arg) shortopts[ns++] = ':';
    }
  }
  longopts[nl] = (struct option){0};
  shortopts[ns] = '\0';
}

/* The option argv[optind - 1] names, for messages (getopt leaves it there). */
static const char *current_option(char **argv, int optopt_value) {
  static char shortform[3];
  if (optopt_value > 0 && optopt_value < 256) {
    snprintf(shortform, sizeof shortform, "-%c", optopt_value);
    return shortform;
  }
  return argv[optind - 1];
}

/* The "needs ..." wording of a missing argument, by option. */
static const char *missing_argument_message(int id) {
  switch (id) {
    case OPT_CONCURRENCY: case OPT_MAX_CREDITS: return "'%s' needs a number";
    case OPT_OUT: case OPT_ALLOW_READ: return "'%s' needs a path";
    case OPT_ALLOW_ENV: case OPT_ALLOW_HOST: return "'%s' needs a name";
    case OPT_MAX_MEMORY: return "'%s' needs a size (e.g. 256M or 1G)";
    case OPT_MAX_TIME: return "'%s' needs a number of seconds";
    case OPT_JOURNAL: case OPT_CACERT: case OPT_PLAN: return "'%s' needs a file name";
    case OPT_BASE_URL: return "'%s' needs a URL";
    default: return "'%s' needs an argument";
  }
}

/* Applies one parsed option to o; returns -1 to go on, else an exit status. */
static int apply_option(int id, const char *arg, host_options *o, bool *version, bool *report) {
  long v;
  switch (id) {
    case 'h': print_usage(stdout); return 0;
    case 'v': *version = true; return -1;
    case 'e': o->chunks[o->nchunks++] = arg; return -1;
    case 'l': o->libs[o->nlibs++] = arg; return -1;
    case 'm': o->module = arg; return -1;
    case 'q': o->quiet = true; return -1;
    case OPT_SANDBOX: o->sandbox = 1; return -1;
    case OPT_OUT: o->out_dir = arg; return -1;
    case OPT_ALLOW_READ: o->allow_read[o->nallow_read++] = arg; return -1;
    case OPT_ALLOW_ENV:
      if (!*arg) return usage_error("'%s' needs a name", "--allow-env");
      o->allow_env[o->nallow_env++] = arg;
      return -1;
    case OPT_ALLOW_HOST:
      if (!plain_host(arg)) return usage_error("--allow-host takes a host name (no scheme, port or path), got '%s'", arg);
      o->allow_host[o->nallow_host++] = arg;
      return -1;
    case OPT_MAX_MEMORY:
      if (!parse_size(arg, &o->max_memory))
        return usage_error("--max-memory needs a size from 1M to 1024G (e.g. 256M or 1G), got '%s'", arg);
      return -1;
    case OPT_MAX_TIME:
      if (!parse_seconds(arg, &o->max_time)) return usage_error("--max-time needs a number of seconds > 0, got '%s'", arg);
      return -1;
    case OPT_JOURNAL:
      if (!*arg) return usage_error("'%s' needs a file name", "--journal");
      o->journal_path = arg;
      return -1;
    case OPT_FRESH: o->journal_fresh = true; return -1;
    case OPT_RETRY_UNKNOWN: o->retry_unknown = true; return -1;
    case OPT_JOURNAL_REPORT: *report = true; return -1;
    case OPT_CONCURRENCY:
      if (!parse_count(arg, 1, 64, &v)) return usage_error("--concurrency needs an integer from 1 to 64, got '%s'", arg);
      o->concurrency = (int)v;
      return -1;
    case OPT_MAX_CREDITS:
      if (!parse_count(arg, 0, 1000000000L, &v)) return usage_error("--max-credits needs an integer >= 0, got '%s'", arg);
      o->max_credits = v;
      return -1;
    case OPT_BASE_URL: o->base_url = arg; return -1;
    case OPT_CACERT:
      if (!*arg) return usage_error("'%s' needs a file name", "--cacert");
      o->cacert = arg;
      return -1;
    case OPT_DRY_RUN: o->dry_run = true; return -1;
    case OPT_NO_REHEARSE: o->no_rehearse = true; return -1;
    case OPT_PLAN:
      if (!*arg) return usage_error("'%s' needs a file name", "--plan");
      o->plan_file = arg;
      return -1;
    case OPT_EMULATOR: o->emulator = true; return -1;
    default: return usage_error("unknown option '%s'", "?");
  }
}

/* Parses argv into o. Returns -1 to go on running, else the exit status; *script_index
 * is where the script (or the end) is. */
/* --info's look-up for a file that carries no metadata (a video saved as delivered):
 * the journal's record of the output with the same bytes. ud is the journal's path
 * (--journal before --info), NULL for the default. */
static bool journal_meta_lookup(void *ud, const void *data, size_t len, buf *meta) {
  char hex[SHA256_HEX_LEN + 1], err[256];
  bool missing;
  if (!sha256_hex(data, len, hex)) return false;
  journal_peek *p = journal_peek_open(ud, &missing, err, sizeof err);
  if (!p) return false;
  bool found = journal_peek_output(p, hex, meta);
  journal_peek_close(p);
  return found;
}

static int parse_command_line(int argc, char **argv, host_options *o, bool *version, bool *report,
                              int *script_index) {
  struct option longopts[NOPTIONS + 1];
  char shortopts[2 * NOPTIONS + 3];
  build_getopt_tables(longopts, shortopts);
  opterr = 0;
  optind = 1;
  int status = -1, id;
  while (status < 0 && (id = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (id == '?') {
      status = usage_error("unknown option '%s'", current_option(argv, optopt));
    } else if (id == ':') {
      int which = optopt;
      for (size_t i = 0; which == 0 && i < NOPTIONS; i++) /* a long option: find it by name */
        if (OPTIONS[i].name && strncmp(argv[optind - 1] + 2, OPTIONS[i].name, strlen(OPTIONS[i].name)) == 0)
          which = OPTIONS[i].id;
      status = usage_error(missing_argument_message(which), current_option(argv, optopt));
    } else if (id == OPT_INFO) {
      /* Every argument after --info is an image or MP4 file; it answers and exits. */
      if (optind >= argc) return usage_error("'%s' needs at least one image file", "--info");
      for (status = 0; optind < argc; optind++)
        status |= image_print_info(argv[optind], stdout, stderr, journal_meta_lookup, (void *)o->journal_path);
      return status;
    } else {
      status = apply_option(id, optarg, o, version, report);
      if (id == 'm') break; /* the rest of the line is the module's */
    }
  }
  *script_index = optind;
  return status;
}

int main(int argc, char **argv) {
  host_options o = {.progname = PROGNAME, .argv = argv, .max_credits = -1};
  const char **chunks = calloc((size_t)argc + 1, sizeof *chunks);
  const char **libs = calloc((size_t)argc + 1, sizeof *libs);
  const char **allow_read = calloc((size_t)argc + 1, sizeof *allow_read);
  const char **allow_env = calloc((size_t)argc + 1, sizeof *allow_env);
  const char **allow_host = calloc((size_t)argc + 1, sizeof *allow_host);
  if (!chunks || !libs || !allow_read || !allow_env || !allow_host) {
    fprintf(stderr, "%s: out of memory\n", PROGNAME);
    return 1;
  }
  o.chunks = chunks;
  o.libs = libs;
  o.allow_read = allow_read;
  o.allow_env = allow_env;
  o.allow_host = allow_host;
  bool version = false, report = false;
  int i = argc;
  int status = parse_command_line(argc, argv, &o, &version, &report, &i);
  if (status < 0 && (o.out_dir || o.nallow_read || o.nallow_env || o.nallow_host) && !o.sandbox)
    status = usage_error("%s only makes sense with --sandbox", o.out_dir ? "--out"
                                                              : o.nallow_read ? "--allow-read"
                                                              : o.nallow_env ? "--allow-env"
                                                                              : "--allow-host");
  if (status < 0 && o.plan_file && !o.dry_run) status = usage_error("%s only makes sense with --dry-run", "--plan");
  if (status < 0 && o.sandbox && !o.out_dir)
    status = usage_error("%s needs --out DIR (where the recipe may write)", "--sandbox");
  if (status < 0 && o.sandbox && o.max_credits < 0)
    status = usage_error("%s needs --max-credits N (a cap on what the recipe may spend)", "--sandbox");
  if (status < 0 && report) {
    /* Reads the journal and exits; a script given too is a usage error, not ignored. */
    if (i < argc) {
      status = usage_error("--journal-report takes no script (got '%s')", argv[i]);
    } else {
      char err[512];
      status = journal_report(o.journal_path, stdout, err, sizeof err) ? 0 : 1;
      if (status) fprintf(stderr, "%s: %s\n", PROGNAME, err);
    }
  }
  if (status < 0) {
    if (version) print_version();
    o.script_index = i;
    if (o.module) { /* -m MODULE: every later argument is the module's own */
      o.script_args = argv + i;
      o.nscript_args = argc - i;
    } else if (i < argc) {
      o.script = argv[i];
      o.script_args = argv + i + 1;
      o.nscript_args = argc - i - 1;
    } else if (o.nchunks == 0 && o.nlibs == 0 && !version) {
      if (isatty(STDIN_FILENO)) {
        print_usage(stderr);
        status = 2;
      } else {
        o.script = "-";
      }
    }
  }
  if (status < 0) status = (o.script || o.module || o.nchunks || o.nlibs) ? host_run(&o) : 0;
  free(chunks);
  free(libs);
  free(allow_read);
  free(allow_env);
  free(allow_host);
  return status;
}
