/* apt_seen: the pool paths a sync has already queued (an arch:all file appears in every architecture's
 * index, a point release's files in two suites). Each path is kept as 16 bytes of its SHA-256 in one
 * open-addressed array, not as a string: 60,000 paths take 2 MB instead of ~6 MB of small allocations,
 * and the array goes back to the system when freed (the set is dropped before the downloads start).
 *
 * Ownership: sl_apt_seen_new() -> sl_apt_seen_free(); _free(NULL) is a no-op. Failure: -ENOMEM, or
 * -SL_E_TOOBIG past SL_APT_MAX_POOL paths. */
#ifndef SL_APT_SEEN_H
#define SL_APT_SEEN_H

#include <stddef.h>

struct sl_apt_seen;

struct sl_apt_seen *sl_apt_seen_new(void);
void sl_apt_seen_free(struct sl_apt_seen *s);
/* 1 when `path` is new (and now remembered), 0 when already seen, or a negative code. */
int sl_apt_seen_add(struct sl_apt_seen *s, const char *path);
size_t sl_apt_seen_count(const struct sl_apt_seen *s);

#endif
