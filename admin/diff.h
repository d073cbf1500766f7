/* diff: the per-format differ `sluice diff` calls through a source's row in core/format.c. A differ
 * compares two snapshots of one source from the catalogue and describes each change as a JSON object
 * (at least "change": added | removed | upgraded | downgraded | changed | moved ...), handed to cmd_diff's
 * output with sl_diff_emit(); cmd_diff prints them grouped by kind and summarised.
 *
 * Memory: a differ of a format whose snapshots are large (APT: 60,000 packages) sets `ordered` and emits
 * each kind's changes already in output order (by package or path, then architecture, then suite); the
 * output then spills them to temporary files and never holds them. Other differs' changes are few and
 * are sorted in memory.
 *
 * Ownership: sl_diff_emit() takes the change; `summary` (object) is the caller's, the differ bumps its
 * counters. Failure: a negative code from the catalogue or the output; what was emitted before stays. */
#ifndef SL_DIFF_H
#define SL_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct sl_catalog;
struct sl_diff_out;

struct sl_differ {
	/* Compare `old_id` (0: nothing published) with `new_id`. */
	int (*diff)(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out, json_t *summary);
	/* One change as one line of text. */
	void (*print)(const json_t *change);
	bool ordered;   /* emits each kind in output order (see above) */
};

/* Hand one change to the output (ownership moves, also on failure). 0 or a negative code. */
int sl_diff_emit(struct sl_diff_out *out, json_t *change);

/* For cmd_diff: the output a diff writes into, and its changes back in output order. cb returns non-zero
 * to stop (returned). */
struct sl_diff_out *sl_diff_out_new(bool ordered);
void sl_diff_out_free(struct sl_diff_out *out);
uint64_t sl_diff_out_count(const struct sl_diff_out *out);
int sl_diff_out_each(struct sl_diff_out *out, int (*cb)(void *arg, const json_t *change), void *arg);

/* summary[key] += 1. */
void sl_diff_bump(json_t *summary, const char *key);

#endif
