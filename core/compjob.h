/* compjob: compress a store object into a new store object (gzip or xz) on a background thread, so that
 * producing a snapshot's Packages.gz and Packages.xz overlaps with the pool downloads instead of
 * preceding them (on a 2,500-package index they were a sixth of a sync's wall time). The thread runs at a
 * lower priority (nice 10) than its caller's, so it takes what the caller's work leaves.
 *
 * Ownership: sl_compjob_start() -> exactly one sl_compjob_finish(), which waits for the thread and frees
 * the job. The store must outlive the job. Where no thread can be started the work is done inside
 * start (same result, no overlap).
 * Failure: start returns NULL + *cause only for bad arguments or no memory; everything else (object
 * missing, I/O, compressor) is reported by finish: 0 or a negative code, with a heap *cause. Nothing is
 * logged here. A failed job leaves nothing in the store. */
#ifndef SL_COMPJOB_H
#define SL_COMPJOB_H
#include <stdint.h>

#include "core/decomp.h"
#include "core/digest.h"

struct sl_store;
struct sl_compjob;

/* Compress object `sha256` with c (SL_COMP_GZIP or SL_COMP_XZ); the output is capped at max_size bytes. */
struct sl_compjob *sl_compjob_start(struct sl_store *st, const char *sha256, enum sl_comp c, uint64_t max_size,
				    char **cause);
/* Wait; on success the new object's digest and size. NULL: -EINVAL. */
int sl_compjob_finish(struct sl_compjob *j, char sha256_out[SL_SHA256_HEX], uint64_t *size_out, char **cause);

#endif
