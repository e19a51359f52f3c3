/*
** dups_keep.c — which copy of a group of duplicates to keep, and why (see
** dups_parts.h).  Plain C over the images `index` recorded; no SQLite, no
** file access.
**
** The order, as photo tools (czkawka, dupeGuru, Immich) suggest it: the
** most pixels (a resized copy loses detail), then an original format over
** a conversion (a PNG or WebP made from a JPEG is larger, not better),
** then the larger file (less compressed), then the oldest (the original
** predates its copies), then the path, so the choice is always the same.
*/
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "dups_parts.h"

/* 0 for the formats cameras, phones and scanners write, 1 for the rest. */
static int dups_format_rank(const char *zPath){
  static const char *const originals[] = {
    "jpg", "jpeg", "heic", "heif", "hif", "tif", "tiff", 0
  };
  const char *zDot = strrchr(zPath, '.');
  int i;
  if( zDot==0 || strchr(zDot, '/') ) return 1;
  for(i=0; originals[i]; i++){
    if( strcasecmp(zDot+1, originals[i])==0 ) return 0;
  }
  return 1;
}

/* Which criterion first tells x and y apart (1 pixels, 2 format, 3 size,
** 4 age, 5 path), negative when x comes first, positive when y does. */
static int dups_keep_compare(const DupsImage *x, const DupsImage *y){
  int64_t px = (int64_t)x->image.width*x->image.height;
  int64_t py = (int64_t)y->image.width*y->image.height;
  int rx = dups_format_rank(x->zPath), ry = dups_format_rank(y->zPath);
  if( px!=py ) return px>py ? -1 : 1;
  if( rx!=ry ) return rx<ry ? -2 : 2;
  if( x->size!=y->size ) return x->size>y->size ? -3 : 3;
  if( x->mtime_ns!=y->mtime_ns ) return x->mtime_ns<y->mtime_ns ? -4 : 4;
  return strcmp(x->zPath, y->zPath)<=0 ? -5 : 5;
}

int dups_keep_choose(const DupsImage *a, const int *members, int n,
                     char *zReason, size_t n_reason){
  int best = 0, second = -1, i, why;
  for(i=1; i<n; i++){
    if( dups_keep_compare(&a[members[i]], &a[members[best]])<0 ){
      second = best;
      best = i;
    }else if( second<0 || dups_keep_compare(&a[members[i]], &a[members[second]])<0 ){
      second = i;
    }
  }
  if( second<0 ){
    snprintf(zReason, n_reason, "the only copy");
    return best;
  }
  {
    const DupsImage *k = &a[members[best]];
    char zSize[32], zDate[32];
    why = -dups_keep_compare(k, &a[members[second]]);
    switch( why ){
      case 1:
        snprintf(zReason, n_reason, "most pixels (%dx%d)", k->image.width, k->image.height);
        break;
      case 2:
        snprintf(zReason, n_reason, "same pixels; original format (%s)",
                 strrchr(k->zPath, '.')+1);
        break;
      case 3:
        shell_size_text(k->size, zSize, sizeof(zSize));
        snprintf(zReason, n_reason, "same pixels and format; larger file (%s)", zSize);
        break;
      case 4:
        shell_date_text(k->mtime_ns, zDate, sizeof(zDate));
        snprintf(zReason, n_reason, "same pixels, format and size; oldest (%s)", zDate);
        break;
      default:
        snprintf(zReason, n_reason, "same pixels, format, size and date; first by path");
        break;
    }
  }
  return best;
}
