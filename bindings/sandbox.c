/* sandbox.c — the --sandbox policy (see sandbox.h): writes walked component by component
 * from --out with no symbolic link followed, reads resolved through "..", symlinks and
 * missing directories, the Lua standard library trimmed and wrapped so every file a
 * recipe names passes one check, the environment a recipe may see and the hosts whose
 * URLs it may send. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "sandbox_int.h"
#include "../runtime/io/safefile.h"



static const char SANDBOX_KEY = 0;

sandbox *sandbox_state(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &SANDBOX_KEY);
  sandbox *sb = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return sb;
}

bool sandbox_enabled(lua_State *L) { return sandbox_state(L) != NULL; }

/* ---- path resolution ----------------------------------------------------------- */

/* Resolves `path` (relative to the working directory) to an absolute path without
 * symlinks or dot segments, even when its last components do not exist yet: the
 * longest existing ancestor is realpath'd and the missing tail appended, refusing ".."
 * in that tail (it cannot be resolved safely). False when it cannot be resolved. */
static bool resolve(const char *path, char out[PATH_MAX]) {
  if (!*path || strlen(path) >= PATH_MAX) return false;
  if (realpath(path, out)) return true;
  if (errno != ENOENT) return false;
  char work[PATH_MAX];
  if (path[0] == '/') {
    snprintf(work, sizeof work, "%s", path);
  } else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return false;
    if ((size_t)snprintf(work, sizeof work, "%s/%s", cwd, path) >= sizeof work) return false;
  }
  /* Cut at slashes from the right until the prefix exists; work is absolute, so the
   * cut at index 0 ("/") always ends the search. */
  char *slash = strrchr(work, '/');
  char *tail = NULL;
  while (slash) {
    *slash = '\0';
    if (realpath(slash == work ? "/" : work, out)) {
      tail = slash + 1;
      break;
    }
    int e = errno;
    *slash = '/';
    if (e != ENOENT) return false; /* e.g. a file used as a directory */
    char *prev = NULL;
    for (char *c = slash - 1; c >= work; c--)
      if (*c == '/') {
        prev = c;
        break;
      }
    slash = prev;
  }
  if (!tail) return false;
  char *save = NULL;
  for (char *c = strtok_r(tail, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0) continue;
    if (strcmp(c, "..") == 0) return false; /* cannot be resolved safely below a missing dir */
    size_t n = strlen(out);
    if (n + 1 + strlen(c) >= PATH_MAX) return false;
    if (n > 1) out[n++] = '/';
    strcpy(out + n, c);
  }
  return true;
}

bool sandbox_under(const char *path, const char *root) {
  size_t n = strlen(root);
  if (strcmp(root, "/") == 0) return true;
  return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int violation(lua_State *L, const char *what, const char *path, const char *why) {
  return lerr_raisef(L, "SandboxViolation", "the sandbox refuses to %s %s: %s", what, path, why);
}

const char *sandbox_check_write(lua_State *L, const char *path) {
  rehearsal *rh = rehearsal_of(L);
  char mapped[PATH_MAX];
  if (rh) {
    if (!rehearsal_map(rh, path, mapped))
      return lerr_raisef(L, "SandboxViolation", "the dry run cannot place %s in its rehearsal folder", path), NULL;
    rehearsal_parents(L, rh, mapped);
    path = mapped;
  }
  sandbox *sb = sandbox_state(L);
  if (!sb) return lua_pushstring(L, path);
  /* Not realpath and a prefix test: a dangling link resolves to "a missing file inside
   * --out" and the write would then follow it out. Every component below --out is
   * opened without following links instead; a link anywhere, or "..", is refused. */
  char real[PATH_MAX], why[PATH_MAX + 200];
  if (!safe_check(sb->out, path, real, sizeof real, why, sizeof why)) {
    violation(L, "write", path, errno == EXDEV ? "writes are confined to the --out directory" : why);
    return NULL;
  }
  return lua_pushstring(L, real);
}

bool sandbox_write_ok(lua_State *L, const char *path, char *err, size_t errlen) {
  sandbox *sb = sandbox_state(L);
  char real[PATH_MAX];
  return !sb || safe_check(sb->out, path, real, sizeof real, err, errlen);
}

const char *sandbox_check_read(lua_State *L, const char *path) {
  rehearsal *rh = rehearsal_of(L);
  char mapped[PATH_MAX];
  struct stat st;
  if (rh && rehearsal_map(rh, path, mapped) && lstat(mapped, &st) == 0) path = mapped; /* what it wrote */
  sandbox *sb = sandbox_state(L);
  if (!sb) return lua_pushstring(L, path);
  char real[PATH_MAX];
  if (!resolve(path, real)) return violation(L, "read", path, "the path cannot be resolved"), NULL;
  for (int i = 0; i < sb->nreads; i++)
    if (sandbox_under(real, sb->reads[i])) return lua_pushstring(L, real);
  return violation(L, "read", path,
                   "reads are confined to the script's directory, --out and --allow-read paths"),
         NULL;
}

/* ---- wrapped library functions -------------------------------------------------- */

/* Calls the original function (upvalue 1) after replacing argument `idx` by its
 * checked path. */
int sandbox_call_original(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void sandbox_replace_arg(lua_State *L, int idx, bool write) {
  const char *p = luaL_checkstring(L, idx);
  if (write) sandbox_check_write(L, p);
  else sandbox_check_read(L, p);
  lua_replace(L, idx);
}

/* Closes a file handle made by open_for_write (the io library's own closer is private). */
static int stream_close(lua_State *L) {
  luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  errno = 0;
  return luaL_fileresult(L, fclose(p->f) == 0, NULL);
}

/* io.open(name, mode) for a mode that writes: the descriptor comes from walking --out
 * without following links (safefile), so nothing swapped in between the check and the
 * open can redirect it, and a FIFO there cannot hang it. Returns like io.open: a file
 * handle, or nil, message, errno. */
static int open_for_write(lua_State *L, const char *path, const char *mode) {
  size_t ml = strlen(mode);
  bool plus = ml > 1 && mode[1] == '+';
  if (ml == 0 || !strchr("rwa", mode[0]) || strspn(mode + 1 + plus, "b") != ml - 1 - plus)
    return luaL_argerror(L, 2, "invalid mode");
  int flags = plus ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
  if (mode[0] == 'w') flags |= O_CREAT | O_TRUNC;
  if (mode[0] == 'a') flags |= O_CREAT | O_APPEND;
  sandbox *sb = sandbox_state(L);
  const char *real = sandbox_check_write(L, path); /* raises SandboxViolation */
  char err[PATH_MAX + 200];
  luaL_Stream *p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
  p->closef = NULL; /* closed until the file is open */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  int fd = safe_open(sb->out, real, flags, 0666, 0, err, sizeof err);
  p->f = fd >= 0 ? fdopen(fd, mode) : NULL;
  if (!p->f) {
    int e = errno;
    if (fd >= 0) close(fd);
    /* io.open's own wording, unless safefile had more to say (a link, a FIFO) */
    if (fd >= 0 || (e != ELOOP && e != ENOTDIR && e != EINVAL && e != EMLINK))
      snprintf(err, sizeof err, "%s: %s", path, strerror(e));
    luaL_pushfail(L);
    lua_pushstring(L, err);
    lua_pushinteger(L, e);
    return 3;
  }
  p->closef = stream_close;
  return 1;
}

static int w_io_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "r");
  if (strcmp(mode, "r") != 0 && strcmp(mode, "rb") != 0) return open_for_write(L, path, mode);
  sandbox_replace_arg(L, 1, false);
  return sandbox_call_original(L);
}

static int w_read_arg1(lua_State *L) { /* io.lines(name), loadfile(name), dofile(name) */
  if (lua_type(L, 1) == LUA_TSTRING) sandbox_replace_arg(L, 1, false);
  else if (lua_isnoneornil(L, 1)) return luaL_error(L, "the sandbox does not read standard input this way");
  return sandbox_call_original(L);
}

static int w_io_input(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING) sandbox_replace_arg(L, 1, false);
  return sandbox_call_original(L);
}

static int w_io_output(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING) { /* opened here, as io.open(name, "w") would */
    const char *path = lua_tostring(L, 1);
    if (open_for_write(L, path, "w") != 1) return luaL_error(L, "%s", lua_tostring(L, -2));
    lua_replace(L, 1);
  }
  return sandbox_call_original(L);
}

static int w_os_remove(lua_State *L) {
  sandbox_replace_arg(L, 1, true);
  return sandbox_call_original(L);
}

/* os.rename: both names are written (sandboxed: checked; rehearsing: mapped). */
int sandbox_os_rename(lua_State *L) {
  sandbox_replace_arg(L, 1, true);
  sandbox_replace_arg(L, 2, true);
  return sandbox_call_original(L);
}

/* load(chunk, name, mode, env): binary chunks can break out of any sandbox. */
static int w_load(lua_State *L) {
  lua_settop(L, 4);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  return sandbox_call_original(L);
}

static int w_loadfile(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING) return luaL_error(L, "the sandbox needs a file name for loadfile");
  lua_settop(L, 3);
  sandbox_replace_arg(L, 1, false);
  lua_pushliteral(L, "t");
  lua_replace(L, 2);
  return sandbox_call_original(L);
}

static int w_dofile(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING) return luaL_error(L, "the sandbox needs a file name for dofile");
  sandbox_replace_arg(L, 1, false);
  lua_settop(L, 1);
  if (luaL_loadfilex(L, lua_tostring(L, 1), "t") != LUA_OK) return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

/* os.getenv sees only what the user named with --allow-env: a deny list of
 * secret-looking names always misses one (GITHUB_PAT, DATABASE_URL, MYSQL_PWD). */
static int w_getenv(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  sandbox *sb = sandbox_state(L);
  for (int i = 0; sb && i < sb->nenvs; i++)
    if (strcmp(name, sb->envs[i]) == 0) return sandbox_call_original(L);
  lua_pushnil(L);
  return 1;
}


/* package.searchers[2] replacement: Lua files only, found on package.path and readable
 * under the sandbox's rules. */
static int sandboxed_lua_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  const char *path = lua_tostring(L, -1);
  if (!path) return luaL_error(L, "package.path must be a string");
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchpath");
  lua_pushstring(L, name);
  lua_pushstring(L, path);
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2)) return 1; /* the "no file" message */
  const char *file = lua_tostring(L, -2);
  const char *checked = sandbox_check_read(L, file);
  if (luaL_loadfilex(L, checked, "t") != LUA_OK)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file, lua_tostring(L, -1));
  lua_pushstring(L, file);
  return 2;
}

void sandbox_wrap(lua_State *L, const char *lib, const char *fname, lua_CFunction w) {
  if (lib) lua_getglobal(L, lib);
  else lua_pushglobaltable(L);
  lua_getfield(L, -1, fname);
  lua_pushcclosure(L, w, 1);
  lua_setfield(L, -2, fname);
  lua_pop(L, 1);
}

static void remove_field(lua_State *L, const char *lib, const char *fname) {
  lua_getglobal(L, lib);
  lua_pushnil(L);
  lua_setfield(L, -2, fname);
  lua_pop(L, 1);
}

static bool add_root(sandbox *sb, const char *dir, char *errbuf, size_t errlen) {
  char real[PATH_MAX];
  if (!realpath(dir, real)) {
    snprintf(errbuf, errlen, "cannot use %s as a sandbox root: %s", dir, strerror(errno));
    return false;
  }
  if (sb->nreads == MAX_ROOTS) {
    snprintf(errbuf, errlen, "too many --allow-read paths (at most %d)", MAX_ROOTS - 2);
    return false;
  }
  sb->reads[sb->nreads] = strdup(real);
  if (!sb->reads[sb->nreads]) {
    snprintf(errbuf, errlen, "out of memory");
    return false;
  }
  sb->nreads++;
  return true;
}

static void free_names(char **v, int n) {
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
}

static int sandbox_gc(lua_State *L) {
  sandbox *sb = lua_touserdata(L, 1);
  for (int i = 0; i < sb->nreads; i++) free(sb->reads[i]);
  sb->nreads = 0;
  free_names(sb->envs, sb->nenvs);
  free_names(sb->hosts, sb->nhosts);
  sb->envs = sb->hosts = NULL;
  sb->nenvs = sb->nhosts = 0;
  if (sb->out[0] && safe_write_root() && strcmp(safe_write_root(), sb->out) == 0) safe_set_write_root(NULL);
  return 0;
}

/* Copies n names into *out (owned by the sandbox, freed by its __gc). */
static bool copy_names(char ***out, int *nout, const char **names, int n, char *errbuf, size_t errlen) {
  if (n <= 0) return true;
  *out = calloc((size_t)n, sizeof **out);
  if (!*out) {
    snprintf(errbuf, errlen, "out of memory");
    return false;
  }
  for (int i = 0; i < n; i++) {
    if (!((*out)[i] = strdup(names[i]))) {
      snprintf(errbuf, errlen, "out of memory");
      return false;
    }
    *nout = i + 1;
  }
  return true;
}

bool sandbox_apply(lua_State *L, const sandbox_policy *p, char *errbuf, size_t errlen) {
  if (!p->out_dir || !*p->out_dir) {
    snprintf(errbuf, errlen, "--sandbox needs --out DIR (where the recipe may write)");
    return false;
  }
  if (mkdir(p->out_dir, 0777) != 0 && errno != EEXIST) {
    snprintf(errbuf, errlen, "cannot create the --out directory %s: %s", p->out_dir, strerror(errno));
    return false;
  }
  sandbox *sb = lua_newuserdatauv(L, sizeof *sb, 0);
  memset(sb, 0, sizeof *sb);
  lua_newtable(L);
  lua_pushcfunction(L, sandbox_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  /* Roots are resolved before the chdir, so relative ones mean what the user typed. */
  bool ok = realpath(p->out_dir, sb->out) != NULL;
  if (!ok) snprintf(errbuf, errlen, "cannot use --out %s: %s", p->out_dir, strerror(errno));
  ok = ok && add_root(sb, p->out_dir, errbuf, errlen);
  if (ok && p->script_dir) ok = add_root(sb, p->script_dir, errbuf, errlen);
  if (ok && p->scripts_dir) ok = add_root(sb, p->scripts_dir, errbuf, errlen);
  for (int i = 0; ok && i < p->nread_dirs; i++) ok = add_root(sb, p->read_dirs[i], errbuf, errlen);
  ok = ok && copy_names(&sb->envs, &sb->nenvs, p->env_names, p->nenv_names, errbuf, errlen);
  ok = ok && copy_names(&sb->hosts, &sb->nhosts, p->hosts, p->nhosts, errbuf, errlen);
  if (ok && chdir(sb->out) != 0) {
    snprintf(errbuf, errlen, "cannot enter the --out directory %s: %s", sb->out, strerror(errno));
    ok = false;
  }
  if (!ok) {
    lua_pop(L, 1);
    return false;
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &SANDBOX_KEY);
  /* Writers that create their folders (img:save, book:save into a missing folder) walk
   * from --out, never following a link on the way. */
  safe_set_write_root(sb->out);

  remove_field(L, "os", "execute");
  remove_field(L, "os", "tmpname");
  remove_field(L, "io", "popen");
  remove_field(L, "io", "tmpfile"); /* harmless, but writes outside --out */
  remove_field(L, "package", "loadlib");
  lua_pushnil(L);
  lua_setglobal(L, "debug");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushnil(L);
  lua_setfield(L, -2, "debug");
  lua_pop(L, 1);

  sandbox_wrap(L, "io", "open", w_io_open);
  sandbox_wrap(L, "io", "lines", w_read_arg1);
  sandbox_wrap(L, "io", "input", w_io_input);
  sandbox_wrap(L, "io", "output", w_io_output);
  sandbox_wrap(L, "os", "remove", w_os_remove);
  sandbox_wrap(L, "os", "rename", sandbox_os_rename);
  sandbox_wrap(L, "os", "getenv", w_getenv);
  sandbox_wrap(L, NULL, "load", w_load);
  sandbox_wrap(L, NULL, "loadfile", w_loadfile);
  sandbox_wrap(L, NULL, "dofile", w_dofile);

  /* Only preloaded modules and Lua files: no C modules (cpath), ever. */
  lua_getglobal(L, "package");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, sandboxed_lua_searcher);
  lua_rawseti(L, -2, 2);
  lua_pushnil(L);
  lua_rawseti(L, -2, 4);
  lua_pushnil(L);
  lua_rawseti(L, -2, 3);
  lua_pop(L, 2);
  return true;
}
