/* counts.c — named counters (emu_counts): the tallies by name that api.c, server.c and
 * predictions.c keep and stats.c reports. */
#include <stdio.h>
#include <string.h>

#include "emu_internal.h"

void emu_count(emu_counts *c, const char *name, int64_t by) {
  for (size_t i = 0; i < c->n; i++)
    if (!strcmp(c->items[i].name, name)) {
      c->items[i].n += by;
      return;
    }
  if (c->n == EMU_NAMED_MAX) return; /* names come from a small fixed set */
  snprintf(c->items[c->n].name, sizeof c->items[c->n].name, "%s", name);
  c->items[c->n].n = by;
  c->n++;
}
