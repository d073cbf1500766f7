/* hotcache: ready-made 200 responses for small published files, so the files every client asks for
 * (InRelease, Release, small indices) cost one readlink, one read of the request and one write, instead
 * of two path resolutions, an fstat, a read and two closes per request.
 *
 * Keyed by the generation directory a source's symlink names (.gen/<name>) and the path beneath it. That
 * is sound because a generation is immutable once published (the publisher builds it under a temporary
 * name, renames it into place and never writes into it again; a new publication is a new name): a key
 * that matches is the same bytes. A publish switches the symlink, so the next request reads the new name
 * and misses. Entries of old generations are overwritten as slots are reused (direct-mapped, fixed size),
 * so memory stays under SL_HOTCACHE_SLOTS x (SL_FILES_INLINE_MAX + headers) whatever clients request.
 * Only plain GETs are answered from it: HEAD, Range and conditional requests take the normal path.
 *
 * Thread-safe (one mutex, held for a lookup or an insert and the MHD_queue_response call, never for I/O).
 * Ownership: sl_hotcache_new() -> sl_hotcache_free(); responses put in are owned by the cache (it holds
 * the creator's reference and destroys it on eviction; connections hold their own). */
#ifndef SL_HOTCACHE_H
#define SL_HOTCACHE_H

#include <stdint.h>

#include <microhttpd.h>

#define SL_HOTCACHE_SLOTS 1024   /* entries: 1024 x ~17 KiB = ~17 MiB at most, well under served's budget */

struct sl_hotcache;

struct sl_hotcache *sl_hotcache_new(void);
void sl_hotcache_free(struct sl_hotcache *c);
/* Queue the cached response for (gen, rel) with status 200 on conn. 1: queued, *len = body bytes;
 * 0: not cached; -1: MHD refused to queue it. */
int sl_hotcache_queue(struct sl_hotcache *c, struct MHD_Connection *conn, const char *gen, const char *rel,
		      uint64_t *len);
/* Store `resp` (already queued by the caller, who must not destroy it) for (gen, rel). */
void sl_hotcache_put(struct sl_hotcache *c, const char *gen, const char *rel, struct MHD_Response *resp,
		     uint64_t len);
/* Drop every entry (SIGHUP). */
void sl_hotcache_clear(struct sl_hotcache *c);

#endif
