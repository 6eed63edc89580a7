/* fuzz_bindings.c — libFuzzer target: the Lua-facing C bindings fed generated Lua values.
 * The input bytes become a small tree of tables, numbers, booleans, image objects and
 * strings of any length up to 16 KB (long ones matter: a luaL_Buffer that grows past
 * LUAL_BUFFERSIZE moves onto the stack, where a value pushed above it was once freed),
 * which is handed to error tables and their tostring, fashn.check, the journal's job key,
 * image metadata and book:add. Lua errors are the expected refusals; a crash, a sanitizer
 * report or a wrong error string is a bug. Nothing here touches the network or writes a
 * file: no job is submitted and no book is saved. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bindings/errors.h"
#include "../../bindings/ljournal.h"
#include "../../bindings/modules.h"
#include "../../runtime/journal/jobkey.h"

#define MAX_DEPTH 4
#define MAX_WIDTH 8
#define MAX_STRING 16384

/* The input, read front to back; past its end every byte reads as 0. */
typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static unsigned byte(reader *r) {
  if (!r->n) return 0;
  r->n--;
  return *r->p++;
}

static unsigned u16(reader *r) {
  unsigned hi = byte(r);
  return hi << 8 | byte(r);
}

/* Keys the bindings look for, so generated tables reach past "unknown option". */
static const char *const KEYS[] = {
    "name",  "message", "id",       "http_status",    "where",           "retryable", "meta",
    "caption", "k",     "prompt",   "seed",           "mode",            "model_name", "inputs",
    "face_reference",   "image_reference", "title",  "columns",          "layout",    "num_images",
    "aspect_ratio",     "resolution", "output_format", "return_base64", "subtitle",  "dpi",
};
#define NKEYS (sizeof KEYS / sizeof *KEYS)

static void push_value(lua_State *L, reader *r, int depth);

/* A string: short ones copied from the input, long ones one byte repeated (so a few input
 * bytes ask for a string of several KB). */
static void push_string(lua_State *L, reader *r) {
  unsigned kind = byte(r);
  if (kind & 1) {
    size_t len = u16(r) % (MAX_STRING + 1);
    char c = (char)byte(r);
    luaL_Buffer b;
    char *s = luaL_buffinitsize(L, &b, len);
    memset(s, c ? c : 'x', len);
    luaL_pushresultsize(&b, len);
  } else {
    size_t len = byte(r) % 64;
    if (len > r->n) len = r->n;
    lua_pushlstring(L, (const char *)r->p, len);
    r->p += len;
    r->n -= len;
  }
}

static void push_key(lua_State *L, reader *r, lua_Integer *next_index) {
  unsigned k = byte(r);
  if (k < 128) lua_pushstring(L, KEYS[k % NKEYS]);
  else if (k < 224) lua_pushinteger(L, ++*next_index); /* a list */
  else if (k < 240) lua_pushinteger(L, (lua_Integer)(int8_t)byte(r));
  else push_string(L, r);
}

static void push_value(lua_State *L, reader *r, int depth) {
  luaL_checkstack(L, 8, "fuzz tree");
  unsigned t = byte(r) % 8;
  if (t == 6 && depth >= MAX_DEPTH) t = 4;
  switch (t) {
    case 0: lua_pushboolean(L, byte(r) & 1); break;
    case 1: lua_pushinteger(L, (lua_Integer)(int16_t)u16(r)); break;
    case 2: {
      static const double odd[] = {0.5, -1.25, 1e300, -0.0, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 4096.0};
      lua_pushnumber(L, odd[byte(r) % 8]);
      break;
    }
    case 3: lua_getglobal(L, "IMG"); break;
    case 6: {
      unsigned width = byte(r) % (MAX_WIDTH + 1);
      lua_createtable(L, 0, (int)width);
      lua_Integer next_index = 0;
      for (unsigned i = 0; i < width; i++) {
        push_key(L, r, &next_index);
        push_value(L, r, depth + 1);
        lua_rawset(L, -3);
      }
      break;
    }
    default: push_string(L, r); break;
  }
}

/* journal_key(inputs) -> the canonical inputs the key hashes, or nil and the message: the journal's walker over a
 * submission (bindings/ljournal.c), called directly since submitting would need a server. */
static int l_journal_key(lua_State *L) {
  jobkey k;
  char err[600];
  if (ljournal_key(L, 1, "fuzz", "model-create", &k, err, sizeof err)) {
    lua_pushlstring(L, k.canonical.data ? k.canonical.data : "", k.canonical.len);
    jobkey_free(&k);
    return 1;
  }
  lua_pushnil(L);
  lua_pushstring(L, err);
  return 2;
}

/* Runs every binding over the value v. Only errors are acceptable outcomes, plus one
 * oracle: an error table's tostring is the fields joined as documented in errors.c. */
static const char PROBE[] =
    "local v = ...\n"
    "local atelier, core, page = require 'atelier', require 'fashn.core', require 'page'\n"
    "local mt = getmetatable(atelier.error{ name = 'x' })\n"
    "local function str(x) return type(x) == 'string' and x or nil end\n"
    "local function toint(x)\n" /* what lua_tointeger makes of it */
    "  if type(x) == 'string' then x = tonumber(x) end\n"
    "  return type(x) == 'number' and math.tointeger(x) or nil\n"
    "end\n"
    "local function expect(t)\n"
    "  local s = (str(t.where) or '') .. (str(t.name) or 'Error')\n"
    "  if str(t.message) then s = s .. ': ' .. t.message end\n"
    "  local id, http = str(t.id), toint(t.http_status) or 0\n"
    "  if id or http ~= 0 then\n"
    "    s = s .. ' (' .. (id and 'prediction ' .. id or '') .. (id and http ~= 0 and ', ' or '')\n"
    "          .. (http ~= 0 and 'HTTP ' .. string.format('%d', http) or '') .. ')'\n"
    "  end\n"
    "  return s\n"
    "end\n"
    /* What reaches a terminal: plain text as it is; anything with control bytes or
     * non-ASCII is escaped (textsafe), so then the property is that no control byte is left. */
    "local function same(got, want)\n"
    "  if not want:find('[%z\\1-\\31\\127-\\255]') then return got == want end\n"
    "  return not got:find('[%z\\1-\\31\\127]')\n"
    "end\n"
    "local t = type(v) == 'table' and v or { name = v, message = v, id = v, http_status = v, where = v }\n"
    /* error tables: as made by atelier.error, and any table given the metatable */
    "local ok, e = pcall(atelier.error, t, 1)\n"
    "if ok then assert(same(tostring(e), expect(e)), 'tostring of atelier.error') end\n"
    "local raw = {}\n"
    "for k, x in pairs(t) do raw[k] = x end\n"
    "setmetatable(raw, mt)\n"
    "local ok2, s = pcall(tostring, raw)\n"
    "if ok2 then\n"
    "  local hs = toint(raw.http_status)\n" /* printed as a C int */
    "  local fits = hs == nil or (hs >= -2^31 and hs < 2^31)\n"
    "  if fits then assert(same(s, expect(raw)), 'tostring of an error table') end\n"
    "end\n"
    /* fashn.check: the inputs walker (placeholders stand for references; nothing read) */
    "pcall(core.check, t)\n"
    "pcall(core.check, { model_name = 'tryon-v1.6', inputs = t })\n"
    /* the journal's key: file references would be read and hashed, so none are given */
    "local safe = {}\n"
    "for k, x in pairs(t) do\n"
    "  if (k == 'face_reference' or k == 'image_reference') and type(x) == 'string'\n"
    "     and not x:match('^[dD][aA][tT][aA]:') and not x:match('^[hH][tT][tT][pP][sS]?://') then\n"
    "    x = 'data:' .. x\n"
    "  end\n"
    "  safe[k] = x\n"
    "end\n"
    "pcall(journal_key, safe)\n"
    /* image metadata: Lua table to JSON and back */
    "local img = IMG:copy()\n"
    "if pcall(img.set_meta, img, t) then pcall(img.meta, img) end\n"
    "pcall(img.encode, img, { format = 'png', meta = t })\n"
    /* lookbooks: options, and book:add's caption and meta */
    "pcall(page.new, t)\n"
    "local book = page.new{ dpi = 72 }\n"
    "pcall(book.add, book, IMG, t)\n"
    "pcall(book.add, book, IMG, { meta = t, caption = t.caption })\n"
    "for _, x in pairs(t) do\n"
    "  if type(x) == 'table' then pcall(book.add, book, IMG, { meta = { k = x } }) end\n"
    "end\n"
    "book:close()\n";

static lua_State *L;
static int probe_ref;

static void setup(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  lerr_open(L);
  modules_preload(L);
  lua_pushcfunction(L, l_journal_key);
  lua_setglobal(L, "journal_key");
  const char *init =
      "local image = require 'image'\n"
      "IMG = image.new(6, 4, { 200, 40, 10 })\n";
  if (luaL_dostring(L, init) != LUA_OK || luaL_loadbuffer(L, PROBE, sizeof PROBE - 1, "=probe") != LUA_OK) {
    fprintf(stderr, "fuzz_bindings: setup: %s\n", lua_tostring(L, -1));
    abort();
  }
  probe_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!L) setup();
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, probe_ref);
  reader r = {data, size};
  push_value(L, &r, 0);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "fuzz_bindings: the probe failed: %s\n", msg ? msg : luaL_typename(L, -1));
    abort();
  }
  lua_settop(L, top);
  lua_gc(L, LUA_GCCOLLECT); /* finalizers run now, under this input */
  return 0;
}
