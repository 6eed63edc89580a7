/* sandbox.h — running a recipe someone else wrote: no process, library or debug access,
 * file writes confined to one output directory, reads to the script's directory, the
 * output directory and paths the user allowed. Every binding that opens a file by name
 * asks here first; with the sandbox off the checks are free and change nothing. */
#ifndef ATELIER_SANDBOX_H
#define ATELIER_SANDBOX_H

#include <lua.h>
#include <stdbool.h>

typedef struct sandbox_policy {
  const char *out_dir;     /* writes go here (created if missing); the working directory */
  const char *script_dir;  /* reads allowed here */
  const char *scripts_dir; /* the shipped Lua modules (read-only), may be NULL */
  const char **read_dirs;  /* more read roots (--allow-read) */
  int nread_dirs;
  const char **env_names;  /* what os.getenv may see (--allow-env); nothing else */
  int nenv_names;
  const char **hosts;      /* hosts whose URLs may be sent as inputs (--allow-host) */
  int nhosts;
} sandbox_policy;

/* Turns the sandbox on for L: resolves the roots (realpath), chdirs into out_dir,
 * removes os.execute, io.popen, os.tmpname, package.loadlib, C module searchers and the
 * debug library, forces text-only chunks, wraps io/os file functions with path checks
 * and makes os.getenv see only the allowed names (nil for every other). Returns false with errbuf filled
 * when a root cannot be used. Call after the standard libraries are open. */
bool sandbox_apply(lua_State *L, const sandbox_policy *p, char *errbuf, size_t errlen);

/* True when L runs sandboxed. */
bool sandbox_enabled(lua_State *L);

/* Checks a path the script wants to write (create, replace, remove) or read. Pushes
 * the path to use (resolved when sandboxed, unchanged otherwise) and returns it; it
 * stays valid while it is on the stack. Raises an atelier error named
 * "SandboxViolation" naming the path when it is outside the allowed roots. */
const char *sandbox_check_write(lua_State *L, const char *path);
const char *sandbox_check_read(lua_State *L, const char *path);

/* Checks a string a recipe wants to send as an input: when it looks like a URL (the
 * API would fetch it, so it is a way out) it must be http(s):// on one of the
 * --allow-host hosts (exact, any case). Does nothing when sandboxing is off or the
 * string is no URL (a prompt, a data: URI). Raises "SandboxViolation" with `field`,
 * naming the host and the option otherwise — also for URLs whose host cannot be read
 * plainly (user info, percent escapes, backslashes, other schemes). */
void sandbox_check_url(lua_State *L, const char *field, const char *url, size_t len);

/* The same write check without raising or pushing, for atelier's own files (the
 * journal in --out): true when not sandboxed or when path stays inside --out with no
 * symbolic link on the way; else false with the reason in err. */
bool sandbox_write_ok(lua_State *L, const char *path, char *err, size_t errlen);

/* ---- a dry run's rehearsal ------------------------------------------------------------
 * Every path a recipe writes (the bindings' saves, io.open for writing, io.output,
 * os.remove, os.rename, atelier.writable) goes into dir instead: a relative path keeps its
 * shape (out/a.png -> DIR/out/a.png), any other path goes under DIR/abs/; missing folders
 * are created. A read of a path the rehearsal wrote reads its copy. os.execute and
 * io.popen are not run (one line on stderr names the command; they answer as if it
 * succeeded). With --sandbox the same mapping applies inside --out, after the sandbox's
 * checks. dir is emptied first. Call after sandbox_apply (when sandboxed). */
bool sandbox_rehearse(lua_State *L, const char *dir, char *errbuf, size_t errlen);
/* The rehearsal folder (absolute), or NULL outside a dry run. */
const char *sandbox_rehearsal_dir(lua_State *L);
/* True once the rehearsal has written (its folder exists). */
bool sandbox_rehearsal_used(lua_State *L);
/* Removes dir and everything below it, following no link; true when it is gone. */
bool sandbox_remove_tree(const char *dir);

#endif
