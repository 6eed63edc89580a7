/* sandbox_int.h — what the files of the sandbox share: its state, once per Lua state
 * (sandbox.c owns it; sandbox_url.c reads the allowed hosts). Not for other bindings:
 * they go through sandbox.h. */
#ifndef ATELIER_SANDBOX_INT_H
#define ATELIER_SANDBOX_INT_H

#include <limits.h>
#include <lua.h>

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

#endif
