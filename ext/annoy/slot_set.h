/*
** slot_set.h — a set of slots as a bitmap, for KNN filters on metadata.
**
** Owns: one bit per slot below a limit (the table's next slot when the
** filter was made); slots at or above it are never members. Slots are the
** store's dense row numbers, so a filter of any size is limit/8 bytes and
** asking is one bit test.
** May call: SQLite's allocator.
*/
#ifndef IMGSEARCH_SLOT_SET_H
#define IMGSEARCH_SLOT_SET_H
#include <stdint.h>
#include "sqlite_ext.h"

typedef struct SlotSet {
  uint64_t *bits;
  uint32_t limit;          /* slots 0..limit-1 can be members */
  uint32_t n;              /* members */
} SlotSet;

/* An empty set for slots below limit: SQLITE_OK or SQLITE_NOMEM. */
int slot_set_init(SlotSet *set, uint32_t limit);
void slot_set_add(SlotSet *set, uint32_t slot);        /* no-op at or above limit */
static inline int slot_set_has(const SlotSet *set, uint32_t slot){
  return slot < set->limit && (set->bits[slot>>6] >> (slot & 63) & 1);
}
void slot_set_free(SlotSet *set);
#endif
