/*
** sample.h — a bottom-k sample of fixed-size rows, chosen by a hash of their
** bytes: the rows kept depend only on the multiset of rows offered, never on
** the order they arrive in.  Training (vlad.c, pca.c) uses it so that a
** codebook or PCA model does not depend on SQL row order.
**
** Contract: plain C; memory from sqlite3_malloc64, released by sample_free.
** No database access, no global state.
*/
#ifndef IMGSEARCH_SAMPLE_H
#define IMGSEARCH_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct Sample Sample;

/* A sample that keeps at most max_rows rows of row_bytes bytes each.
** NULL if out of memory or row_bytes/max_rows is not positive. */
Sample *sample_new(size_t row_bytes, int max_rows);

/* Offer one row.  It is kept if fewer than max_rows are kept, or if its
** key (hash, then bytes) is below the largest kept key, which it replaces.
** SQLITE_NOMEM or SQLITE_OK. */
int sample_add(Sample *sample, const void *row);

int sample_count(const Sample *sample);     /* rows kept */
int64_t sample_seen(const Sample *sample);  /* rows offered */

/* Put the kept rows in ascending key order (a fixed, order-independent
** order).  After this, sample_row(i) is the i-th and sample_add must not be
** called again. */
void sample_sort(Sample *sample);

const void *sample_row(const Sample *sample, int i);

void sample_free(Sample *sample);

#endif /* IMGSEARCH_SAMPLE_H */
