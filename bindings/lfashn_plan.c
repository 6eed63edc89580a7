/* lfashn_plan.c — what a recipe is about to buy, as the fashn.core module sees it: a dry
 * run's plan rows (built from the Lua inputs, before references are read, so a face
 * reference shows as its file name), the plan printed and written at the end, whether
 * the journal already holds a job, and fashn.reserve (a recipe's own all-or-nothing
 * question against --max-credits). */
#include "lfashn_int.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/fashn/fashn_plan.h"
#include "errors.h"
#include "limage.h"
#include "ljournal.h"
#include "sandbox.h"

/* The backend name a real run keys its journal rows by (lfashn.c's journal_backend). */
static const char *real_backend(const lclient *lc) {
  if (!lc->cfg.dry_run && lc->c) return lc->be.kind == BACKEND_EMULATOR ? "emulator:embedded" : lc->be.base_url;
  backend_want want = {.force_emulator = lc->cli.emulator, .base_url = lc->base_url ? lc->base_url : lc->cli.base_url,
                       .api_key = lc->api_key};
  const char *url = backend_real_name(&want);
  return url ? url : "emulator:embedded";
}

bool lfashn_plan_cached(lua_State *L, lclient *lc, int inputs, const fashn_model *m, char key[65]) {
  jobkey k;
  char err[600];
  key[0] = '\0';
  if (!ljournal_key(L, inputs, real_backend(lc), m->name, &k, err, sizeof err))
    lfashn_raise_input(L, "", "%s", err);
  snprintf(key, 65, "%s", k.hex);
  jobkey_free(&k);
  if (lc->cfg.dry_run) return ljournal_peek_completed(L, key);
  journal *j = ljournal_get(L, err, sizeof err);
  if (!j) return false;
  journal_job row;
  bool done = journal_find(j, key, &row, err, sizeof err) && row.state == JOURNAL_COMPLETED;
  journal_job_free(&row);
  return done;
}

/* "face.jpg", "cdn.example.com", "data:image/png 12 KB" or "image object" for a
 * reference value at the top of the stack. */
static void describe_ref(lua_State *L, char *out, size_t outlen) {
  if (limage_is(L, -1)) {
    snprintf(out, outlen, "image object");
    return;
  }
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  if (!s) {
    snprintf(out, outlen, "?");
    return;
  }
  switch (fashn_ref_classify(s, len)) {
    case REF_URL: {
      const char *h = strstr(s, "://");
      h = h ? h + 3 : s;
      size_t n = strcspn(h, "/?#:");
      fashn_plan_clip(out, outlen, h, n, 40);
      return;
    }
    case REF_DATA_URI: {
      size_t n = strcspn(s + 5, ";,");
      char mime[40];
      fashn_plan_clip(mime, sizeof mime, s + 5, n, 24);
      snprintf(out, outlen, "data:%s %zu KB", mime, (len * 3 / 4 + 1023) / 1024);
      return;
    }
    default: {
      const char *base = s;
      for (const char *c = s; c < s + len; c++)
        if (*c == '/') base = c + 1;
      fashn_plan_clip(out, outlen, base, (size_t)(s + len - base), 40);
      return;
    }
  }
}

void lfashn_plan_add(lua_State *L, lclient *lc, int inputs, const fashn_input_facts *f, bool cached) {
  if (!lc->plan && !(lc->plan = fashn_plan_new())) luaL_error(L, "out of memory");
  fashn_plan_row r;
  memset(&r, 0, sizeof r);
  snprintf(r.model, sizeof r.model, "%s", f->model && f->model->name ? f->model->name : "model-create");
  size_t len;
  const char *s;
  if (lua_getfield(L, inputs, "prompt") == LUA_TSTRING) {
    s = lua_tolstring(L, -1, &len);
    fashn_plan_clip(r.prompt, sizeof r.prompt, s, len, FASHN_PLAN_PROMPT);
  }
  lua_pop(L, 1);
  r.seed = -1;
  if (lua_getfield(L, inputs, "seed") == LUA_TNUMBER && lua_isinteger(L, -1)) r.seed = lua_tointeger(L, -1);
  lua_pop(L, 1);
  static const char *const modes[] = {"generation_mode", "face_reference_mode", NULL};
  for (int i = 0; modes[i]; i++) {
    if (lua_getfield(L, inputs, modes[i]) == LUA_TSTRING) {
      char v[40];
      s = lua_tolstring(L, -1, &len);
      fashn_plan_clip(v, sizeof v, s, len, 24);
      size_t o = strlen(r.mode);
      snprintf(r.mode + o, sizeof r.mode - o, "%s%s", o ? ", " : "", v);
    }
    lua_pop(L, 1);
  }
  /* every image field of the model, by a short name: face_reference -> face,
   * product_image -> product, image -> image */
  const fashn_model *m = f->model ? f->model : fashn_models[0];
  for (const fashn_field *fd = m->fields; fd->name; fd++) {
    if (fd->type != FIELD_IMAGE) continue;
    if (lua_getfield(L, inputs, fd->name) != LUA_TNIL) {
      char label[40], v[120];
      snprintf(label, sizeof label, "%s", fd->name);
      char *cut = strstr(label, "_reference");
      if (!cut) cut = strstr(label, "_image");
      if (cut && cut != label && cut[strcspn(cut + 1, "_") + 1] == '\0') *cut = '\0';
      describe_ref(L, v, sizeof v);
      size_t o = strlen(r.refs);
      snprintf(r.refs + o, sizeof r.refs - o, "%s%s: %s", o ? ", " : "", label, v);
    }
    lua_pop(L, 1);
  }
  r.resolution_k = f->resolution_k;
  r.images = f->num_images;
  r.credits = f->credits;
  r.cached = cached;
  if (!fashn_plan_add(lc->plan, &r)) luaL_error(L, "out of memory");
}

static long cap_of(const lclient *lc) { return lc->c ? fashn_client_config(lc->c)->max_credits : lc->cfg.max_credits; }

long lfashn_planned_credits(lua_State *L) {
  lclient *lc = lfashn_state(L);
  if (!lc->plan) return 0;
  fashn_plan_totals t;
  fashn_plan_totals_of(lc->plan, &t);
  return t.credits;
}

int lfashn_plan_finish(lua_State *L, lclient *lc) {
  if (!lc->cfg.dry_run) return 0;
  if (!lc->plan && !(lc->plan = fashn_plan_new())) return 1;
  long cap = cap_of(lc);
  fashn_plan_totals t;
  fashn_plan_totals_of(lc->plan, &t);
  if (!lc->cli.silent) { /* on stderr: the recipe's stdout reads as in a real run */
    const char *dir = sandbox_rehearsal_dir(L);
    char cwd[4096];
    size_t cn = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (dir && cn && strncmp(dir, cwd, cn) == 0 && dir[cn] == '/') dir += cn + 1; /* relative: shorter */
    fflush(stdout);
    fprintf(stderr, "\natelier: dry run: nothing was sent to the FASHN API and no credit was bought\n");
    if (dir && sandbox_rehearsal_used(L))
      fprintf(stderr, "atelier: dry run: the recipe's files are in %s/ (every image a placeholder marked DRY RUN)\n",
              dir);
    if (t.jobs) fashn_plan_print(lc->plan, stderr, cap);
    else fprintf(stderr, "atelier: dry run: the recipe submitted no job\n");
    fflush(stderr);
  }
  int status = 0;
  char err[600];
  if (lc->cli.plan_file && !fashn_plan_write_json(lc->plan, lc->cli.plan_file, cap, err, sizeof err)) {
    fprintf(stderr, "atelier: %s\n", err);
    status = 1;
  }
  if (!status && cap >= 0 && t.credits > cap) status = 3;
  return status;
}

void lfashn_plan_free(lclient *lc) {
  fashn_plan_free(lc->plan);
  lc->plan = NULL;
}

void lfashn_reservation_draw(lclient *lc, int credits) {
  lc->committed += credits;
  lc->reservation -= credits < lc->reservation ? credits : lc->reservation;
}

/* One entry of reserve's list (at 1): its price now, 0 when the journal holds it. */
static int price_one(lua_State *L) {
  const fashn_model *m = lfashn_take_model(L);
  fashn_input_facts f = lfashn_check_inputs(L, m);
  char key[65];
  lclient *lc = lfashn_state(L);
  if (!lc->cfg.dry_run) lc = lfashn_client(L); /* the journal keys by the real backend */
  lua_pushinteger(L, lfashn_plan_cached(L, lc, 1, m, key) ? 0 : f.credits);
  return 1;
}

/* core.reserve(list) -> credits. Prices every inputs table of list (checked like
 * submit; jobs the journal holds cost 0) and sets the sum aside under the credit cap,
 * or raises CreditLimitExceeded (needed, committed, cap) and sets nothing aside. */
int lfashn_api_reserve(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lclient *lc = lfashn_state(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1), cost = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    lua_pushcfunction(L, price_one);
    lua_rawgeti(L, 1, i);
    if (lua_type(L, -1) != LUA_TTABLE) luaL_error(L, "fashn.reserve: entry %d is not an inputs table", (int)i);
    lua_call(L, 1, 1);
    cost += lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  long cap = cap_of(lc);
  long committed = lc->committed + lc->reservation;
  if (cap >= 0 && committed + cost > cap) {
    char msg[300];
    snprintf(msg, sizeof msg,
             "fashn.reserve: these %lld job%s cost %lld credit%s, and %ld of the --max-credits %ld are already "
             "spent, in flight or reserved: nothing was reserved",
             (long long)n, n == 1 ? "" : "s", (long long)cost, cost == 1 ? "" : "s", committed, cap);
    lerr_info e = {.name = "CreditLimitExceeded", .message = msg};
    lerr_push(L, &e, 1);
    lfashn_setint(L, "needed", (long)cost);
    lfashn_setint(L, "committed", committed);
    lfashn_setint(L, "cap", cap);
    return lua_error(L);
  }
  lc->reservation += (long)cost;
  lua_pushinteger(L, cost);
  return 1;
}
