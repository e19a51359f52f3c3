/*
** bytes.h — little-endian codecs for the extension's stored formats.
**
** Every blob and shadow-table value the extension writes is little-endian,
** whatever the machine: these are the only functions that turn numbers into
** stored bytes and back.  Floats travel as their IEEE-754 bit patterns.
** Header-only (static inline), with no dependencies, so unit tests, fuzz
** targets and the C++ file can include it as they are.
*/
#ifndef IMGSEARCH_BYTES_H
#define IMGSEARCH_BYTES_H
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t bytes_get_u16(const unsigned char *p){
  return (uint16_t)(p[0] | p[1]<<8);
}

static inline void bytes_put_u16(unsigned char *p, uint16_t v){
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v>>8);
}

static inline uint32_t bytes_get_u32(const unsigned char *p){
  return (uint32_t)p[0] | (uint32_t)p[1]<<8 | (uint32_t)p[2]<<16
       | (uint32_t)p[3]<<24;
}

static inline void bytes_put_u32(unsigned char *p, uint32_t v){
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v>>8);
  p[2] = (unsigned char)(v>>16);
  p[3] = (unsigned char)(v>>24);
}

static inline uint64_t bytes_get_u64(const unsigned char *p){
  return (uint64_t)bytes_get_u32(p) | (uint64_t)bytes_get_u32(p+4)<<32;
}

static inline void bytes_put_u64(unsigned char *p, uint64_t v){
  bytes_put_u32(p, (uint32_t)v);
  bytes_put_u32(p+4, (uint32_t)(v>>32));
}

static inline float bytes_get_f32(const unsigned char *p){
  uint32_t bits = bytes_get_u32(p);
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static inline void bytes_put_f32(unsigned char *p, float f){
  uint32_t bits;
  memcpy(&bits, &f, 4);
  bytes_put_u32(p, bits);
}

/* n floats from p into out; returns 0 if any is NaN or infinite (out is
** filled either way), 1 otherwise. */
static inline int bytes_get_f32s(const unsigned char *p, uint64_t n, float *out){
  int finite = 1;
  uint64_t i;
  for(i=0; i<n; i++){
    out[i] = bytes_get_f32(p + 4*i);
    if( !isfinite(out[i]) ) finite = 0;
  }
  return finite;
}

static inline void bytes_put_f32s(unsigned char *p, const float *v, uint64_t n){
  uint64_t i;
  for(i=0; i<n; i++) bytes_put_f32(p + 4*i, v[i]);
}

#endif
