/* sandbox_int.h — what the files of the sandbox share: its state, once per Lua state
 * (sandbox.c owns it; sandbox_url.c reads the allowed hosts), the wrapping of library
 * functions, and a dry run's rehearsal (sandbox_rehearse.c), which the path checks
 * consult. Not for other bindings: they go through sandbox.h. */
#ifndef ATELIER_SANDBOX_INT_H
#define ATELIER_SANDBOX_INT_H

#include <limits.h>
#include <lua.h>
#include <stdbool.h>

#define MAX_ROOTS 32

typedef struct sandbox {
  char out[PATH_MAX];
  char *reads[MAX_ROOTS]; /* realpath'd read roots, out included */
  int nreads;
  char **envs; /* --allow-env names (owned) */
  int nenvs;
  char **hosts; /* --allow-host names (owned) */
  int nhosts;
} sandbox;

/* The sandbox of L, or NULL when it runs unsandboxed. */
sandbox *sandbox_state(lua_State *L);
/* True when path is root or below it (both absolute, without dot segments). */
bool sandbox_under(const char *path, const char *root);

/* ---- wrapping the standard library (sandbox.c) ---- */

/* Replaces lib.fname (lib NULL: the global fname) by w, a closure whose upvalue 1 is the
 * original. */
void sandbox_wrap(lua_State *L, const char *lib, const char *fname, lua_CFunction w);
/* In a wrapper: calls the original (upvalue 1) with the arguments as they are now. */
int sandbox_call_original(lua_State *L);
/* Replaces argument idx by the path to use (sandbox_check_write or _read); raises
 * SandboxViolation. */
void sandbox_replace_arg(lua_State *L, int idx, bool write);
/* The wrapper of os.rename (both names are written); the rehearsal's too. */
int sandbox_os_rename(lua_State *L);

/* ---- a dry run's rehearsal (sandbox_rehearse.c) ---- */

typedef struct rehearsal rehearsal;
/* The rehearsal of L, or NULL outside a dry run. */
rehearsal *rehearsal_of(lua_State *L);
/* Where the rehearsal keeps path (see sandbox.h); false when it cannot be placed there. */
bool rehearsal_map(const rehearsal *r, const char *path, char out[PATH_MAX]);
/* Creates the rehearsal folder (at the first write) and the folders between it and
 * path's last component, never through a link. */
void rehearsal_parents(lua_State *L, rehearsal *r, const char *path);

#endif
