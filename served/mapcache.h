/* mapcache: large published files served from one shared read-only mapping per file, within a budget.
 *
 * Why: libmicrohttpd 0.9.75 (Debian 12) sends a file response's header as a segment of its own, pushed,
 * before it sendfile()s the body, and a busy 4 MB file moved at 0.79-0.92x nginx's throughput
 * (bench/served.sh, 32 connections). A response whose body is a memory buffer leaves with its header in
 * one sendmsg(), as nginx's corked header does; served that way the same file measures 1.2-1.6x nginx.
 * So a plain (non-TLS) GET of a file above SL_FILES_INLINE_MAX takes its body from a mapping of the
 * file: every concurrent download of the same file shares that one mapping (refcounted, unmapped when
 * the last response using it is destroyed).
 *
 * Memory: the mapped pages are the page cache's, but they count in the process's RSS, so the mappings
 * alive at any moment are capped at a budget ([served] map_budget, default SL_MAPCACHE_BUDGET, and at
 * most SL_MAX_MAPPED_FILES files); a file that does not fit is answered the old way (sendfile): the
 * caller falls back whenever this returns NULL.
 *
 * Safety: the mapping is only ever read by the kernel (sendmsg copies from it), never by user-space code:
 * were a published file truncated behind sluice's back (they are immutable; only a bypassing admin could),
 * the copy fails with EFAULT and that one connection is closed — no SIGBUS. TLS is excluded for that
 * reason (GnuTLS reads the body in user space); TLS responses keep the descriptor path.
 *
 * Thread-safe: one mutex, held for table lookups and bookkeeping only; mmap and munmap run outside it.
 * Ownership: sl_mapcache_new() -> sl_mapcache_free(), which must come after every response made here
 * has been destroyed (after MHD_stop_daemon). */
#ifndef SL_MAPCACHE_H
#define SL_MAPCACHE_H

#include <stdint.h>

#include <microhttpd.h>

#include "core/limits.h"

#define SL_MAPCACHE_BUDGET (24u << 20)   /* default budget ([served] map_budget): bytes mapped at once */
#define SL_MAPCACHE_NOTSENT_LOWAT (128 << 10)   /* TCP_NOTSENT_LOWAT set on a connection sending from one */

struct sl_mapcache;
struct stat;

/* At most `budget` bytes mapped at once. NULL only on out of memory (the caller then serves without it). */
struct sl_mapcache *sl_mapcache_new(uint64_t budget);
void sl_mapcache_free(struct sl_mapcache *c);

/* A response whose body is bytes [start, start + len) of the regular file open as fd (st: its fstat),
 * from the file's shared mapping. NULL when the file does not fit in what is left of the budget, the
 * table is full, or mmap fails: the caller keeps fd and answers another way. fd is never taken; the
 * mapping outlives its close. */
struct MHD_Response *sl_mapcache_response(struct sl_mapcache *c, int fd, const struct stat *st, uint64_t start,
					  uint64_t len);
/* Bytes mapped now (for tests and /metrics). */
uint64_t sl_mapcache_mapped(struct sl_mapcache *c);

#endif
