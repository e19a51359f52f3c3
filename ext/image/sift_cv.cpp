/*
** sift_cv.cpp — the only C++ file: OpenCV SIFT and RANSAC homography
** behind sift_cv.h.
**
** Owns: every call into OpenCV, and turning every C++ exception into an
** SQLite result code plus a message (error.h's convention: error_set, a
** sqlite3_mprintf() string for the caller).  No exception leaves an
** extern "C" function.
**
** May call: OpenCV (core, imgproc, features2d, calib3d), error.h
** (error_set), sqlite3_malloc64 / sqlite3_free through sqlite3ext.h.
**
** Descriptors are asked of OpenCV as CV_8U: OpenCV computes the float
** descriptor and stores saturate_cast<uchar>() of it, i.e. rounded and
** clamped to 0..255, the same integers its CV_32F output holds.  Lossless.
*/
/* error.h declares SQLite's API pointer (SQLITE_EXTENSION_INIT3) in C
** linkage, as the C files and the entry point have it. */
#include "error.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <numeric>
#include <vector>

#include <cmath>

#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>

#include "sift_cv.h"

namespace {

/* Retried in this order while too few keypoints are found (see header). */
const double kContrastThresholds[] = {0.04, 0.02, 0.01, 0.005};

/* error_set with a fixed prefix and an optional detail (an exception's
** what()); returns rc. */
int sift_set_error(char **pzErr, int rc, const char *zPrefix,
                   const char *zDetail = nullptr){
  return error_set(pzErr, rc, "%s%s", zPrefix, zDetail ? zDetail : "");
}

/* A total order on detected features, so that output never depends on the
** order OpenCV's worker threads happened to produce them.  Ties on every
** keypoint field fall back to the descriptor bytes. */
struct SiftOrder {
  const std::vector<cv::KeyPoint> &kps;
  const cv::Mat &desc;
  bool operator()(int a, int b) const {
    const cv::KeyPoint &p = kps[a], &q = kps[b];
    if( p.response!=q.response ) return p.response>q.response;
    if( p.pt.y!=q.pt.y ) return p.pt.y<q.pt.y;
    if( p.pt.x!=q.pt.x ) return p.pt.x<q.pt.x;
    if( p.size!=q.size ) return p.size<q.size;
    if( p.angle!=q.angle ) return p.angle<q.angle;
    if( p.octave!=q.octave ) return p.octave<q.octave;
    return std::memcmp(desc.ptr(a), desc.ptr(b), SIFT_DESCRIPTOR_BYTES)<0;
  }
};

/* max_features (0 = all) is handed to OpenCV so that it computes
** descriptors only for the strongest keypoints: on a 1024-px photo that is
** 1000 of several thousand, most of SIFT's time.  Its trimming
** (KeyPointsFilter::retainBest) keeps every keypoint whose response ties
** the last one kept, so the kept set does not depend on thread timing;
** sift_extract_checked then sorts it and trims to exactly max_features.
** Other parameters are Lowe's defaults. */
void sift_detect(const cv::Mat &img, int max_features,
                 double contrast_threshold,
                 std::vector<cv::KeyPoint> &kps, cv::Mat &desc){
  cv::Ptr<cv::SIFT> sift = cv::SIFT::create(max_features, 3,
                                            contrast_threshold, 10.0, 1.6,
                                            CV_8U);
  kps.clear();
  desc.release();
  sift->detectAndCompute(img, cv::noArray(), kps, desc);
}

/* Copy the chosen features into sqlite3_malloc64 arrays.  SQLITE_NOMEM on
** allocation failure, with *out left zeroed. */
int sift_copy_out(const std::vector<cv::KeyPoint> &kps, const cv::Mat &desc,
                  const std::vector<int> &order, int count, SiftFeatures *out){
  if( count==0 ) return SQLITE_OK;
  SiftKeypoint *k = static_cast<SiftKeypoint*>(
      sqlite3_malloc64(sizeof(SiftKeypoint)*static_cast<sqlite3_uint64>(count)));
  unsigned char *d = static_cast<unsigned char*>(
      sqlite3_malloc64(static_cast<sqlite3_uint64>(SIFT_DESCRIPTOR_BYTES)*count));
  if( k==nullptr || d==nullptr ){
    sqlite3_free(k);
    sqlite3_free(d);
    return SQLITE_NOMEM;
  }
  for(int i=0; i<count; i++){
    const cv::KeyPoint &p = kps[order[i]];
    k[i].x = p.pt.x;
    k[i].y = p.pt.y;
    k[i].size = p.size;
    k[i].angle = p.angle;
    k[i].response = p.response;
    std::memcpy(d + static_cast<size_t>(i)*SIFT_DESCRIPTOR_BYTES,
                desc.ptr(order[i]), SIFT_DESCRIPTOR_BYTES);
  }
  out->count = count;
  out->keypoints = k;
  out->descriptors = d;
  return SQLITE_OK;
}

int sift_extract_checked(const unsigned char *pixels, int width, int height,
                         int stride, int max_features, SiftFeatures *out,
                         char **pzErr){
  /* Wraps the caller's pixels; OpenCV only reads them. */
  const cv::Mat img(height, width, CV_8UC1,
                    const_cast<unsigned char*>(pixels),
                    static_cast<size_t>(stride));
  const size_t wanted = max_features>0
      ? std::min<size_t>(SIFT_MIN_KEYPOINTS, static_cast<size_t>(max_features))
      : SIFT_MIN_KEYPOINTS;

  std::vector<cv::KeyPoint> kps;
  cv::Mat desc;
  double used = 0.0;
  for(double threshold : kContrastThresholds){
    sift_detect(img, max_features, threshold, kps, desc);
    used = threshold;
    if( kps.size()>=wanted ) break;
  }
  if( !kps.empty() && (desc.type()!=CV_8UC1
        || desc.cols!=SIFT_DESCRIPTOR_BYTES
        || static_cast<size_t>(desc.rows)!=kps.size()) ){
    return sift_set_error(pzErr, SQLITE_ERROR, "OpenCV SIFT returned "
                          "descriptors of an unexpected shape");
  }

  std::vector<int> order(kps.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), SiftOrder{kps, desc});
  size_t count = order.size();
  if( max_features>0 && count>static_cast<size_t>(max_features) ){
    count = static_cast<size_t>(max_features);
  }
  /* Never near this in practice; the struct holds an int count. */
  if( count>static_cast<size_t>(INT32_MAX/SIFT_DESCRIPTOR_BYTES) ){
    return sift_set_error(pzErr, SQLITE_TOOBIG,
                          "too many SIFT features to return");
  }
  int rc = sift_copy_out(kps, desc, order, static_cast<int>(count), out);
  if( rc!=SQLITE_OK ){
    return sift_set_error(pzErr, rc, "out of memory copying SIFT features");
  }
  out->contrast_threshold = used;
  return SQLITE_OK;
}

}  // namespace

extern "C" int sift_extract(const unsigned char *pixels, int width,
                            int height, int stride, int max_features,
                            SiftFeatures *out, char **pzErr){
  if( pzErr ) *pzErr = nullptr;
  if( out==nullptr ){
    return sift_set_error(pzErr, SQLITE_MISUSE,
                          "sift_extract: no output struct");
  }
  std::memset(out, 0, sizeof(*out));
  if( pixels==nullptr || width<=0 || height<=0 || stride<width
   || max_features<0 ){
    return error_set(pzErr, SQLITE_MISUSE, "sift_extract: bad image "
                     "arguments: %dx%d, stride %d, max_features %d",
                     width, height, stride, max_features);
  }
  try{
    return sift_extract_checked(pixels, width, height, stride, max_features,
                                out, pzErr);
  }catch(const cv::Exception &e){
    return sift_set_error(pzErr, SQLITE_ERROR, "OpenCV SIFT failed: ",
                          e.what());
  }catch(const std::bad_alloc &){
    return sift_set_error(pzErr, SQLITE_NOMEM,
                          "out of memory in OpenCV SIFT");
  }catch(const std::exception &e){
    return sift_set_error(pzErr, SQLITE_ERROR, "SIFT failed: ", e.what());
  }catch(...){
    return sift_set_error(pzErr, SQLITE_ERROR,
                          "SIFT failed with an unknown C++ exception");
  }
}

extern "C" void sift_features_free(SiftFeatures *f){
  if( f==nullptr ) return;
  sqlite3_free(f->keypoints);
  sqlite3_free(f->descriptors);
  std::memset(f, 0, sizeof(*f));
}

/* ---- geometric verification: RANSAC homography --------------------------- */

namespace {

int sift_homography_checked(const float *src_xy, const float *dst_xy,
                            int count, double threshold, double homography[9],
                            unsigned char *inlier_mask, int *inlier_count){
  /* Wrap the caller's arrays as count x 1 two-channel matrices; OpenCV only
  ** reads them. */
  const cv::Mat src(count, 1, CV_32FC2, const_cast<float*>(src_xy));
  const cv::Mat dst(count, 1, CV_32FC2, const_cast<float*>(dst_xy));
  cv::Mat mask;
  cv::Mat h = cv::findHomography(src, dst, cv::RANSAC, threshold, mask);
  if( h.empty() || h.rows!=3 || h.cols!=3 || h.type()!=CV_64F ) return SQLITE_OK;
  if( mask.type()!=CV_8U || mask.total()!=static_cast<size_t>(count) ){
    return SQLITE_OK;   /* not what OpenCV documents: treat as no model */
  }
  for(int i=0; i<9; i++){
    const double v = h.at<double>(i/3, i%3);
    if( !std::isfinite(v) ) return SQLITE_OK;
  }
  int inliers = 0;
  for(int i=0; i<count; i++){
    const unsigned char in = mask.at<unsigned char>(i) ? 1 : 0;
    if( inlier_mask ) inlier_mask[i] = in;
    inliers += in;
  }
  for(int i=0; i<9; i++) homography[i] = h.at<double>(i/3, i%3);
  *inlier_count = inliers;
  return SQLITE_OK;
}

}  // namespace

extern "C" int sift_homography_ransac(const float *src_xy,
                                      const float *dst_xy, int count,
                                      double reprojection_threshold,
                                      double homography[9],
                                      unsigned char *inlier_mask,
                                      int *inlier_count,
                                      char **pzErr){
  if( pzErr ) *pzErr = nullptr;
  if( homography==nullptr || inlier_count==nullptr || count<0
   || (count>0 && (src_xy==nullptr || dst_xy==nullptr))
   || !(reprojection_threshold>0.0) ){
    return sift_set_error(pzErr, SQLITE_MISUSE,
                          "sift_homography_ransac: bad arguments");
  }
  for(int i=0; i<9; i++) homography[i] = 0.0;
  *inlier_count = 0;
  if( inlier_mask && count>0 ) std::memset(inlier_mask, 0, static_cast<size_t>(count));
  for(int i=0; i<2*count; i++){
    if( !std::isfinite(src_xy[i]) || !std::isfinite(dst_xy[i]) ){
      return sift_set_error(pzErr, SQLITE_MISUSE, "sift_homography_ransac: "
                            "a point coordinate is not finite");
    }
  }
  if( count<SIFT_HOMOGRAPHY_MIN_PAIRS ) return SQLITE_OK;
  try{
    return sift_homography_checked(src_xy, dst_xy, count,
                                   reprojection_threshold, homography,
                                   inlier_mask, inlier_count);
  }catch(const cv::Exception &e){
    return sift_set_error(pzErr, SQLITE_ERROR,
                          "OpenCV findHomography failed: ", e.what());
  }catch(const std::bad_alloc &){
    return sift_set_error(pzErr, SQLITE_NOMEM,
                          "out of memory in OpenCV findHomography");
  }catch(const std::exception &e){
    return sift_set_error(pzErr, SQLITE_ERROR, "findHomography failed: ",
                          e.what());
  }catch(...){
    return sift_set_error(pzErr, SQLITE_ERROR, "findHomography failed with "
                          "an unknown C++ exception");
  }
}
