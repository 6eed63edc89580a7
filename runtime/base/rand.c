/* rand.c — xorshift64*: the runtime's one pseudo-random source (rand.h). */
#include "rand.h"

void rand_seed(rand_state *r, uint64_t seed) { r->s = seed ? seed : 88172645463325252ULL; }

double rand_unit(rand_state *r) {
  if (!r->s) rand_seed(r, 0); /* a zeroed state would stay zero */
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return (double)((r->s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
