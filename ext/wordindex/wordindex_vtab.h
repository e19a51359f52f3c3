/*
** wordindex_vtab.h — the "wordindex" virtual table module (wordindex_vtab.c).
*/
#ifndef IMGSEARCH_WORDINDEX_VTAB_H
#define IMGSEARCH_WORDINDEX_VTAB_H
#include "sqlite_ext.h"

int wordindex_register(sqlite3 *db);

#endif
