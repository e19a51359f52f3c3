/*
** dups.h — the work of `imgsearch dups` (cmd_dups.c), also used by the
** REPL's .dups.
*/
#ifndef IMGSEARCH_DUPS_H
#define IMGSEARCH_DUPS_H
#include <sqlite3.h>

#include "output.h"

/* What to do with the copies a group does not keep (dups_act.c). */
typedef enum DupsAction {
  DUPS_ACTION_NONE, DUPS_ACTION_MOVE, DUPS_ACTION_HARDLINK,
  DUPS_ACTION_DELETE, DUPS_ACTION_EXEC
} DupsAction;

typedef struct DupsOptions {
  double min_score;     /* < 0: the default for the database's vectors */
  int k;                /* neighbours examined per image */
  int min_inliers;      /* > 0: pairs must pass img_match with this many */
  OutputMode mode;
  const char *zHtml;    /* non-NULL: write an HTML report here instead */
  DupsAction action;
  const char *zMoveTo;  /* --move-to DIR */
  const char *zExec;    /* --exec CMD */
  const char *zUndo;    /* --undo FILE; NULL: imgsearch-undo-DATE.sh */
  int dry_run;          /* say what would be done, do nothing */
  int yes;              /* --yes: --delete may delete */
  int similar;          /* --similar: also link verified pairs that are
                        ** not copies (different photos of one thing) */
} DupsOptions;

/* The defaults of `dups`: min_score -1 (by the vectors), k 10, no
** verification, a table, no action. */
void dups_options_default(DupsOptions *o);

/* Find and print the groups.  Returns an EXIT_* code. */
int dups_run(sqlite3 *db, const DupsOptions *o);

#endif /* IMGSEARCH_DUPS_H */
