/* lfashn_account.c — the account and the client's settings: fashn.credits() (a waiting
 * primitive), fashn.configure{...} with its checks, fashn.stats() and fashn.settings(). */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/fashn/backend.h"
#include "../runtime/fashn/fashn.h"
#include "../runtime/io/http.h"
#include "../runtime/journal/objstore.h"
#include "errors.h"
#include "lopts.h"
#include "lfashn_int.h"
#include "ljournal.h"
#include "sandbox.h"
#include "task.h"



typedef struct credits_wait {
  task *t;
  bool done, ok;
  fashn_balance b;
  char name[64], message[400];
  int http_status;
  bool retryable;
} credits_wait;

static void credits_cb(void *ud, bool ok, const fashn_balance *b, const fashn_error *e) {
  credits_wait *w = ud;
  w->done = true;
  w->ok = ok;
  if (ok) {
    w->b = *b;
  } else {
    snprintf(w->name, sizeof w->name, "%s", e->name);
    snprintf(w->message, sizeof w->message, "%s", e->message);
    w->http_status = e->http_status;
    w->retryable = e->retryable;
  }
  if (w->t) task_wake(w->t, 0);
}

static int credits_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  credits_wait *w = lua_touserdata(L, 1);
  if (!w->done) return task_wait(L, 0, credits_k);
  if (!w->ok) {
    lerr_info e = {.name = w->name, .message = w->message, .http_status = w->http_status,
                   .retryable = w->retryable};
    return lerr_raise(L, &e);
  }
  lua_createtable(L, 0, 3);
  lua_pushnumber(L, w->b.total);
  lua_setfield(L, -2, "total");
  lua_pushnumber(L, w->b.subscription);
  lua_setfield(L, -2, "subscription");
  lua_pushnumber(L, w->b.on_demand);
  lua_setfield(L, -2, "on_demand");
  return 1;
}

/* core.credits() -> {total, subscription, on_demand}; raises on failure. */
int lfashn_api_credits(lua_State *L) {
  lclient *lc = lfashn_client(L);
  if (lc->cfg.dry_run) return lerr_raisef(L, "DryRun", "fashn.credits() asks the API, which a dry run does not");
  lua_settop(L, 0);
  credits_wait *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  w->t = task_current(L);
  if (!w->t) return luaL_error(L, "fashn.credits() must be called inside a task");
  if (!fashn_credits(lc->c, credits_cb, w)) return luaL_error(L, "out of memory");
  return task_wait(L, 0, credits_k);
}


/* --sandbox: a recipe may lower the limits that protect the account (how many jobs at
 * once, how fast it submits and polls, how much it retries and buffers), never raise
 * them past what the command line and the defaults set — a shared recipe asking for 64
 * at once drew hundreds of 429s on the user's key. `more` says whether a larger value
 * is the looser one (a window is looser when smaller). */
static void sandbox_ceiling(lua_State *L, int t, const char *k, const char *name, double ceiling, bool more) {
  if (lua_getfield(L, t, k) != LUA_TNIL) {
    int isnum;
    double v = lua_tonumberx(L, -1, &isnum); /* not a number: the range check says so */
    if (isnum && (more ? v > ceiling : v < ceiling)) {
      char lim[40]; /* (lua_pushfstring has no %g) */
      snprintf(lim, sizeof lim, "%g", ceiling);
      lerr_info e = {.name = "SandboxViolation",
                     .message = lua_pushfstring(L,
                                                "fashn.configure: a sandboxed recipe can only tighten %s: "
                                                "%s %s%s (the command line's or the default)",
                                                name, more ? "at most" : "at least", lim,
                                                more ? "" : " seconds")};
      lerr_push(L, &e, 1);
      lua_pushstring(L, name);
      lua_setfield(L, -2, "field");
      lua_error(L);
    }
  }
  lua_pop(L, 1);
}

/* Resubmitting a job whose submit has an unknown outcome may pay for it twice: the
 * user's choice (--retry-unknown), not a sandboxed recipe's. */
int lfashn_sandbox_retry_unknown(lua_State *L) {
  lerr_info e = {.name = "SandboxViolation",
                 .message = "a sandboxed recipe cannot turn on retry_unknown (it may pay twice for a job): "
                            "only --retry-unknown on the command line can"};
  lerr_push(L, &e, 1);
  lua_pushliteral(L, "retry_unknown");
  lua_setfield(L, -2, "field");
  return lua_error(L);
}

static void sandbox_ceilings(lua_State *L, const lclient *lc) {
  fashn_config c; /* the ceiling: what the state started with (lfashn_set_cli) */
  fashn_config_defaults(&c);
  if (lc->cli.concurrency > 0) c.concurrency = lc->cli.concurrency;
  sandbox_ceiling(L, 1, "concurrency", "concurrency", c.concurrency, true);
  sandbox_ceiling(L, 1, "retry_failed", "retry_failed", c.retry_failed, true);
  sandbox_ceiling(L, 1, "max_queued", "max_queued", c.max_queued, true);
  sandbox_ceiling(L, 1, "max_output_bytes", "max_output_bytes", (double)c.max_output_bytes, true);
  if (lua_getfield(L, 1, "run") == LUA_TTABLE) {
    int p = lua_gettop(L);
    sandbox_ceiling(L, p, "limit", "run.limit", c.run_limit, true);
    sandbox_ceiling(L, p, "window", "run.window", c.run_window, false);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, 1, "poll") == LUA_TTABLE) {
    int p = lua_gettop(L);
    sandbox_ceiling(L, p, "rate", "poll.rate", c.status_rate, true);
    sandbox_ceiling(L, p, "limit", "poll.limit", c.status_limit, true);
    sandbox_ceiling(L, p, "window", "poll.window", c.status_window, false);
    sandbox_ceiling(L, p, "min_interval", "poll.min_interval", c.poll_min_interval, false);
  }
  lua_pop(L, 1);
}

/* core.configure{concurrency, poll = {rate, limit, window, min_interval, max_interval},
 * run = {limit, window}, timeout, base_url, api_key, cacert, time_scale, retry_unknown,
 * retry_failed, max_credits, request_timeout, download_timeout, max_output_bytes,
 * max_queued} */
int lfashn_api_configure(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const top[] = {"concurrency",     "poll",          "run",           "timeout",
                                    "base_url",        "api_key",       "cacert",        "time_scale",
                                    "retry_unknown",   "retry_failed",  "max_credits",   "request_timeout",
                                    "download_timeout", "max_output_bytes", "max_queued", NULL};
  static const char *const pollk[] = {"rate", "limit", "window", "min_interval", "max_interval", NULL};
  static const char *const runk[] = {"limit", "window", NULL};
  /* fashn.lua's wrapper adds where the script called fashn.configure */
  lopts o = lopts_at(L, 1, "fashn.configure", 0);
  lopts_check_keys(L, &o, top);
  lclient *lc = lfashn_state(L);
  if (sandbox_enabled(L)) sandbox_ceilings(L, lc); /* before anything changes */
  fashn_config f = lc->c ? *fashn_client_config(lc->c) : lc->cfg;
  f.concurrency = (int)lopts_integer(L, &o, "concurrency", 1, 64, f.concurrency);
  f.timeout = lopts_number(L, &o, "timeout", 0.001, 86400 * 7, f.timeout);
  f.time_scale = lopts_number(L, &o, "time_scale", 1e-6, 1e6, f.time_scale);
  f.retry_failed = (int)lopts_integer(L, &o, "retry_failed", 0, 5, f.retry_failed);
  f.request_timeout = lopts_number(L, &o, "request_timeout", 0.01, 3600, f.request_timeout);
  f.download_timeout = lopts_number(L, &o, "download_timeout", 0.01, 86400, f.download_timeout);
  /* The journal's store takes objects up to OBJSTORE_MAX_BYTES: no output may be larger. */
  f.max_output_bytes = (size_t)lopts_integer(L, &o, "max_output_bytes", 1024, (lua_Integer)OBJSTORE_MAX_BYTES,
                                             (lua_Integer)f.max_output_bytes);
  f.max_queued = (int)lopts_integer(L, &o, "max_queued", 1, 10000000, f.max_queued);
  f.retry_unknown = lopts_boolean(L, &o, "retry_unknown", f.retry_unknown);
  if (sandbox_enabled(L) && f.retry_unknown && !ljournal_retry_unknown(L))
    lfashn_sandbox_retry_unknown(L);
  int ty = lua_getfield(L, 1, "max_credits");
  if (ty == LUA_TBOOLEAN && !lua_toboolean(L, -1)) f.max_credits = -1;
  else if (ty != LUA_TNIL) f.max_credits = (long)lopts_integer_or(L, &o, "max_credits", 0, 1000000000000, 0, "or false");
  lua_pop(L, 1);
  int pt = lua_getfield(L, 1, "poll");
  if (pt == LUA_TTABLE) {
    lopts p = lopts_nested(L, &o, -1, "poll");
    lopts_check_keys(L, &p, pollk);
    f.status_rate = lopts_number(L, &p, "rate", 0.01, 1000, f.status_rate);
    f.status_limit = (int)lopts_integer(L, &p, "limit", 1, 100000, f.status_limit);
    f.status_window = lopts_number(L, &p, "window", 0.001, 3600, f.status_window);
    f.poll_min_interval = lopts_number(L, &p, "min_interval", 0.001, 60, f.poll_min_interval);
    f.poll_max_interval = lopts_number(L, &p, "max_interval", 0.001, 600, f.poll_max_interval);
  } else if (pt != LUA_TNIL) {
    lopts_raise(L, &o, "poll", "expected a table {rate=, limit=, window=, min_interval=, max_interval=}, got a %s",
                luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  int rt = lua_getfield(L, 1, "run");
  if (rt == LUA_TTABLE) {
    lopts r = lopts_nested(L, &o, -1, "run");
    lopts_check_keys(L, &r, runk);
    f.run_limit = (int)lopts_integer(L, &r, "limit", 1, 100000, f.run_limit);
    f.run_window = lopts_number(L, &r, "window", 0.001, 3600, f.run_window);
  } else if (rt != LUA_TNIL) {
    lopts_raise(L, &o, "run", "expected a table {limit=, window=}, got a %s", luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  const char *url = lopts_string(L, &o, "base_url", NULL, NULL);
  const char *key = lopts_string(L, &o, "api_key", NULL, NULL);
  const char *ca = lopts_string(L, &o, "cacert", NULL, NULL);
  /* A shared recipe must not send the key elsewhere, trust another CA, nor lift the
   * user's credit cap. */
  if (sandbox_enabled(L) && (url || key || ca))
    lerr_raisef(L, "SandboxViolation", "fashn.configure: a sandboxed recipe cannot change %s",
                url ? "base_url" : key ? "api_key" : "cacert");
  if (sandbox_enabled(L) && (f.max_credits < 0 || (lc->cli.max_credits >= 0 && f.max_credits > lc->cli.max_credits)))
    lerr_raisef(L, "SandboxViolation", "fashn.configure: a sandboxed recipe can lower max_credits, not raise it "
                "above the --max-credits cap (%I)", (lua_Integer)lc->cli.max_credits);
  if ((url || key || ca) && lc->c)
    luaL_error(L, "fashn.configure: base_url, api_key and cacert must be set before the first job or request");
  if (url) lfashn_set_str(&lc->base_url, url);
  if (key) lfashn_set_str(&lc->api_key, key);
  if (ca) lfashn_set_str(&lc->cacert, ca);
  if (lc->c) fashn_client_reconfigure(lc->c, &f);
  else lc->cfg = f;
  return 0;
}

/* core.stats() -> counters of the client (all zero before the first job). */
int lfashn_api_stats(lua_State *L) {
  lclient *lc = lfashn_state(L);
  fashn_stats st;
  memset(&st, 0, sizeof st);
  if (lc->c) fashn_client_stats(lc->c, &st);
  lua_createtable(L, 0, 24);
  lfashn_setint(L, "queued", st.queued);
  lfashn_setint(L, "submitting", st.submitting);
  lfashn_setint(L, "running", st.running);
  lfashn_setint(L, "fetching", st.fetching);
  lfashn_setint(L, "done", st.done);
  lfashn_setint(L, "failed", st.failed);
  lfashn_setint(L, "jobs", st.jobs);
  lfashn_setint(L, "run_requests", st.run_requests);
  lfashn_setint(L, "status_requests", st.status_requests);
  lfashn_setint(L, "credits_requests", st.credits_requests);
  lfashn_setint(L, "downloads", st.downloads);
  lfashn_setint(L, "http_429", st.http_429);
  lfashn_setint(L, "http_5xx", st.http_5xx);
  lfashn_setint(L, "connection_errors", st.connection_errors);
  lfashn_setint(L, "unknown_outcomes", st.unknown_outcomes);
  lfashn_setint(L, "retries", st.retries);
  lfashn_setint(L, "credits_spent", st.credits_spent);
  lfashn_setint(L, "credits_reserved", st.credits_reserved);
  lfashn_setint(L, "live_jobs", fashn_live_jobs());
  lfashn_setint(L, "live_requests", http_live_requests());
  lfashn_setnum(L, "expected_seconds", st.expected_seconds);
  lfashn_setnum(L, "eta", st.eta);
  lua_pushstring(L, backend_name(&lc->be));
  lua_setfield(L, -2, "backend");
  if (lc->be.kind == BACKEND_API || lc->be.kind == BACKEND_EMULATOR) {
    lua_pushstring(L, lc->be.base_url);
    lua_setfield(L, -2, "base_url");
  }
  return 1;
}

/* core.settings() -> the client's settings (never the key). */
int lfashn_api_settings(lua_State *L) {
  lclient *lc = lfashn_state(L);
  const fashn_config *f = lc->c ? fashn_client_config(lc->c) : &lc->cfg;
  lua_createtable(L, 0, 12);
  lfashn_setint(L, "concurrency", f->concurrency);
  lfashn_setnum(L, "timeout", f->timeout);
  lfashn_setnum(L, "time_scale", f->time_scale);
  lfashn_setint(L, "max_credits", f->max_credits);
  lfashn_setint(L, "retry_failed", f->retry_failed);
  lfashn_setnum(L, "request_timeout", f->request_timeout);
  lfashn_setnum(L, "download_timeout", f->download_timeout);
  lfashn_setnum(L, "max_output_bytes", (double)f->max_output_bytes);
  lfashn_setint(L, "max_queued", f->max_queued);
  lua_pushboolean(L, f->retry_unknown);
  lua_setfield(L, -2, "retry_unknown");
  lua_pushboolean(L, f->dry_run);
  lua_setfield(L, -2, "dry_run");
  lua_pushboolean(L, lc->cli.quiet); /* -q: helpers in scripts/ print nothing either */
  lua_setfield(L, -2, "quiet");
  lua_createtable(L, 0, 5);
  lfashn_setnum(L, "rate", f->status_rate);
  lfashn_setint(L, "limit", f->status_limit);
  lfashn_setnum(L, "window", f->status_window);
  lfashn_setnum(L, "min_interval", f->poll_min_interval);
  lfashn_setnum(L, "max_interval", f->poll_max_interval);
  lua_setfield(L, -2, "poll");
  lua_createtable(L, 0, 2);
  lfashn_setint(L, "limit", f->run_limit);
  lfashn_setnum(L, "window", f->run_window);
  lua_setfield(L, -2, "run");
  return 1;
}
