/* strset: a set of strings (open addressing, FNV-1a), for deduplicating paths and digests in one pass
 * over large lists. Memory grows with the members; the caller caps how many it adds.
 *
 * Ownership: sl_strset_new() -> sl_strset_free(); the set copies what it stores. */
#ifndef SL_STRSET_H
#define SL_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct sl_strset;

struct sl_strset *sl_strset_new(void);
void sl_strset_free(struct sl_strset *s);
/* Add a copy of `str`: 1 when added, 0 when already present, -ENOMEM. */
int sl_strset_add(struct sl_strset *s, const char *str);
bool sl_strset_has(const struct sl_strset *s, const char *str);
size_t sl_strset_count(const struct sl_strset *s);

#endif
