/*
** bytes.h — a growable byte buffer and the little writers the image tests
** use to build files by hand (tests/unit/test_image.c,
** tests/reliability/hostile_images.c): byte order helpers, CRC-32 and a PNG
** chunk. Test code only: running out of memory ends the program.
*/
#ifndef TESTS_BYTES_H
#define TESTS_BYTES_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Bytes { unsigned char *p; size_t n, cap; } Bytes;

static inline void bytes_put(Bytes *b, const void *data, size_t n){
  if( b->n + n > b->cap ){
    size_t cap = b->cap ? b->cap : 256;
    while( cap < b->n + n ) cap *= 2;
    b->p = realloc(b->p, cap);
    if( b->p==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
    b->cap = cap;
  }
  if( n ) memcpy(b->p + b->n, data, n);
  b->n += n;
}
static inline void bytes_u8(Bytes *b, unsigned v){
  unsigned char c = (unsigned char)v;
  bytes_put(b, &c, 1);
}
static inline void bytes_be16(Bytes *b, unsigned v){ bytes_u8(b, (v>>8) & 0xff); bytes_u8(b, v & 0xff); }
static inline void bytes_be32(Bytes *b, uint32_t v){ bytes_be16(b, v>>16); bytes_be16(b, v & 0xffff); }
static inline void bytes_le16(Bytes *b, unsigned v){ bytes_u8(b, v & 0xff); bytes_u8(b, (v>>8) & 0xff); }
static inline void bytes_le32(Bytes *b, uint32_t v){ bytes_le16(b, v & 0xffff); bytes_le16(b, v>>16); }
static inline void bytes_text(Bytes *b, const char *z){ bytes_put(b, z, strlen(z)); }
static inline void bytes_free(Bytes *b){ free(b->p); memset(b, 0, sizeof(*b)); }

/* CRC-32 as PNG and zlib define it (reflected, polynomial 0xEDB88320). */
static inline uint32_t bytes_crc32(uint32_t crc, const unsigned char *p, size_t n){
  size_t i;
  int k;
  crc = ~crc;
  for(i=0; i<n; i++){
    crc ^= p[i];
    for(k=0; k<8; k++) crc = (crc>>1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

/* One PNG chunk: length, type, data, CRC of type and data. */
static inline void png_chunk(Bytes *b, const char *type, const unsigned char *data, size_t n){
  uint32_t crc = bytes_crc32(0, (const unsigned char*)type, 4);
  crc = bytes_crc32(crc, data, n);
  bytes_be32(b, (uint32_t)n);
  bytes_put(b, type, 4);
  if( n ) bytes_put(b, data, n);
  bytes_be32(b, crc);
}
#endif
