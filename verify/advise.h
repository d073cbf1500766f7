/* advise: a format's advisories on arrival — what an update says it fixes (APT: the CVE IDs and urgency of
 * an upgraded package's own changelog entries, verify/advise_apt.c; RPM: the repository's updateinfo
 * advisories naming a package the snapshot brings, verify/advise_rpm.c). A format row reaches its advisor
 * through `sl_format_ops.advise` (core/format.h); verify/findings.c records each advisory as a
 * non-blocking finding of kind "advisory". Advisories are information: they never block approval, and
 * an artifact whose changelog cannot be read simply has none.
 *
 * Ownership: the advisory handed to cb is borrowed for the call. Failure: a negative code from the
 * catalogue or the store (or cb's negative return); odd package contents are never a failure. */
#ifndef SL_ADVISE_H
#define SL_ADVISE_H

#include <stdint.h>

struct sl_catalog;
struct sl_store;

struct sl_advisory {
	const char *artifact;   /* snapshot path of the new artifact */
	const char *digest;     /* its SHA-256 */
	const char *member;     /* where inside it the advisory was read, or NULL */
	const char *detail;     /* one line: what the update fixes */
};

struct sl_advisor {
	/* The advisories of new_id against old_id (0: nothing published; then there are none). */
	int (*advise)(struct sl_catalog *cat, struct sl_store *store, int64_t old_id, int64_t new_id,
		      int (*cb)(void *arg, const struct sl_advisory *a), void *arg);
};

#endif
