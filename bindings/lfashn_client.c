/* lfashn_client.c — the per-state client of module "fashn.core" (lclient in
 * lfashn_int.h): made empty on first mention, its runtime client and progress line made
 * on first use, freed with the state; and the small table setters the module's files
 * share. lfashn.c (jobs) and lfashn_account.c (credits, configure, stats) both build on
 * it; it calls neither. */
#include "lfashn.h"
#include "lfashn_int.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/fashn/backend.h"
#include "../runtime/fashn/fashn.h"
#include "../runtime/fashn/progress.h"
#include "../runtime/io/interrupt.h"
#include "errors.h"
#include "ljournal.h"
#include "task.h"

#define CLIENT_MT "fashn.client"

static const char CLIENT_KEY = 0;

void lfashn_set_str(char **slot, const char *s) {
  char *d = s ? strdup(s) : NULL;
  if (*slot) memset(*slot, 0, strlen(*slot));
  free(*slot);
  *slot = d;
}

static int client_gc(lua_State *L) {
  lclient *lc = lua_touserdata(L, 1);
  loop_timer_stop(lc->lp, &lc->tick);
  fashn_client_free(lc->c);
  lc->c = NULL;
  backend_stop(&lc->be);
  progress_free(lc->prog);
  lc->prog = NULL;
  lfashn_plan_free(lc);
  lfashn_set_str(&lc->base_url, NULL);
  lfashn_set_str(&lc->api_key, NULL);
  lfashn_set_str(&lc->cacert, NULL);
  return 0;
}

lclient *lfashn_state(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  lclient *lc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (lc) return lc;
  lc = lua_newuserdatauv(L, sizeof *lc, 0);
  memset(lc, 0, sizeof *lc);
  lc->lp = sched_loop(L);
  fashn_config_defaults(&lc->cfg);
  lc->cli.max_credits = -1;
  if (luaL_newmetatable(L, CLIENT_MT)) {
    lua_pushcfunction(L, client_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  return lc;
}

void lfashn_set_cli(lua_State *L, const lfashn_cli *cli) {
  lclient *lc = lfashn_state(L);
  lc->cli = *cli;
  if (cli->concurrency > 0) lc->cfg.concurrency = cli->concurrency;
  lc->cfg.max_credits = cli->max_credits;
  lc->cfg.dry_run = cli->dry_run;
}

static void tick_cb(void *ud);

static void on_event(void *ud, const fashn_event *ev) {
  lclient *lc = ud;
  if (!lc->prog || !lc->c) return;
  fashn_stats st;
  fashn_client_stats(lc->c, &st);
  progress_event(lc->prog, ev, &st);
  if (!loop_timer_armed(&lc->tick) && st.queued + st.submitting + st.running + st.fetching > 0 &&
      progress_live(lc->prog) && !lc->cfg.dry_run)
    loop_timer_start(lc->lp, &lc->tick, 0.25, tick_cb, lc);
}

static void tick_cb(void *ud) {
  lclient *lc = ud;
  if (!lc->c || !lc->prog) return;
  fashn_stats st;
  fashn_client_stats(lc->c, &st);
  progress_tick(lc->prog, &st);
  if (st.queued + st.submitting + st.running + st.fetching > 0)
    loop_timer_start(lc->lp, &lc->tick, 0.25, tick_cb, lc);
}

/* print and io.write while the live line is on the terminal: erase it first, so the
 * script's output starts on a clean line, and draw it again after, below that output
 * (stdout is flushed first, so the two never interleave mid-line). */
static int print_clearing(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  lclient *lc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  bool was = lc && lc->prog && progress_drawn(lc->prog);
  if (was) progress_clear(lc->prog);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  if (was && lc->c && lc->prog) {
    fflush(stdout);
    fashn_stats st;
    fashn_client_stats(lc->c, &st);
    progress_tick(lc->prog, &st);
  }
  return lua_gettop(L);
}

/* ATELIER_PROGRESS=live or plain overrides the terminal test (README, "Progress"):
 * live draws the in-place line wherever stderr goes, plain writes log lines even on a
 * terminal. Returns -1 when unset or anything else. */
static int progress_forced(void) {
  const char *v = getenv("ATELIER_PROGRESS");
  if (v && strcmp(v, "live") == 0) return 1;
  if (v && strcmp(v, "plain") == 0) return 0;
  return -1;
}

static void wrap_output(lua_State *L) {
  lua_getglobal(L, "print");
  lua_pushcclosure(L, print_clearing, 1);
  lua_setglobal(L, "print");
  lua_getglobal(L, "io");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "write");
    lua_pushcclosure(L, print_clearing, 1);
    lua_setfield(L, -2, "write");
  }
  lua_pop(L, 1);
}

/* The client, created on first use: the backend is chosen then (see backend.h). */
lclient *lfashn_client(lua_State *L) {
  lclient *lc = lfashn_state(L);
  if (lc->c) return lc;
  char err[300];
  backend_want want = {.dry_run = lc->cfg.dry_run, .force_emulator = lc->cli.emulator,
                       .base_url = lc->base_url ? lc->base_url : lc->cli.base_url,
                       .api_key = lc->api_key, .quiet = lc->cli.quiet};
  if (!backend_choose(&lc->be, &want, err, sizeof err)) {
    lerr_info e = {.name = "ConfigurationError", .message = err};
    lerr_raise(L, &e);
  }
  fashn_config cfg = lc->cfg;
  if (ljournal_retry_unknown(L)) cfg.retry_unknown = true; /* --retry-unknown */
  backend_apply(&lc->be, &cfg);
  cfg.cainfo = lc->cacert ? lc->cacert : lc->cli.cacert; /* NULL: the system's CAs */
  FILE *ca = cfg.cainfo ? fopen(cfg.cainfo, "r") : NULL;
  if (cfg.cainfo && !ca) { /* said now, not as a TLS failure of every request */
    snprintf(err, sizeof err, "cacert %s cannot be read: %s", cfg.cainfo, strerror(errno));
    backend_stop(&lc->be);
    lerr_info e = {.name = "ConfigurationError", .message = err};
    lerr_raise(L, &e);
  }
  if (ca) fclose(ca);
  if (!lc->prog) { /* a dry run says nothing per job: its plan comes at the end */
    int forced = progress_forced();
    bool quiet = lc->cli.quiet || lc->cfg.dry_run;
    bool live = (forced >= 0 ? forced == 1 : isatty(STDERR_FILENO)) && !quiet;
    lc->prog = progress_new(stderr, stdout, live, quiet, "atelier");
    if (lc->prog) progress_set_emulated(lc->prog, lc->be.kind == BACKEND_EMULATOR);
    if (live && (forced == 1 || isatty(STDOUT_FILENO))) wrap_output(L);
  }
  cfg.on_event = on_event;
  cfg.event_ud = lc;
  cfg.stop_submitting = interrupt_stopping; /* the first Ctrl-C */
  lc->c = fashn_client_new(lc->lp, &cfg, err, sizeof err);
  if (!lc->c) {
    backend_stop(&lc->be);
    lerr_info e = {.name = "ConfigurationError", .message = err};
    lerr_raise(L, &e);
  }
  lc->t_first = loop_now();
  return lc;
}

int lfashn_finish(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CLIENT_KEY);
  lclient *lc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!lc) return 0;
  if (lc->c && lc->prog) {
    fashn_stats st;
    fashn_client_stats(lc->c, &st);
    progress_summary(lc->prog, &st, loop_now() - lc->t_first);
  }
  return lfashn_plan_finish(L, lc); /* a dry run's plan, even when it submitted nothing */
}

void lfashn_setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}
void lfashn_setint(lua_State *L, const char *k, long v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}
