/*
** scale_eval.c — the first stage of copy detection and retrieval, measured
** at collection scale (tests/bench/scale.sh eval; table in
** docs/BENCHMARKS.md, "Copies at 12k images").
**
**   scale_eval COLLECTION.db QUERIES.db COPIES_LIST DATA_DIR
**
** Reads the sift blobs `imgsearch index` stored in both databases, learns a
** vocabulary tree on the collection's own descriptors (ext/image/words.c),
** builds an inverted file in memory (word -> image, feature, signature),
** and for every query: its words and signatures (and those of its mirror
** image), a vote per matching feature (idf² weighted, Hamming-gated, one
** vote per query feature and image), a shortlist of the best SHORTLIST
** images, and verification of the shortlist by RANSAC on the word
** correspondences (no descriptor matching).  Ranking: verified images by
** inliers, then the rest by score.
**
** Queries: the 14 edits of 200 originals (COPIES_LIST, from copies.sh),
** split in a tuning half (dvd covers 000-049 and the first 50 ukbench
** objects) and a report half (the rest); the DVD phone photos; UKBench's
** 500 photos (N-S).  Collection subsets of 1k and 5k images keep every
** non-distractor image and the first distractors by id.
**
** Settings by environment: BRANCH (32) DEPTH (3) HAMMING (11 of 32 bits)
** SHORTLIST (50, the length of the list whose recall is reported)
** VERIFY (20, how many of it are verified, in the orientation — as is or
** mirrored — that gave most of the votes) VERIFY_HAMMING (words_match.h)
** MIN_INLIERS (8) FUSE (0: off; w: the shortlist is ranked by its words
** score over the best one + w x the cosine of the tool's VLAD vectors,
** and VLAD's 10 nearest join it — an experiment for "similar" images;
** FUSE=1 FUSE_ABS=1 VERIFY=SHORTLIST+10 is what `imgsearch search` does)
** TRAIN_DESCRIPTORS (300000) NORM (0: a
** collection image's score is divided by sqrt of the sum of its features'
** idf², 1: by sqrt of its feature count, 2: not at all) NEAR (1: words a
** query feature votes with) VERIFY_NEAR (1: a candidate its words do not
** verify is tried again with this many words a query feature; NEAR_TOP:
** only the first this many of the list, by score) NEAR_RATIO
** (1.2) VERIFY_SIFT (0).
*/
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/match.h"
#include "image/pca.h"
#include "image/sift_blob.h"
#include "image/vlad.h"
#include "image/words.h"
#include "image/words_blob.h"
#include "image/words_match.h"

typedef struct Image {
  char *path;
  int count;
  unsigned char *blob[2];    /* words blobs: as is, mirrored */
  WordsBlob words[2];
  unsigned char *qblob[2];   /* as a query: words blobs with NEAR words a
                             ** feature (the same as blob with NEAR 1) */
  WordsBlob qwords[2];
  unsigned char *vblob[2];   /* as a query, for verification: VERIFY_NEAR */
  WordsBlob vwords[2];
  uint32_t *word;            /* count: words[0]'s words, for the index */
  float *vlad;               /* with FUSE: the tool's vector (img_vlad with
                             ** the collection's codebook and PCA), or NULL */
  unsigned char *sift;       /* with VERIFY_SIFT: its sift blob */
  int sift_bytes;
  int distractor;            /* one of the 12,000 distractor photos */
  int group;                 /* ukbench object, or -1 */
  int dvd;                   /* dvd cover number (reference/canon/droid), or -1 */
} Image;

typedef struct Posting { uint32_t image, sig; } Posting;
typedef struct Postings { Posting *p; uint32_t n, cap; } Postings;

typedef struct Settings {
  int branch, depth, hamming, shortlist, min_inliers, train_descriptors;
  int norm;                  /* 0 sqrt(sum idf2), 1 sqrt(features), 2 none,
                             ** 3 as the wordindex table (wordindex.h) */
  int fuse_abs;              /* FUSE adds to min(score, 1), not score/best */
  int verify;                /* how many of the shortlist are verified */
  int verify_hamming;        /* Hamming gate of verification's correspondences */
  double fuse;               /* weight of the VLAD cosine in the score; 0: off */
  int full_only;             /* only the whole collection, not 1k and 5k */
  int verify_sift;           /* the first n of the shortlist that words do
                             ** not verify are matched by descriptors */
  int near;                  /* a query feature's words (multiple assignment) */
  int verify_near;           /* ... in verification */
  int near_top;              /* ... for the first this many of the list */
  double near_ratio;         /* ... within this ratio of the nearest's distance */
} Settings;

static Settings S;
static WordVocab V;

static double now(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec*1e-9;
}

static int env_int(const char *name, int dflt){
  const char *v = getenv(name);
  return v && v[0] ? atoi(v) : dflt;
}

static void *xmalloc(size_t n){
  void *p = malloc(n ? n : 1);
  if( p==0 ){ fprintf(stderr, "scale_eval: out of memory\n"); exit(1); }
  return p;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct Loaded {
  Image *img; int n;
  unsigned char **sift;      /* per image, its sift blob, until quantized */
  int *sift_bytes;
} Loaded;

static int parse_number_after(const char *path, const char *key){
  const char *p = strstr(path, key);
  return p ? atoi(p + strlen(key)) : -1;
}

static void load(const char *db_path, Loaded *out){
  sqlite3 *db;
  sqlite3_stmt *st;
  int cap = 1024;
  if( sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, 0) ){
    fprintf(stderr, "scale_eval: cannot open %s\n", db_path); exit(1);
  }
  if( sqlite3_prepare_v2(db, "SELECT i.path, f.sift FROM images i JOIN features f"
        " ON f.image_id = i.id WHERE i.status = 'ok' ORDER BY i.id", -1, &st, 0) ){
    fprintf(stderr, "scale_eval: %s: %s\n", db_path, sqlite3_errmsg(db)); exit(1);
  }
  out->n = 0;
  out->img = xmalloc(sizeof(Image)*cap);
  out->sift = xmalloc(sizeof(char*)*cap);
  out->sift_bytes = xmalloc(sizeof(int)*cap);
  while( sqlite3_step(st)==SQLITE_ROW ){
    const char *path = (const char*)sqlite3_column_text(st, 0);
    int bytes = sqlite3_column_bytes(st, 1);
    Image *im;
    if( out->n==cap ){
      cap *= 2;
      out->img = realloc(out->img, sizeof(Image)*cap);
      out->sift = realloc(out->sift, sizeof(char*)*cap);
      out->sift_bytes = realloc(out->sift_bytes, sizeof(int)*cap);
    }
    im = &out->img[out->n];
    memset(im, 0, sizeof(*im));
    im->path = strdup(path);
    out->sift[out->n] = xmalloc(bytes);
    memcpy(out->sift[out->n], sqlite3_column_blob(st, 1), bytes);
    out->sift_bytes[out->n] = bytes;
    im->distractor = strstr(path, "/distractors")!=0;
    im->group = strstr(path, "/ukbench/") ? parse_number_after(path, "/ukbench/ukbench")/4 : -1;
    im->dvd = -1;
    if( strstr(path, "/dvd_covers/") ){
      const char *slash = strrchr(path, '/');
      im->dvd = atoi(slash+1);
    }
    out->n++;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void parse_sift(const Loaded *L, int i, SiftBlob *b){
  if( sift_blob_parse(L->sift[i], L->sift_bytes[i], b, 0) ){
    fprintf(stderr, "scale_eval: bad sift blob for %s\n", L->img[i].path); exit(1);
  }
}

/* The collection's codebook and PCA (FUSE), read from its database. */
static VladCodebook CB;
static PcaModel PCA;
static int vlad_dims;
static void load_vlad_model(const char *db_path){
  sqlite3 *db;
  sqlite3_stmt *st;
  if( sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, 0)
   || sqlite3_prepare_v2(db, "SELECT codebook, (SELECT pca FROM projection) FROM codebook", -1, &st, 0)
   || sqlite3_step(st)!=SQLITE_ROW
   || vlad_codebook_parse(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), &CB, 0)
   || pca_model_parse(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &PCA, 0) ){
    fprintf(stderr, "scale_eval: FUSE needs the codebook and PCA of %s\n", db_path); exit(1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  vlad_dims = PCA.output_dims;
}

static float *image_vlad(const SiftBlob *b){
  float *full = xmalloc(sizeof(float)*CB.clusters*VLAD_DESCRIPTOR_DIMS);
  float *v = xmalloc(sizeof(float)*vlad_dims);
  if( !vlad_encode(&CB, b->descriptors, b->count, full) || !pca_project(&PCA, full, v) ){
    free(v); v = 0;
  }
  free(full);
  return v;
}

/* The words blob of b in orientation o with `near` words a feature, into
** *blob and *words. */
static void encode_words(const Image *im, const SiftBlob *b, int o, int near,
                         unsigned char **blob, WordsBlob *words){
  size_t n;
  *blob = words_blob_encode(&V, b, o, near, S.near_ratio, &n);
  if( *blob==0 || words_blob_parse(*blob, n, words, 0) ){
    fprintf(stderr, "scale_eval: words of %s failed\n", im->path); exit(1);
  }
}

/* Words blobs of every image, as is and mirrored, as img_words makes them;
** for a query (or a UKBench image, one too) also with NEAR and VERIFY_NEAR
** words a feature. */
static void quantize(Loaded *L, int queries){
  int i, j, o;
  for(i=0; i<L->n; i++){
    Image *im = &L->img[i];
    SiftBlob b;
    int query = queries || im->group>=0;
    parse_sift(L, i, &b);
    im->count = b.count;
    for(o=0; o<2; o++){
      encode_words(im, &b, o, 1, &im->blob[o], &im->words[o]);
      im->qblob[o] = im->vblob[o] = im->blob[o];
      im->qwords[o] = im->vwords[o] = im->words[o];
      if( S.near>1 && query ) encode_words(im, &b, o, S.near, &im->qblob[o], &im->qwords[o]);
      if( S.verify_near>1 && query ){
        encode_words(im, &b, o, S.verify_near, &im->vblob[o], &im->vwords[o]);
      }
    }
    if( S.fuse>0 ) im->vlad = image_vlad(&b);
    im->word = xmalloc(sizeof(uint32_t)*(im->count+1));
    for(j=0; j<im->count; j++){
      WordFeature f;
      words_blob_feature(&im->words[0], j, &f);
      im->word[j] = f.word;
    }
    if( S.verify_sift ){
      im->sift = L->sift[i];
      im->sift_bytes = L->sift_bytes[i];
    }else{
      free(L->sift[i]);
    }
    L->sift[i] = 0;
  }
}

/* The vocabulary, as img_vocab_train learns it: a hash sample of every
** descriptor of the collection (words.h). */
static void train(const Loaded *L){
  WordsTrainer *t = words_trainer_new(S.train_descriptors);
  int i;
  char *err = 0;
  double t0 = now();
  if( t==0 ){ fprintf(stderr, "scale_eval: out of memory\n"); exit(1); }
  for(i=0; i<L->n; i++){
    SiftBlob b;
    parse_sift(L, i, &b);
    if( words_trainer_add(t, b.descriptors, b.count) ){
      fprintf(stderr, "scale_eval: out of memory\n"); exit(1);
    }
  }
  if( words_trainer_finish(t, S.branch, S.depth, 0, &V, &err) ){
    fprintf(stderr, "scale_eval: training: %s\n", err ? err : "failed"); exit(1);
  }
  words_trainer_free(t);
  fprintf(stderr, "vocabulary: %lld words from a sample of %d descriptors in %.1f s\n",
          (long long)V.words, S.train_descriptors, now()-t0);
}

/* ---- the inverted file over a subset ------------------------------------------ */

typedef struct Index {
  const Loaded *L;
  char *member;              /* per collection image: in this subset */
  int members;
  Postings *lists;           /* per word */
  float *idf2;               /* per word */
  float *norm;               /* per image: sqrt(sum of idf2 of its features) */
} Index;

static void index_build(Index *x, const Loaded *L, int limit){
  int i, j, nondistractor = 0, distractors_left;
  memset(x, 0, sizeof(*x));
  x->L = L;
  x->member = xmalloc(L->n);
  for(i=0; i<L->n; i++) nondistractor += !L->img[i].distractor;
  distractors_left = limit - nondistractor;
  for(i=0; i<L->n; i++){
    x->member[i] = !L->img[i].distractor || distractors_left-- > 0;
    x->members += x->member[i];
  }
  x->lists = calloc(V.words, sizeof(Postings));
  x->idf2 = xmalloc(sizeof(float)*V.words);
  x->norm = xmalloc(sizeof(float)*L->n);
  for(i=0; i<L->n; i++){
    const Image *im = &L->img[i];
    if( !x->member[i] ) continue;
    for(j=0; j<im->count; j++){
      WordFeature f;
      Postings *p;
      words_blob_feature(&im->words[0], j, &f);
      p = &x->lists[f.word];
      if( p->n==p->cap ){
        p->cap = p->cap ? 2*p->cap : 4;
        p->p = realloc(p->p, sizeof(Posting)*p->cap);
      }
      p->p[p->n].image = (uint32_t)i;
      p->p[p->n].sig = f.signature;
      p->n++;
    }
  }
  for(j=0; j<V.words; j++){
    /* document frequency: distinct images in the list (sorted by image) */
    uint32_t df = 0, k, last = UINT32_MAX;
    for(k=0; k<x->lists[j].n; k++){
      if( x->lists[j].p[k].image!=last ){ df++; last = x->lists[j].p[k].image; }
    }
    x->idf2[j] = df ? (float)pow(log((double)x->members/df), 2) : 0.0f;
  }
  for(i=0; i<L->n; i++){
    double s = 0;
    const Image *im = &L->img[i];
    for(j=0; j<im->count; j++) s += x->idf2[im->word[j]];
    if( S.norm==1 || S.norm==3 ) s = im->count;
    if( S.norm==2 ) s = 1;
    x->norm[i] = s>0 ? (float)sqrt(s) : 1.0f;
  }
}

static void index_free(Index *x){
  int64_t j;
  for(j=0; j<V.words; j++) free(x->lists[j].p);
  free(x->lists); free(x->idf2); free(x->norm); free(x->member);
}

/* ---- one query ------------------------------------------------------------------ */

typedef struct Ranked { int image; float score; int inliers; int mirrored; } Ranked;

typedef struct Scratch {
  float *score, *mirrored;   /* votes of both orientations; of the mirror */
  uint32_t *stamp; int *touched;
} Scratch;

typedef struct Timing { double score, verify; int queries; } Timing;

static int by_score(const void *a, const void *b){
  const Ranked *x = a, *y = b;
  if( x->inliers!=y->inliers ) return y->inliers - x->inliers;
  if( x->score!=y->score ) return x->score<y->score ? 1 : -1;
  return x->image - y->image;
}

/* Inliers of q's orientation o against c: its words, then, if they find
** fewer than MIN_INLIERS, its words with VERIFY_NEAR words a feature (as
** search_words.c does). */
static int verify(const Image *q, const Image *c, int o, int position){
  int inliers = 0;
  if( words_match(&q->words[o], &c->words[0], S.verify_hamming, S.min_inliers, &inliers, 0, 0, 0) ){
    return 0;
  }
  if( inliers<S.min_inliers && S.verify_near>1 && position<S.near_top
   && words_match(&q->vwords[o], &c->words[0], S.verify_hamming, S.min_inliers, &inliers, 0, 0, 0) ){
    return 0;
  }
  return inliers;
}

/* Inliers of match_sift (descriptors, both orientations) of q against c. */
static int verify_sift(const Image *q, const Image *c){
  SiftBlob a, b;
  MatchResult r;
  if( sift_blob_parse(q->sift, q->sift_bytes, &a, 0)
   || sift_blob_parse(c->sift, c->sift_bytes, &b, 0)
   || match_sift(&a, &b, 0, &r, 0) ){
    return 0;
  }
  return r.inliers;
}

static float dot(const float *a, const float *b, int n){
  float s = 0; int i;
  for(i=0; i<n; i++) s += a[i]*b[i];
  return s;
}

/* FUSE: the shortlist's scores become score / the best score + FUSE x the
** VLAD cosine, and VLAD's own 10 nearest (brute force over the subset)
** join the list. */
static void fuse_vlad(const Index *x, const Image *q, Ranked *out, int *pn){
  int best[10], i, j, n = *pn;
  float best_cos[10], top = 1e-9f;
  for(j=0; j<10; j++){ best[j] = -1; best_cos[j] = -2; }
  for(i=0; i<x->L->n; i++){
    const Image *c = &x->L->img[i];
    float cs;
    if( !x->member[i] || !c->vlad ) continue;
    cs = dot(q->vlad, c->vlad, vlad_dims);
    if( cs>best_cos[9] ){
      for(j=9; j>0 && cs>best_cos[j-1]; j--){ best[j] = best[j-1]; best_cos[j] = best_cos[j-1]; }
      best[j] = i; best_cos[j] = cs;
    }
  }
  for(i=0; i<n; i++) if( out[i].score>top ) top = out[i].score;
  for(i=0; i<n; i++){
    const Image *c = &x->L->img[out[i].image];
    float words = S.fuse_abs ? (out[i].score<1.0f ? out[i].score : 1.0f) : out[i].score/top;
    out[i].score = words + (float)S.fuse*(c->vlad ? dot(q->vlad, c->vlad, vlad_dims) : 0.0f);
  }
  for(j=0; j<10 && best[j]>=0; j++){
    for(i=0; i<n && out[i].image!=best[j]; i++){}
    if( i<n ) continue;
    out[n].image = best[j]; out[n].inliers = 0; out[n].mirrored = 0;
    out[n].score = (float)S.fuse*best_cos[j];
    n++;
  }
  *pn = n;
}

/* Rank the subset for query q; out[0..n) best first (n <= shortlist). */
static int rank(const Index *x, const Image *q, Scratch *s, Ranked *out,
                Timing *t, int *shortlist_has, int truth_fn(const Image*, const Image*)){
  int o, i, nt = 0, n = 0;
  float qscale = 1.0f;
  double t0 = now(), t1;
  uint32_t stamp = 0;
  for(o=0; o<2; o++){
    for(i=0; i<q->qwords[o].count; i++){
      WordFeature f;
      const Postings *p;
      float w;
      uint32_t k;
      words_blob_feature(&q->qwords[o], i, &f);
      p = &x->lists[f.word];
      w = x->idf2[f.word];
      stamp++;
      for(k=0; k<p->n; k++){
        uint32_t im = p->p[k].image;
        if( __builtin_popcount(p->p[k].sig ^ f.signature)>S.hamming ) continue;
        if( s->stamp[im]==stamp ) continue;
        if( s->stamp[im]==0 && s->score[im]==0.0f ) s->touched[nt++] = (int)im;
        s->stamp[im] = stamp;
        s->score[im] += w;
        if( o ) s->mirrored[im] += w;
      }
    }
  }
  /* shortlist: the best by normalised score */
  if( S.norm==3 ){
    double qn = 0;
    for(i=0; i<q->count; i++){
      WordFeature f;
      words_blob_feature(&q->words[0], i, &f);
      qn += x->idf2[f.word];
    }
    qscale = qn>0 ? (float)(sqrt((double)q->count)/qn) : 0.0f;
  }
  for(i=0; i<nt; i++){
    int im = s->touched[i];
    float sc = s->score[im] / x->norm[im] * qscale;
    int mirrored = s->mirrored[im] > 0.5f*s->score[im];
    if( n<S.shortlist ){
      out[n].image = im; out[n].score = sc; out[n].inliers = 0; out[n].mirrored = mirrored; n++;
    }else{
      int worst = 0, j;
      for(j=1; j<n; j++) if( out[j].score<out[worst].score ) worst = j;
      if( sc>out[worst].score ){
        out[worst].image = im; out[worst].score = sc; out[worst].mirrored = mirrored;
      }
    }
    s->score[im] = 0.0f; s->mirrored[im] = 0.0f; s->stamp[im] = 0;
  }
  if( S.fuse>0 && q->vlad ) fuse_vlad(x, q, out, &n);
  t1 = now();
  t->score += t1-t0;
  *shortlist_has = 0;
  qsort(out, n, sizeof(Ranked), by_score);     /* by score: inliers are 0 */
  for(i=0; i<n; i++){
    const Image *c = &x->L->img[out[i].image];
    if( i<S.verify ){
      /* the orientation that gave most of the votes */
      int inliers = verify(q, c, out[i].mirrored, i);
      if( inliers<S.min_inliers && i<S.verify_sift ) inliers = verify_sift(q, c);
      out[i].inliers = inliers>=S.min_inliers ? inliers : 0;
    }
    if( truth_fn && truth_fn(q, c) ) *shortlist_has = 1;
  }
  t->verify += now()-t1;
  t->queries++;
  qsort(out, n, sizeof(Ranked), by_score);
  return n;
}

/* ---- the query sets -------------------------------------------------------------- */

typedef struct Copy { char edit[16]; char source[64]; int tune; } Copy;

static const char *EDITS[] = {"crop50","crop25","rot15","rot90","scale30","jpeg8","blur",
  "colour","grey","box40","mirror","perspective","border","combo"};
#define N_EDITS 14

static char copy_source[256];
static int is_copy_of(const Image *q, const Image *c){
  const char *slash;
  (void)q;
  slash = strrchr(c->path, '/');
  return slash && strcmp(slash+1, copy_source)==0 && !c->distractor
      && (strstr(c->path, "/dvd_covers/reference/") || strstr(c->path, "/ukbench/"));
}
static int phone_cover;
static int is_cover(const Image *q, const Image *c){
  (void)q;
  return c->dvd==phone_cover && strstr(c->path, "/reference/")!=0;
}

int main(int argc, char **argv){
  Loaded C, Q;
  FILE *list;
  char line[4096];
  int sizes[3] = {1000, 5000, 0}, si;
  Scratch s;
  Ranked *out;
  double t0;

  if( argc!=5 ){
    fprintf(stderr, "usage: scale_eval COLLECTION.db QUERIES.db COPIES_LIST DATA_DIR\n");
    return 2;
  }
  S.branch = env_int("BRANCH", 32);
  S.depth = env_int("DEPTH", 3);
  S.hamming = env_int("HAMMING", 11);
  S.shortlist = env_int("SHORTLIST", 50);
  S.min_inliers = env_int("MIN_INLIERS", 8);
  S.train_descriptors = env_int("TRAIN_DESCRIPTORS", WORDS_TRAIN_MAX_DESCRIPTORS);
  S.norm = env_int("NORM", 0);
  S.verify = env_int("VERIFY", 20);
  S.verify_hamming = env_int("VERIFY_HAMMING", WORDS_MATCH_HAMMING);
  S.fuse = getenv("FUSE") ? atof(getenv("FUSE")) : 0.0;
  S.full_only = env_int("FULL_ONLY", 0);
  S.verify_sift = env_int("VERIFY_SIFT", 0);
  S.fuse_abs = env_int("FUSE_ABS", 0);
  S.near = env_int("NEAR", 1);
  S.verify_near = env_int("VERIFY_NEAR", 1);
  S.near_top = env_int("NEAR_TOP", 1000000);
  S.near_ratio = getenv("NEAR_RATIO") ? atof(getenv("NEAR_RATIO")) : 1.2;

  t0 = now();
  load(argv[1], &C);
  if( S.fuse>0 ) load_vlad_model(argv[1]);
  load(argv[2], &Q);
  fprintf(stderr, "loaded %d collection images, %d queries in %.1f s\n", C.n, Q.n, now()-t0);
  train(&C);
  t0 = now();
  quantize(&C, 0);
  fprintf(stderr, "collection quantized in %.1f s (%.2f ms an image)\n", now()-t0, (now()-t0)*1e3/C.n);
  t0 = now();
  quantize(&Q, 1);
  fprintf(stderr, "queries quantized in %.1f s (%.2f ms a query, both orientations)\n",
          now()-t0, (now()-t0)*1e3/Q.n);

  s.score = calloc(C.n, sizeof(float));
  s.mirrored = calloc(C.n, sizeof(float));
  s.stamp = calloc(C.n, sizeof(uint32_t));
  s.touched = xmalloc(sizeof(int)*C.n);
  out = xmalloc(sizeof(Ranked)*(S.shortlist+11));
  sizes[2] = C.n;

  printf("settings: branch %d, depth %d (%lld words), Hamming <= %d of 32, shortlist %d, "
         "verified %d (Hamming <= %d; by descriptors %d), min inliers %d, norm %d, fuse %.2f, "
         "query words a feature %d, in verification %d (ratio %.2f)\n\n", S.branch, S.depth,
         (long long)V.words, S.hamming, S.shortlist, S.verify, S.verify_hamming, S.verify_sift, S.min_inliers, S.norm,
         S.fuse, S.near, S.verify_near, S.near_ratio);
  printf("| images | copies R@1 (report half) | tune half | shortlist recall | false verified top-1 "
         "| wrong verified in list | UKBench N-S | DVD phone R@1 | ms score | ms verify |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for(si=0; si<3; si++){
    Index x;
    Timing t = {0, 0, 0};
    int hit[2][N_EDITS] = {{0}}, total[2][N_EDITS] = {{0}};
    int shortlisted = 0, copies = 0, false_top = 0, wrong_verified = 0;
    double ns = 0, ns_half[2] = {0, 0}; int ns_n = 0, ns_half_n[2] = {0, 0};
    int phone_hit = 0, phone_n = 0, phone_half_hit[2] = {0, 0}, phone_half_n[2] = {0, 0};
    int i, e;
    if( si<2 && (sizes[si]>=C.n || S.full_only) ) continue;
    index_build(&x, &C, sizes[si]);
    /* copies */
    list = fopen(argv[3], "r");
    if( !list ){ fprintf(stderr, "scale_eval: cannot read %s\n", argv[3]); return 1; }
    while( fgets(line, sizeof(line), list) ){
      char edit[64], source[256], path[4096];
      const Image *q = 0;
      int qi, n, has, tune, num;
      if( sscanf(line, "%63[^\t]\t%255[^\t]\t%4095[^\n]", edit, source, path)!=3 ) continue;
      for(qi=0; qi<Q.n; qi++){
        size_t lq = strlen(Q.img[qi].path), lp = strlen(path);
        if( lq>=lp && strcmp(Q.img[qi].path + lq - lp, path)==0 ){ q = &Q.img[qi]; break; }
      }
      if( q==0 ) continue;
      for(e=0; e<N_EDITS && strcmp(EDITS[e], edit); e++){}
      if( e==N_EDITS ) continue;
      snprintf(copy_source, sizeof(copy_source), "%s", source);
      num = strncmp(source, "ukbench", 7)==0 ? atoi(source+7)/4 : atoi(source);
      tune = num<50;
      n = rank(&x, q, &s, out, &t, &has, is_copy_of);
      total[tune][e]++;
      if( n>0 && is_copy_of(q, &C.img[out[0].image]) ) hit[tune][e]++;
      else if( n>0 && out[0].inliers>0 ) false_top += !tune;
      for(i=0; i<n; i++){
        const Image *c = &C.img[out[i].image];
        if( out[i].inliers>0 && !is_copy_of(q, c) && !(c->group>=0 && c->group==num && strncmp(source,"ukbench",7)==0) ){
          wrong_verified += !tune;
          if( getenv("SHOW_WRONG") ) fprintf(stderr, "wrong: %s -> %s (%d inliers, rank %d)\n", q->path, c->path, out[i].inliers, i+1);
        }
      }
      if( !tune ){ shortlisted += has; copies++; }
    }
    fclose(list);
    /* DVD phone photos */
    for(i=0; i<Q.n; i++){
      const Image *q = &Q.img[i];
      int n, has;
      if( !(strstr(q->path, "/canon/") || strstr(q->path, "/droid/")) ) continue;
      phone_cover = q->dvd;
      n = rank(&x, q, &s, out, &t, &has, is_cover);
      phone_n++;
      phone_half_n[q->dvd<50]++;
      if( n>0 && is_cover(q, &C.img[out[0].image]) ){ phone_hit++; phone_half_hit[q->dvd<50]++; }
      else if( getenv("SHOW_WRONG") ){
        int r;
        for(r=0; r<n && !is_cover(q, &C.img[out[r].image]); r++){}
        fprintf(stderr, "phone miss: %s (%d features): cover at rank %d (%d inliers); top %s (%d inliers)\n",
                q->path, q->count, r<n ? r+1 : 0, r<n ? out[r].inliers : 0,
                n>0 ? C.img[out[0].image].path : "-", n>0 ? out[0].inliers : 0);
      }
    }
    /* UKBench N-S: the collection's own ukbench photos as queries */
    for(i=0; i<C.n; i++){
      const Image *q = &C.img[i];
      int n, has, k, good = 0;
      if( q->group<0 ) continue;
      n = rank(&x, q, &s, out, &t, &has, 0);
      for(k=0; k<n && k<4; k++) good += C.img[out[k].image].group==q->group;
      ns += good; ns_n++;
      ns_half[q->group<50] += good; ns_half_n[q->group<50]++;
    }
    {
      int ht = 0, tt = 0, hr = 0, tr = 0;
      for(e=0; e<N_EDITS; e++){ hr += hit[0][e]; tr += total[0][e]; ht += hit[1][e]; tt += total[1][e]; }
      printf("| %d | %.3f (%d/%d) | %.3f | %.3f | %d | %d | %.3f | %.3f (%d) | %.1f | %.1f |\n",
             x.members, tr ? (double)hr/tr : 0, hr, tr, tt ? (double)ht/tt : 0,
             copies ? (double)shortlisted/copies : 0, false_top, wrong_verified,
             ns_n ? ns/ns_n : 0, phone_n ? (double)phone_hit/phone_n : 0, phone_n,
             t.score*1e3/t.queries, t.verify*1e3/t.queries);
      printf("\nby half (tune: dvd covers 001-049, ukbench objects 0-49): DVD phone R@1 report %.3f (%d)"
             ", tune %.3f (%d); UKBench N-S report %.3f (%d), tune %.3f (%d)\n",
             phone_half_n[0] ? (double)phone_half_hit[0]/phone_half_n[0] : 0, phone_half_n[0],
             phone_half_n[1] ? (double)phone_half_hit[1]/phone_half_n[1] : 0, phone_half_n[1],
             ns_half_n[0] ? ns_half[0]/ns_half_n[0] : 0, ns_half_n[0],
             ns_half_n[1] ? ns_half[1]/ns_half_n[1] : 0, ns_half_n[1]);
      if( si==2 ){
        printf("\nper edit, %d images (report half | tune half):\n\n| edit |", x.members);
        for(e=0; e<N_EDITS; e++) printf(" %s |", EDITS[e]);
        printf("\n|---|");
        for(e=0; e<N_EDITS; e++) printf("---|");
        printf("\n| R@1 report |");
        for(e=0; e<N_EDITS; e++) printf(" %.2f |", total[0][e] ? (double)hit[0][e]/total[0][e] : 0);
        printf("\n| R@1 tune |");
        for(e=0; e<N_EDITS; e++) printf(" %.2f |", total[1][e] ? (double)hit[1][e]/total[1][e] : 0);
        printf("\n");
      }
    }
    fflush(stdout);
    index_free(&x);
  }
  return 0;
}
