/* host.c — creates the Lua state (standard libraries, preloaded modules, package.path
 * with the shipped scripts), loads the script and -e chunks, and runs them as the main
 * task on the event loop. */
#include "host.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/io/interrupt.h"
#include "../runtime/io/loop.h"
#include "../runtime/fashn/fashn.h"
#include "../runtime/io/http.h"
#include "errors.h"
#include "ljournal.h"
#include "lfashn.h"
#include "modules.h"
#include "sandbox.h"
#include "task.h"

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *host_scripts_dir(void) {
  static char found[PATH_MAX];
  static int looked;
  if (looked) return found[0] ? found : NULL;
  looked = 1;
  const char *env = getenv("ATELIER_SCRIPTS");
  if (env && *env && is_dir(env)) {
    snprintf(found, sizeof found, "%s", env);
    return found;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return NULL;
  *slash = '\0'; /* exe is now the binary's directory */
  /* in-tree: bin/atelier -> ../scripts; an asan build lives one level deeper */
  const char *candidates[] = {"/../scripts", "/../../../scripts", "/../share/atelier/scripts"};
  for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s%s", exe, candidates[i]);
    char real[PATH_MAX];
    if (is_dir(p) && realpath(p, real)) {
      snprintf(found, sizeof found, "%s", real);
      return found;
    }
  }
  return NULL;
}

/* package.path = <scripts>/?.lua;<scripts>/?/init.lua;<script dir>/?.lua;<default>.
 * The shipped modules come first so a recipe that happens to be called recipe.lua or
 * fashn.lua still gets the real module from require (and not itself). */
static void set_package_path(lua_State *L, const char *script) {
  lua_getglobal(L, "package");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char *dir = host_scripts_dir();
  if (dir) {
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", dir, dir);
    luaL_addvalue(&b);
  }
  if (script && strcmp(script, "-") != 0) {
    const char *slash = strrchr(script, '/');
    if (slash) luaL_addlstring(&b, script, (size_t)(slash - script));
    else luaL_addstring(&b, ".");
    luaL_addstring(&b, "/?.lua;");
  }
  lua_getfield(L, -2, "path");
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
}

/* arg[0] = script, arg[1..] = its arguments, arg[negative] = what came before. */
static void set_arg_table(lua_State *L, const host_options *o) {
  int before = o->script_index;
  lua_createtable(L, o->nscript_args, before + 1);
  for (int i = 0; i < before; i++) {
    lua_pushstring(L, o->argv[i]);
    lua_rawseti(L, -2, i - before);
  }
  if (o->script || o->module) {
    lua_pushstring(L, o->module ? o->module : o->script);
    lua_rawseti(L, -2, 0);
  }
  for (int i = 0; i < o->nscript_args; i++) {
    lua_pushstring(L, o->script_args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "arg");
}

/* The main task's body: run -l requires, -e chunks, then the script with its args. */
static const char MAIN_BODY[] =
    "local libs, chunks, script, args = ...\n"
    "for _, name in ipairs(libs) do _G[name] = require(name) end\n"
    "for _, chunk in ipairs(chunks) do chunk() end\n"
    "if script then return script(table.unpack(args, 1, args.n)) end\n";

/* -m MODULE: the module's command line, main(args), takes the script's place (like
 * python -m). Its arguments are arg[1..]; a raised error exits 1 like a script's, and
 * an integer main returns is the exit status (2 for a usage error, say). */
static const char MODULE_MAIN[] =
    "local name = arg[0]\n"
    "local m = require(name)\n"
    "if type(m) ~= 'table' or type(m.main) ~= 'function' then\n"
    "  error(name .. ': this module has no command line (no main function)', 0)\n"
    "end\n"
    "local status = m.main({...})\n"
    "if math.type(status) == 'integer' then MODULE_EXIT_STATUS = status end\n";

static int report_load_error(lua_State *L, const char *progname) {
  fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
  lua_pop(L, 1);
  return 1;
}

/* The first Ctrl-C, acted upon on the loop (runtime/io/interrupt.h does the signal part). */
static void on_interrupt(void *ud) {
  const host_options *o = ud;
  fprintf(stderr,
          "\n%s: interrupted: submitting nothing more; jobs in flight will finish and be saved "
          "(Ctrl-C again to quit now; a rerun resumes either way)\n",
          o->progname);
  fflush(stderr);
}

static const char EXIT_NOW[] =
    "\natelier: interrupted again: quitting now; everything recorded so far is in the journal, "
    "a rerun resumes it\n";

int host_run(const host_options *o) {
  char err[256];
  loop *lp = loop_new(err, sizeof err);
  if (!lp) {
    fprintf(stderr, "%s: %s\n", o->progname, err);
    return 1;
  }
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create a Lua state (out of memory)\n", o->progname);
    loop_free(lp);
    return 1;
  }
  int status = 0;
  luaL_openlibs(L);
  lerr_open(L);
  sched_open(L, lp);
  modules_preload(L);
  ljournal_configure(L, o->journal_path, o->journal_fresh, o->retry_unknown);
  set_package_path(L, o->script);
  set_arg_table(L, o);
  lfashn_cli cli = {.concurrency = o->concurrency, .max_credits = o->max_credits, .dry_run = o->dry_run,
                    .base_url = o->base_url, .emulator = o->emulator, .quiet = o->quiet,
                    .cacert = o->cacert};
  lfashn_set_cli(L, &cli);

  char script_real[PATH_MAX];
  const char *script = o->script;
  if (o->sandbox) {
    /* Resolve the script before the sandbox moves into --out. */
    char dir[PATH_MAX] = ".";
    if (script && strcmp(script, "-") != 0) {
      if (!realpath(script, script_real)) {
        fprintf(stderr, "%s: cannot open %s\n", o->progname, script);
        status = 1;
        goto done;
      }
      script = script_real;
      snprintf(dir, sizeof dir, "%s", script_real);
      *strrchr(dir, '/') = '\0';
      lua_getglobal(L, "arg");
      lua_pushstring(L, script_real);
      lua_rawseti(L, -2, 0);
      lua_pop(L, 1);
    }
    sandbox_policy p = {o->out_dir, dir, host_scripts_dir(), o->allow_read, o->nallow_read};
    if (!sandbox_apply(L, &p, err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", o->progname, err);
      status = 2;
      goto done;
    }
  }

  if (luaL_loadbuffer(L, MAIN_BODY, sizeof MAIN_BODY - 1, "=(atelier)") != LUA_OK) {
    status = report_load_error(L, o->progname);
    goto done;
  }
  lua_createtable(L, o->nlibs, 0);
  for (int i = 0; i < o->nlibs; i++) {
    lua_pushstring(L, o->libs[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_createtable(L, o->nchunks, 0);
  for (int i = 0; i < o->nchunks; i++) {
    if (luaL_loadbuffer(L, o->chunks[i], strlen(o->chunks[i]), "=(command line)") != LUA_OK) {
      status = report_load_error(L, o->progname);
      goto done;
    }
    lua_rawseti(L, -2, i + 1);
  }
  if (o->module) {
    if (luaL_loadbuffer(L, MODULE_MAIN, strlen(MODULE_MAIN), "=(-m)") != LUA_OK) {
      status = report_load_error(L, o->progname);
      goto done;
    }
  } else if (script) {
    const char *path = strcmp(script, "-") == 0 ? NULL : script;
    if (luaL_loadfile(L, path) != LUA_OK) { /* skips a #! first line, like lua */
      status = report_load_error(L, o->progname);
      goto done;
    }
  } else {
    lua_pushnil(L);
  }
  lua_createtable(L, o->nscript_args, 1);
  for (int i = 0; i < o->nscript_args; i++) {
    lua_pushstring(L, o->script_args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushinteger(L, o->nscript_args);
  lua_setfield(L, -2, "n");

  interrupt_install(lp, on_interrupt, (void *)o, EXIT_NOW);
  sched_result r = sched_run_main(L, 4, o->progname);
  status = (r.main_failed || r.unobserved || r.deadlocked) ? 1 : 0;
  if (status == 0 && o->module && lua_getglobal(L, "MODULE_EXIT_STATUS") == LUA_TNUMBER) {
    lua_Integer v = lua_tointeger(L, -1);
    status = v >= 0 && v <= 125 ? (int)v : 1;
  }
  if (interrupt_stopping()) status = 130; /* like a shell's 128 + SIGINT */
  lfashn_finish(L);
  ljournal_finish(L, o->quiet);
done:
  lua_close(L); /* tasks' finalizers stop their timers before the loop goes */
  interrupt_uninstall();
  loop_free(lp);
  /* Like Neovim's ref counting: every job and HTTP request must be gone by now. */
  if (fashn_live_jobs() || http_live_requests()) {
    fprintf(stderr, "%s: internal error: %ld job(s) and %ld HTTP request(s) leaked\n", o->progname,
            fashn_live_jobs(), http_live_requests());
    status = 1;
  }
  return status;
}
