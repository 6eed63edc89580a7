/* host.c — creates the Lua state (standard libraries, preloaded modules, package.path
 * with the shipped scripts), loads the script and -e chunks, and runs them as the main
 * task on the event loop. */
#include "host.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <fcntl.h>
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
#include "limits.h"
#include "modules.h"
#include "sandbox.h"
#include "task.h"

#define HOST_SANDBOX_MEMORY ((size_t)512 << 20) /* --sandbox without --max-memory */
#define HOST_REHEARSAL_DIR ".atelier/dry-run"    /* a dry run's writes, below the working dir */

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
  int package = lua_gettop(L); /* absolute: an open buffer may take any number of slots */
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
  lua_getfield(L, package, "path");
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  lua_setfield(L, package, "path");
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
  lerr_print(stderr, progname, lua_tostring(L, -1));
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

/* What host_prepare works from and reports back (it runs inside lua_pcall). */
typedef struct host_setup {
  const host_options *o;
  loop *lp;   /* the loop the tasks run on */
  int status; /* nonzero: stop with this exit status (the message is already printed) */
  char script_real[PATH_MAX];
  char plan_file[PATH_MAX]; /* --plan FILE made absolute (the sandbox moves into --out) */
} host_setup;

/* Sets the Lua state up and pushes the main task's body with its four arguments (libs,
 * chunks, script, args). Runs inside one protected call, as lua.c's pmain does, so an
 * allocation failure while opening the libraries or loading the script is an error
 * reported by name, never a panic. */
static int host_prepare(lua_State *L) {
  host_setup *su = lua_touserdata(L, 1);
  const host_options *o = su->o;
  lua_settop(L, 0);
  luaL_openlibs(L);
  lerr_open(L);
  sched_open(L, su->lp);
  modules_preload(L);
  ljournal_configure(L, o->journal_path, o->journal_fresh, o->retry_unknown);
  set_package_path(L, o->script);
  set_arg_table(L, o);
  lfashn_cli cli = {.concurrency = o->concurrency, .max_credits = o->max_credits, .dry_run = o->dry_run,
                    .base_url = o->base_url, .emulator = o->emulator, .quiet = o->quiet,
                    .cacert = o->cacert, .plan_file = su->plan_file[0] ? su->plan_file : NULL,
                    .silent = o->silent};
  lfashn_set_cli(L, &cli);

  const char *script = o->script;
  if (o->sandbox) {
    /* Resolve the script before the sandbox moves into --out. A script from standard
     * input or -e has no directory of its own: the working directory is not one (it
     * held .aws/credentials for a recipe piped in). */
    char dir[PATH_MAX] = "";
    if (script && strcmp(script, "-") != 0) {
      if (!realpath(script, su->script_real)) {
        fprintf(stderr, "%s: cannot open %s\n", o->progname, script);
        su->status = 1;
        return 0;
      }
      script = su->script_real;
      snprintf(dir, sizeof dir, "%s", su->script_real);
      *strrchr(dir, '/') = '\0';
      lua_getglobal(L, "arg");
      lua_pushstring(L, su->script_real);
      lua_rawseti(L, -2, 0);
      lua_pop(L, 1);
    }
    sandbox_policy p = {o->out_dir,     dir[0] ? dir : NULL, host_scripts_dir(), o->allow_read, o->nallow_read,
                        o->allow_env,   o->nallow_env,       o->allow_host,      o->nallow_host};
    char err[256];
    if (!sandbox_apply(L, &p, err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", o->progname, err);
      su->status = 2;
      return 0;
    }
  }

  if (o->dry_run) { /* after the sandbox: its folder then lies inside --out */
    char err[PATH_MAX + 200];
    if (!sandbox_rehearse(L, o->rehearsal_dir ? o->rehearsal_dir : HOST_REHEARSAL_DIR, err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", o->progname, err);
      su->status = 2;
      return 0;
    }
  }

  if (luaL_loadbuffer(L, MAIN_BODY, sizeof MAIN_BODY - 1, "=(atelier)") != LUA_OK)
    return su->status = report_load_error(L, o->progname), 0;
  lua_createtable(L, o->nlibs, 0);
  for (int i = 0; i < o->nlibs; i++) {
    lua_pushstring(L, o->libs[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_createtable(L, o->nchunks, 0);
  for (int i = 0; i < o->nchunks; i++) {
    if (luaL_loadbuffer(L, o->chunks[i], strlen(o->chunks[i]), "=(command line)") != LUA_OK)
      return su->status = report_load_error(L, o->progname), 0;
    lua_rawseti(L, -2, i + 1);
  }
  if (o->module) {
    if (luaL_loadbuffer(L, MODULE_MAIN, strlen(MODULE_MAIN), "=(-m)") != LUA_OK)
      return su->status = report_load_error(L, o->progname), 0;
  } else if (script) {
    const char *path = strcmp(script, "-") == 0 ? NULL : script;
    if (luaL_loadfile(L, path) != LUA_OK) /* skips a #! first line, like lua */
      return su->status = report_load_error(L, o->progname), 0;
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
  return 5;
}

/* What host_finish reads and reports. */
typedef struct host_end {
  const host_options *o;
  int status;   /* lfashn_finish's: 3 a dry run's plan over the cap, 1 --plan unwritable */
  long planned; /* a dry run's planned credits */
  char rehearsal[PATH_MAX]; /* the rehearsal folder, absolute ("" = none) */
  int module_status;        /* -m MODULE: the integer its main returned, or -1 */
} host_end;

/* The end of a run: the client's summary (a dry run's plan) and the journal's
 * (protected, like the start). */
static int host_finish(lua_State *L) {
  host_end *he = lua_touserdata(L, 1);
  he->status = lfashn_finish(L);
  he->planned = lfashn_planned_credits(L);
  he->module_status = -1;
  if (he->o->module && lua_getglobal(L, "MODULE_EXIT_STATUS") == LUA_TNUMBER) {
    lua_Integer v = lua_tointeger(L, -1);
    he->module_status = v >= 0 && v <= 125 ? (int)v : 1;
  }
  const char *dir = sandbox_rehearsal_dir(L);
  snprintf(he->rehearsal, sizeof he->rehearsal, "%s", dir ? dir : "");
  ljournal_finish(L, he->o->quiet);
  return 0;
}

/* Runs f(ud) protected; false (the error printed) when it raised. */
static bool host_pcall(lua_State *L, lua_CFunction f, void *ud, int nresults, const char *progname,
                       const char *what) {
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, ud);
  if (lua_pcall(L, 1, nresults, 0) == LUA_OK) return true;
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "%s: %s: %s\n", progname, what, msg ? msg : "(an error that is not a string)");
  lua_pop(L, 1);
  return false;
}

static int host_run_once(const host_options *o, host_end *he) {
  char err[256];
  loop *lp = loop_new(err, sizeof err);
  if (!lp) {
    fprintf(stderr, "%s: %s\n", o->progname, err);
    return 1;
  }
  /* A sandboxed recipe gets a memory cap even when the user named none. */
  size_t max_memory = o->max_memory ? o->max_memory : o->sandbox ? HOST_SANDBOX_MEMORY : 0;
  run_limits *limits = NULL;
  lua_State *L = limits_newstate(max_memory, &limits);
  if (!L) {
    fprintf(stderr, "%s: cannot create a Lua state (out of memory)\n", o->progname);
    loop_free(lp);
    return 1;
  }
  int status = 0;
  host_setup su = {.o = o, .lp = lp};
  if (o->plan_file && o->plan_file[0] != '/') {
    char cwd[PATH_MAX];
    size_t cn, pn = strlen(o->plan_file);
    if (getcwd(cwd, sizeof cwd) && (cn = strlen(cwd)) + pn + 2 <= sizeof su.plan_file) {
      memcpy(su.plan_file, cwd, cn);
      su.plan_file[cn] = '/';
      memcpy(su.plan_file + cn + 1, o->plan_file, pn + 1);
    }
  } else if (o->plan_file) {
    snprintf(su.plan_file, sizeof su.plan_file, "%s", o->plan_file);
  }
  if (!host_pcall(L, host_prepare, &su, LUA_MULTRET, o->progname, "cannot start")) {
    status = 1;
    goto done;
  }
  if (su.status) {
    status = su.status;
    goto done;
  }

  interrupt_install(lp, on_interrupt, (void *)o, EXIT_NOW);
  limits_start(limits, L, lp, o->max_time);
  sched_result r = sched_run_main(L, 4, o->progname);
  const char *limit_msg;
  bool limit_reported;
  const char *limit = limits_finish(limits, L, &limit_msg, &limit_reported);
  status = (r.main_failed || r.unobserved || r.deadlocked) ? 1 : 0;
  if (limit) { /* always the last word, by name; in full unless a report just said it */
    if (!limit_reported) fprintf(stderr, "%s: %s: %s\n", o->progname, limit, limit_msg);
    else
      fprintf(stderr, "%s: %s: stopped by %s\n", o->progname, limit,
              limit[0] == 'M' ? "--max-memory" : "--max-time");
    status = 1;
  }
  if (interrupt_stopping()) status = 130; /* like a shell's 128 + SIGINT */
  he->o = o;
  if (!host_pcall(L, host_finish, he, 0, o->progname, "cannot finish the run") && !status) status = 1;
  if (!status) status = he->status;
  if (!status && he->module_status >= 0) status = he->module_status; /* -m MODULE: what main returned */
done:
  lua_close(L); /* tasks' finalizers stop their timers before the loop goes */
  interrupt_uninstall();
  loop_free(lp);
  limits_free(limits); /* after the loop: a deferred limit check may still be queued */
  /* Like Neovim's ref counting: every job and HTTP request must be gone by now. */
  if (fashn_live_jobs() || http_live_requests()) {
    fprintf(stderr, "%s: internal error: %ld job(s) and %ld HTTP request(s) leaked\n", o->progname,
            fashn_live_jobs(), http_live_requests());
    status = 1;
  }
  return status;
}

/* The rehearsal before a capped run: the recipe once as --dry-run would run it, in a
 * private folder, its output and the plan unseen; *planned gets its spend. Returns its
 * exit status (3: over the cap). The working directory and standard streams are put back
 * as they were. */
static int rehearse(const host_options *o, long *planned) {
  host_options r = *o;
  r.dry_run = true;
  r.quiet = true;
  r.silent = true;
  r.plan_file = NULL;
  char dir[PATH_MAX];
  bool had_atelier_dir = true;
  if (o->sandbox) { /* inside --out, where the sandbox lets it write; relative to it */
    char probe[PATH_MAX];
    struct stat st;
    snprintf(probe, sizeof probe, "%.*s/.atelier", PATH_MAX - 16, o->out_dir);
    had_atelier_dir = lstat(probe, &st) == 0;
    snprintf(dir, sizeof dir, ".atelier/rehearsal-%ld", (long)getpid());
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/atelier-rehearsal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
      fprintf(stderr, "%s: cannot make a folder for the rehearsal in %s\n", o->progname, dir);
      return 1;
    }
  }
  r.rehearsal_dir = dir;
  int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fflush(stdout);
  fflush(stderr);
  /* Its output is kept aside (unlinked files): shown only when the rehearsal fails,
   * since then that output says why. */
  FILE *keep_out = tmpfile(), *keep_err = tmpfile();
  int out = dup(STDOUT_FILENO), errfd = dup(STDERR_FILENO);
  if (cwd < 0 || out < 0 || errfd < 0 || !keep_out || !keep_err) {
    fprintf(stderr, "%s: cannot set up the rehearsal (out of file descriptors)\n", o->progname);
    if (cwd >= 0) close(cwd);
    if (out >= 0) close(out);
    if (errfd >= 0) close(errfd);
    if (keep_out) fclose(keep_out);
    if (keep_err) fclose(keep_err);
    return 1;
  }
  dup2(fileno(keep_out), STDOUT_FILENO);
  dup2(fileno(keep_err), STDERR_FILENO);
  host_end he = {0};
  int status = host_run_once(&r, &he);
  fflush(stdout);
  fflush(stderr);
  dup2(out, STDOUT_FILENO);
  dup2(errfd, STDERR_FILENO);
  close(out);
  close(errfd);
  if (status != 0 && status != 3) { /* what it said, then why nothing is bought */
    FILE *kept[2] = {keep_out, keep_err}, *to[2] = {stdout, stderr};
    for (int i = 0; i < 2; i++) {
      char chunk[4096];
      size_t n;
      rewind(kept[i]);
      while ((n = fread(chunk, 1, sizeof chunk, kept[i])) > 0) fwrite(chunk, 1, n, to[i]);
      fflush(to[i]);
    }
  }
  fclose(keep_out);
  fclose(keep_err);
  if (fchdir(cwd) != 0) status = status ? status : 1;
  close(cwd);
  if (he.rehearsal[0]) sandbox_remove_tree(he.rehearsal);
  if (!o->sandbox) sandbox_remove_tree(dir);
  if (o->sandbox && !had_atelier_dir) { /* the rehearsal made --out/.atelier: not left behind */
    char made[PATH_MAX];
    snprintf(made, sizeof made, "%.*s/.atelier", PATH_MAX - 16, o->out_dir);
    rmdir(made); /* only when empty: a journal may live there now */
  }
  *planned = he.planned;
  return status;
}

int host_run(const host_options *o) {
  if (o->max_credits >= 0 && !o->dry_run && !o->no_rehearse && o->script) {
    if (strcmp(o->script, "-") == 0) {
      if (!o->quiet)
        fprintf(stderr,
                "%s: a recipe read from standard input cannot be rehearsed first: --max-credits %ld is "
                "checked at each submit only (the jobs that fit are bought)\n",
                o->progname, o->max_credits);
    } else {
      long planned = 0;
      int st = rehearse(o, &planned);
      if (st == 130) return st;
      if (st != 0 && st != 3) {
        fprintf(stderr,
                "%s: the rehearsal under --max-credits (a dry run before buying anything) failed with exit "
                "status %d, as shown above: nothing was bought (--no-rehearse checks the cap at each submit "
                "only)\n",
                o->progname, st);
        return st;
      }
      if (planned > o->max_credits) {
        fprintf(stderr, "%s: planned %ld credit%s > --max-credits %ld: nothing was bought (see --dry-run for the plan)\n",
                o->progname, planned, planned == 1 ? "" : "s", o->max_credits);
        return 3;
      }
    }
  }
  host_end he = {0};
  return host_run_once(o, &he);
}
