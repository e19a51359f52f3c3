/*
** test_copy_tier.c — unit test of shell/copy_tier.c: reading a words
** match, the confidence, the relation's name and the frames outlined.
**
**   make build/tests/test_copy_tier && build/tests/test_copy_tier
**
** Prints "ok - what" or "not ok - what (why)" per case (testlib.h).
*/
#include <math.h>

#include "../../shell/copy_tier.h"
#include "../sql/testlib.h"

/* A match of n inliers, error e, with H = h (row-major). */
static CopyMatch match_of(int n, double e, int mirrored, const double h[9]){
  CopyMatch m;
  m.inliers = n;
  m.error = e;
  m.mirrored = mirrored;
  memcpy(m.h, h, sizeof(m.h));
  return m;
}

/* 1 if xy is the four points want, each within 1e-9. */
static int frame_is(const double xy[8], const double want[8]){
  int i;
  for(i=0; i<8; i++) if( fabs(xy[i]-want[i])>1e-9 ) return 0;
  return 1;
}

static void test_parse(void){
  CopyMatch m;
  int n = copy_match_parse("{\"inliers\":42,\"homography\":[2,0,10,0,2,20,0,0,1],\"error\":0.125}", &m);
  check(n==42 && m.inliers==42 && m.h[0]==2 && m.h[2]==10 && m.h[5]==20 && m.h[8]==1 && m.error==0.125,
        "parse: inliers, homography and error of img_words_match_json (%d %g %g %g)", n, m.h[0], m.h[5], m.error);
  check(copy_match_parse("{\"inliers\":0,\"homography\":null}", &m)==0 && m.inliers==0,
        "parse: no match is 0 inliers (%d)", m.inliers);
  check(copy_match_parse("{\"inliers\":5,\"homography\":[1,2]}", &m)==0
     && copy_match_parse("not json", &m)==0 && copy_match_parse(0, &m)==0,
        "parse: a short homography, other text and NULL are no match (%d)", m.inliers);
}

static void test_confidence(void){
  const double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const double moved[9] = {0.9, 0, 30, 0, 0.9, 20, 0, 0, 1};
  const CopyImage a = {400, 300, 400}, b = {400, 300, 500}, many = {400, 300, 3000};
  const CopyImage many_too = {400, 300, 2000};
  const CopyImage unknown = {0, 0, 400};
  CopyMatch exact = match_of(200, 0.01, 0, id), rough = match_of(200, 2.0, 0, id);
  CopyMatch few = match_of(20, 0.01, 0, id), none = match_of(0, 0, 0, id);
  CopyMatch elsewhere = match_of(200, 0.01, 0, moved);
  double p_exact = copy_confidence(&exact, &a, &b), p_rough = copy_confidence(&rough, &a, &b);
  double p_few = copy_confidence(&few, &a, &b), p_many = copy_confidence(&exact, &many_too, &many);
  double p_moved = copy_confidence(&elsewhere, &a, &b), p_unknown = copy_confidence(&exact, &unknown, &b);
  check(p_exact>0.9 && p_exact<1, "confidence: half the features fit the same frame to 0.1 px: a copy (%g)",
        p_exact);
  check(p_rough<p_exact && p_few<p_exact,
        "confidence: falls with the error and with fewer inliers (%g %g %g)", p_exact, p_rough, p_few);
  check(p_many<p_exact, "confidence: the same inliers among more features are less (%g)", p_many);
  check(p_moved<p_exact && p_unknown<p_moved,
        "confidence: falls when H moves the frame, lowest when a size is unknown (%g %g)",
        p_moved, p_unknown);
  check(copy_confidence(&none, &a, &b)==0, "confidence: 0 without inliers (%g)",
        copy_confidence(&none, &a, &b));
}

static void test_describe(void){
  static const struct {
    const char *zWhat;
    double h[9];
    int mirrored, wa, ha, wb, hb;
    double confidence, min_confidence;
    const char *zWant;
  } cases[] = {
    { "the same frame", {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 100, 80, 100, 80, 0.9, 0.5,
      "same image 90%: 40 inliers" },
    { "half the size", {2, 0, 0, 0, 2, 0, 0, 0, 1}, 0, 50, 40, 100, 80, 0.9, 0.5,
      "same image 90%: 50% size, 40 inliers" },
    { "a crop of a quarter", {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 50, 40, 100, 80, 0.9, 0.5,
      "edited copy 90%: crop 25%, 40 inliers" },
    { "the other is the crop", {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 100, 80, 50, 40, 0.9, 0.5,
      "edited copy 90%: wider: the other is a 25% crop, 40 inliers" },
    { "mirrored", {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1, 100, 80, 100, 80, 0.9, 0.5,
      "edited copy 90%: mirrored, 40 inliers" },
    { "turned", {0, -1, 99, 1, 0, 0, 0, 0, 1}, 0, 80, 100, 100, 80, 0.9, 0.5,
      "edited copy 90%: turned 90°, 40 inliers" },
    { "below the threshold, similar", {0, -1, 99, 1, 0, 0, 0, 0, 1}, 0, 80, 100, 100, 80, 0.2, 0.5,
      "similar 20%, 40 inliers" },
    { "the threshold is the caller's", {0, -1, 99, 1, 0, 0, 0, 0, 1}, 0, 80, 100, 100, 80, 0.2, 0.1,
      "edited copy 20%: turned 90°, 40 inliers" },
  };
  size_t i;
  for(i=0; i<sizeof(cases)/sizeof(cases[0]); i++){
    CopyMatch m = match_of(40, 0.01, cases[i].mirrored, cases[i].h);
    CopyImage a = {cases[i].wa, cases[i].ha, 0}, b = {cases[i].wb, cases[i].hb, 0};
    char z[120];
    copy_describe(&m, cases[i].confidence, cases[i].min_confidence, &a, &b, z, sizeof(z));
    check(strcmp(z, cases[i].zWant)==0, "describe: %s (%s)", cases[i].zWhat, z);
  }
}

static void test_frames(void){
  const double twice[9] = {2, 0, 0, 0, 2, 0, 0, 0, 1};
  const double a_in_b[8] = {0, 0, 100, 0, 100, 80, 0, 80};
  const double b_in_a[8] = {0, 0, 100, 0, 100, 80, 0, 80};
  const double b_in_a_mirrored[8] = {49, 0, -51, 0, -51, 80, 49, 80};
  const double b_in_half[8] = {0, 0, 50, 0, 50, 40, 0, 40};
  const double singular[9] = {1, 1, 0, 1, 1, 0, 0, 0, 1};
  const CopyImage half = {50, 40, 0}, full = {100, 80, 0}, twice_size = {200, 160, 0};
  double xy[8];
  CopyMatch m = match_of(40, 0.01, 0, twice);
  int rc = copy_frame_in_b(&m, &half, xy);
  check(rc==0 && frame_is(xy, a_in_b),
        "frames: a half-size copy's frame fills b's (%g %g %g %g)", xy[2], xy[3], xy[4], xy[5]);
  rc = copy_frame_in_a(&m, &half, &twice_size, xy);
  check(rc==0 && frame_is(xy, b_in_a),
        "frames: b's frame in a through H's inverse (%g %g %g %g)", xy[2], xy[3], xy[4], xy[5]);
  rc = copy_frame_in_a(&m, &half, &full, xy);
  check(rc==0 && frame_is(xy, b_in_half),
        "frames: b twice a's size maps onto a's frame (%g %g)", xy[4], xy[5]);
  m.mirrored = 1;
  rc = copy_frame_in_a(&m, &half, &twice_size, xy);
  check(rc==0 && frame_is(xy, b_in_a_mirrored),
        "frames: mirrored back when a's mirror image matched (%g %g)", xy[0], xy[2]);
  m = match_of(40, 0.01, 0, singular);
  check(copy_frame_in_a(&m, &half, &full, xy)==-1, "frames: a singular H places nothing");
}

int main(void){
  test_parse();
  test_confidence();
  test_describe();
  test_frames();
  return test_failures!=0;
}
