/* progress.c — the live progress line and the plain log lines (see progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/textsafe.h"

struct progress {
  FILE *out, *listing;
  bool live, quiet, drawn;
  bool emulated; /* credits are the embedded emulator's: never called spent */
  const char *progname;
  long dry_credits, dry_jobs;
};

progress *progress_new(FILE *out, FILE *listing, bool live, bool quiet, const char *progname) {
  progress *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->out = out;
  p->listing = listing;
  p->live = live && !quiet;
  p->quiet = quiet;
  p->progname = progname ? progname : "atelier";
  return p;
}

void progress_free(progress *p) {
  if (!p) return;
  progress_clear(p);
  free(p);
}

void progress_set_emulated(progress *p, bool emulated) { p->emulated = emulated; }

bool progress_drawn(const progress *p) { return p->drawn; }
bool progress_live(const progress *p) { return p->live; }

void progress_clear(progress *p) {
  if (!p->drawn) return;
  fputs("\r\033[K", p->out);
  fflush(p->out);
  p->drawn = false;
}

/* One whole line: formatted, then escaped (ids, error names and messages may be server
 * text; nothing in them may reach the terminal as a control byte), then the newline. */
__attribute__((format(printf, 2, 3))) static void put_line(FILE *out, const char *fmt, ...) {
  char small[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  char *text = small;
  if (n >= (int)sizeof small && (text = malloc((size_t)n + 1))) {
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  if (!text) text = small; /* out of memory: the cut line */
  buf b = BUF_INIT;
  text_escape(&b, text, strlen(text));
  if (!b.oom && b.len) fwrite(b.data, 1, b.len, out);
  fputc('\n', out);
  buf_free(&b);
  if (text != small) free(text);
}

/* A job that ended before it was ever sent: said once, as "not submitted" (not also as
 * failed), with why. */
static void not_submitted_line(progress *p, const fashn_job *j) {
  static const char PREFIX[] = "not submitted: ";
  fashn_error e;
  if (!fashn_job_error(j, &e)) return;
  const char *why = e.message ? e.message : "";
  if (strncmp(why, PREFIX, sizeof PREFIX - 1) == 0) put_line(p->out, "%s: %s", p->progname, why);
  else put_line(p->out, "%s: not submitted: %s: %s", p->progname, e.name, why);
}

static void fmt_eta(char *out, size_t n, double s) {
  if (s < 0) s = 0;
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

void progress_tick(progress *p, const fashn_stats *st) {
  if (!p->live) return;
  long active = st->queued + st->submitting + st->running + st->fetching;
  if (!active && !p->drawn) return;
  char eta[32];
  fmt_eta(eta, sizeof eta, st->eta);
  fprintf(p->out, "\r\033[K%s: queued %ld · running %ld · done %ld · failed %ld · %s %ld · ETA %s",
          p->progname, st->queued, st->submitting + st->running + st->fetching, st->done,
          st->failed - st->not_submitted, p->emulated ? "emulated credits" : "credits", st->credits_spent,
          active ? eta : "0:00");
  fflush(p->out);
  p->drawn = true;
}

void progress_event(progress *p, const fashn_event *ev, const fashn_stats *st) {
  if (ev->kind == FASHN_EV_DRY_RUN) {
    progress_clear(p);
    put_line(p->listing, "dry run: %s", ev->text);
    fflush(p->listing);
    p->dry_jobs++;
    p->dry_credits += ev->job ? fashn_job_estimated_credits(ev->job) : 0;
    return;
  }
  if (p->quiet) return;
  if (p->live) {
    if (ev->kind == FASHN_EV_FAILED && ev->job && !fashn_job_sent(ev->job)) {
      progress_clear(p);
      not_submitted_line(p, ev->job);
    } else if (ev->kind == FASHN_EV_FAILED || ev->kind == FASHN_EV_NOTICE) { /* worth a line of its own */
      progress_clear(p);
      put_line(p->out, "%s: %s", p->progname, ev->text);
    }
    progress_tick(p, st);
    return;
  }
  const char *id = ev->job ? fashn_job_id(ev->job) : NULL;
  long total = st->jobs;
  switch (ev->kind) {
    case FASHN_EV_SUBMITTED: { /* a model other than the default is named */
      const char *m = fashn_job_model(ev->job);
      bool other = strcmp(m, "model-create") != 0;
      put_line(p->out, "%s: submitted %s%sprediction %s (%ld running, %ld queued)", p->progname, other ? m : "",
               other ? " " : "", id ? id : "?", st->submitting + st->running, st->queued);
      break;
    }
    case FASHN_EV_COMPLETED: {
      if (fashn_job_cached(ev->job)) {
        put_line(p->out, "%s: from the journal: %s, no credit (%ld/%ld done)", p->progname, id ? id : "?",
                 st->done, total);
        break;
      }
      int cr = fashn_job_credits(ev->job);
      put_line(p->out, "%s: completed %s in %.1f s, %d %scredit%s (%ld/%ld done)", p->progname, id ? id : "?",
               fashn_job_elapsed(ev->job), cr, p->emulated ? "emulated " : "", cr == 1 ? "" : "s", st->done,
               total);
      break;
    }
    case FASHN_EV_FAILED: {
      fashn_error e;
      if (!fashn_job_sent(ev->job)) not_submitted_line(p, ev->job);
      else if (fashn_job_error(ev->job, &e))
        put_line(p->out, "%s: failed%s%s: %s: %s", p->progname, id ? " " : "", id ? id : "", e.name, e.message);
      break;
    }
    case FASHN_EV_NOTICE: put_line(p->out, "%s: %s", p->progname, ev->text); break;
    default: break;
  }
  fflush(p->out);
}

void progress_summary(progress *p, const fashn_stats *st, double seconds) {
  if (p->dry_jobs) {
    fprintf(p->listing, "dry run: %ld job%s would spend %ld credit%s; nothing was submitted\n", p->dry_jobs,
            p->dry_jobs == 1 ? "" : "s", p->dry_credits, p->dry_credits == 1 ? "" : "s");
    fflush(p->listing);
  }
  progress_clear(p);
  if (p->quiet || !st->jobs || p->dry_jobs) return;
  char cached[64] = "", unsent[64] = "";
  if (st->cached) snprintf(cached, sizeof cached, " (%ld from the journal)", st->cached);
  if (st->not_submitted) snprintf(unsent, sizeof unsent, ", %ld not submitted", st->not_submitted);
  fprintf(p->out, "%s: %ld job%s: %ld done%s, %ld failed%s, %ld %scredit%s%s, %.1f s\n", p->progname, st->jobs,
          st->jobs == 1 ? "" : "s", st->done, cached, st->failed - st->not_submitted, unsent, st->credits_spent,
          p->emulated ? "emulated " : "", st->credits_spent == 1 ? "" : "s", p->emulated ? "" : " spent", seconds);
  fflush(p->out);
}
