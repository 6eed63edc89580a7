/* lcsv.c — the `csv` Lua module over runtime/base/csv_read.h: a CSV file (a studio's
 * collection, a catalog of looks, a recipe's inputs) read into a list of records keyed
 * by its header row.
 *
 *   local csv = require "csv"
 *   local rows = csv.read("styles.csv")          -- or csv.parse(text)
 *   rows[1].sku, rows.header (column names in order), rows.lines[1] (its line in the file)
 *
 * Options: {delimiter = "," | ";" | "\t", header = true | false}; with header = false
 * each record is a list of fields. Errors are CsvError tables whose message names the
 * file and the line. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "../runtime/base/csv_read.h"
#include "../runtime/image/image.h"
#include "errors.h"
#include "lopts.h"
#include "modules.h"
#include "sandbox.h"

#define CSV_MAX_FILE (256u << 20)

typedef struct csv_opts {
  char delim;
  bool header;
} csv_opts;

static csv_opts read_opts(lua_State *L, int idx, const char *fn) {
  static const char *const keys[] = {"delimiter", "header", NULL};
  static const char *const delimiters[] = {",", ";", "\t", NULL};
  csv_opts o = {',', true};
  if (lua_isnoneornil(L, idx)) return o;
  luaL_checktype(L, idx, LUA_TTABLE);
  lopts op = lopts_at(L, idx, fn, 1); /* the shared option reader: BadOption naming the option */
  lopts_check_keys(L, &op, keys);
  o.delim = delimiters[lopts_enum(L, &op, "delimiter", delimiters, 0)][0];
  o.header = lopts_boolean(L, &op, "header", true);
  return o;
}

/* Turns the parsed rows into the result table (records, .header, .lines). `name` prefixes
 * errors. Frees d in every case: its strings are copied into Lua first. */
static int push_records(lua_State *L, csv_doc *d, const csv_opts *o, const char *name) {
  char msg[600];
  msg[0] = '\0';
  if (o->header && d->nrows > 0) { /* check the header before anything is built */
    csv_row *h = &d->rows[0];
    for (int i = 0; i < h->n && !msg[0]; i++) {
      if (!h->fields[i][0]) snprintf(msg, sizeof msg, "%s: line %d: column %d of the header has no name", name, h->line, i + 1);
      for (int j = 0; j < i && !msg[0]; j++)
        if (strcmp(h->fields[i], h->fields[j]) == 0)
          snprintf(msg, sizeof msg, "%s: line %d: the header names \"%.100s\" twice (columns %d and %d)", name,
                   h->line, h->fields[i], j + 1, i + 1);
    }
    for (int r = 1; r < d->nrows && !msg[0]; r++)
      if (d->rows[r].n != h->n)
        snprintf(msg, sizeof msg, "%s: line %d: %d field%s, but the header has %d", name, d->rows[r].line,
                 d->rows[r].n, d->rows[r].n == 1 ? "" : "s", h->n);
  }
  if (msg[0]) {
    csv_doc_free(d);
    return lerr_raisef(L, "CsvError", "%s", msg);
  }
  int first = o->header ? 1 : 0, n = d->nrows > first ? d->nrows - first : 0;
  lua_createtable(L, n, 2);
  int res = lua_gettop(L);
  lua_createtable(L, n, 0);
  for (int r = 0; r < n; r++) {
    lua_pushinteger(L, d->rows[first + r].line);
    lua_rawseti(L, -2, r + 1);
  }
  lua_setfield(L, res, "lines");
  if (o->header) {
    csv_row *h = d->nrows ? &d->rows[0] : NULL;
    lua_createtable(L, h ? h->n : 0, 0);
    for (int i = 0; h && i < h->n; i++) {
      lua_pushstring(L, h->fields[i]);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, res, "header");
  }
  for (int r = 0; r < n; r++) {
    csv_row *row = &d->rows[first + r];
    lua_createtable(L, o->header ? 0 : row->n, o->header ? row->n : 0);
    for (int i = 0; i < row->n; i++) {
      lua_pushstring(L, row->fields[i]);
      if (o->header) lua_setfield(L, -2, d->rows[0].fields[i]);
      else lua_rawseti(L, -2, i + 1);
    }
    lua_rawseti(L, res, r + 1);
  }
  csv_doc_free(d);
  return 1;
}

/* csv.parse(text [, opts]) -> records */
static int l_parse(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  csv_opts o = read_opts(L, 2, "csv.parse");
  csv_doc d;
  char err[500];
  if (!csv_doc_parse(text, len, o.delim, &d, err, sizeof err)) return lerr_raisef(L, "CsvError", "csv: %s", err);
  return push_records(L, &d, &o, "csv");
}

/* csv.read(path [, opts]) -> records */
static int l_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  csv_opts o = read_opts(L, 2, "csv.read");
  const char *real = sandbox_check_read(L, path);
  buf data = BUF_INIT;
  char err[600];
  if (image_read_file(real, CSV_MAX_FILE, &data, err, sizeof err) != IMAGE_OK) {
    buf_free(&data);
    return lerr_raisef(L, "FileError", "csv.read: %s", err);
  }
  csv_doc d;
  char why[500];
  bool ok = csv_doc_parse((const char *)data.data, data.len, o.delim, &d, why, sizeof why);
  buf_free(&data);
  if (!ok) return lerr_raisef(L, "CsvError", "%s: %s", path, why);
  return push_records(L, &d, &o, path);
}

int luaopen_csv(lua_State *L) {
  static const luaL_Reg funcs[] = {{"read", l_read}, {"parse", l_parse}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
