/* fashn_plan.h — a dry run's plan: one row per job the recipe submitted (model, a short
 * prompt, seed, mode, references, resolution, images, credits, whether the journal
 * already holds it), printed as a table a person reads and written as JSON for tools. */
#ifndef ATELIER_FASHN_PLAN_H
#define ATELIER_FASHN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define FASHN_PLAN_PROMPT 40 /* characters of the prompt shown, before an ellipsis */

typedef struct fashn_plan_row {
  char model[40];
  char prompt[4 * FASHN_PLAN_PROMPT + 8]; /* control characters escaped, cut with "..." */
  long long seed;                         /* -1: none given (the API picks one) */
  char mode[64];                          /* generation_mode / face_reference_mode, "-" */
  char refs[200];                         /* "face: face.jpg, image: cdn.example.com" or "-" */
  int resolution_k;                       /* 1, 2, 4 */
  int images;
  int credits;                            /* what it costs; 0 when cached */
  bool cached;                            /* the journal holds it: nothing is bought */
} fashn_plan_row;

typedef struct fashn_plan fashn_plan;

fashn_plan *fashn_plan_new(void);
void fashn_plan_free(fashn_plan *p);
/* Appends a copy of r; false when out of memory. */
bool fashn_plan_add(fashn_plan *p, const fashn_plan_row *r);

typedef struct fashn_plan_totals {
  long jobs, images, credits, cached; /* credits: of the jobs not cached */
} fashn_plan_totals;
void fashn_plan_totals_of(const fashn_plan *p, fashn_plan_totals *t);

/* The table and its totals line; cap >= 0 adds whether a real run fits --max-credits. */
void fashn_plan_print(const fashn_plan *p, FILE *out, long cap);
/* The same as JSON ({"jobs": [...], "totals": {...}}) into path; false with err. */
bool fashn_plan_write_json(const fashn_plan *p, const char *path, long cap, char *err, size_t errlen);

/* Writes s (len bytes) into out (outlen) as a plan cell: control characters as \n, \t
 * or \xHH, at most max characters, then "..." when cut. */
void fashn_plan_clip(char *out, size_t outlen, const char *s, size_t len, size_t max);

#endif
