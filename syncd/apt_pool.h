/* apt_pool: the list of pool files an APT snapshot needs, kept in an unlinked temporary file instead of
 * memory, so that a run's memory does not grow with the index (Debian main lists 63,000 files; held in
 * memory they cost ~330 bytes each; the list keeps 8 bytes an item in memory). Items are appended while the
 * indices are filtered and read back as many times as needed: in list order through a 64 KiB buffer (the
 * downloads: one read per ~250 items, on the fetch engine's busy thread), or by cursors in digest order (by
 * the first 24 bits of their SHA-256: the catalogue's tables are keyed by digest, and filling them in key
 * order keeps their B-tree pages hot in a small page cache).
 *
 * Ownership: sl_apt_pool_new() -> sl_apt_pool_free(). A read item's strings live in the item struct.
 * Failure: -errno or -SL_E_TOOBIG (a field over its cap); NULL + *cause from new. Nothing is logged. */
#ifndef SL_APT_POOL_H
#define SL_APT_POOL_H
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "core/limits.h"

#define SL_APT_POOL_META_MAX 1024   /* bytes of one item's catalogue metadata (JSON: package, version...) */

struct sl_apt_pool;

struct sl_apt_pool_item {
	char path[SL_MAX_REL_PATH];
	char sha256[SL_SHA256_HEX];
	uint64_t size;
	char meta[SL_APT_POOL_META_MAX];
};

/* The temporary file goes into dirfd (O_TMPFILE, or a name unlinked at once where that is refused). */
struct sl_apt_pool *sl_apt_pool_new(int dirfd, char **cause);
void sl_apt_pool_free(struct sl_apt_pool *p);
int sl_apt_pool_add(struct sl_apt_pool *p, const char *path, const char *sha256, uint64_t size, const char *meta);
size_t sl_apt_pool_count(const struct sl_apt_pool *p);
uint64_t sl_apt_pool_bytes(const struct sl_apt_pool *p);
/* Read from the first item (again). The first rewind ends appending (-EINVAL after); it fails with -ENOMEM,
 * changing nothing, when its 64 KiB read buffer cannot be had. */
int sl_apt_pool_rewind(struct sl_apt_pool *p);
/* The next item in list (append) order: 1, 0 at the end, or a negative code (sticky: every later call
 * returns it). */
int sl_apt_pool_next(struct sl_apt_pool *p, struct sl_apt_pool_item *it);

/* A reader with its own position, for a second pass over the list on another thread while the first goes
 * on (reads are positional; the list is not changed once rewound). Start it with the cursor zeroed, after
 * the first sl_apt_pool_rewind() and before sl_apt_pool_free(). */
struct sl_apt_pool_cursor {
	size_t next;
	uint8_t scratch[2 * sizeof(uint64_t) + SL_SHA256_HEX + SL_MAX_REL_PATH + SL_APT_POOL_META_MAX];
};
/* The cursor's next item in digest order: 1, 0 at the end, or a negative code (-EINVAL before the rewind). */
int sl_apt_pool_read(const struct sl_apt_pool *p, struct sl_apt_pool_cursor *c, struct sl_apt_pool_item *it);

#endif
