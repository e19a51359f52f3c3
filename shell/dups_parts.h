/*
** dups_parts.h — what the parts of `imgsearch dups` share; not for use
** outside dups_*.c and cmd_dups.c.
**
**   cmd_dups.c   the command line, the candidate pairs, the groups, the
**                table and the HTML page
**   dups_keep.c  which copy of a group to keep, and why
**   dups_act.c   what to do with the other copies: --move-to, --hardlink,
**                --delete, --exec, --dry-run, and the undo log
*/
#ifndef IMGSEARCH_DUPS_PARTS_H
#define IMGSEARCH_DUPS_PARTS_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "copy_tier.h"
#include "db.h"
#include "dups.h"

/* What links two images, weakest first: the match column names a member's
** strongest link (and among those, the best scoring). */
enum { DUPS_LINK_SIMILAR = 1, DUPS_LINK_FEATURELESS, DUPS_LINK_COPY, DUPS_LINK_SAME_FILE };

typedef struct DupsImage {
  sqlite3_int64 id;
  char *zPath;
  int parent;        /* union-find */
  double best;       /* best score to a linked image */
  int strength;      /* of its strongest link: DUPS_LINK_* */
  double match_score;/* the best score among links of that strength */
  char zMatch[128];  /* what that link is: "same image 99%: 50% size, 42
                     ** inliers", ...; for a member beside the kept one,
                     ** what it is to that one (dups_describe) */
  int described;     /* zMatch is dups_describe's */
  CopyMatch to_kept; /* dups_describe's match against the kept copy (its
                     ** inliers 0 when none) */
  int group;         /* 1-based output group, 0: none */
  /* What the keep-suggestion weighs, as recorded by `index`: */
  CopyImage image;   /* width, height (upright) and SIFT features */
  int64_t size;      /* bytes */
  int64_t mtime_ns;
  char zHash[17];    /* content hash ("" if none) */
} DupsImage;

/* ---- dups_keep.c --------------------------------------------------------------- */

/* The member of a group (members[0..n), indexes into a) to keep: the most
** pixels, then an original format (JPEG, HEIC, TIFF: what cameras, phones
** and scanners write) over a conversion, then the larger file, then the
** oldest, then the first path.  Why, compared with the runner-up, goes to
** zReason ("most pixels (4032x3024)").  Returns an index into members. */
int dups_keep_choose(const DupsImage *a, const int *members, int n,
                     char *zReason, size_t n_reason);


/* ---- dups_describe.c ----------------------------------------------------------- */

/* SQL for dups_describe: ?1..?3 the model (db_model_bind), ?4 the copy's
** id, ?5 the kept one's. */
extern const char *const dups_describe_sql;

/* What copy is to kept (both with visual words), from the match of their
** words: copy->to_kept, and "edited copy 97%: mirrored, crop 25%, 50%
** size, turned 90°, 40 inliers" (copy_describe, min_confidence its
** threshold) into copy->zMatch, which is left as it is when they do not
** verify.  describe is dups_describe_sql prepared.  SQLITE_OK or an error
** code. */
int dups_describe(sqlite3_stmt *describe, const DbModel *model, double min_confidence,
                  DupsImage *copy, const DupsImage *kept);

/* ---- dups_act.c ---------------------------------------------------------------- */

typedef struct DupsActor DupsActor;

/* Start the action of o (o->action != DUPS_ACTION_NONE): opens the undo
** log unless it is a dry run or --exec.  NULL with the reason printed. */
DupsActor *dups_act_open(const DupsOptions *o);

/* Act on one group: every member but keep (members and keep index into a).
** The kept copy is never touched: the group is left alone when the kept
** file is gone or changed since it was indexed, and so is a member that
** changed or that is the kept file itself (a hard link to it).  Each act
** is printed on stdout ("moved A -> B", "would delete A"). */
void dups_act_group(DupsActor *actor, int group, const DupsImage *a,
                    const int *members, int n, int keep);

/* Print the summary, close the undo log.  EXIT_OK, or EXIT_FAILURES when
** an act failed (printed as it happened). */
int dups_act_close(DupsActor *actor);

#endif /* IMGSEARCH_DUPS_PARTS_H */
