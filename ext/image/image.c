/*
** image.c — the only stb_image translation unit, and the one decode
** interface: probe, decode (grey or RGB), limits, EXIF orientation,
** downscale.  See image.h for the contract.
**
** May call: stb_image (compiled here, all of it static), the other
** decoders through image_codec.h (WebP, TIFF, HEIF/AVIF, JPEG XL: one file
** per library), error.h (error_set), sqlite3_malloc64 / sqlite3_realloc64 /
** sqlite3_free / sqlite3_mprintf through sqlite3ext.h.  Nothing else.
**
** Formats compiled in: JPEG, PNG, BMP, GIF (first frame), TGA, PNM (P5/P6).
** PSD, HDR and PIC are left out: no photo arrives in them and every
** decoder is attack surface.  A file whose magic bytes a codec of
** image_codec.h recognises goes to that codec instead; the pixel limit,
** the downscale and the orientation are applied here for every format
** alike.
**
** Orientation: a JPEG's EXIF Orientation tag (APP1, read here) and a
** TIFF's (image_tiff.c) say how the stored pixels are turned; everything
** this interface reports (sizes, pixels, so keypoint coordinates and
** thumbnails) is of the upright image, as viewers show it.
**
** Known stb_image 2.27 defects (Debian 12 ships 2.27; upstream fixed most
** in later releases) are screened out before stb sees the bytes, in
** image_screen():
**   - JPEG DHT segment declaring more than 256 codes: stb writes past its
**     Huffman arrays (upstream issues #1289, #1291).
**   - JPEG scan using a Huffman table never defined: stb decodes with
**     uninitialised memory and indexes arrays with it.
**   - PNM header numbers of 10+ digits: signed overflow in stb's parser.
**   - 16-bit PNM (maxval > 255): stb keeps the low byte of each big-endian
**     sample (wrong pixels), and for P6 reads past its buffer converting
**     to grey.  Refused with a message saying to convert the file.
**   - a PNG whose first IDAT chunk is empty: stb adds its offset to a null
**     pointer and calls memcpy(NULL, src, 0), both undefined (clang's
**     UBSan stops on the first; found by tests/fuzz/fuzz_image.c).
**   - more than 100 scans in a JPEG: stb has no limit, and decoding time
**     grows with scans x pixels (IMAGE_JPEG_MAX_SCANS).
** Not screened but neutralised: a progressive JPEG without a DC scan makes
** stb read coefficients it never wrote; every stb allocation is zeroed
** (image_stb_malloc).
** Not screened: on corrupt JPEG entropy data stb can shift its exhausted
** bit buffer (value 0) by 32 or more (stb_image.h:2065, UBSan "shift
** exponent").  Memory-safe, and decoding then fails or yields noise, but a
** UBSan build that fuzzes JPEGs needs -fno-sanitize=shift for this file.
**
** Why our own header readers: stbi_info() refuses JPEG and PNG headers whose
** pixel buffer would overflow an int ("too large"), which is exactly when
** the user most needs to hear the real size.  So the JPEG frame header and
** the PNG IHDR are read here as well, and the pixel limit is checked against
** whichever reader understood the header.
**
** Thread safety: no mutable globals.  stb_image keeps its failure reason in
** a thread-local (C11), so do we our out-of-memory flag (image_stb_oom),
** and we never touch stb's flip/unpremultiply switches.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <limits.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "image.h"
#include "image_codec.h"

/* The decoders besides stb_image, tried first: each has magic bytes. */
static const ImageCodec *const image_codecs[] = {
  &image_codec_webp, &image_codec_tiff, &image_codec_heif, &image_codec_jxl
};

static const ImageCodec *image_codec_for(const unsigned char *p, size_t n){
  size_t i;
  for(i=0; i<sizeof(image_codecs)/sizeof(image_codecs[0]); i++){
    if( image_codecs[i]->sniff(p, n) ) return image_codecs[i];
  }
  return 0;
}

/* ---- stb_image, configured --------------------------------------------- */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#define STBI_ONLY_PNM
/* Never ask for 0 bytes: sqlite3_malloc64(0) is NULL, which stb would
** report as out of memory.  Allocations are zeroed: stb_image 2.27 leaves a
** progressive JPEG's coefficient blocks for its first DC scan to clear, so
** a file with AC scans and no DC scan would decode whatever the heap held
** before (tests/reliability/hostile_images.c, scans_100_no_dc.jpg).
**
** A failed allocation is also noted in image_stb_oom: stb_image does not
** always give "Out of memory" as its reason (some paths return without
** one, leaving an older reason such as "Corrupt JPEG" in place, and
** stbi_info() just says no), and an out-of-memory must not be reported as
** a bad image.  Thread-local, like stb's own failure reason; cleared
** before each call into stb. */
static _Thread_local int image_stb_oom;
static void *image_stb_malloc(size_t n){
  void *p = sqlite3_malloc64(n ? (sqlite3_uint64)n : 1);
  if( p ) memset(p, 0, n);
  else image_stb_oom = 1;
  return p;
}
static void *image_stb_realloc(void *old, size_t n){
  void *p = sqlite3_realloc64(old, n ? (sqlite3_uint64)n : 1);
  if( p==0 ) image_stb_oom = 1;
  return p;
}
#define STBI_MALLOC(sz)        image_stb_malloc(sz)
#define STBI_REALLOC(p, newsz) image_stb_realloc((p), (newsz))
#define STBI_FREE(p)           sqlite3_free(p)

/* With STB_IMAGE_STATIC the parts of stb's API we do not call are unused
** statics, and one (stbi_set_unpremultiply_on_load_thread) is declared but
** never defined, which GCC reports at the end of the file; so the warning
** stays off for the rest of this file. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb/stb_image.h>

/* ---- header sniffing ----------------------------------------------------- */

static uint32_t image_be32(const unsigned char *p){
  return (uint32_t)p[0]<<24 | (uint32_t)p[1]<<16 | (uint32_t)p[2]<<8 | p[3];
}

/* Offset just past the SOI marker if p starts like a JPEG, else 0.  Like
** stb_image, accept any number of 0xFF fill bytes before the D8. */
static size_t image_jpeg_start(const unsigned char *p, size_t n){
  size_t i = 1;
  if( n<2 || p[0]!=0xFF ) return 0;
  while( i<n && p[i]==0xFF ) i++;
  return (i<n && p[i]==0xD8) ? i+1 : 0;
}

/* Format name from magic bytes, or NULL.  TGA has no magic; stb_image
** tries it last, and so do we (see image_probe). */
static const char *image_sniff_format(const unsigned char *p, size_t n){
  if( image_jpeg_start(p, n)>0 ) return "jpeg";
  if( n>=8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8)==0 ) return "png";
  if( n>=6 && (memcmp(p, "GIF87a", 6)==0 || memcmp(p, "GIF89a", 6)==0) ){
    return "gif";
  }
  if( n>=2 && p[0]=='B' && p[1]=='M' ) return "bmp";
  if( n>=2 && p[0]=='P' && (p[1]=='5' || p[1]=='6') ) return "pnm";
  return 0;
}

/* PNG: the IHDR chunk must come first; width and height are big-endian
** at offsets 16 and 20.  Returns 1 if both are usable. */
static int image_png_header_size(const unsigned char *p, size_t n,
                                 int *pWidth, int *pHeight){
  uint32_t w, h;
  if( n<24 || memcmp(p+12, "IHDR", 4)!=0 ) return 0;
  w = image_be32(p+16);
  h = image_be32(p+20);
  if( w==0 || h==0 || w>INT_MAX || h>INT_MAX ) return 0;
  *pWidth = (int)w;
  *pHeight = (int)h;
  return 1;
}

/* JPEG: walk the marker segments up to the first SOFn frame header,
** which holds precision(1) height(2) width(2).  Returns 1 if found. */
static int image_jpeg_header_size(const unsigned char *p, size_t n,
                                  int *pWidth, int *pHeight){
  size_t i = image_jpeg_start(p, n);       /* past SOI */
  while( i+4<=n ){
    unsigned marker;
    size_t len;
    if( p[i]!=0xFF ) return 0;
    marker = p[i+1];
    if( marker==0xFF ){ i++; continue; }   /* fill byte */
    i += 2;
    if( marker==0x01 || (marker>=0xD0 && marker<=0xD8) ) continue;  /* no body */
    if( marker==0xD9 || marker==0xDA ) return 0;  /* EOI/SOS before a frame */
    len = (size_t)p[i]<<8 | p[i+1];
    if( len<2 ) return 0;
    if( marker>=0xC0 && marker<=0xCF
     && marker!=0xC4 && marker!=0xC8 && marker!=0xCC ){
      if( len<7 || i+7>n ) return 0;
      *pHeight = p[i+3]<<8 | p[i+4];
      *pWidth = p[i+5]<<8 | p[i+6];
      return *pWidth>0 && *pHeight>0;
    }
    i += len;
  }
  return 0;
}

/* The EXIF Orientation tag (0x0112) of IFD0 in a TIFF-structured block
** t[0..n): byte order "II" or "MM", 42, the IFD0 offset, then 12-byte
** entries (tag, type, count, value).  1..8, or 1 when absent or malformed. */
static int image_exif_orientation(const unsigned char *t, size_t n){
  int le;
  size_t ifd, count, i;
  if( n<8 ) return 1;
  if( t[0]=='I' && t[1]=='I' ) le = 1;
  else if( t[0]=='M' && t[1]=='M' ) le = 0;
  else return 1;
#define EXIF_U16(q) (le ? (unsigned)(q)[0] | (unsigned)(q)[1]<<8 \
                        : (unsigned)(q)[0]<<8 | (unsigned)(q)[1])
  if( EXIF_U16(t+2)!=42 ) return 1;
  ifd = le ? (size_t)t[4] | (size_t)t[5]<<8 | (size_t)t[6]<<16 | (size_t)t[7]<<24
           : (size_t)t[4]<<24 | (size_t)t[5]<<16 | (size_t)t[6]<<8 | (size_t)t[7];
  if( ifd<8 || ifd>n-2 ) return 1;
  count = EXIF_U16(t+ifd);
  for(i=0; i<count && ifd+2+12*(i+1)<=n; i++){
    const unsigned char *e = t + ifd + 2 + 12*i;
    if( EXIF_U16(e)==0x0112 && EXIF_U16(e+2)==3 ){      /* SHORT */
      unsigned v = EXIF_U16(e+8);
      return v>=1 && v<=8 ? (int)v : 1;
    }
  }
#undef EXIF_U16
  return 1;
}

/* JPEG: the Orientation of the first APP1 "Exif" segment before the frame
** header; 1 if there is none. */
static int image_jpeg_orientation(const unsigned char *p, size_t n){
  size_t i = image_jpeg_start(p, n);
  while( i>0 && i+4<=n ){
    unsigned marker;
    size_t len;
    if( p[i]!=0xFF ) return 1;
    marker = p[i+1];
    if( marker==0xFF ){ i++; continue; }
    i += 2;
    if( marker==0x01 || (marker>=0xD0 && marker<=0xD8) ) continue;
    if( marker==0xD9 || marker==0xDA || (marker>=0xC0 && marker<=0xCF
        && marker!=0xC4 && marker!=0xC8 && marker!=0xCC) ) return 1;
    len = (size_t)p[i]<<8 | p[i+1];
    if( len<2 || len>n-i ) return 1;
    if( marker==0xE1 && len>=8 && memcmp(p+i+2, "Exif\0\0", 6)==0 ){
      return image_exif_orientation(p+i+8, len-8);
    }
    i += len;
  }
  return 1;
}

/* ---- screening for stb_image 2.27 defects -------------------------------- */

/* Byte at i, or 0 past the end: the way stb_image reads a short buffer. */
static unsigned image_byte_at(const unsigned char *p, size_t n, size_t i){
  return i<n ? p[i] : 0;
}

/* One DHT segment whose body starts at i and declares len-2 bytes, read
** exactly as stb_image reads it (tables may run past the segment; stb then
** fails later, but only after building them).  Marks each table it defines
** in defined[class][id].  Returns 0 if a table declares more than 256
** codes. */
static int image_jpeg_dht_ok(const unsigned char *p, size_t n, size_t i,
                             size_t len, unsigned char defined[2][4]){
  long remaining = (long)len - 2;
  while( remaining>0 ){
    unsigned q = image_byte_at(p, n, i++);
    unsigned codes = 0;
    int k;
    if( (q>>4)>1 || (q&15)>3 ) return 1;   /* stb rejects this itself */
    for(k=0; k<16; k++) codes += image_byte_at(p, n, i++);
    if( codes>256 ) return 0;
    defined[q>>4][q&15] = 1;
    i += codes;
    remaining -= 17 + (long)codes;
  }
  return 1;
}

/* SOS segment body at i: every Huffman table the scan will decode with
** must have been defined (stb_image would read its uninitialised memory).
** Which tables a scan uses: baseline, both; progressive, the DC table in
** a first DC scan (Ss=0, Ah=0) and the AC table in any AC scan (Ss>0). */
static int image_jpeg_sos_ok(const unsigned char *p, size_t n, size_t i,
                             int progressive, unsigned char defined[2][4]){
  unsigned count = image_byte_at(p, n, i);
  size_t params = i + 1 + 2*(size_t)count;   /* Ss, Se, Ah<<4|Al */
  unsigned ss = image_byte_at(p, n, params);
  unsigned ah = image_byte_at(p, n, params+2)>>4;
  int use_dc = !progressive || (ss==0 && ah==0);
  int use_ac = !progressive || ss>0;
  unsigned c;
  if( count>4 ) return 1;                   /* stb rejects this itself */
  for(c=0; c<count; c++){
    unsigned tables = image_byte_at(p, n, i + 2 + 2*(size_t)c);
    if( (tables>>4)>3 || (tables&15)>3 ) return 1;   /* stb rejects */
    if( use_dc && !defined[0][tables>>4] ) return 0;
    if( use_ac && !defined[1][tables&15] ) return 0;
  }
  return 1;
}

/* A decoder passes over every block of the image in every scan, and a scan
** can be a few bytes: 200 scans of a 50 MP image fit in 19 KB and took
** about 10 s of CPU to decode.  Encoders write 1 (baseline) to about 10
** (progressive) scans; jpegtran's scan scripts stop at 100. */
#define IMAGE_JPEG_MAX_SCANS 100

/* Walk the JPEG marker segments as stb_image does (skipping stray bytes
** between segments and the entropy-coded data after each SOS) and check
** every DHT and SOS, and the number of scans. */
static int image_jpeg_screen(const unsigned char *p, size_t n, char **pzErr){
  unsigned char defined[2][4];
  size_t i = image_jpeg_start(p, n);
  int progressive = 0;
  int scans = 0;
  memset(defined, 0, sizeof(defined));
  while( i+1<n ){
    unsigned marker;
    size_t len;
    if( p[i]!=0xFF ){ i++; continue; }
    marker = p[i+1];
    if( marker==0xFF ){ i++; continue; }
    i += 2;
    if( marker==0xD9 ) break;                                    /* EOI */
    if( marker==0x00 || marker==0x01 || (marker>=0xD0 && marker<=0xD8) ) continue;
    if( i+2>n ) break;
    len = (size_t)p[i]<<8 | p[i+1];
    if( marker==0xC2 ) progressive = 1;
    if( marker==0xC4 && !image_jpeg_dht_ok(p, n, i+2, len, defined) ){
      return error_set(pzErr, SQLITE_ERROR,
          "corrupt JPEG: a Huffman table declares more than 256 codes");
    }
    if( marker==0xDA && ++scans>IMAGE_JPEG_MAX_SCANS ){
      return error_set(pzErr, SQLITE_ERROR,
          "JPEG has more than %d scans; each scan is a pass over the whole "
          "image, so this is refused (re-encode it, e.g. with jpegtran)",
          IMAGE_JPEG_MAX_SCANS);
    }
    if( marker==0xDA && !image_jpeg_sos_ok(p, n, i+2, progressive, defined) ){
      return error_set(pzErr, SQLITE_ERROR,
          "corrupt JPEG: a scan uses a Huffman table that was never defined "
          "(Motion-JPEG frames without tables are not supported)");
    }
    if( len<2 ) break;
    i += len;
    if( marker==0xDA ){
      /* Entropy-coded data ends at the first marker that is not a
      ** stuffed 0xFF00 or a restart marker. */
      while( i+1<n && !(p[i]==0xFF && p[i+1]!=0x00 && !(p[i+1]>=0xD0 && p[i+1]<=0xD7)) ){
        i++;
      }
    }
  }
  return SQLITE_OK;
}

/* PNM header: P5|P6, width, height, maxval, separated by whitespace and
** '#' comments.  Refuse numbers stb would overflow, and 16-bit samples. */
static int image_pnm_screen(const unsigned char *p, size_t n, char **pzErr){
  size_t i = 2;
  unsigned long value[3] = {0, 0, 0};
  int field;
  for(field=0; field<3; field++){
    int digits = 0;
    for(;;){
      while( i<n && (p[i]==' ' || (p[i]>='\t' && p[i]<='\r')) ) i++;
      if( i<n && p[i]=='#' ){
        while( i<n && p[i]!='\n' && p[i]!='\r' ) i++;
        continue;
      }
      break;
    }
    while( i<n && p[i]>='0' && p[i]<='9' ){
      if( ++digits>9 ){
        return error_set(pzErr, SQLITE_ERROR,
            "corrupt PNM header: a number has more than 9 digits");
      }
      value[field] = value[field]*10 + (unsigned long)(p[i]-'0');
      i++;
    }
  }
  if( value[2]>255 ){
    return error_set(pzErr, SQLITE_ERROR,
        "16-bit PNM (maxval %lu) is not supported; convert it to 8 bits "
        "or to PNG", value[2]);
  }
  return SQLITE_OK;
}

/* PNG: walk the chunks after the signature (length, type, data, CRC) up
** to the first IDAT and refuse it if it is empty.  Encoders do not write
** one; a later empty IDAT is harmless. */
static int image_png_screen(const unsigned char *p, size_t n, char **pzErr){
  size_t i = 8;
  while( i+8<=n ){
    uint32_t len = image_be32(p+i);
    if( memcmp(p+i+4, "IDAT", 4)==0 ){
      if( len>0 ) break;
      return error_set(pzErr, SQLITE_ERROR,
          "unusual PNG: its first image data (IDAT) chunk is empty; re-encode it");
    }
    if( memcmp(p+i+4, "IEND", 4)==0 || len>n-i-8 ) break;
    i += 12 + (size_t)len;
  }
  return SQLITE_OK;
}

/* Refuse inputs that would reach a known stb_image 2.27 defect. */
static int image_screen(const unsigned char *p, size_t n, const char *format,
                        char **pzErr){
  if( format==0 ) return SQLITE_OK;
  if( strcmp(format, "jpeg")==0 ) return image_jpeg_screen(p, n, pzErr);
  if( strcmp(format, "pnm")==0 ) return image_pnm_screen(p, n, pzErr);
  if( strcmp(format, "png")==0 ) return image_png_screen(p, n, pzErr);
  return SQLITE_OK;
}

/* ---- public API ----------------------------------------------------------- */

void image_limits_default(ImageLimits *lim){
  lim->max_pixels = IMAGE_DEFAULT_MAX_PIXELS;
  lim->max_side = IMAGE_DEFAULT_MAX_SIDE;
}

/* stb_image reads an int length; also the empty-input message lives here. */
static int image_check_size(size_t n, char **pzErr){
  if( n==0 ){
    return error_set(pzErr, SQLITE_ERROR, "image is empty (0 bytes)");
  }
  if( n>(size_t)INT_MAX ){
    return error_set(pzErr, SQLITE_TOOBIG,
        "image data is %llu bytes; the decoder accepts at most %d bytes",
        (unsigned long long)n, INT_MAX);
  }
  return SQLITE_OK;
}

/* The header of a format stb_image reads, as stored (not turned upright). */
static int image_probe_stb(const unsigned char *p, size_t n, ImageInfo *out,
                           char **pzErr){
  const char *format;
  int w = 0, h = 0, channels = 0;
  int rc;

  format = image_sniff_format(p, n);
  rc = image_screen(p, n, format, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  image_stb_oom = 0;
  if( stbi_info_from_memory(p, (int)n, &w, &h, &channels) ){
    if( w<=0 || h<=0 ){
      return error_set(pzErr, SQLITE_ERROR,
          "%s header says %dx%d: the image has no pixels",
          format ? format : "tga", w, h);
    }
    out->width = w;
    out->height = h;
    out->channels = channels;
    out->format = format ? format : "tga";
    return SQLITE_OK;
  }
  if( image_stb_oom ){
    return error_set(pzErr, SQLITE_NOMEM, "out of memory reading the %s "
                     "header", format ? format : "image");
  }
  /* stb_image refused; if it was only the size, our readers know it. */
  if( format && ((strcmp(format, "png")==0 && image_png_header_size(p,n,&w,&h))
              || (strcmp(format, "jpeg")==0 && image_jpeg_header_size(p,n,&w,&h))) ){
    out->width = w;
    out->height = h;
    out->channels = 0;
    out->format = format;
    return SQLITE_OK;
  }
  if( format ){
    return error_set(pzErr, SQLITE_ERROR,
        "cannot read the %s header: %s", format, stbi_failure_reason());
  }
  return error_set(pzErr, SQLITE_ERROR,
      "not a supported image (expected jpeg, png, webp, heic, avif, jxl, "
      "tiff, bmp, gif, tga or pnm; %s)", stbi_failure_reason());
}

int image_probe(const void *data, size_t n, ImageInfo *out, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  const ImageCodec *codec;
  int rc;

  memset(out, 0, sizeof(*out));
  if( pzErr ) *pzErr = 0;
  rc = image_check_size(n, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  codec = image_codec_for(p, n);
  rc = codec ? codec->probe(p, n, out, pzErr) : image_probe_stb(p, n, out, pzErr);
  if( rc!=SQLITE_OK ){
    memset(out, 0, sizeof(*out));
  }else if( codec==0 && strcmp(out->format, "jpeg")==0
         && IMAGE_ORIENTATION_SWAPS(image_jpeg_orientation(p, n)) ){
    int w = out->width;
    out->width = out->height;
    out->height = w;
  }
  return rc;
}

/* Megapixels as a short string for messages: "12", "50.4". */
static char *image_megapixels_text(uint64_t pixels){
  if( pixels%1000000==0 ){
    return sqlite3_mprintf("%llu", (unsigned long long)(pixels/1000000));
  }
  return sqlite3_mprintf("%.1f", (double)pixels/1e6);
}

/* SQLITE_TOOBIG with a message if width*height is over the limit. */
static int image_check_pixel_limit(int w, int h, uint64_t max_pixels,
                                   char **pzErr){
  uint64_t pixels = (uint64_t)w*(uint64_t)h;
  char *zMsg;
  if( max_pixels==0 || pixels<=max_pixels ) return SQLITE_OK;
  if( (pixels+50000)/100000 == (max_pixels+50000)/100000 ){
    /* One decimal would print the same number twice; use exact counts. */
    zMsg = sqlite3_mprintf(
        "image is %dx%d = %llu pixels, over the %llu pixel limit (see img_limits)",
        w, h, (unsigned long long)pixels, (unsigned long long)max_pixels);
  }else{
    char *zHave = image_megapixels_text(pixels);
    char *zLimit = image_megapixels_text(max_pixels);
    zMsg = (zHave && zLimit) ? sqlite3_mprintf(
        "image is %dx%d = %s MP, over the %s MP limit (see img_limits)",
        w, h, zHave, zLimit) : 0;
    sqlite3_free(zHave);
    sqlite3_free(zLimit);
  }
  if( zMsg==0 ) return SQLITE_NOMEM;
  if( pzErr ) *pzErr = zMsg;       /* made here: its NULL means no memory */
  else sqlite3_free(zMsg);
  return SQLITE_TOOBIG;
}

/* Area-filter downscale of interleaved pixels, channels (1..3) bytes each;
** see image_area_downscale. */
static void image_area_downscale_channels(const unsigned char *src, int sw,
                                          int sh, int src_stride, int channels,
                                          unsigned char *dst, int dw, int dh){
  /* Work in units of 1/dw source pixels horizontally and 1/dh vertically:
  ** source column j spans [j*dw, (j+1)*dw), output column x spans
  ** [x*sw, (x+1)*sw).  Overlaps are exact integers; the weights of one
  ** output pixel sum to sw*sh, and 255*sw*sh < 2^64 for any int sizes. */
  const uint64_t total = (uint64_t)sw*(uint64_t)sh;
  int x, y, c;
  for(y=0; y<dh; y++){
    uint64_t ylo = (uint64_t)y*sh, yhi = ylo + (uint64_t)sh;
    int r0 = (int)(ylo/dh), r1 = (int)((yhi-1)/dh);
    for(x=0; x<dw; x++){
      uint64_t xlo = (uint64_t)x*sw, xhi = xlo + (uint64_t)sw;
      int j0 = (int)(xlo/dw), j1 = (int)((xhi-1)/dw);
      uint64_t sum[3] = {0, 0, 0};
      unsigned char *out = dst + ((size_t)y*dw + x)*channels;
      int r, j;
      for(r=r0; r<=r1; r++){
        uint64_t top = (uint64_t)r*dh, bottom = top + (uint64_t)dh;
        uint64_t wy = (bottom<yhi ? bottom : yhi) - (top>ylo ? top : ylo);
        const unsigned char *row = src + (size_t)r*(size_t)src_stride;
        uint64_t rowsum[3] = {0, 0, 0};
        for(j=j0; j<=j1; j++){
          uint64_t left = (uint64_t)j*dw, right = left + (uint64_t)dw;
          uint64_t wx = (right<xhi ? right : xhi) - (left>xlo ? left : xlo);
          const unsigned char *px = row + (size_t)j*channels;
          for(c=0; c<channels; c++) rowsum[c] += wx*px[c];
        }
        for(c=0; c<channels; c++) sum[c] += wy*rowsum[c];
      }
      for(c=0; c<channels; c++) out[c] = (unsigned char)((sum[c] + total/2)/total);
    }
  }
}

void image_area_downscale(const unsigned char *src, int sw, int sh,
                          int src_stride, unsigned char *dst, int dw, int dh){
  image_area_downscale_channels(src, sw, sh, src_stride, 1, dst, dw, dh);
}

/* Output size for the longest side max_side, aspect kept, never below 1. */
static void image_scaled_size(int w, int h, int max_side, int *pw, int *ph){
  int longest = w>h ? w : h;
  if( max_side<=0 || longest<=max_side ){
    *pw = w;
    *ph = h;
    return;
  }
  *pw = (int)(((uint64_t)w*max_side + (uint64_t)longest/2)/(uint64_t)longest);
  *ph = (int)(((uint64_t)h*max_side + (uint64_t)longest/2)/(uint64_t)longest);
  if( *pw<1 ) *pw = 1;
  if( *ph<1 ) *ph = 1;
}

/* The upright copy of w x h pixels (channels bytes each) stored with EXIF
** orientation o (2..8), in a new buffer; NULL when out of memory.  For
** each upright pixel (x, y), (c, r) is the stored column and row it shows. */
static unsigned char *image_orient(const unsigned char *src, int w, int h,
                                   int channels, int o){
  const int uw = IMAGE_ORIENTATION_SWAPS(o) ? h : w;
  const int uh = IMAGE_ORIENTATION_SWAPS(o) ? w : h;
  unsigned char *dst = (unsigned char*)sqlite3_malloc64(
      (sqlite3_uint64)w*(sqlite3_uint64)h*(sqlite3_uint64)channels);
  int x, y;
  if( dst==0 ) return 0;
  for(y=0; y<uh; y++){
    for(x=0; x<uw; x++){
      int c, r;
      switch( o ){
        case 2:  c = w-1-x; r = y;     break;   /* mirrored */
        case 3:  c = w-1-x; r = h-1-y; break;   /* turned 180 */
        case 4:  c = x;     r = h-1-y; break;   /* flipped */
        case 5:  c = y;     r = x;     break;   /* transposed */
        case 6:  c = y;     r = h-1-x; break;   /* stored turned 90 left */
        case 7:  c = w-1-y; r = h-1-x; break;   /* transversed */
        default: c = w-1-y; r = x;     break;   /* 8: stored turned 90 right */
      }
      memcpy(dst + ((size_t)y*uw + x)*channels,
             src + ((size_t)r*w + c)*channels, (size_t)channels);
    }
  }
  return dst;
}

/* RGB to grey in place (grey i is written after RGB i was read), with
** stb_image's weights, so a grey decode is the same for every format. */
static void image_rgb_to_grey(unsigned char *p, size_t count){
  size_t i;
  for(i=0; i<count; i++){
    p[i] = (unsigned char)((p[3*i]*77 + p[3*i+1]*150 + p[3*i+2]*29) >> 8);
  }
}

/* Decode to channels (1: grey, 3: RGB) bytes a pixel under lim, shrink,
** turn upright.  Fills what GreyImage and RgbImage share: *pixels and the
** sizes size[0..3] = width, height, original width, original height. */
static int image_decode(const void *data, size_t n, const ImageLimits *lim,
                        int channels, unsigned char **pixels, int size[4],
                        char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  const ImageCodec *codec;
  ImageLimits defaults;
  ImageInfo info;
  unsigned char *decoded = 0;
  unsigned char *scaled = 0;
  int w = 0, h = 0, stored_channels = 0, orientation = 1, dw, dh;
  int rc;

  *pixels = 0;
  memset(size, 0, 4*sizeof(int));
  if( pzErr ) *pzErr = 0;
  if( lim==0 ){
    image_limits_default(&defaults);
    lim = &defaults;
  }

  rc = image_probe(data, n, &info, pzErr);
  if( rc!=SQLITE_OK ) goto cleanup;
  rc = image_check_pixel_limit(info.width, info.height, lim->max_pixels, pzErr);
  if( rc!=SQLITE_OK ) goto cleanup;

  codec = image_codec_for(p, n);
  if( codec ){
    rc = codec->decode_rgb(p, n, lim->max_pixels, &decoded, &w, &h,
                           &orientation, pzErr);
    if( rc!=SQLITE_OK ) goto cleanup;
    if( channels==1 ) image_rgb_to_grey(decoded, (size_t)w*(size_t)h);
  }else{
    image_stb_oom = 0;
    decoded = stbi_load_from_memory(p, (int)n, &w, &h, &stored_channels, channels);
    if( decoded==0 ){
      const char *zReason = image_stb_oom ? "Out of memory" : stbi_failure_reason();
      rc = strcmp(zReason ? zReason : "", "Out of memory")==0 ? SQLITE_NOMEM : SQLITE_ERROR;
      error_set(pzErr, rc, "cannot decode %s image (%dx%d): %s",
          info.format, info.width, info.height,
          zReason ? zReason : "unknown reason");
      goto cleanup;
    }
    if( strcmp(info.format, "jpeg")==0 ) orientation = image_jpeg_orientation(p, n);
  }
  if( w<=0 || h<=0 ){
    rc = SQLITE_ERROR;
    error_set(pzErr, rc,
        "decoder returned an empty %s image (%dx%d)", info.format, w, h);
    goto cleanup;
  }
  /* The header was checked; the decoded size is what we allocate by. */
  rc = image_check_pixel_limit(w, h, lim->max_pixels, pzErr);
  if( rc!=SQLITE_OK ) goto cleanup;

  image_scaled_size(w, h, lim->max_side, &dw, &dh);
  if( dw!=w || dh!=h ){
    scaled = (unsigned char*)sqlite3_malloc64(
        (sqlite3_uint64)dw*(sqlite3_uint64)dh*(sqlite3_uint64)channels);
    if( scaled==0 ){
      rc = SQLITE_NOMEM;
      error_set(pzErr, rc,
          "out of memory downscaling a %dx%d image to %dx%d", w, h, dw, dh);
      goto cleanup;
    }
    image_area_downscale_channels(decoded, w, h, w*channels, channels,
                                  scaled, dw, dh);
    sqlite3_free(decoded);       /* stb's allocator is sqlite3_malloc64 too */
    decoded = scaled;
    scaled = 0;
  }
  if( orientation!=1 ){
    /* Turned after shrinking: the area filter commutes with the turn. */
    scaled = image_orient(decoded, dw, dh, channels, orientation);
    if( scaled==0 ){
      rc = SQLITE_NOMEM;
      error_set(pzErr, rc, "out of memory turning a %dx%d image upright", dw, dh);
      goto cleanup;
    }
    sqlite3_free(decoded);
    decoded = scaled;
    scaled = 0;
  }
  size[0] = IMAGE_ORIENTATION_SWAPS(orientation) ? dh : dw;
  size[1] = IMAGE_ORIENTATION_SWAPS(orientation) ? dw : dh;
  size[2] = IMAGE_ORIENTATION_SWAPS(orientation) ? h : w;
  size[3] = IMAGE_ORIENTATION_SWAPS(orientation) ? w : h;
  *pixels = decoded;
  decoded = 0;

cleanup:
  sqlite3_free(decoded);
  sqlite3_free(scaled);
  return rc;
}

int image_decode_grey(const void *data, size_t n, const ImageLimits *lim,
                      GreyImage *out, char **pzErr){
  int size[4];
  int rc = image_decode(data, n, lim, 1, &out->pixels, size, pzErr);
  out->width = size[0];
  out->height = size[1];
  out->original_width = size[2];
  out->original_height = size[3];
  return rc;
}

int image_decode_rgb(const void *data, size_t n, const ImageLimits *lim,
                     RgbImage *out, char **pzErr){
  int size[4];
  int rc = image_decode(data, n, lim, 3, &out->pixels, size, pzErr);
  out->width = size[0];
  out->height = size[1];
  out->original_width = size[2];
  out->original_height = size[3];
  return rc;
}

void image_grey_free(GreyImage *img){
  if( img==0 ) return;
  sqlite3_free(img->pixels);
  memset(img, 0, sizeof(*img));
}

void image_rgb_free(RgbImage *img){
  if( img==0 ) return;
  sqlite3_free(img->pixels);
  memset(img, 0, sizeof(*img));
}

int image_thumbnail(const GreyImage *img, int side, int mirror, float *out){
  unsigned char small[IMAGE_THUMB_MAX_SIDE*IMAGE_THUMB_MAX_SIDE];
  const int n = side*side;
  double mean = 0.0, norm = 0.0;
  int x, y, i;
  if( side<2 || side>IMAGE_THUMB_MAX_SIDE
   || img->width<side || img->height<side ) return 0;
  image_area_downscale(img->pixels, img->width, img->height, img->width,
                       small, side, side);
  for(i=0; i<n; i++) mean += small[i];
  mean /= n;
  for(i=0; i<n; i++) norm += (small[i]-mean)*(small[i]-mean);
  if( norm==0.0 ) return 0;
  norm = sqrt(norm);
  for(y=0; y<side; y++){
    for(x=0; x<side; x++){
      int from = y*side + (mirror ? side-1-x : x);
      out[y*side + x] = (float)((small[from]-mean)/norm);
    }
  }
  return 1;
}
