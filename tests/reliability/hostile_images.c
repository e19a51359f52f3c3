/*
** hostile_images.c — images made to hurt a decoder, fed through SQL (issue 5,
** item 6): decompression bombs, deeply progressive JPEGs, 1-pixel images,
** animated GIFs, 16-bit / grey+alpha / interlaced PNGs, a CMYK JPEG, and a
** truncated copy of each.
**
**   hostile_images EXTENSION [--full]
**
** Each input runs in its own forked child, which opens an in-memory database
** with the extension and calls img_info(data), img_sift(data) and
** img_vlad(sift, codebook).  The parent reads the answers from a pipe and the
** child's peak RSS and CPU time from wait4(), checks each answer against the
** case's expectation (a specific error message, or a correct result such as
** the same sift blob as an equivalent plain image), and checks the safety
** limit: peak RSS below 1 GiB (2 GiB under AddressSanitizer, whose shadow
** memory and quarantine add to every allocation).  A child that has not
** finished after 300 s is killed and fails (a hang guard, not a speed goal).
** The measured RSS and times are printed as "# " lines, one table row per
** input.  Last, `imgsearch index` runs over a folder of all the files: every
** file that fails is listed with its reason and counted, the exit status is
** 1, and the others are indexed.
**
** Without --full the near-limit bombs (50 MP: 16-bit RGBA PNG, GIF,
** progressive JPEG with thousands of scans) are left out, so the run stays
** within make test's few seconds; --full adds them.
**
** Most inputs are generated here (PNG through zlib, GIF with a small LZW
** encoder, JPEG and the headers by hand); four JPEGs that need a real
** encoder are committed in tests/data/hostile/ (see its README).  Run from
** the repository root.
*/
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <zlib.h>

#include "testlib.h"
#include "../bytes.h"

#define CHILD_TIMEOUT_SECONDS 300
#define HOSTILE_DATA_DIR "tests/data/hostile"
#define FORMATS_DATA_DIR "tests/data/formats"

#if defined(__SANITIZE_ADDRESS__)
# define RSS_LIMIT_MB 2048
#else
# define RSS_LIMIT_MB 1024
#endif

/* ---- more byte buffer helpers (the buffer is tests/bytes.h) -------------- */

static Bytes bytes_copy(const Bytes *src, size_t n){
  Bytes b = {0, 0, 0};
  bytes_put(&b, src->p, n);
  return b;
}

static Bytes bytes_from_file(const char *path){
  Bytes b = {0, 0, 0};
  unsigned char chunk[65536];
  size_t got;
  FILE *f = fopen(path, "rb");
  if( f==0 ){ fprintf(stderr, "cannot open %s (run from the repository root)\n", path); exit(2); }
  while( (got = fread(chunk, 1, sizeof(chunk), f))>0 ) bytes_put(&b, chunk, got);
  fclose(f);
  return b;
}

/* ---- pixel sources ---------------------------------------------------------- */

/* A grey test picture: overlapping random rectangles on a mid-grey ground,
** which gives SIFT corners and blobs to find. */
#define PICTURE_W 320
#define PICTURE_H 240
static unsigned char picture[PICTURE_H][PICTURE_W];

static void picture_make(void){
  int i, x, y;
  memset(picture, 128, sizeof(picture));
  for(i=0; i<40; i++){
    int x0 = rnd()%PICTURE_W, y0 = rnd()%PICTURE_H;
    int x1 = x0 + 8 + rnd()%60, y1 = y0 + 8 + rnd()%60;
    unsigned char v = (unsigned char)(rnd()%256);
    for(y=y0; y<y1 && y<PICTURE_H; y++){
      for(x=x0; x<x1 && x<PICTURE_W; x++) picture[y][x] = v;
    }
  }
}

/* Sample `channel` of `channels` at (x, y) of a generated image, in 0..255
** (8-bit) or 0..65535 (16-bit). */
typedef unsigned (*SampleFn)(int x, int y, int channel, int channels, int depth);

static unsigned sample_zero(int x, int y, int channel, int channels, int depth){
  (void)x; (void)y; (void)channel; (void)channels; (void)depth;
  return 0;
}
/* The picture in every colour channel (so grey conversion gives it back
** exactly), with an alpha ramp in a 2nd/4th channel that grey conversion
** must drop.  16-bit samples are v*257, whose high byte is v. */
static unsigned sample_picture(int x, int y, int channel, int channels, int depth){
  unsigned v = picture[y][x];
  if( (channels==2 || channels==4) && channel==channels-1 ){
    v = (unsigned)(x*7 + y) & 255;          /* alpha */
  }
  return depth==16 ? v*257 : v;
}

/* ---- PNG (zlib) ----------------------------------------------------------- */

/* Deflate one row (filter byte 0 + samples) into *z, appending to *idat. */
static void png_deflate(z_stream *z, Bytes *idat, const unsigned char *row,
                        size_t n, int flush){
  unsigned char out[65536];
  z->next_in = (Bytef*)row;
  z->avail_in = (uInt)n;
  do{
    z->next_out = out;
    z->avail_out = sizeof(out);
    deflate(z, flush);
    bytes_put(idat, out, sizeof(out) - z->avail_out);
  }while( z->avail_out==0 || (flush==Z_FINISH && z->avail_in>0) );
}

/* A PNG of w x h, bit depth 8 or 16, colour type 0 (grey), 2 (RGB), 4 (grey +
** alpha) or 6 (RGBA), optionally Adam7-interlaced; pixels from sample().
** Rows are streamed through deflate, so a 50 MP image of zeros costs a few
** hundred KB here. */
static Bytes png_make(int w, int h, int depth, int colour_type, int interlace,
                      SampleFn sample){
  static const int adam7[7][4] = {  /* x0, y0, dx, dy */
    {0,0,8,8}, {4,0,8,8}, {0,4,4,8}, {2,0,4,4}, {0,2,2,4}, {1,0,2,2}, {0,1,1,2}
  };
  const int channels = colour_type==0 ? 1 : colour_type==2 ? 3 : colour_type==4 ? 2 : 4;
  const int bytes_per_sample = depth/8;
  unsigned char header[13];
  unsigned char *row = malloc(1 + (size_t)w*channels*bytes_per_sample);
  Bytes png = {0, 0, 0}, idat = {0, 0, 0};
  z_stream z;
  int pass, passes = interlace ? 7 : 1;

  memset(&z, 0, sizeof(z));
  deflateInit(&z, 9);
  for(pass=0; pass<passes; pass++){
    int x0 = interlace ? adam7[pass][0] : 0, y0 = interlace ? adam7[pass][1] : 0;
    int dx = interlace ? adam7[pass][2] : 1, dy = interlace ? adam7[pass][3] : 1;
    int x, y, c;
    if( x0>=w || y0>=h ) continue;          /* an empty pass has no rows */
    for(y=y0; y<h; y+=dy){
      unsigned char *q = row;
      *q++ = 0;                             /* filter: none */
      for(x=x0; x<w; x+=dx){
        for(c=0; c<channels; c++){
          unsigned v = sample(x, y, c, channels, depth);
          if( depth==16 ) *q++ = (unsigned char)(v>>8);
          *q++ = (unsigned char)v;
        }
      }
      png_deflate(&z, &idat, row, (size_t)(q - row), Z_NO_FLUSH);
    }
  }
  png_deflate(&z, &idat, row, 0, Z_FINISH);
  deflateEnd(&z);
  free(row);

  bytes_put(&png, "\x89PNG\r\n\x1a\n", 8);
  header[0] = (unsigned char)(w>>24); header[1] = (unsigned char)(w>>16);
  header[2] = (unsigned char)(w>>8);  header[3] = (unsigned char)w;
  header[4] = (unsigned char)(h>>24); header[5] = (unsigned char)(h>>16);
  header[6] = (unsigned char)(h>>8);  header[7] = (unsigned char)h;
  header[8] = (unsigned char)depth;
  header[9] = (unsigned char)colour_type;
  header[10] = 0; header[11] = 0;
  header[12] = (unsigned char)interlace;
  png_chunk(&png, "IHDR", header, sizeof(header));
  png_chunk(&png, "IDAT", idat.p, idat.n);
  png_chunk(&png, "IEND", 0, 0);
  free(idat.p);
  return png;
}

/* A 1x1 PNG whose IHDR then says w x h (its CRC no longer matches, as in a
** hostile file; stb_image does not check CRCs). */
static Bytes png_claiming(int w, int h){
  Bytes b = png_make(1, 1, 8, 0, 0, sample_zero);
  unsigned char *ihdr = b.p + 16;            /* signature, length, "IHDR" */
  int i;
  for(i=0; i<4; i++){
    ihdr[i] = (unsigned char)(w >> (24 - 8*i));
    ihdr[4+i] = (unsigned char)(h >> (24 - 8*i));
  }
  return b;
}

/* ---- GIF (LZW) --------------------------------------------------------------- */

/* LZW bit packer: codes LSB first, in sub-blocks of at most 255 bytes. */
typedef struct GifBits {
  Bytes *out;
  unsigned char block[255];
  int used;
  uint32_t acc;
  int nacc;
} GifBits;

static void gif_bits_code(GifBits *g, unsigned code, int width){
  g->acc |= (uint32_t)code << g->nacc;
  g->nacc += width;
  while( g->nacc>=8 ){
    g->block[g->used++] = (unsigned char)g->acc;
    g->acc >>= 8;
    g->nacc -= 8;
    if( g->used==255 ){
      bytes_u8(g->out, 255);
      bytes_put(g->out, g->block, 255);
      g->used = 0;
    }
  }
}
static void gif_bits_finish(GifBits *g){
  if( g->nacc>0 ) gif_bits_code(g, 0, 8 - g->nacc);
  if( g->used ){
    bytes_u8(g->out, (unsigned)g->used);
    bytes_put(g->out, g->block, (size_t)g->used);
  }
  bytes_u8(g->out, 0);                       /* block terminator */
}

/* One image (descriptor + LZW data) of w x h palette indices = sample(). */
static void gif_frame(Bytes *b, int w, int h, SampleFn sample){
  enum { CLEAR = 256, END = 257, FIRST = 258, MAX_CODES = 4096 };
  uint16_t *next = calloc((size_t)MAX_CODES*256, sizeof(uint16_t));  /* (code, byte) -> code */
  GifBits g;
  int width = 9, next_code = FIRST, prefix = -1, x, y;

  memset(&g, 0, sizeof(g));
  g.out = b;
  bytes_u8(b, 0x2C);                        /* image descriptor */
  bytes_le16(b, 0); bytes_le16(b, 0);
  bytes_le16(b, (unsigned)w); bytes_le16(b, (unsigned)h);
  bytes_u8(b, 0);                           /* no local palette, not interlaced */
  bytes_u8(b, 8);                           /* LZW minimum code size */
  gif_bits_code(&g, CLEAR, width);
  for(y=0; y<h; y++){
    for(x=0; x<w; x++){
      unsigned v = sample(x, y, 0, 1, 8);
      if( prefix<0 ){ prefix = (int)v; continue; }
      if( next[(size_t)prefix*256 + v] ){ prefix = next[(size_t)prefix*256 + v]; continue; }
      gif_bits_code(&g, (unsigned)prefix, width);
      if( next_code<MAX_CODES ){
        next[(size_t)prefix*256 + v] = (uint16_t)next_code++;
        /* the decoder adds each entry one code later, so it widens its
        ** codes one code later too */
        if( next_code==(1<<width)+1 && width<12 ) width++;
      }else{
        gif_bits_code(&g, CLEAR, width);      /* table full: start again */
        memset(next, 0, (size_t)MAX_CODES*256*sizeof(uint16_t));
        width = 9;
        next_code = FIRST;
      }
      prefix = (int)v;
    }
  }
  gif_bits_code(&g, (unsigned)prefix, width);
  gif_bits_code(&g, END, width);
  gif_bits_finish(&g);
  free(next);
}

/* GIF89a, 256-grey global palette, one frame per sample function. */
static Bytes gif_make(int w, int h, int nframes, SampleFn frames[]){
  Bytes b = {0, 0, 0};
  int i;
  bytes_text(&b, "GIF89a");
  bytes_le16(&b, (unsigned)w); bytes_le16(&b, (unsigned)h);
  bytes_u8(&b, 0xF7);                       /* global palette of 256 entries */
  bytes_u8(&b, 0); bytes_u8(&b, 0);
  for(i=0; i<256; i++){ bytes_u8(&b, i); bytes_u8(&b, i); bytes_u8(&b, i); }
  for(i=0; i<nframes; i++){
    bytes_put(&b, "\x21\xF9\x04\x00\x0A\x00\x00\x00", 8);  /* 0.1 s delay */
    gif_frame(&b, w, h, frames[i]);
  }
  bytes_u8(&b, 0x3B);
  return b;
}

static unsigned sample_picture_grey(int x, int y, int channel, int channels, int depth){
  (void)channel; (void)channels; (void)depth;
  return picture[y][x];
}
static unsigned sample_flat(int x, int y, int channel, int channels, int depth){
  (void)x; (void)y; (void)channel; (void)channels; (void)depth;
  return 77;
}

/* ---- JPEG (by hand, one grey component) ---------------------------------- */

/* SOI, an all-ones quantisation table, the frame header (SOF0 baseline or
** SOF2 progressive) and one Huffman table per entry of tables[]: class<<4|id,
** then its symbols, all with codes of the same length (1 for one symbol, 4
** for up to 15). */
static void jpeg_begin(Bytes *b, int progressive, int w, int h){
  int i;
  bytes_be16(b, 0xFFD8);
  bytes_be16(b, 0xFFDB); bytes_be16(b, 67); bytes_u8(b, 0);
  for(i=0; i<64; i++) bytes_u8(b, 1);
  bytes_be16(b, progressive ? 0xFFC2 : 0xFFC0);
  bytes_be16(b, 11); bytes_u8(b, 8);
  bytes_be16(b, (unsigned)h); bytes_be16(b, (unsigned)w);
  bytes_u8(b, 1);                            /* one component: */
  bytes_u8(b, 1); bytes_u8(b, 0x11); bytes_u8(b, 0);   /* id 1, 1x1, table 0 */
}
static void jpeg_huffman_table(Bytes *b, unsigned class_id, int nsymbols,
                               const unsigned char *symbols){
  int length = nsymbols==1 ? 1 : 4, i;
  bytes_be16(b, 0xFFC4);
  bytes_be16(b, (unsigned)(2 + 1 + 16 + nsymbols));
  bytes_u8(b, class_id);
  for(i=1; i<=16; i++) bytes_u8(b, i==length ? (unsigned)nsymbols : 0);
  bytes_put(b, symbols, (size_t)nsymbols);
}
static void jpeg_scan_header(Bytes *b, unsigned ss, unsigned se, unsigned ah_al){
  bytes_be16(b, 0xFFDA); bytes_be16(b, 8);
  bytes_u8(b, 1); bytes_u8(b, 1); bytes_u8(b, 0x00);  /* component 1, tables 0/0 */
  bytes_u8(b, ss); bytes_u8(b, se); bytes_u8(b, ah_al);
}

/* Entropy-coded bits, MSB first, with 0xFF stuffing; padded with 1s. */
typedef struct JpegBits { Bytes *out; uint32_t acc; int nacc; } JpegBits;
static void jpeg_bits(JpegBits *j, uint32_t value, int width){
  while( width-- > 0 ){
    j->acc = j->acc<<1 | ((value>>width) & 1);
    if( ++j->nacc==8 ){
      bytes_u8(j->out, j->acc);
      if( (j->acc & 0xFF)==0xFF ) bytes_u8(j->out, 0);
      j->acc = 0;
      j->nacc = 0;
    }
  }
}
static void jpeg_bits_flush(JpegBits *j){
  if( j->nacc ) jpeg_bits(j, 0x7F, 8 - j->nacc);
}

/* 1x1 baseline grey JPEG: DC difference 0, then end of block (value 128). */
static Bytes jpeg_one_pixel(void){
  Bytes b = {0, 0, 0};
  static const unsigned char zero = 0;
  jpeg_begin(&b, 0, 1, 1);
  jpeg_huffman_table(&b, 0x00, 1, &zero);    /* DC: category 0 = "0" */
  jpeg_huffman_table(&b, 0x10, 1, &zero);    /* AC: EOB = "0" */
  jpeg_scan_header(&b, 0, 63, 0);
  bytes_u8(&b, 0x3F);                        /* "0" "0", padded with 1s */
  bytes_be16(&b, 0xFFD9);
  return b;
}

/* A progressive grey JPEG of w x h whose every scan is one AC band 1..63
** coded as end-of-band runs of up to 32767 blocks (a few bytes per scan):
** first an initial scan, then `scans-1` refinement scans.  All the
** coefficients stay zero, but a decoder visits every block in every scan. */
static Bytes jpeg_scan_bomb(int w, int h, int scans){
  unsigned char eob_symbols[15];
  Bytes b = {0, 0, 0};
  const long blocks = (long)((w+7)/8) * ((h+7)/8);
  int s, r;
  for(r=0; r<15; r++) eob_symbols[r] = (unsigned char)(r<<4);  /* EOBr: run 2^r + r bits */
  jpeg_begin(&b, 1, w, h);
  jpeg_huffman_table(&b, 0x10, 15, eob_symbols);  /* code of symbol r = r, 4 bits */
  for(s=0; s<scans; s++){
    JpegBits bits = {&b, 0, 0};
    long left = blocks;
    jpeg_scan_header(&b, 1, 63, s==0 ? 0x00 : 0x10);
    while( left>0 ){
      long run = left<32767 ? left : 32767;
      for(r=14; (1L<<r) > run; r--){}
      jpeg_bits(&bits, (uint32_t)r, 4);
      jpeg_bits(&bits, (uint32_t)(run - (1L<<r)), r);
      left -= run;
    }
    jpeg_bits_flush(&bits);
  }
  bytes_be16(&b, 0xFFD9);
  return b;
}

/* ---- headers claiming huge sizes ----------------------------------------- */

static Bytes bmp_make(int w, int h, const unsigned char *grey){
  Bytes b = {0, 0, 0};
  const uint32_t stride = ((uint32_t)w*3 + 3) & ~3u;
  const int has_pixels = grey!=0;
  int x, y;
  bytes_text(&b, "BM");
  bytes_le32(&b, 54 + (has_pixels ? stride*(uint32_t)h : 0));
  bytes_le32(&b, 0); bytes_le32(&b, 54);
  bytes_le32(&b, 40); bytes_le32(&b, (uint32_t)w); bytes_le32(&b, (uint32_t)h);
  bytes_le16(&b, 1); bytes_le16(&b, 24);
  bytes_le32(&b, 0); bytes_le32(&b, 0); bytes_le32(&b, 2835); bytes_le32(&b, 2835);
  bytes_le32(&b, 0); bytes_le32(&b, 0);
  for(y=h-1; has_pixels && y>=0; y--){
    for(x=0; x<w; x++){ bytes_u8(&b, grey[y*w+x]); bytes_u8(&b, grey[y*w+x]); bytes_u8(&b, grey[y*w+x]); }
    for(x=w*3; (uint32_t)x<stride; x++) bytes_u8(&b, 0);
  }
  return b;
}

static Bytes psd_header(int w, int h){
  Bytes b = {0, 0, 0};
  bytes_text(&b, "8BPS");
  bytes_be16(&b, 1);
  bytes_put(&b, "\0\0\0\0\0\0", 6);
  bytes_be16(&b, 3);                         /* channels */
  bytes_be32(&b, (uint32_t)h); bytes_be32(&b, (uint32_t)w);
  bytes_be16(&b, 8); bytes_be16(&b, 3);      /* 8 bits, RGB */
  bytes_put(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14);
  return b;
}

static Bytes pgm_header(int w, int h){
  Bytes b = {0, 0, 0};
  char z[64];
  snprintf(z, sizeof(z), "P5\n%d %d\n255\n", w, h);
  bytes_text(&b, z);
  bytes_put(&b, "\0\0\0\0\0\0\0\0", 8);
  return b;
}

/* A little-endian TIFF: one strip of w x h 8-bit grey pixels, which need
** not all be there (a header that lies about the size). */
static Bytes tiff_grey(uint32_t w, uint32_t h, const unsigned char *pixels,
                       uint32_t n_pixels){
  static const uint16_t tags[] = {256, 257, 258, 259, 262, 273, 277, 278, 279};
  const uint32_t n = sizeof(tags)/sizeof(tags[0]), data = 8 + 2 + 12*n + 4;
  Bytes b = {0, 0, 0};
  uint32_t i;
  bytes_put(&b, "II*\0", 4);
  bytes_le32(&b, 8);
  bytes_le16(&b, n);
  for(i=0; i<n; i++){
    uint32_t value = tags[i]==256 ? w : tags[i]==257 ? h : tags[i]==258 ? 8
                   : tags[i]==259 ? 1 : tags[i]==262 ? 1 : tags[i]==273 ? data
                   : tags[i]==277 ? 1 : tags[i]==278 ? h : n_pixels;
    int is_long = tags[i]==256 || tags[i]==257 || tags[i]==273 || tags[i]==278 || tags[i]==279;
    bytes_le16(&b, tags[i]);
    bytes_le16(&b, is_long ? 4 : 3);
    bytes_le32(&b, 1);
    if( is_long ) bytes_le32(&b, value);
    else{ bytes_le16(&b, value); bytes_le16(&b, 0); }
  }
  bytes_le32(&b, 0);
  bytes_put(&b, pixels, n_pixels);
  return b;
}

/* A copy of a committed file with the big-endian (be) or little-endian
** 16/32-bit values at offset written over it. */
static Bytes bytes_patched(const char *path, size_t offset, int bytes_each,
                           int big_endian, uint32_t first, uint32_t second){
  Bytes b = bytes_from_file(path);
  uint32_t v[2] = {first, second};
  int k, j;
  for(k=0; k<2; k++){
    for(j=0; j<bytes_each; j++){
      int shift = 8*(big_endian ? bytes_each-1-j : j);
      b.p[offset + (size_t)k*bytes_each + j] = (unsigned char)(v[k]>>shift);
    }
  }
  return b;
}

static Bytes tga_header(int w, int h){
  Bytes b = {0, 0, 0};
  bytes_u8(&b, 0); bytes_u8(&b, 0); bytes_u8(&b, 3);     /* uncompressed grey */
  bytes_put(&b, "\0\0\0\0\0", 5);
  bytes_le16(&b, 0); bytes_le16(&b, 0);
  bytes_le16(&b, (unsigned)w); bytes_le16(&b, (unsigned)h);
  bytes_u8(&b, 8); bytes_u8(&b, 0x20);
  bytes_put(&b, "\0\0\0\0\0\0\0\0", 8);
  return b;
}

/* ---- the cases ------------------------------------------------------------- */

typedef enum Expect {
  EXPECT_FEATURES,   /* img_sift succeeds with keypoints; img_vlad gives k*128 floats */
  EXPECT_NO_FEATURES,/* img_sift succeeds with 0 keypoints; img_vlad gives NULL */
  EXPECT_SAME_AS,    /* img_sift gives the very blob of case `detail` */
  EXPECT_NEAR,       /* keypoints within 10% of case `detail`'s */
  EXPECT_ERROR,      /* img_sift fails with a message containing `error` */
  EXPECT_ANY         /* truncated: a result, or an error naming the problem */
} Expect;

typedef struct Case {
  const char *name;      /* also its file name in the folder for imgsearch index */
  Bytes bytes;
  const char *info;      /* img_info: expected start of the JSON, or of "error: ..." */
  Expect expect;
  const char *detail;    /* EXPECT_ERROR: part of the message; EXPECT_SAME_AS and
                         ** EXPECT_NEAR: the other case's name */
  int full_only;         /* a near-limit bomb: only with --full */
} Case;

typedef struct Outcome {
  int ran;               /* child exited normally and answered */
  char info[300];        /* img_info's JSON or "error: ..." */
  char sift[300];        /* "N keypoints" or "error: ..." */
  long keypoints;        /* -1 on error */
  uint64_t sift_hash;    /* FNV-1a of the sift blob */
  char vlad[300];        /* "N floats", "NULL" or "error: ..." */
  long max_rss_kb;
  double wall_seconds, cpu_seconds;
  char how_it_ended[64];
} Outcome;

#define MAX_CASES 96
static Case cases[MAX_CASES];
static int ncases;

static Case *add_case(const char *name, Bytes bytes, const char *info,
                      Expect expect, const char *detail){
  Case *c = &cases[ncases++];
  c->name = name; c->bytes = bytes; c->info = info;
  c->expect = expect; c->detail = detail; c->full_only = 0;
  return c;
}

#define OVER_LIMIT "over the 50 MP limit (see img_limits)"

static void cases_make(void){
  SampleFn two_frames[2] = { sample_picture_grey, sample_flat };
  SampleFn one_frame[1] = { sample_picture_grey };
  int i, nwhole;

  picture_make();
  /* Headers claiming 100000 x 100000 (65535 where the field has 16 bits). */
  add_case("huge_header.png", png_claiming(100000, 100000),
           "{\"width\":100000,\"height\":100000,", EXPECT_ERROR, OVER_LIMIT);
  add_case("huge_header.bmp", bmp_make(100000, 100000, 0),
           "{\"width\":100000,\"height\":100000,", EXPECT_ERROR, OVER_LIMIT);
  add_case("huge_header.pgm", pgm_header(100000, 100000),
           "{\"width\":100000,\"height\":100000,", EXPECT_ERROR, OVER_LIMIT);
  add_case("huge_header.psd", psd_header(100000, 100000),
           "error: img_info: not a supported image", EXPECT_ERROR, "not a supported image");
  add_case("huge_header.jpg", jpeg_scan_bomb(65535, 65535, 0),
           "{\"width\":65535,\"height\":65535,", EXPECT_ERROR, OVER_LIMIT);
  add_case("huge_header.gif", gif_make(65535, 65535, 0, 0),
           "{\"width\":65535,\"height\":65535,", EXPECT_ERROR, OVER_LIMIT);
  add_case("huge_header.tga", tga_header(65535, 65535),
           "{\"width\":65535,\"height\":65535,", EXPECT_ERROR, OVER_LIMIT);
  /* A real zlib stream of 20000 x 20000 zeros: 400 MP in a small file. */
  add_case("zeros_20000x20000.png", png_make(20000, 20000, 8, 0, 0, sample_zero),
           "{\"width\":20000,\"height\":20000,\"channels\":1,", EXPECT_ERROR, OVER_LIMIT);

  /* The same picture in many shapes: each must give the grey PNG's blob. */
  add_case("picture.png", png_make(PICTURE_W, PICTURE_H, 8, 0, 0, sample_picture),
           "{\"width\":320,\"height\":240,\"channels\":1,\"format\":\"png\"}", EXPECT_FEATURES, 0);
  add_case("picture_16bit.png", png_make(PICTURE_W, PICTURE_H, 16, 0, 0, sample_picture),
           "{\"width\":320,\"height\":240,\"channels\":1,\"format\":\"png\"}", EXPECT_SAME_AS, "picture.png");
  add_case("picture_16bit_rgba.png", png_make(PICTURE_W, PICTURE_H, 16, 6, 0, sample_picture),
           "{\"width\":320,\"height\":240,\"channels\":4,\"format\":\"png\"}", EXPECT_SAME_AS, "picture.png");
  add_case("picture_grey_alpha.png", png_make(PICTURE_W, PICTURE_H, 8, 4, 0, sample_picture),
           "{\"width\":320,\"height\":240,\"channels\":2,\"format\":\"png\"}", EXPECT_SAME_AS, "picture.png");
  add_case("picture_interlaced.png", png_make(PICTURE_W, PICTURE_H, 8, 0, 1, sample_picture),
           "{\"width\":320,\"height\":240,\"channels\":1,\"format\":\"png\"}", EXPECT_SAME_AS, "picture.png");
  add_case("picture_interlaced_16bit_rgba.png", png_make(PICTURE_W, PICTURE_H, 16, 6, 1, sample_picture),
           "{\"width\":320,\"height\":240,\"channels\":4,\"format\":\"png\"}", EXPECT_SAME_AS, "picture.png");
  add_case("picture.gif", gif_make(PICTURE_W, PICTURE_H, 1, one_frame),
           "{\"width\":320,\"height\":240,", EXPECT_SAME_AS, "picture.png");
  /* stb_image decodes the first frame of an animated GIF; the second is flat. */
  add_case("animated.gif", gif_make(PICTURE_W, PICTURE_H, 2, two_frames),
           "{\"width\":320,\"height\":240,", EXPECT_SAME_AS, "picture.png");
  add_case("picture.bmp", bmp_make(PICTURE_W, PICTURE_H, &picture[0][0]),
           "{\"width\":320,\"height\":240,\"channels\":3,\"format\":\"bmp\"}", EXPECT_SAME_AS, "picture.png");

  /* 1-pixel images: decoded, too small for any keypoint. */
  add_case("one_pixel.png", png_make(1, 1, 8, 0, 0, sample_zero),
           "{\"width\":1,\"height\":1,\"channels\":1,\"format\":\"png\"}", EXPECT_NO_FEATURES, 0);
  add_case("one_pixel.jpg", jpeg_one_pixel(),
           "{\"width\":1,\"height\":1,\"channels\":1,\"format\":\"jpeg\"}", EXPECT_NO_FEATURES, 0);
  add_case("one_pixel.gif", gif_make(1, 1, 1, one_frame),
           "{\"width\":1,\"height\":1,", EXPECT_NO_FEATURES, 0);
  add_case("one_pixel.bmp", bmp_make(1, 1, &picture[0][0]),
           "{\"width\":1,\"height\":1,\"channels\":3,\"format\":\"bmp\"}", EXPECT_NO_FEATURES, 0);

  /* Committed JPEGs (tests/data/hostile/README): lossless re-encodings of
  ** one baseline JPEG decode to the same pixels, so to the same blob. */
  add_case("baseline.jpg", bytes_from_file(HOSTILE_DATA_DIR "/baseline.jpg"),
           "{\"width\":434,\"height\":300,\"channels\":3,\"format\":\"jpeg\"}", EXPECT_FEATURES, 0);
  add_case("progressive.jpg", bytes_from_file(HOSTILE_DATA_DIR "/progressive.jpg"),
           "{\"width\":434,\"height\":300,\"channels\":3,\"format\":\"jpeg\"}", EXPECT_SAME_AS, "baseline.jpg");
  add_case("deep_progressive.jpg", bytes_from_file(HOSTILE_DATA_DIR "/deep_progressive.jpg"),
           "{\"width\":434,\"height\":300,\"channels\":3,\"format\":\"jpeg\"}", EXPECT_SAME_AS, "baseline.jpg");
  /* stb_image converts CMYK to RGB (so it reports 3 channels); ImageMagick's
  ** RGB -> CMYK -> stb's RGB round trip moves pixels a little. */
  add_case("cmyk.jpg", bytes_from_file(HOSTILE_DATA_DIR "/cmyk.jpg"),
           "{\"width\":434,\"height\":300,\"channels\":3,\"format\":\"jpeg\"}", EXPECT_NEAR, "baseline.jpg");
  /* A progressive JPEG with 100 scans, all AC and all empty, and no DC
  ** scan: every coefficient is zero, so the picture is flat grey (stb_image
  ** once showed old heap contents here). */
  add_case("scans_100_no_dc.jpg", jpeg_scan_bomb(640, 480, 100),
           "{\"width\":640,\"height\":480,\"channels\":1,\"format\":\"jpeg\"}", EXPECT_NO_FEATURES, 0);
  /* Each scan costs a pass over every block (about 0.1 s of CPU at 50 MP),
  ** so the scan count is limited: a few bytes per scan made a 19 KB file
  ** of 200 scans at 50 MP that took about 10 s of CPU to decode. */
  add_case("scans_101.jpg", jpeg_scan_bomb(640, 480, 101),
           "error: img_info: JPEG has more than 100 scans", EXPECT_ERROR, "JPEG has more than 100 scans");
  add_case("scans_5000.jpg", jpeg_scan_bomb(640, 480, 5000),
           "error: img_info: JPEG has more than 100 scans", EXPECT_ERROR, "JPEG has more than 100 scans");

  /* The decoders beside stb_image (tests/data/formats/README.md), and
  ** headers that lie about their size: the pixel limit is checked before
  ** any of libwebp, libtiff, libheif or libjxl decodes a pixel.  libheif has a limit
  ** of its own (32768 x 32768), reported as too big. */
  add_case("chelsea.webp", bytes_from_file(FORMATS_DATA_DIR "/chelsea.webp"),
           "{\"width\":200,\"height\":133,\"channels\":3,\"format\":\"webp\"}", EXPECT_FEATURES, 0);
  add_case("chelsea.heic", bytes_from_file(FORMATS_DATA_DIR "/chelsea.heic"),
           "{\"width\":200,\"height\":133,\"channels\":3,\"format\":\"heif\"}", EXPECT_FEATURES, 0);
  add_case("chelsea.avif", bytes_from_file(FORMATS_DATA_DIR "/chelsea.avif"),
           "{\"width\":200,\"height\":133,\"channels\":3,\"format\":\"avif\"}", EXPECT_FEATURES, 0);
  add_case("chelsea.tif", bytes_from_file(FORMATS_DATA_DIR "/chelsea.tif"),
           "{\"width\":120,\"height\":80,\"channels\":3,\"format\":\"tiff\"}", EXPECT_FEATURES, 0);
  add_case("chelsea.jxl", bytes_from_file(FORMATS_DATA_DIR "/chelsea.jxl"),
           "{\"width\":200,\"height\":133,\"channels\":3,\"format\":\"jxl\"}", EXPECT_FEATURES, 0);
  add_case("home_rotated.jpg", bytes_from_file(FORMATS_DATA_DIR "/home_rotated.jpg"),
           "{\"width\":200,\"height\":150,\"channels\":3,\"format\":\"jpeg\"}", EXPECT_FEATURES, 0);
  /* the VP8 frame header's 14-bit sizes (offset 26) at their largest */
  add_case("huge_header.webp", bytes_patched(FORMATS_DATA_DIR "/chelsea.webp", 26, 2, 0, 16383, 16383),
           "{\"width\":16383,\"height\":16383,", EXPECT_ERROR, OVER_LIMIT);
  add_case("huge_header.tif", tiff_grey(100000, 100000, &picture[0][0], 64),
           "{\"width\":100000,\"height\":100000,", EXPECT_ERROR, OVER_LIMIT);
  /* the ispe box (image spatial extents: width, height at 8 bytes past
  ** its type; offset 207 in the AVIF, 352 in the HEIC, whose clap box
  ** (crop) gives the size instead) */
  add_case("huge_header.avif", bytes_patched(FORMATS_DATA_DIR "/chelsea.avif", 215, 4, 1, 20000, 20000),
           "{\"width\":20000,\"height\":20000,", EXPECT_ERROR, OVER_LIMIT);
  add_case("heif_limit.heic", bytes_patched(FORMATS_DATA_DIR "/chelsea.heic", 360, 4, 1, 60000, 60000),
           "error: img_info: cannot read the header of the heif image: Memory allocation error: "
           "Security limit exceeded", EXPECT_ERROR, "exceeds the maximum image size 32768x32768");

  /* Near-limit bombs (49,999,041 pixels, under the 50 MP default): legal,
  ** so they decode; what matters is the memory and time that costs. */
  add_case("zeros_7071x7071_16bit_rgba.png", png_make(7071, 7071, 16, 6, 0, sample_zero),
           "{\"width\":7071,\"height\":7071,\"channels\":4,\"format\":\"png\"}", EXPECT_NO_FEATURES, 0)->full_only = 1;
  {
    SampleFn zero_frame[1] = { sample_zero };
    add_case("zeros_7071x7071.gif", gif_make(7071, 7071, 1, zero_frame),
             "{\"width\":7071,\"height\":7071,", EXPECT_NO_FEATURES, 0)->full_only = 1;
  }
  add_case("scans_100_7071x7071.jpg", jpeg_scan_bomb(7071, 7071, 100),
           "{\"width\":7071,\"height\":7071,\"channels\":1,\"format\":\"jpeg\"}", EXPECT_NO_FEATURES, 0)->full_only = 1;

  /* A truncated copy of every file that has a body: cut in half. */
  nwhole = ncases;
  for(i=0; i<nwhole; i++){
    char *name;
    if( cases[i].expect==EXPECT_ERROR || cases[i].bytes.n<64 ) continue;
    name = sqlite3_mprintf("truncated_%s", cases[i].name);
    add_case(name, bytes_copy(&cases[i].bytes, cases[i].bytes.n/2),
             "", EXPECT_ANY, 0)->full_only = cases[i].full_only;
  }
}

static int case_index(const char *name){
  int i;
  for(i=0; i<ncases; i++) if( strcmp(cases[i].name, name)==0 ) return i;
  return -1;
}

/* ---- the child: one input through SQL ------------------------------------- */

static uint64_t fnv1a(const unsigned char *p, size_t n){
  uint64_t h = 14695981039346656037ull;
  size_t i;
  for(i=0; i<n; i++){ h ^= p[i]; h *= 1099511628211ull; }
  return h;
}

/* Run sql with blob parameters ?1 and ?2 (either may be NULL). The first
** column of the first row goes to *pStmt's caller through step_out: the
** statement is left stepped, to be finalized by the caller. Returns 1 on a
** row, 0 on an error (message written to zErr). */
static int child_query(sqlite3 *db, const char *sql, const Bytes *a,
                       const Bytes *b, sqlite3_stmt **pStmt, char *zErr, size_t nErr){
  if( sqlite3_prepare_v2(db, sql, -1, pStmt, 0)!=SQLITE_OK ){
    snprintf(zErr, nErr, "error: %s", sqlite3_errmsg(db));
    return 0;
  }
  if( a ) sqlite3_bind_blob(*pStmt, 1, a->p, (int)a->n, SQLITE_STATIC);
  if( b ) sqlite3_bind_blob(*pStmt, 2, b->p, (int)b->n, SQLITE_STATIC);
  if( sqlite3_step(*pStmt)!=SQLITE_ROW ){
    snprintf(zErr, nErr, "error: %s", sqlite3_errmsg(db));
    return 0;
  }
  return 1;
}

/* Leave 4 MB of freed memory full of 0x55 on the heap (kept from being
** returned to the system by a block allocated after it), so that a decoder
** that reads memory it never wrote shows it in the pixels instead of the
** zeros of fresh pages.  Returns that block, for the caller to free last. */
static void *heap_dirty(void){
  void *blocks[256], *fence;
  int i;
  for(i=0; i<256; i++){
    blocks[i] = sqlite3_malloc(16384);
    if( blocks[i] ) memset(blocks[i], 0x55, 16384);
  }
  fence = sqlite3_malloc(64);
  if( fence==0 ) exit(2);
  for(i=0; i<256; i++) sqlite3_free(blocks[i]);
  return fence;
}

/* Answers, one per line: info, sift, keypoints, hash, vlad. */
static void child_run(const Case *c, const Bytes *codebook, FILE *out){
  sqlite3 *db = open_db(":memory:");
  sqlite3_stmt *st = 0;
  char answer[300];
  Bytes sift = {0, 0, 0};
  long keypoints = -1;
  void *fence = heap_dirty();

  if( child_query(db, "SELECT img_info(?1)", &c->bytes, 0, &st, answer, sizeof(answer)) ){
    snprintf(answer, sizeof(answer), "%s", sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  st = 0;
  fprintf(out, "%s\n", answer);

  /* all keypoints (no cap), decoded once */
  if( child_query(db, "WITH t(s) AS MATERIALIZED (SELECT img_sift(?1, 0)) "
                      "SELECT s, sift_count(s) FROM t", &c->bytes, 0,
                  &st, answer, sizeof(answer)) ){
    bytes_put(&sift, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    keypoints = sqlite3_column_int(st, 1);
    snprintf(answer, sizeof(answer), "%ld keypoints", keypoints);
  }
  sqlite3_finalize(st);
  st = 0;
  fprintf(out, "%s\n%ld\n%llu\n", answer, keypoints,
          (unsigned long long)fnv1a(sift.p, sift.n));

  if( keypoints<0 ){
    snprintf(answer, sizeof(answer), "not run");
  }else if( child_query(db, "SELECT img_vlad(?1, ?2)", &sift, codebook, &st,
                        answer, sizeof(answer)) ){
    if( sqlite3_column_type(st, 0)==SQLITE_NULL ) snprintf(answer, sizeof(answer), "NULL");
    else snprintf(answer, sizeof(answer), "%d floats", sqlite3_column_bytes(st, 0)/4);
  }
  sqlite3_finalize(st);
  fprintf(out, "%s\n", answer);
  free(sift.p);
  sqlite3_close(db);
  sqlite3_free(fence);
}

/* The codebook img_vlad uses, trained (in a child, to keep the parent small)
** on the picture's features: 8 clusters, so img_vlad gives 1024 floats. */
#define CODEBOOK_FLOATS (8*128)
static Bytes codebook_train(const Bytes *picture_png){
  Bytes codebook = {0, 0, 0};
  unsigned char chunk[4096];
  ssize_t got;
  int fd[2], status;
  pid_t pid;
  if( pipe(fd) ){ perror("pipe"); exit(2); }
  pid = fork();
  if( pid==0 ){
    sqlite3 *db = open_db(":memory:");
    sqlite3_stmt *st = 0;
    char zErr[300];
    close(fd[0]);
    if( !child_query(db, "SELECT img_codebook_train(img_sift(?1), 8)", picture_png, 0,
                     &st, zErr, sizeof(zErr)) ){
      fprintf(stderr, "# codebook: %s\n", zErr);
      exit(1);
    }
    if( write(fd[1], sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0))<0 ) exit(1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    exit(0);   /* exit, not _exit: LeakSanitizer checks the child at exit */
  }
  close(fd[1]);
  while( (got = read(fd[0], chunk, sizeof(chunk)))>0 ) bytes_put(&codebook, chunk, (size_t)got);
  close(fd[0]);
  waitpid(pid, &status, 0);
  if( !WIFEXITED(status) || WEXITSTATUS(status)!=0 || codebook.n==0 ){
    fprintf(stderr, "cannot train the codebook\n");
    exit(2);
  }
  return codebook;
}

static double now_seconds(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec/1e9;
}

/* Copy line `i` of text (0-based) into buf. */
static void nth_line(const char *text, int i, char *buf, size_t n){
  const char *end;
  while( i-- > 0 && text ){
    text = strchr(text, '\n');
    if( text ) text++;
  }
  if( text==0 ){ snprintf(buf, n, "(no answer)"); return; }
  end = strchr(text, '\n');
  snprintf(buf, n, "%.*s", end ? (int)(end - text) : (int)strlen(text), text);
}

static void case_run(const Case *c, const Bytes *codebook, Outcome *o){
  Bytes answers = {0, 0, 0};
  unsigned char chunk[4096];
  char line[64];
  ssize_t got;
  struct rusage ru;
  int fd[2], status;
  double start = now_seconds();
  pid_t pid;

  memset(o, 0, sizeof(*o));
  if( pipe(fd) ){ perror("pipe"); exit(2); }
  fflush(stdout);
  pid = fork();
  if( pid<0 ){ perror("fork"); exit(2); }
  if( pid==0 ){
    FILE *out;
    close(fd[0]);
    alarm(CHILD_TIMEOUT_SECONDS);
    out = fdopen(fd[1], "w");
    child_run(c, codebook, out);
    fclose(out);
    exit(test_failures ? 1 : 0);
  }
  close(fd[1]);
  while( (got = read(fd[0], chunk, sizeof(chunk)))>0 ) bytes_put(&answers, chunk, (size_t)got);
  close(fd[0]);
  bytes_u8(&answers, 0);
  while( wait4(pid, &status, 0, &ru)<0 && errno==EINTR ){}
  o->wall_seconds = now_seconds() - start;
  o->cpu_seconds = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec/1e6
                 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec/1e6;
  o->max_rss_kb = ru.ru_maxrss;
  if( WIFSIGNALED(status) ){
    snprintf(o->how_it_ended, sizeof(o->how_it_ended), "killed by signal %d%s",
             WTERMSIG(status), WTERMSIG(status)==SIGALRM ? " (timeout)" : "");
  }else if( WEXITSTATUS(status)!=0 ){
    snprintf(o->how_it_ended, sizeof(o->how_it_ended), "exit status %d", WEXITSTATUS(status));
  }else{
    snprintf(o->how_it_ended, sizeof(o->how_it_ended), "exit 0");
    o->ran = 1;
  }
  nth_line((char*)answers.p, 0, o->info, sizeof(o->info));
  nth_line((char*)answers.p, 1, o->sift, sizeof(o->sift));
  nth_line((char*)answers.p, 2, line, sizeof(line));
  o->keypoints = strtol(line, 0, 10);
  nth_line((char*)answers.p, 3, line, sizeof(line));
  o->sift_hash = strtoull(line, 0, 10);
  nth_line((char*)answers.p, 4, o->vlad, sizeof(o->vlad));
  free(answers.p);
}

/* ---- checking -------------------------------------------------------------- */

static int starts_with(const char *z, const char *prefix){
  return strncmp(z, prefix, strlen(prefix))==0;
}

/* An error that names its function and says more than a bare SQLite code. */
static int error_is_specific(const char *answer, const char *function){
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "error: %s: ", function);
  return starts_with(answer, prefix) && strlen(answer) > strlen(prefix) + 15;
}

/* img_vlad agrees with the keypoint count: NULL without features. */
static int vlad_consistent(const Outcome *o){
  char want[32];
  if( o->keypoints<0 ) return strcmp(o->vlad, "not run")==0;
  if( o->keypoints==0 ) return strcmp(o->vlad, "NULL")==0;
  snprintf(want, sizeof(want), "%d floats", CODEBOOK_FLOATS);
  return strcmp(o->vlad, want)==0;
}

static void case_check(const Case *c, const Outcome *o, const Outcome *all){
  int ok;
  check(o->ran, "%s: the child ends normally (%s)", c->name, o->how_it_ended);
  if( !o->ran ) return;
  if( c->expect!=EXPECT_ANY ){
    ok = starts_with(o->info, c->info);
    if( starts_with(c->info, "error: ") ) ok = ok && error_is_specific(o->info, "img_info");
    check(ok, "%s: img_info gives %s...", c->name, c->info);
    if( !ok ) printf("#   got %s\n", o->info);
  }else{
    check(starts_with(o->info, "{\"width\":") || error_is_specific(o->info, "img_info"),
          "%s: img_info gives a size or a specific error", c->name);
  }
  switch( c->expect ){
    case EXPECT_FEATURES:
      ok = o->keypoints>0;
      check(ok, "%s: img_sift finds keypoints (%s)", c->name, o->sift);
      break;
    case EXPECT_NO_FEATURES:
      ok = o->keypoints==0;
      check(ok, "%s: img_sift gives a blob with 0 keypoints (%s)", c->name, o->sift);
      break;
    case EXPECT_SAME_AS: {
      const Outcome *other = &all[case_index(c->detail)];
      ok = o->keypoints>0 && o->keypoints==other->keypoints && o->sift_hash==other->sift_hash;
      check(ok, "%s: img_sift gives the same blob as %s (%ld and %ld keypoints)",
            c->name, c->detail, o->keypoints, other->keypoints);
      break;
    }
    case EXPECT_NEAR: {
      const Outcome *other = &all[case_index(c->detail)];
      long difference = labs(o->keypoints - other->keypoints);
      ok = o->keypoints>0 && other->keypoints>0 && difference*10 <= other->keypoints;
      check(ok, "%s: img_sift finds %ld keypoints, within 10%% of %s's %ld",
            c->name, o->keypoints, c->detail, other->keypoints);
      break;
    }
    case EXPECT_ERROR:
      ok = error_is_specific(o->sift, "img_sift") && strstr(o->sift, c->detail)!=0;
      check(ok, "%s: img_sift fails with \"...%s\"", c->name, c->detail);
      if( !ok ) printf("#   got %s\n", o->sift);
      break;
    case EXPECT_ANY:
      ok = o->keypoints>=0 || error_is_specific(o->sift, "img_sift");
      check(ok, "%s: img_sift gives a blob or a specific error (%s)", c->name, o->sift);
      break;
  }
  check(vlad_consistent(o), "%s: img_vlad agrees (%s)", c->name, o->vlad);
  check(o->max_rss_kb < RSS_LIMIT_MB*1024L, "%s: peak RSS %ld MB < %d MB",
        c->name, o->max_rss_kb/1024, RSS_LIMIT_MB);
}

/* ---- imgsearch index over a folder of all the inputs ------------------------ */

static int count_lines_with(const char *text, const char *needle){
  int n = 0;
  const char *p = text;
  while( (p = strstr(p, needle))!=0 ){ n++; p += strlen(needle); }
  return n;
}

static void index_check(const char *extension, const int *selected, const Outcome *all){
  char dir[512], db_path[512], tool[512], cmd[2048], *z;
  Bytes output = {0, 0, 0};
  unsigned char chunk[4096];
  size_t got;
  int i, status, expected_failures = 0, expected_ok = 0, listed = 0;
  FILE *p;
  sqlite3 *db;

  snprintf(tool, sizeof(tool), "%s", extension);
  z = strrchr(tool, '/');
  snprintf(z ? z+1 : tool, sizeof(tool) - (size_t)(z ? z+1-tool : 0), "imgsearch");
  test_file(dir, "folder");
  test_file(db_path, "index.db");
  mkdir(dir, 0700);
  for(i=0; i<ncases; i++){
    char path[1024];
    FILE *f;
    if( !selected[i] ) continue;
    snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
    f = fopen(path, "wb");
    fwrite(cases[i].bytes.p, 1, cases[i].bytes.n, f);
    fclose(f);
    /* the tool skips extensions it does not index (.psd) */
    if( strstr(cases[i].name, ".psd") ) continue;
    if( all[i].keypoints<0 ) expected_failures++; else expected_ok++;
  }
  snprintf(cmd, sizeof(cmd), "%s index %s %s --quiet --jobs 1 2>&1", tool, db_path, dir);
  p = popen(cmd, "r");
  while( (got = fread(chunk, 1, sizeof(chunk), p))>0 ) bytes_put(&output, chunk, got);
  bytes_u8(&output, 0);
  status = pclose(p);
  check(WIFEXITED(status) && WEXITSTATUS(status)==1,
        "imgsearch index on the folder exits with status 1 (got %d)",
        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  for(i=0; i<ncases; i++){
    char needle[600];
    if( !selected[i] || strstr(cases[i].name, ".psd") || all[i].keypoints>=0 ) continue;
    /* the reason printed is img_sift's message, or the same message from
    ** img_info when the tool's first call already fails */
    const char *reason = all[i].sift + strlen("error: img_sift: ");
    char needle_info[600];
    snprintf(needle, sizeof(needle), "FAILED %s/%s: img_sift: %s", dir, cases[i].name, reason);
    snprintf(needle_info, sizeof(needle_info), "FAILED %s/%s: img_info: %s", dir, cases[i].name, reason);
    if( strstr((char*)output.p, needle) || strstr((char*)output.p, needle_info) ) listed++;
    else printf("# not listed as expected: %s\n", needle);
  }
  check(listed==expected_failures && count_lines_with((char*)output.p, "FAILED ")==expected_failures,
        "imgsearch index lists each of the %d failing files with img_sift's reason", expected_failures);
  {
    char want[64];
    snprintf(want, sizeof(want), "%d failed", expected_failures);
    check(strstr((char*)output.p, want)!=0, "imgsearch index counts them: \"%s\"", want);
  }
  db = open_db(db_path);
  {
    char want_ok[16], want_err[16];
    snprintf(want_ok, sizeof(want_ok), "%d", expected_ok);
    snprintf(want_err, sizeof(want_err), "%d", expected_failures);
    check(query_is(db, want_ok, "SELECT count(*) FROM images WHERE status='ok'"),
          "imgsearch index indexes the other %d files", expected_ok);
    check(query_is(db, want_err, "SELECT count(*) FROM images WHERE status='error' AND error<>''"),
          "imgsearch index records the %d failures, each with its reason", expected_failures);
  }
  sqlite3_close(db);
  if( test_failures ) printf("# imgsearch output:\n%s", (char*)output.p);
  free(output.p);
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char **argv){
  int full = argc>2 && strcmp(argv[2], "--full")==0;
  int selected[MAX_CASES];
  Outcome outcomes[MAX_CASES];
  Bytes codebook;
  int i;

  if( argc<2 ){ fprintf(stderr, "usage: %s EXTENSION [--full]\n", argv[0]); return 2; }
  test_extension = argv[1];
  cases_make();
  codebook = codebook_train(&cases[case_index("picture.png")].bytes);
  check(codebook.n > CODEBOOK_FLOATS*4, "a codebook of 8 clusters is trained on the picture");

  for(i=0; i<ncases; i++){
    selected[i] = full || !cases[i].full_only;
    if( selected[i] ) case_run(&cases[i], &codebook, &outcomes[i]);
  }
  for(i=0; i<ncases; i++){
    if( selected[i] ) case_check(&cases[i], &outcomes[i], outcomes);
  }

  printf("# %-36s %9s %7s %7s %7s  %s\n", "input", "bytes", "RSS MB", "wall s", "CPU s", "img_sift");
  for(i=0; i<ncases; i++){
    if( !selected[i] ) continue;
    printf("# %-36s %9zu %7.1f %7.2f %7.2f  %s\n", cases[i].name, cases[i].bytes.n,
           outcomes[i].max_rss_kb/1024.0, outcomes[i].wall_seconds, outcomes[i].cpu_seconds,
           outcomes[i].sift);
  }

  index_check(argv[1], selected, outcomes);
  for(i=0; i<ncases; i++){
    free(cases[i].bytes.p);
    if( starts_with(cases[i].name, "truncated_") ) sqlite3_free((char*)cases[i].name);
  }
  free(codebook.p);
  return test_failures ? 1 : 0;
}
