/* main.c — the `atelier` command line: parses options the way the stock `lua`
 * interpreter does where they overlap, then hands the script to the host. Knows no Lua:
 * everything past argument parsing happens in bindings/host.c. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bindings/host.h"
#include "image.h"
#include "journal.h"
#include "version.h"

#define PROGNAME "atelier"

static void print_usage(FILE *f) {
  fprintf(f,
          "usage: %s [options] [script.lua [args...]]\n"
          "Runs a Lua 5.4 recipe that generates fashion-model images (FASHN Model Create).\n"
          "\n"
          "Options:\n"
          "  -e CODE        run CODE before the script (may repeat)\n"
          "  -l NAME        require module NAME into global NAME before the script\n"
          "  -              read the script from standard input\n"
          "  --sandbox      run a recipe someone else wrote: no processes, C modules or\n"
          "                 debug library; writes only under --out, reads only there, in\n"
          "                 the script file's directory and under --allow-read paths; no\n"
          "                 environment variables, image URLs only on --allow-host hosts,\n"
          "                 API limits only lowered, Lua memory capped (see README)\n"
          "  --out DIR      where a sandboxed recipe writes (also its working directory)\n"
          "  --allow-read PATH  another directory a sandboxed recipe may read (repeatable)\n"
          "  --allow-env NAME   an environment variable os.getenv may see in the sandbox\n"
          "                 (repeatable; without it every name reads as nil)\n"
          "  --allow-host HOST  a host whose image URLs a sandboxed recipe may send as\n"
          "                 references (repeatable; exact name, any case)\n"
          "  --max-memory SIZE  cap on Lua memory, image objects included, e.g. 256M, 1G\n"
          "                 (512M with --sandbox, else none); past it the run stops\n"
          "                 (MemoryLimit)\n"
          "  --max-time SECONDS wall-time limit; past it the run stops (TimeLimit), jobs in\n"
          "                 flight stay in the journal for a rerun\n"
          "  --info FILE... print each image's format, size and embedded generation\n"
          "                 parameters (prompt, seed, model, inputs), then exit\n"
          "  --             stop handling options\n"
          "  -v, --version  print the version\n"
          "  -h, --help     print this help\n"
          "\n"
          "FASHN API (FASHN_API_KEY set: the real API; unset: the embedded emulator):\n"
          "  --concurrency N  unfinished predictions at once (default 6, the account limit)\n"
          "  --max-credits N  refuse to submit beyond N credits (jobs in flight count)\n"
          "  --dry-run        check every job, print what would be submitted and its cost,\n"
          "                   submit nothing\n"
          "  --base-url URL   the API's address (default $FASHN_BASE_URL or https://api.fashn.ai)\n"
          "  --cacert FILE    trust the CA certificates in FILE (PEM) instead of the system's;\n"
          "                   TLS is always verified\n"
          "  --emulator       use the embedded fashn-emu even when FASHN_API_KEY is set\n"
          "  -q, --quiet      no progress line or log lines on stderr\n"
          "\n"
          "The journal (every job submitted, what came back, the images; a rerun buys nothing\n"
          "twice and resumes what was in flight):\n"
          "  --journal PATH    where it is (default " JOURNAL_DEFAULT_PATH " in this directory)\n"
          "  --fresh           ignore what it holds: submit every job anew (history is kept)\n"
          "  --retry-unknown   submit again the jobs whose earlier submit has an unknown\n"
          "                    outcome (it may have been charged: this can pay twice)\n"
          "  --journal-report  print what it holds (jobs, credits spent and saved) and exit\n"
          "\n"
          "Without a script or -e, a script is read from standard input when it is not a "
          "terminal.\n"
          "Exit status: 0 success, 1 script error, 2 usage error.\n",
          PROGNAME);
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
  int i = 1;
  int status = -1;
  for (; i < argc && status < 0; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) break; /* the script */
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      print_usage(stdout);
      status = 0;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
      version = true;
    } else if (strcmp(a, "-e") == 0 || strcmp(a, "-l") == 0) {
      if (i + 1 >= argc) status = usage_error("'%s' needs an argument", a);
      else if (a[1] == 'e') chunks[o.nchunks++] = argv[++i];
      else libs[o.nlibs++] = argv[++i];
    } else if (strcmp(a, "--info") == 0) {
      if (i + 1 >= argc) status = usage_error("'%s' needs at least one image file", a);
      else for (status = 0; i + 1 < argc; i++) status |= image_print_info(argv[i + 1], stdout, stderr);
    } else if (strcmp(a, "--sandbox") == 0) {
      o.sandbox = 1;
    } else if (strcmp(a, "--out") == 0 || strcmp(a, "--allow-read") == 0) {
      if (i + 1 >= argc) status = usage_error("'%s' needs a path", a);
      else if (a[2] == 'o') o.out_dir = argv[++i];
      else allow_read[o.nallow_read++] = argv[++i];
    } else if (strcmp(a, "--allow-env") == 0 || strcmp(a, "--allow-host") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0]) status = usage_error("'%s' needs a name", a);
      else if (a[8] == 'e') allow_env[o.nallow_env++] = argv[++i];
      else if (!plain_host(argv[i + 1]))
        status = usage_error("--allow-host takes a host name (no scheme, port or path), got '%s'", argv[i + 1]);
      else allow_host[o.nallow_host++] = argv[++i];
    } else if (strcmp(a, "--max-memory") == 0) {
      if (i + 1 >= argc) status = usage_error("'%s' needs a size (e.g. 256M or 1G)", a);
      else if (!parse_size(argv[i + 1], &o.max_memory))
        status = usage_error("--max-memory needs a size from 1M to 1024G (e.g. 256M or 1G), got '%s'", argv[i + 1]);
      else i++;
    } else if (strcmp(a, "--max-time") == 0) {
      if (i + 1 >= argc) status = usage_error("'%s' needs a number of seconds", a);
      else if (!parse_seconds(argv[i + 1], &o.max_time))
        status = usage_error("--max-time needs a number of seconds > 0, got '%s'", argv[i + 1]);
      else i++;
    } else if (strcmp(a, "--journal") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0]) status = usage_error("'%s' needs a file name", a);
      else o.journal_path = argv[++i];
    } else if (strcmp(a, "--fresh") == 0) {
      o.journal_fresh = true;
    } else if (strcmp(a, "--retry-unknown") == 0) {
      o.retry_unknown = true;
    } else if (strcmp(a, "--journal-report") == 0) {
      report = true;
    } else if (strcmp(a, "--concurrency") == 0 || strcmp(a, "--max-credits") == 0) {
      long v;
      if (i + 1 >= argc) status = usage_error("'%s' needs a number", a);
      else if (!parse_count(argv[i + 1], a[2] == 'c' ? 1 : 0, a[2] == 'c' ? 64 : 1000000000L, &v))
        status = usage_error(a[2] == 'c' ? "--concurrency needs an integer from 1 to 64, got '%s'"
                                         : "--max-credits needs an integer >= 0, got '%s'",
                             argv[i + 1]);
      else if (a[2] == 'c') o.concurrency = (int)v, i++;
      else o.max_credits = v, i++;
    } else if (strcmp(a, "--base-url") == 0) {
      if (i + 1 >= argc) status = usage_error("'%s' needs a URL", a);
      else o.base_url = argv[++i];
    } else if (strcmp(a, "--cacert") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0]) status = usage_error("'%s' needs a file name", a);
      else o.cacert = argv[++i];
    } else if (strcmp(a, "--dry-run") == 0) {
      o.dry_run = true;
    } else if (strcmp(a, "--emulator") == 0) {
      o.emulator = true;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      o.quiet = true;
    } else if (strncmp(a, "-e", 2) == 0) { /* -eCODE, as lua accepts */
      chunks[o.nchunks++] = a + 2;
    } else if (strncmp(a, "-l", 2) == 0) {
      libs[o.nlibs++] = a + 2;
    } else {
      status = usage_error("unknown option '%s'", a);
    }
  }
  if (status < 0 && (o.out_dir || o.nallow_read || o.nallow_env || o.nallow_host) && !o.sandbox)
    status = usage_error("%s only makes sense with --sandbox", o.out_dir ? "--out"
                                                              : o.nallow_read ? "--allow-read"
                                                              : o.nallow_env ? "--allow-env"
                                                                              : "--allow-host");
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
    if (i < argc) {
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
  if (status < 0) status = (o.script || o.nchunks || o.nlibs) ? host_run(&o) : 0;
  free(chunks);
  free(libs);
  free(allow_read);
  free(allow_env);
  free(allow_host);
  return status;
}
