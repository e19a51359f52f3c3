/*
** repl_files.h — readfile() and writefile() in the REPL (repl_files.c).
*/
#ifndef IMGSEARCH_REPL_FILES_H
#define IMGSEARCH_REPL_FILES_H
#include <sqlite3.h>

/* Register readfile(PATH) and writefile(PATH, DATA) on db, as the sqlite3
** shell has them, so `SELECT img_sift(readfile('x.jpg'))` works.  Only the
** REPL's connections get them: they reach the file system. */
int repl_files_register(sqlite3 *db);

#endif /* IMGSEARCH_REPL_FILES_H */
