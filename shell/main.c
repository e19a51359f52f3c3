/*
** main.c — build/imgsearch: command dispatch and --help.  Nothing else:
** the commands and the helpers they share live in their own files.
**
**   imgsearch index DB PATH...     add or update images (cmd_index.c)
**   imgsearch search DB IMAGE...   most similar images (cmd_search.c)
**   imgsearch dups DB              near-duplicate groups (cmd_dups.c)
**   imgsearch report DB IMAGE...   search results as HTML (cmd_report.c)
**   imgsearch [DB [SQL]]           SQL shell with the extension (repl.c)
**
** The files of the program, a header per concern (each file includes only
** the headers of what it calls; nothing calls back into main.c):
**
**   common.c/h     exit codes, SIGINT flag, option numbers, clocks
**   db.c/h         opening a database with the extension, the schema
**                  (sql/schema.sql), small SQL helpers
**   files.c/h      walking folders, reading files, the content hash
**   progress.c/h   the progress bar (TTY) or plain progress lines
**   output.c/h     result tables as table, csv, json or line
**   thumbnail.c/h  colour JPEG thumbnails (the one stb_image_write user)
**   report_html.c/h  the self-contained HTML contact sheet
**   commands.h     the cmd_* entry points below
**   cmd_index.c    `index`: options and the run (index.h); its parts
**                  (index_parts.h): index_plan.c (what to (re)index, prune),
**                  index_pipeline.c (queue, workers, writer),
**                  index_train.c (codebook/PCA policy, vectors),
**                  index_stats.c (--stats: times, rusage)
**   cmd_search.c   `search` (search.h), also used by report and the REPL
**   cmd_report.c   `report`: search results as an HTML page
**   cmd_dups.c     `dups` (dups.h) and its -o HTML report; its parts
**                  (dups_parts.h): dups_keep.c (the copy to keep),
**                  dups_act.c (--move-to, --hardlink, --delete, --exec)
**   repl.c         the interactive SQL shell and its dot-commands
**
** The extension (ext/) is compiled into this program with -DSQLITE_CORE
** and registered with sqlite3_auto_extension, so every connection the shell
** opens has the annoy table and the img_* functions.  The shell computes
** nothing itself that the extension provides: SIFT, VLAD, codebooks,
** matching and nearest-neighbour search are all SQL calls.
**
** A first argument that is not a command is the REPL's DB, unless it
** looks like a mistyped command: no file of that name, and no '.' or '/'
** in it (`imgsearch frobnicate photos.db` must not create a database
** named "frobnicate").
**
** May call: commands.h, common.h, db.h (registering the extension).
*/
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "commands.h"
#include "common.h"
#include "db.h"
#include "imgsearch.h"

static const char main_usage[] =
  "usage: imgsearch COMMAND [ARGS]     (imgsearch COMMAND --help for more)\n"
  "\n"
  "  index DB PATH...      index the images under PATH into DB\n"
  "  search DB IMAGE...    the images in DB most like IMAGE\n"
  "  dups DB               groups of near-duplicate images\n"
  "  report DB IMAGE... -o FILE.html   search results as an HTML page\n"
  "  [DB] [SQL]            SQL shell with the imgsearch extension loaded;\n"
  "                        runs SQL and exits when given, reads stdin if it\n"
  "                        is not a terminal\n"
  "\n"
  "  --version             the version of imgsearch and of SQLite\n"
  "\n"
  "exit status: 0 ok, 1 some files or queries failed, 2 usage error,\n"
  "3 database error, 130 interrupted.  NO_COLOR turns colour off.\n";

/* The commit: `git describe` when built from a clone (Makefile); the
** version is IMGSEARCH_VERSION of ext/imgsearch.h. */
#ifndef IMGSEARCH_COMMIT
# define IMGSEARCH_COMMIT "unknown"
#endif

/* 1 if z reads as a command name rather than a database: a plain word
** that names no file. */
static int main_looks_like_command(const char *z){
  struct stat st;
  return z[0]!='-' && z[0]!=':' && strchr(z, '.')==0 && strchr(z, '/')==0 && stat(z, &st)!=0;
}

int main(int argc, char **argv){
  const char *zCommand = argc>1 ? argv[1] : 0;
  if( db_register_extension()!=SQLITE_OK ) return EXIT_ERROR;
  if( zCommand && (shell_is_help(zCommand) || strcmp(zCommand, "help")==0) ){
    fputs(main_usage, stdout);
    return EXIT_OK;
  }
  if( zCommand && strcmp(zCommand, "index")==0 ) return cmd_index(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "search")==0 ) return cmd_search(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "dups")==0 ) return cmd_dups(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "report")==0 ) return cmd_report(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "--version")==0 ){
    printf("imgsearch %s (commit %s, SQLite %s)\n", IMGSEARCH_VERSION, IMGSEARCH_COMMIT,
           sqlite3_libversion());
    return EXIT_OK;
  }
  if( zCommand && main_looks_like_command(zCommand) ){
    fprintf(stderr, "imgsearch: unknown command '%s' (commands: index, search, dups, "
            "report; a database to open needs a name with a '.', e.g. %s.db)\n",
            zCommand, zCommand);
    return EXIT_USAGE;
  }
  return cmd_repl(argc-1, argv+1);
}
