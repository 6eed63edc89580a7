/* config.c — fashn-emu's configuration: the contract's defaults, the command-line flags
 * that set each field (one flag per field, same names as emu.h), and --help. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

void emu_config_defaults(emu_config *c) {
  memset(c, 0, sizeof *c);
  c->port = 0;
  c->time_scale = 1.0;
  c->credits = 100000;
  c->run_limit = 50;
  c->run_window = 60;
  c->status_limit = 50;
  c->status_window = 10;
  c->credits_limit = 30;
  c->credits_window = 10;
  c->concurrency_limit = 6;
  c->base64_ttl = -1;
  c->retention = -1;
  c->max_body = 16u << 20;
  c->render_threads = 2;
  c->fault_seed = 1;
  c->slow_rate = 1;
}

typedef enum { O_INT, O_I64, O_U64, O_DOUBLE, O_RATE, O_SIZE, O_STR, O_BOOL } opt_kind;

typedef struct opt {
  const char *name;
  opt_kind kind;
  size_t offset;
  double min, max; /* for numbers */
  const char *help;
} opt;

#define F(field) offsetof(emu_config, field)
static const opt OPTS[] = {
    {"port", O_INT, F(port), 0, 65535, "TCP port on 127.0.0.1; 0 = any free port (0)"},
    {"api-key", O_STR, F(api_key), 0, 0, "the only accepted bearer token (default: any non-empty one)"},
    {"time-scale", O_DOUBLE, F(time_scale), 0, 1e6, "multiplies every processing time (1)"},
    {"credits", O_I64, F(credits), 0, 1e15, "starting credit balance (100000)"},
    {"run-limit", O_INT, F(run_limit), 0, 1e9, "POST /v1/run requests per window, 0 = unlimited (50)"},
    {"run-window", O_DOUBLE, F(run_window), 0.001, 1e9, "seconds (60)"},
    {"status-limit", O_INT, F(status_limit), 0, 1e9, "GET /v1/status requests per window (50)"},
    {"status-window", O_DOUBLE, F(status_window), 0.001, 1e9, "seconds (10)"},
    {"credits-limit", O_INT, F(credits_limit), 0, 1e9, "GET /v1/credits requests per window (30)"},
    {"credits-window", O_DOUBLE, F(credits_window), 0.001, 1e9, "seconds (10)"},
    {"concurrency-limit", O_INT, F(concurrency_limit), 0, 1e9,
     "unfinished predictions allowed at once, 0 = unlimited (6)"},
    {"base64-ttl", O_DOUBLE, F(base64_ttl), -1, 1e12,
     "seconds base64 outputs are kept (default 3600 x time-scale)"},
    {"retention", O_DOUBLE, F(retention), -1, 1e12,
     "seconds ids and CDN outputs are kept (default 72 h x time-scale)"},
    {"max-body", O_SIZE, F(max_body), 1024, 1e10, "largest request body in bytes; larger gets 500 (16 MiB)"},
    {"render-threads", O_INT, F(render_threads), 1, 64, "image rendering threads (2)"},
    {"verbose", O_BOOL, F(verbose), 0, 0, "log one line per request on stderr"},
    {"fault-seed", O_U64, F(fault_seed), 0, 0, "seed of every fault decision (1)"},
    {"fail-rate", O_RATE, F(fail_rate), 0, 1, "share of predictions that end failed (0)"},
    {"fail-names", O_STR, F(fail_names), 0, 0,
     "comma list of error names failed predictions use, in turn at random (PipelineError)"},
    {"http-500-rate", O_RATE, F(http500_rate), 0, 1, "share of requests answered 500 or 503 (0)"},
    {"http-429-rate", O_RATE, F(http429_rate), 0, 1,
     "share of API requests refused with a 429 named by --http-429-name, nothing created (0)"},
    {"http-429-name", O_STR, F(http429_name), 0, 0,
     "RateLimitExceeded (run, status, credits), ConcurrencyLimitExceeded or OutOfCredits (run only)"},
    {"drop-rate", O_RATE, F(drop_rate), 0, 1,
     "share of connections closed without an answer, before or after the body was read (0)"},
    {"drop-when", O_STR, F(drop_when), 0, 0, "when dropped connections close: before, after or any (any)"},
    {"slow-ms", O_INT, F(slow_ms), 0, 600000, "delay answers by this many ms (0)"},
    {"slow-rate", O_RATE, F(slow_rate), 0, 1, "share of answers --slow-ms delays (1: every one)"},
    {"malformed-rate", O_RATE, F(malformed_rate), 0, 1, "share of 200 answers with broken JSON (0)"},
    {"malformed-kind", O_STR, F(malformed_kind), 0, 0,
     "how they break: garbage (not JSON), truncated (cut in half) or any (any)"},
    {"stuck-rate", O_RATE, F(stuck_rate), 0, 1, "share of predictions that never finish (0)"},
    {"truncate-rate", O_RATE, F(truncate_rate), 0, 1,
     "share of image downloads cut short of their Content-Length (0)"},
    {"expired-rate", O_RATE, F(expired_rate), 0, 1,
     "share of completed base64 predictions whose outputs read <base64>_expired at once (0)"},
    {"fault-endpoints", O_STR, F(fault_endpoints), 0, 0,
     "endpoints the transport faults apply to: run,status,credits,cdn (all)"},
    {"output-file", O_STR, F(output_file), 0, 0,
     "serve this file's bytes as every output instead of a rendered picture (client tests)"},
    {"fail-message", O_STR, F(fail_message), 0, 0, "the error message of --fail-rate failures (any text)"},
    {"echo-key", O_STR, F(echo_key), 0, 0,
     "leak the --api-key back: id (as the submit answer's prediction id) or error (as failures' name and message)"},
    {"run-body", O_STR, F(run_body), 0, 0,
     "answer every accepted run (still created and charged) 200 with this file's bytes (client tests)"},
    {"status-body", O_STR, F(status_body), 0, 0,
     "answer every status request of a known prediction 200 with this file's bytes (client tests)"},
    {"tls-cert", O_STR, F(tls_cert), 0, 0, "PEM certificate (chain): serve HTTPS (needs --tls-key)"},
    {"tls-key", O_STR, F(tls_key), 0, 0, "PEM private key of --tls-cert"},
};
#undef F

static const opt *find_opt(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
    if (strlen(OPTS[i].name) == len && memcmp(OPTS[i].name, name, len) == 0) return &OPTS[i];
  return NULL;
}

static int bad(char *err, size_t errlen, const char *name, const char *why) {
  snprintf(err, errlen, "--%s: %s", name, why);
  return -1;
}

static int set_opt(emu_config *c, const opt *o, const char *v, char *err, size_t errlen) {
  void *field = (char *)c + o->offset;
  if (o->kind == O_STR) {
    *(const char **)field = v;
    return 0;
  }
  if (o->kind == O_BOOL) {
    *(bool *)field = true;
    return 0;
  }
  if (!*v) return bad(err, errlen, o->name, "needs a value");
  char *end;
  errno = 0;
  if (o->kind == O_U64) {
    if (*v == '-') return bad(err, errlen, o->name, "must not be negative");
    unsigned long long u = strtoull(v, &end, 10);
    if (errno || *end) return bad(err, errlen, o->name, "expects an unsigned integer");
    *(uint64_t *)field = u;
    return 0;
  }
  double d = strtod(v, &end);
  if (errno || *end || !isfinite(d)) return bad(err, errlen, o->name, "expects a number");
  if (d < o->min || d > o->max) {
    snprintf(err, errlen, "--%s: %s is outside %g..%g", o->name, v, o->min, o->max);
    return -1;
  }
  bool integral = d == floor(d);
  switch (o->kind) {
  case O_INT:
    if (!integral) return bad(err, errlen, o->name, "expects an integer");
    *(int *)field = (int)d;
    break;
  case O_I64:
    if (!integral) return bad(err, errlen, o->name, "expects an integer");
    *(int64_t *)field = (int64_t)d;
    break;
  case O_SIZE:
    if (!integral) return bad(err, errlen, o->name, "expects an integer");
    *(size_t *)field = (size_t)d;
    break;
  default:
    *(double *)field = d;
  }
  return 0;
}

int emu_config_parse(emu_config *c, int argc, char **argv, char *err, size_t errlen) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
    if (strncmp(a, "--", 2) != 0) {
      snprintf(err, errlen, "unexpected argument '%s' (flags start with --)", a);
      return -1;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const opt *o = find_opt(name, len);
    if (!o) {
      snprintf(err, errlen, "unknown flag '%.*s' (see --help)", (int)(len + 2), a);
      return -1;
    }
    const char *v;
    if (o->kind == O_BOOL) {
      if (eq) return bad(err, errlen, o->name, "takes no value");
      v = "";
    } else if (eq) {
      v = eq + 1;
    } else if (i + 1 < argc) {
      v = argv[++i];
    } else {
      return bad(err, errlen, o->name, "needs a value");
    }
    if (set_opt(c, o, v, err, errlen) != 0) return -1;
  }
  if (!c->tls_cert != !c->tls_key) {
    snprintf(err, errlen, "--tls-cert and --tls-key go together");
    return -1;
  }
  /* Lists are checked here so a typo is a usage error, not a start-up failure. */
  emu_faults f;
  if (!emu_faults_init(&f, c, err, errlen)) return -1;
  emu_faults_free(&f);
  return 0;
}

void emu_config_usage(FILE *out, const char *progname) {
  fprintf(out,
          "usage: %s [--flag value]...\n"
          "An offline FASHN-compatible API server on 127.0.0.1 (the contract it follows is\n"
          "runtime/api/API.md in atelier's source). When ready it prints one line:\n"
          "  fashn-emu listening on http://127.0.0.1:PORT (https:// with --tls-cert).\n"
          "SIGINT/SIGTERM stop it.\n"
          "Endpoints: POST /v1/run, GET /v1/status/ID, GET /v1/credits, GET /cdn/ID/output_N.png\n"
          "(.jpg, .mp4), GET /_emu/stats (counters as JSON), GET /_emu/predictions (every prediction\n"
          "kept: id, model, prompt, seed, status, cost, charged, injected fault, finished_at, image\n"
          "inputs and whether each came as a URL or a data: URI).\n"
          "Models: every FASHN model (model-create, tryon-max, tryon-v1.6, product-to-model,\n"
          "face-to-model, model-swap, edit, reframe, background-remove, image-to-video, packshot,\n"
          "and the deprecated background-change), checked, priced and timed by their descriptions;\n"
          "model-variation is retired (400). Outputs are EMULATED placeholders that show what the\n"
          "model did; image-to-video serves a short MP4. Their own failures, on purpose:\n"
          "  reframe: InputValidationError when the image already has the ratio (within 2%%);\n"
          "  tryon-v1.6: PoseError when model_image is wider than it is tall.\n\nflags:\n",
          progname);
  for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++) {
    const opt *o = &OPTS[i];
    const char *arg = o->kind == O_BOOL ? "" : o->kind == O_STR ? " S" : o->kind == O_RATE ? " R" : " N";
    fprintf(out, "  --%s%s%*s%s\n", o->name, arg, (int)(22 - strlen(o->name) - strlen(arg)), "", o->help);
  }
  fprintf(out, "  --exit-with-parent       stop when the parent process dies (for test harnesses)\n"
               "  --help                   this text\n");
}
