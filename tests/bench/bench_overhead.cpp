/*
** bench_overhead.cpp — img_sift against OpenCV called directly, on the same
** image bytes, interleaved, so both see the same machine load.
** Prints markdown tables; asserts nothing.
**
**   make B=build bench-overhead       (builds build/bench/bench_overhead)
**   build/bench/bench_overhead EXT DATA [N]
**
** EXT  build/imgsearch.so    DATA ../shared/data    N images per set (100)
**
** Per image, in alternating order (a b, then b a for the next image):
**   (a) SELECT img_sift(?) through SQLite with the extension loaded: the
**       product, defaults (1000 features, working size 1024);
**   (b) what a user of OpenCV would write: cv::imdecode(IMREAD_GRAYSCALE)
**       of the same bytes, cv::resize(INTER_AREA) so the longest side is
**       1024, cv::SIFT::create(1000) (other parameters OpenCV's defaults,
**       which are also ours), detectAndCompute.
** Then (a) is broken down by calling the extension's own code (image.c,
** sift_cv.cpp, sift_blob.c, compiled into this program) step by step:
** decode to grey at full size, area downscale, sift_extract, blob encode.
**
** Times are wall-clock ms (OpenCV runs SIFT on all cores, so process CPU
** would count other threads; wall is what a user waits for).  Reported:
** medians over the images of each set, and the median of the per-image
** ratios (a)/(b).
*/
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

extern "C" {
#include "image/image.h"
#include "image/sift_blob.h"
#include "image/sift_cv.h"
}

namespace {

const int kWorkingSide = IMAGE_DEFAULT_MAX_SIDE;
const int kFeatures = 1000;

double now_ms(){
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v){
  if( v.empty() ) return 0.0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n%2 ? v[n/2] : 0.5*(v[n/2-1] + v[n/2]);
}

std::vector<unsigned char> read_bytes(const std::string &path){
  std::ifstream f(path, std::ios::binary);
  if( !f ){
    std::fprintf(stderr, "bench_overhead: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), {});
}

/* (a): one SELECT img_sift(?); returns ms, sets *keypoints. */
double time_sql(sqlite3_stmt *st, const std::vector<unsigned char> &bytes,
                int *keypoints){
  double t0 = now_ms();
  sqlite3_bind_blob(st, 1, bytes.data(), (int)bytes.size(), SQLITE_STATIC);
  if( sqlite3_step(st)!=SQLITE_ROW ){
    std::fprintf(stderr, "bench_overhead: img_sift: %s\n",
                 sqlite3_errmsg(sqlite3_db_handle(st)));
    std::exit(1);
  }
  double t = now_ms() - t0;
  SiftBlob blob;
  char *zErr = nullptr;
  if( sift_blob_parse(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0),
                      &blob, &zErr)!=SQLITE_OK ){
    std::fprintf(stderr, "bench_overhead: %s\n", zErr);
    std::exit(1);
  }
  *keypoints = blob.count;
  sqlite3_reset(st);
  return t;
}

struct OpenCvTimes { double decode, resize, sift, total; int keypoints; };

/* (b): OpenCV the obvious way. */
OpenCvTimes time_opencv(const std::vector<unsigned char> &bytes){
  OpenCvTimes t;
  double t0 = now_ms();
  cv::Mat grey = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
  double t1 = now_ms();
  if( grey.empty() ){
    std::fprintf(stderr, "bench_overhead: cv::imdecode failed\n");
    std::exit(1);
  }
  int longest = std::max(grey.cols, grey.rows);
  if( longest>kWorkingSide ){
    cv::Mat small;
    cv::Size size((int)std::lround((double)grey.cols*kWorkingSide/longest),
                  (int)std::lround((double)grey.rows*kWorkingSide/longest));
    cv::resize(grey, small, size, 0, 0, cv::INTER_AREA);
    grey = small;
  }
  double t2 = now_ms();
  cv::Ptr<cv::SIFT> sift = cv::SIFT::create(kFeatures);
  std::vector<cv::KeyPoint> kps;
  cv::Mat desc;
  sift->detectAndCompute(grey, cv::noArray(), kps, desc);
  double t3 = now_ms();
  t.decode = t1 - t0;
  t.resize = t2 - t1;
  t.sift = t3 - t2;
  t.total = t3 - t0;
  t.keypoints = (int)kps.size();
  return t;
}

struct StepTimes { double decode, downscale, sift, encode; };

/* (a) step by step with the extension's own functions. */
StepTimes time_steps(const std::vector<unsigned char> &bytes){
  StepTimes t;
  ImageLimits full;
  image_limits_default(&full);
  full.max_side = 0;
  GreyImage grey;
  char *zErr = nullptr;
  double t0 = now_ms();
  if( image_decode_grey(bytes.data(), bytes.size(), &full, &grey, &zErr)!=SQLITE_OK ){
    std::fprintf(stderr, "bench_overhead: decode: %s\n", zErr);
    std::exit(1);
  }
  double t1 = now_ms();
  int longest = std::max(grey.width, grey.height), w = grey.width, h = grey.height;
  std::vector<unsigned char> small;
  const unsigned char *pixels = grey.pixels;
  if( longest>kWorkingSide ){
    w = (int)(((long long)grey.width*kWorkingSide + longest/2)/longest);
    h = (int)(((long long)grey.height*kWorkingSide + longest/2)/longest);
    small.resize((size_t)w*h);
    image_area_downscale(grey.pixels, grey.width, grey.height, grey.width,
                         small.data(), w, h);
    pixels = small.data();
  }
  double t2 = now_ms();
  SiftFeatures features;
  char *zSiftErr = nullptr;
  if( sift_extract(pixels, w, h, w, kFeatures, &features, &zSiftErr)!=SQLITE_OK ){
    std::fprintf(stderr, "bench_overhead: sift_extract: %s\n",
                 zSiftErr ? zSiftErr : "out of memory");
    std::exit(1);
  }
  double t3 = now_ms();
  size_t n = 0;
  unsigned char *blob = sift_blob_encode(grey.width, grey.height, features.count,
                                         features.keypoints, features.descriptors, &n);
  double t4 = now_ms();
  sqlite3_free(blob);
  sift_features_free(&features);
  image_grey_free(&grey);
  t.decode = t1 - t0;
  t.downscale = t2 - t1;
  t.sift = t3 - t2;
  t.encode = t4 - t3;
  return t;
}

struct ImageSet { const char *label, *pattern; };

}  // namespace

int main(int argc, char **argv){
  if( argc<3 ){
    std::fprintf(stderr, "usage: %s EXT DATA [N]\n", argv[0]);
    return 2;
  }
  const char *ext = argv[1];
  const std::string data = argv[2];
  const int per_set = argc>3 ? std::atoi(argv[3]) : 100;
  sqlite3 *db;
  char *err = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, ext, nullptr, &err)!=SQLITE_OK ){
    std::fprintf(stderr, "bench_overhead: %s\n", err);
    return 1;
  }
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "SELECT img_sift(?)", -1, &st, nullptr);

  const ImageSet sets[] = {
    {"UKBench 640×480 JPEG", "ukbench/ukbench%05d.jpg"},
    {"DVD phone photos (canon) ≤1280 px JPEG", "dvd_covers/canon/%03d.jpg"},
  };
  std::printf("### img_sift vs OpenCV directly (%d threads, OpenCV %s, SQLite %s)\n\n",
              cv::getNumThreads(), CV_VERSION, sqlite3_libversion());
  std::printf("Median ms per image. (a) `SELECT img_sift(?)`; (b) imdecode grey + resize "
              "INTER_AREA to 1024 + SIFT::create(1000).detectAndCompute; ratio = median of "
              "per-image (a)/(b). Breakdown of (a) by the extension's own functions.\n\n");
  std::printf("| images | n | (a) img_sift | (b) OpenCV | ratio (a)/(b) | keypoints (a) / (b) "
              "| (a) decode | downscale | SIFT | blob | (b) imdecode | resize | SIFT |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for(const ImageSet &set : sets){
    std::vector<double> a, b, ratio, dec, down, sift, enc, bdec, bres, bsift, ka, kb;
    for(int i=0; i<per_set; i++){
      char rel[256];
      int number = set.pattern[0]=='u' ? i : i+1;
      std::snprintf(rel, sizeof(rel), set.pattern, number);
      std::vector<unsigned char> bytes = read_bytes(data + "/" + rel);
      int keypoints = 0;
      double ta;
      OpenCvTimes tb;
      if( i%2==0 ){
        ta = time_sql(st, bytes, &keypoints);
        tb = time_opencv(bytes);
      }else{
        tb = time_opencv(bytes);
        ta = time_sql(st, bytes, &keypoints);
      }
      StepTimes steps = time_steps(bytes);
      a.push_back(ta);
      b.push_back(tb.total);
      ratio.push_back(ta/tb.total);
      ka.push_back(keypoints);
      kb.push_back(tb.keypoints);
      dec.push_back(steps.decode);
      down.push_back(steps.downscale);
      sift.push_back(steps.sift);
      enc.push_back(steps.encode);
      bdec.push_back(tb.decode);
      bres.push_back(tb.resize);
      bsift.push_back(tb.sift);
    }
    std::printf("| %s | %d | %.1f | %.1f | %.3f | %.0f / %.0f | %.1f | %.1f | %.1f | %.2f "
                "| %.1f | %.1f | %.1f |\n", set.label, per_set, median(a), median(b),
                median(ratio), median(ka), median(kb), median(dec), median(down),
                median(sift), median(enc), median(bdec), median(bres), median(bsift));
    std::fflush(stdout);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return 0;
}
