/* rand.h — the runtime's one pseudo-random source (xorshift64*), for jitter and spread,
 * not secrecy. Each user keeps its own state, so no two threads ever share one. */
#ifndef ATELIER_RAND_H
#define ATELIER_RAND_H

#include <stdint.h>

typedef struct rand_state {
  uint64_t s;
} rand_state;

/* Starts a sequence at seed (0, which xorshift cannot leave, becomes a fixed constant). */
void rand_seed(rand_state *r, uint64_t seed);

/* The next number in [0, 1), 53 random bits. */
double rand_unit(rand_state *r);

#endif
