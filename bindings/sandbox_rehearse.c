/* sandbox_rehearse.c — a dry run's rehearsal (see sandbox.h): the paths a recipe writes
 * mapped into a folder of their own, reads of what it wrote sent to the copy, and the
 * standard library wrapped so io and os go through the same mapping when no --sandbox
 * does it already. */
#define _XOPEN_SOURCE 700 /* nftw, for emptying the rehearsal folder */
#include "sandbox.h"

#include <errno.h>
#include <ftw.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_int.h"
#include "../runtime/io/safefile.h"

static const char REHEARSAL_KEY = 0;

/* A dry run's rehearsal (see sandbox.h): where its writes go, and the directory whose
 * relative paths keep their shape inside it. */
struct rehearsal {
  char root[PATH_MAX]; /* absolute */
  char base[PATH_MAX]; /* the working directory when the rehearsal began (absolute) */
  bool made;           /* root exists: made at the first write, so a dry run that writes
                          nothing leaves nothing behind */
  bool sandboxed;      /* made from --out, following no link */
};

rehearsal *rehearsal_of(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &REHEARSAL_KEY);
  rehearsal *r = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return r;
}

/* ---- the rehearsal's mapping -------------------------------------------------------- */

/* path as an absolute path with "." and ".." taken away by their spelling alone (links
 * are not followed: the mapping is about names). False when too long. */
static bool lexical_abs(const char *base, const char *path, char out[PATH_MAX]) {
  char work[2 * PATH_MAX];
  if (path[0] == '/') snprintf(work, sizeof work, "%s", path);
  else snprintf(work, sizeof work, "%s/%s", base, path);
  size_t o = 0;
  out[0] = '\0';
  char *save = NULL;
  for (char *c = strtok_r(work, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0) continue;
    if (strcmp(c, "..") == 0) {
      while (o > 0 && out[o - 1] != '/') o--;
      if (o > 0) o--;
      out[o] = '\0';
      continue;
    }
    size_t n = strlen(c);
    if (o + 1 + n >= PATH_MAX) return false;
    out[o++] = '/';
    memcpy(out + o, c, n + 1);
    o += n;
  }
  if (o == 0) snprintf(out, PATH_MAX, "/");
  return true;
}

/* Where the rehearsal keeps path: below base -> the same shape below root; already in
 * root -> itself; elsewhere -> root/abs/<absolute path>. */
bool rehearsal_map(const rehearsal *r, const char *path, char out[PATH_MAX]) {
  char abs[PATH_MAX];
  if (!*path || !lexical_abs(r->base, path, abs)) return false;
  if (sandbox_under(abs, r->root)) return snprintf(out, PATH_MAX, "%s", abs) < PATH_MAX;
  size_t bn = strlen(r->base);
  if (sandbox_under(abs, r->base)) return snprintf(out, PATH_MAX, "%s%s", r->root, abs + (bn > 1 ? bn : 0)) < PATH_MAX;
  return snprintf(out, PATH_MAX, "%s/abs%s", r->root, abs) < PATH_MAX;
}

/* Creates the folders between root and path's last component, never through a link. */
void rehearsal_parents(lua_State *L, rehearsal *r, const char *path) {
  if (!r->made) {
    char err[PATH_MAX + 100];
    sandbox *sb = r->sandboxed ? sandbox_state(L) : NULL;
    int fd = safe_mkdir(sb ? sb->out : NULL, r->root, SAFE_MKDIRS, err, sizeof err);
    if (fd >= 0) close(fd);
    r->made = fd >= 0;
  }
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) return;
  *slash = '\0';
  char err[PATH_MAX + 100];
  int fd = strcmp(dir, r->root) == 0 ? -1 : safe_mkdir(r->root, dir, SAFE_MKDIRS, err, sizeof err);
  if (fd >= 0) close(fd); /* a failure shows when the write itself fails */
}

/* ---- a rehearsal without --sandbox: the same names, mapped ----------------------------- */

static int r_io_open(lua_State *L) {
  luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "r");
  sandbox_replace_arg(L, 1, !(strcmp(mode, "r") == 0 || strcmp(mode, "rb") == 0));
  return sandbox_call_original(L);
}

static int r_read_arg1(lua_State *L) { /* io.lines, io.input, loadfile, dofile */
  if (lua_type(L, 1) == LUA_TSTRING) sandbox_replace_arg(L, 1, false);
  return sandbox_call_original(L);
}

static int r_write_arg1(lua_State *L) { /* io.output, os.remove */
  if (lua_type(L, 1) == LUA_TSTRING) sandbox_replace_arg(L, 1, true);
  return sandbox_call_original(L);
}

/* os.execute and io.popen have effects no folder can hold: named, not run. */
static int r_os_execute(lua_State *L) {
  if (lua_isnoneornil(L, 1)) return sandbox_call_original(L); /* "is there a shell": harmless */
  fprintf(stderr, "atelier: dry run: not running: %s\n", luaL_checkstring(L, 1));
  fflush(stderr);
  lua_pushboolean(L, 1);
  lua_pushliteral(L, "exit");
  lua_pushinteger(L, 0);
  return 3;
}

static int r_io_popen(lua_State *L) {
  const char *cmd = luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "r");
  fprintf(stderr, "atelier: dry run: not running: %s\n", cmd);
  fflush(stderr);
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1)); /* io.open: an empty stream, or one that swallows */
  lua_pushliteral(L, "/dev/null");
  lua_pushstring(L, mode[0] == 'w' ? "w" : "r");
  lua_call(L, 2, LUA_MULTRET);
  return lua_gettop(L);
}

static int unlink_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

bool sandbox_remove_tree(const char *dir) {
  struct stat st;
  if (lstat(dir, &st) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return unlink(dir) == 0;
  return nftw(dir, unlink_cb, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

bool sandbox_rehearse(lua_State *L, const char *dir, char *errbuf, size_t errlen) {
  rehearsal *r = lua_newuserdatauv(L, sizeof *r, 0);
  memset(r, 0, sizeof *r);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd) || !realpath(cwd, r->base)) {
    snprintf(errbuf, errlen, "cannot read the working directory: %s", strerror(errno));
    lua_pop(L, 1);
    return false;
  }
  char abs[PATH_MAX];
  if (!lexical_abs(r->base, dir, abs) || strcmp(abs, r->base) == 0 || sandbox_under(r->base, abs)) {
    snprintf(errbuf, errlen, "%s cannot be the rehearsal folder (it holds the working directory)", dir);
    lua_pop(L, 1);
    return false;
  }
  /* A fresh folder each time: the last rehearsal's files would otherwise be read back.
   * Sandboxed, only a folder reached through no link: a link planted as .atelier must
   * not turn the emptying loose outside --out. */
  sandbox *sb = sandbox_state(L);
  char real[PATH_MAX], why[PATH_MAX + 200];
  if (sb && !safe_check(sb->out, abs, real, sizeof real, why, sizeof why)) {
    snprintf(errbuf, errlen, "cannot use the rehearsal folder %s: %s", dir, why);
    lua_pop(L, 1);
    return false;
  }
  sandbox_remove_tree(abs);
  r->sandboxed = sb != NULL; /* folders on the way made at the first write (rehearsal_parents) */
  snprintf(r->root, sizeof r->root, "%s", abs);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &REHEARSAL_KEY);
  if (!sb) { /* the sandbox's wrappers already ask sandbox_check_*, which map */
    sandbox_wrap(L, "io", "open", r_io_open);
    sandbox_wrap(L, "io", "lines", r_read_arg1);
    sandbox_wrap(L, "io", "input", r_read_arg1);
    sandbox_wrap(L, "io", "output", r_write_arg1);
    sandbox_wrap(L, "os", "remove", r_write_arg1);
    sandbox_wrap(L, "os", "rename", sandbox_os_rename);
    sandbox_wrap(L, NULL, "loadfile", r_read_arg1);
    sandbox_wrap(L, NULL, "dofile", r_read_arg1);
    sandbox_wrap(L, "os", "execute", r_os_execute);
    lua_getglobal(L, "io"); /* io.popen gets io.open (the wrapped one) as its upvalue */
    lua_getfield(L, -1, "open");
    lua_pushcclosure(L, r_io_popen, 1);
    lua_setfield(L, -2, "popen");
    lua_pop(L, 1);
  }
  return true;
}

bool sandbox_rehearsal_used(lua_State *L) {
  rehearsal *r = rehearsal_of(L);
  return r && r->made;
}

const char *sandbox_rehearsal_dir(lua_State *L) {
  rehearsal *r = rehearsal_of(L);
  return r ? r->root : NULL;
}
