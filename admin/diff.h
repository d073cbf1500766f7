/* diff: the per-format differ `sluice diff` calls through a source's row in core/format.c. A differ
 * compares two snapshots of one source from the catalogue and describes each change as a JSON object
 * (at least "change": added | removed | upgraded | downgraded | changed | moved ...); cmd_diff.c sorts,
 * prints and summarises them.
 *
 * Ownership: `changes` (array) and `summary` (object) are the caller's; the differ appends to them.
 * Failure: a negative code from the catalogue; what was appended before stays valid. */
#ifndef SL_DIFF_H
#define SL_DIFF_H

#include <jansson.h>
#include <stdint.h>

struct sl_catalog;

struct sl_differ {
	/* Compare `old_id` (0: nothing published) with `new_id`. */
	int (*diff)(struct sl_catalog *cat, int64_t old_id, int64_t new_id, json_t *changes, json_t *summary);
	/* One change as one line of text. */
	void (*print)(const json_t *change);
};

/* summary[key] += 1. */
void sl_diff_bump(json_t *summary, const char *key);

#endif
