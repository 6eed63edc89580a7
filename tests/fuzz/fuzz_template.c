/* fuzz_template.c — libFuzzer target: the prompt-template parser (scripts/recipe/
 * template.lua) on arbitrary text. Lua errors are the expected way to refuse input;
 * anything else (a panic, a runaway expansion, a crash) is a bug. The Lua module is not
 * instrumented, so this fuzzes blind — a robustness net, not a coverage tool. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lua_State *L;

static void setup(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  const char *dir = getenv("ATELIER_SCRIPTS");
  char path[4096];
  snprintf(path, sizeof path, "package.path = '%s/?.lua;scripts/?.lua;../../scripts/?.lua;' .. package.path",
           dir ? dir : "scripts");
  /* The real atelier module lives in bin/atelier; the template only needs its error(). */
  const char *stub = "package.preload.atelier = function() return { error = function(t) return t end } end";
  if (luaL_dostring(L, path) != LUA_OK || luaL_dostring(L, stub) != LUA_OK ||
      luaL_dostring(L, "T = require 'recipe.template'") != LUA_OK) {
    fprintf(stderr, "fuzz_template: cannot load recipe.template: %s\n", lua_tostring(L, -1));
    abort();
  }
}

/* Parses, counts and (when small) expands the input; errors are fine. */
static const char PROBE[] =
    "local src = ...\n"
    "local ok, n = pcall(T.count, src, { wildcards = '/nonexistent' })\n"
    "if ok and n <= 200 then\n"
    "  local list = T.expand(src, { wildcards = '/nonexistent' })\n"
    "  assert(#list == n, 'count and expand disagree')\n"
    "  local draw = T.expand(src, { n = 3, seed = 1, wildcards = '/nonexistent' })\n"
    "  assert(#draw <= 3)\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!L) setup();
  if (size > 4096) return 0;
  int top = lua_gettop(L);
  if (luaL_loadbuffer(L, PROBE, sizeof PROBE - 1, "=probe") != LUA_OK) abort();
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    if (lua_istable(L, -1)) lua_getfield(L, -1, "message"); /* atelier error tables */
    const char *msg = lua_tostring(L, -1);
    /* Only the parser's own refusals are acceptable. */
    if (!msg || (!strstr(msg, "recipe.expand:") && !strstr(msg, "not enough memory"))) {
      fprintf(stderr, "unexpected error: %s\n", msg ? msg : "(non-string)");
      abort();
    }
  }
  lua_settop(L, top);
  return 0;
}
