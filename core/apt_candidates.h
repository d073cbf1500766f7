/* apt_candidates: what an APT snapshot changes for the machines that install from it, per (package,
 * architecture). With several suites (bookworm, bookworm-security) the highest version is what apt
 * installs, so that "candidate" is what a comparison speaks of; a tie is attributed to a security suite,
 * so a fix that also reached the point release is still marked. `sluice diff` (admin/diff_apt.c) and the
 * advisories on arrival (verify/advise_apt.c) both walk the changes from here.
 *
 * Both snapshots are streamed from the catalogue ordered by (package, arch) and reduced to one candidate
 * per group; the old snapshot's candidates go to a temporary file, the new one's are merge-joined against
 * it as they come. Memory is flat whatever the number of packages, and each kind of change comes out in
 * (package, arch) order. The callback runs while the catalogue streams the new snapshot: it may read the
 * catalogue but should not write to it.
 *
 * Ownership: the candidates handed to the callback are borrowed for the call. Failure: a negative code
 * from the catalogue, the temporary file, or the callback's own negative return (which stops the walk). */
#ifndef SL_APT_CANDIDATES_H
#define SL_APT_CANDIDATES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/limits.h"

struct sl_catalog;

struct sl_apt_candidate {
	char pkg[256], arch[64], ver[256];
	char suite[128];   /* every suite listing the file ("stable stable-updates") */
	char path[SL_MAX_REL_PATH + 1];   /* the .deb's snapshot path (new side only; "" on the old side) */
};

/* kind: "added", "removed", "upgraded" or "downgraded"; old_c NULL for added, new_c NULL for removed. */
typedef int (*sl_apt_candidates_cb)(void *arg, const char *kind, const struct sl_apt_candidate *old_c,
				    const struct sl_apt_candidate *new_c);

/* Compare old_id (0: nothing published) with new_id. */
int sl_apt_candidates_diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, sl_apt_candidates_cb cb,
			   void *arg);

/* A security suite by Debian's and Ubuntu's naming (bookworm-security, jammy-security, old
 * squeeze/updates). */
bool sl_apt_candidates_security(const char *suite);

#endif
