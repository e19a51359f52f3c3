/*
** rng.h — splitmix64, the one pseudo-random generator of the extension.
**
** The state lives with the caller (seeded from table or training settings),
** so results are reproducible and nothing is global.
*/
#ifndef IMGSEARCH_RNG_H
#define IMGSEARCH_RNG_H
#include <stdint.h>

static inline uint64_t rng_next(uint64_t *state){
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1 (the modulo bias is negligible here). */
static inline uint32_t rng_below(uint64_t *state, uint32_t n){
  return (uint32_t)(rng_next(state) % n);
}
#endif
