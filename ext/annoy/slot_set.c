/*
** slot_set.c — a set of slots as a bitmap (see slot_set.h).
**
** May call: SQLite's allocator.
*/
#include <string.h>
#include "slot_set.h"

int slot_set_init(SlotSet *set, uint32_t limit){
  size_t words = ((size_t)limit + 63)/64;
  memset(set, 0, sizeof(*set));
  set->bits = sqlite3_malloc64(sizeof(uint64_t)*(words ? words : 1));
  if( set->bits==0 ) return SQLITE_NOMEM;
  memset(set->bits, 0, sizeof(uint64_t)*(words ? words : 1));
  set->limit = limit;
  return SQLITE_OK;
}

void slot_set_add(SlotSet *set, uint32_t slot){
  uint64_t bit;
  if( slot>=set->limit ) return;
  bit = (uint64_t)1 << (slot & 63);
  if( set->bits[slot>>6] & bit ) return;
  set->bits[slot>>6] |= bit;
  set->n++;
}

void slot_set_free(SlotSet *set){
  sqlite3_free(set->bits);
  memset(set, 0, sizeof(*set));
}
