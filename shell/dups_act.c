/*
** dups_act.c — what `dups` does with the copies it does not keep (see
** dups_parts.h): --move-to DIR, --hardlink, --delete (with --yes), --exec
** CMD, each also as a --dry-run that only says what it would do.
**
** Safety: the kept copy is never moved, linked over, deleted or changed.
** Before a group is touched its kept file must still be there, a regular
** file of the size `index` recorded; a member that changed size since, or
** that is the kept file itself (same device and inode), is left alone.
** --hardlink replaces only members whose content hash is the kept copy's:
** a near-duplicate is other bytes, which a link would throw away.
**
** The undo log is a shell script written as the acts happen (flushed after
** each), so an interrupted run can still be undone: `sh LOG` moves every
** moved file back (mv -n: never over a file that is there again) and
** gives every linked member its own copy again; a deletion cannot be
** undone and is listed as a comment.
**
** May call: dups_parts.h, common.h, libc (stat, rename, link, unlink,
** fork/exec, stdio).
*/
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "dups_parts.h"

struct DupsActor {
  const DupsOptions *o;
  FILE *undo;               /* NULL: dry run, or --exec */
  char zUndo[PATH_MAX];
  char zMoveTo[PATH_MAX];   /* --move-to, absolute: the undo log runs anywhere */
  int n_done, n_failed, n_left;
};

/* ---- the undo log ------------------------------------------------------------- */

/* z as one single-quoted shell word. */
static void dups_shell_quote(FILE *f, const char *z){
  fputc('\'', f);
  for(; *z; z++){
    if( *z=='\'' ) fputs("'\\''", f);
    else fputc(*z, f);
  }
  fputc('\'', f);
}

/* One line of the undo log: zVerb, then the quoted words (NULL ends). */
static void dups_undo_line(DupsActor *actor, const char *zVerb, ...){
  va_list ap;
  const char *z;
  if( actor->undo==0 ) return;
  fputs(zVerb, actor->undo);
  va_start(ap, zVerb);
  while( (z = va_arg(ap, const char*))!=0 ){
    fputc(' ', actor->undo);
    dups_shell_quote(actor->undo, z);
  }
  va_end(ap);
  fputc('\n', actor->undo);
  fflush(actor->undo);
}

DupsActor *dups_act_open(const DupsOptions *o){
  DupsActor *actor = calloc(1, sizeof(*actor));
  if( actor==0 ){
    fprintf(stderr, "imgsearch dups: out of memory\n");
    return 0;
  }
  actor->o = o;
  if( o->zMoveTo && realpath(o->zMoveTo, actor->zMoveTo)==0 ){
    fprintf(stderr, "imgsearch dups: --move-to %s: %s\n", o->zMoveTo, strerror(errno));
    free(actor);
    return 0;
  }
  if( o->dry_run || o->action==DUPS_ACTION_EXEC ) return actor;
  if( o->zUndo ){
    snprintf(actor->zUndo, sizeof(actor->zUndo), "%s", o->zUndo);
  }else{
    time_t now = time(0);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(actor->zUndo, sizeof(actor->zUndo), "imgsearch-undo-%Y%m%d-%H%M%S.sh", &tm);
  }
  actor->undo = fopen(actor->zUndo, "w");
  if( actor->undo==0 ){
    fprintf(stderr, "imgsearch dups: cannot write the undo log %s: %s\n",
            actor->zUndo, strerror(errno));
    free(actor);
    return 0;
  }
  fputs("#!/bin/sh\n# imgsearch dups: undo log.  `sh THIS_FILE` puts back what the\n"
        "# run changed (moved files are moved back, linked files get their own\n"
        "# copy again); deleted files cannot be restored and are listed below.\n", actor->undo);
  fflush(actor->undo);
  return actor;
}

/* ---- the acts ------------------------------------------------------------------- */

/* zFrom's name in zDir that no file has yet: NAME.EXT, NAME (2).EXT, ...
** 0, or -1 when 1000 names are taken. */
static int dups_free_name(const char *zDir, const char *zFrom, char *zTo, size_t n){
  const char *zBase = strrchr(zFrom, '/');
  const char *zDot;
  struct stat st;
  int i;
  zBase = zBase ? zBase+1 : zFrom;
  zDot = strrchr(zBase, '.');
  if( zDot==0 || zDot==zBase ) zDot = zBase + strlen(zBase);
  for(i=1; i<1000; i++){
    if( i==1 ) snprintf(zTo, n, "%s/%s", zDir, zBase);
    else snprintf(zTo, n, "%s/%.*s (%d)%s", zDir, (int)(zDot-zBase), zBase, i, zDot);
    if( lstat(zTo, &st)!=0 && errno==ENOENT ) return 0;
  }
  return -1;
}

/* Copy zFrom to zTo (a new file) with its mode and times: a move across
** file systems.  0, or -1 with errno set (zTo removed). */
static int dups_copy_file(const char *zFrom, const char *zTo, const struct stat *st){
  char buf[65536];
  int in = open(zFrom, O_RDONLY), out = -1, rc = -1, saved;
  ssize_t got;
  if( in<0 ) return -1;
  out = open(zTo, O_WRONLY|O_CREAT|O_EXCL, st->st_mode & 07777);
  if( out<0 ) goto done;
  while( (got = read(in, buf, sizeof(buf)))>0 ){
    if( write(out, buf, (size_t)got)!=got ) goto done;
  }
  if( got<0 ) goto done;
  {
    struct timespec times[2] = { st->st_atim, st->st_mtim };
    if( futimens(out, times)!=0 ) goto done;
  }
  if( fsync(out)!=0 ) goto done;
  rc = 0;
done:
  saved = errno;
  if( out>=0 && close(out)!=0 && rc==0 ){ rc = -1; saved = errno; }
  if( rc!=0 && out>=0 ) unlink(zTo);
  close(in);
  errno = saved;
  return rc;
}

static void dups_failed(DupsActor *actor, const char *zWhat, const char *zPath){
  fprintf(stderr, "imgsearch dups: cannot %s %s: %s\n", zWhat, zPath, strerror(errno));
  actor->n_failed++;
}

static void dups_move(DupsActor *actor, const DupsImage *m, const struct stat *st){
  char zTo[8192];
  if( dups_free_name(actor->zMoveTo, m->zPath, zTo, sizeof(zTo))!=0 ){
    errno = EEXIST;
    dups_failed(actor, "find a free name in the target folder for", m->zPath);
    return;
  }
  if( actor->o->dry_run ){
    printf("would move %s -> %s\n", m->zPath, zTo);
    actor->n_done++;
    return;
  }
  if( rename(m->zPath, zTo)!=0 ){
    if( errno!=EXDEV || dups_copy_file(m->zPath, zTo, st)!=0 ){
      dups_failed(actor, "move", m->zPath);
      return;
    }
    if( unlink(m->zPath)!=0 ){       /* copied: the original stays too */
      dups_failed(actor, "remove the moved", m->zPath);
      unlink(zTo);
      return;
    }
  }
  dups_undo_line(actor, "mv -n --", zTo, m->zPath, (char*)0);
  printf("moved %s -> %s\n", m->zPath, zTo);
  actor->n_done++;
}

static void dups_hardlink(DupsActor *actor, const DupsImage *keep, const DupsImage *m){
  char zTemp[8192];
  if( strcmp(keep->zHash, m->zHash)!=0 || keep->zHash[0]==0 ){
    printf("left %s: not identical to the kept copy (only identical files are linked)\n", m->zPath);
    actor->n_left++;
    return;
  }
  if( actor->o->dry_run ){
    printf("would link %s -> %s\n", m->zPath, keep->zPath);
    actor->n_done++;
    return;
  }
  /* A new link beside the copy, renamed over it: the copy's name is never
  ** missing, and a failure leaves it as it was. */
  snprintf(zTemp, sizeof(zTemp), "%s.imgsearch-link", m->zPath);
  if( link(keep->zPath, zTemp)!=0 ){
    dups_failed(actor, "link", m->zPath);
    return;
  }
  if( rename(zTemp, m->zPath)!=0 ){
    dups_failed(actor, "link", m->zPath);
    unlink(zTemp);
    return;
  }
  dups_undo_line(actor, "rm -f --", m->zPath, (char*)0);
  dups_undo_line(actor, "cp -p --", keep->zPath, m->zPath, (char*)0);
  printf("linked %s -> %s\n", m->zPath, keep->zPath);
  actor->n_done++;
}

static void dups_delete(DupsActor *actor, const DupsImage *m){
  if( actor->o->dry_run ){
    printf("would delete %s\n", m->zPath);
    actor->n_done++;
    return;
  }
  if( unlink(m->zPath)!=0 ){
    dups_failed(actor, "delete", m->zPath);
    return;
  }
  dups_undo_line(actor, "# deleted, cannot be restored:", m->zPath, (char*)0);
  printf("deleted %s\n", m->zPath);
  actor->n_done++;
}

/* --exec: sh -c 'CMD "$@"' with the kept copy first, then the others
** (ok[i] set), IMGSEARCH_GROUP in the environment. */
static void dups_exec(DupsActor *actor, int group, const DupsImage *a,
                      const int *members, int n, int keep, const char *ok){
  char **argv = calloc((size_t)n + 5, sizeof(char*));
  char *zScript = malloc(strlen(actor->o->zExec) + 8);
  int argc = 0, i, status = 0;
  pid_t pid;
  if( argv==0 || zScript==0 ){
    fprintf(stderr, "imgsearch dups: out of memory\n");
    actor->n_failed++;
    goto done;
  }
  sprintf(zScript, "%s \"$@\"", actor->o->zExec);
  argv[argc++] = "sh";
  argv[argc++] = "-c";
  argv[argc++] = zScript;
  argv[argc++] = "imgsearch-dups";
  argv[argc++] = a[members[keep]].zPath;
  for(i=0; i<n; i++){
    if( i!=keep && ok[i] ) argv[argc++] = a[members[i]].zPath;
  }
  if( actor->o->dry_run ){
    printf("would run: %s", actor->o->zExec);
    for(i=4; i<argc; i++){ putchar(' '); dups_shell_quote(stdout, argv[i]); }
    putchar('\n');
    actor->n_done++;
    goto done;
  }
  fflush(stdout);
  pid = fork();
  if( pid==0 ){
    char zGroup[16];
    snprintf(zGroup, sizeof(zGroup), "%d", group);
    setenv("IMGSEARCH_GROUP", zGroup, 1);
    execv("/bin/sh", argv);
    _exit(127);
  }
  if( pid<0 || waitpid(pid, &status, 0)<0 ){
    dups_failed(actor, "run --exec for group", argv[4]);
  }else if( !WIFEXITED(status) || WEXITSTATUS(status)!=0 ){
    fprintf(stderr, "imgsearch dups: --exec failed for group %d (exit %d)\n", group,
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    actor->n_failed++;
  }else{
    actor->n_done++;
  }
done:
  free(argv);
  free(zScript);
}

void dups_act_group(DupsActor *actor, int group, const DupsImage *a,
                    const int *members, int n, int keep){
  const DupsImage *k = &a[members[keep]];
  struct stat st_keep, st;
  char *ok = calloc((size_t)n, 1);
  int i;
  if( ok==0 ){
    fprintf(stderr, "imgsearch dups: out of memory\n");
    actor->n_failed++;
    return;
  }
  if( stat(k->zPath, &st_keep)!=0 || !S_ISREG(st_keep.st_mode) || st_keep.st_size!=k->size ){
    printf("left group %d alone: its kept copy %s is gone or changed since it was indexed\n",
           group, k->zPath);
    actor->n_left += n-1;
    free(ok);
    return;
  }
  for(i=0; i<n; i++){
    const DupsImage *m = &a[members[i]];
    if( i==keep ) continue;
    if( lstat(m->zPath, &st)!=0 || !S_ISREG(st.st_mode) || st.st_size!=m->size ){
      printf("left %s: gone or changed since it was indexed\n", m->zPath);
      actor->n_left++;
      continue;
    }
    if( st.st_dev==st_keep.st_dev && st.st_ino==st_keep.st_ino ){
      printf("left %s: it is the kept file (a link to it)\n", m->zPath);
      actor->n_left++;
      continue;
    }
    switch( actor->o->action ){
      case DUPS_ACTION_MOVE:     dups_move(actor, m, &st); break;
      case DUPS_ACTION_HARDLINK: dups_hardlink(actor, k, m); break;
      case DUPS_ACTION_DELETE:   dups_delete(actor, m); break;
      default:                   ok[i] = 1; break;
    }
  }
  if( actor->o->action==DUPS_ACTION_EXEC ){
    int any = 0;
    for(i=0; i<n; i++) any |= ok[i];
    if( any ) dups_exec(actor, group, a, members, n, keep, ok);
  }
  free(ok);
}

int dups_act_close(DupsActor *actor){
  static const char *const verbs[][2] = {
    {"", ""}, {"moved", "to move"}, {"linked", "to link"}, {"deleted", "to delete"},
    {"run through --exec", "to run through --exec"},
  };
  const DupsOptions *o = actor->o;
  const char *zWhat = o->action==DUPS_ACTION_EXEC ? (actor->n_done==1 ? "group" : "groups")
                                                 : (actor->n_done==1 ? "file" : "files");
  int exit_code = actor->n_failed ? EXIT_FAILURES : EXIT_OK;
  if( o->dry_run ){
    printf("dry run: %d %s %s, nothing changed\n", actor->n_done, zWhat,
           verbs[o->action][1]);
  }else{
    printf("%d %s %s, %d failed, %d left alone\n", actor->n_done, zWhat,
           verbs[o->action][0], actor->n_failed, actor->n_left);
  }
  if( actor->undo ){
    if( fclose(actor->undo)!=0 ){
      fprintf(stderr, "imgsearch dups: cannot write the undo log %s\n", actor->zUndo);
      exit_code = EXIT_FAILURES;
    }else{
      printf("undo log: %s (sh %s puts back what can be put back)\n", actor->zUndo, actor->zUndo);
    }
  }
  free(actor);
  return exit_code;
}
