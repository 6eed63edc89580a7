/* lfashn_int.h — what the files of the fashn.core module share (lfashn.c,
 * lfashn_client.c, lfashn_inputs.c, lfashn_account.c, lfashn_plan.c). Not for other
 * bindings. */
#ifndef ATELIER_LFASHN_INT_H
#define ATELIER_LFASHN_INT_H

#include <lua.h>
#include <stdbool.h>

#include "../runtime/fashn/backend.h"
#include "../runtime/base/buf.h"
#include "../runtime/fashn/fashn.h"
#include "../runtime/api/fashn_inputs.h"
#include "../runtime/fashn/progress.h"
#include "lfashn.h"

/* The per-state client: settings until first use, then the runtime client. */
typedef struct lclient {
  fashn_client *c;
  fashn_config cfg;      /* settings before the client exists (and after, for configure) */
  char *base_url;        /* owned copies for cfg */
  char *api_key;
  char *cacert;          /* configure{cacert =} (else the command line's) */
  lfashn_cli cli;
  loop *lp;
  progress *prog;
  loop_timer tick;
  backend be;            /* which server, and the embedded emulator when used */
  double t_first;
  struct fashn_plan *plan;  /* a dry run's rows (lfashn_plan.c) */
  struct journal_peek *peek; /* a dry run's read-only journal, opened on first need */
  bool peek_tried;
  long reservation;      /* fashn.reserve: credits set aside, released as jobs submit */
  long committed;        /* credits of the jobs this run submitted (not served cached) */
} lclient;

/* lfashn_client.c */
lclient *lfashn_state(lua_State *L);  /* the state's lclient (created empty) */
lclient *lfashn_client(lua_State *L); /* ... with its runtime client made (raises) */
void lfashn_set_str(char **slot, const char *s); /* replaces (and wipes) an owned string */
void lfashn_setnum(lua_State *L, const char *k, double v); /* t[k] = v, t on the top */
void lfashn_setint(lua_State *L, const char *k, long v);

/* lfashn_inputs.c */
int lfashn_raise_input(lua_State *L, const char *field, const char *fmt, ...);
void lfashn_push_inputs_json(lua_State *L, const fashn_model *m, int idx, bool placeholder, int refs_idx);
void lfashn_resolve_refs(lua_State *L, const fashn_model *m, int inputs, int refs, int resolution_k);
void lfashn_copy_table(lua_State *L, int idx);
/* The model the inputs table at 1 names in `model` (default model-create), checked: an
 * unknown name raises InvalidInput with the closest model, a deprecated or retired one
 * names its replacement. Replaces 1 by a copy of the inputs without `model`. */
const fashn_model *lfashn_take_model(lua_State *L);
fashn_input_facts lfashn_check_inputs(lua_State *L, const fashn_model *m);
/* Field f of a model is an image field, and s a "saved:<name>" it takes as it is. */
const fashn_field *lfashn_image_field(const fashn_model *m, const char *field);
bool lfashn_is_saved_ref(const fashn_field *f, const char *s, size_t len);

/* lfashn_plan.c: a dry run's plan rows, and fashn.reserve */
/* The key a real run would give the inputs at idx (hex into key), and whether the
 * journal holds it completed (a dry run looks read-only, a real one in its journal). */
bool lfashn_plan_cached(lua_State *L, lclient *lc, int inputs, const fashn_model *m, char key[65]);
void lfashn_plan_add(lua_State *L, lclient *lc, int inputs, const fashn_input_facts *f, bool cached);
int lfashn_plan_finish(lua_State *L, lclient *lc);
void lfashn_plan_free(lclient *lc);
int lfashn_api_reserve(lua_State *L);
void lfashn_reservation_draw(lclient *lc, int credits); /* a job submitted: release its part */

/* lfashn_account.c */
int lfashn_api_credits(lua_State *L);
int lfashn_api_configure(lua_State *L);
int lfashn_api_stats(lua_State *L);
int lfashn_api_settings(lua_State *L);
int lfashn_sandbox_retry_unknown(lua_State *L); /* raises SandboxViolation */

/* lfashn_models.c (also of the module): fashn.models() */
int lfashn_api_models(lua_State *L);

#endif
