/* deb_changelog: what a package's own changelog (changelog.Debian) says an upgrade fixes — the CVE IDs and
 * the highest urgency of the entries newer than the installed version, up to the new one. The bytes come
 * from a .deb whose hash the signed chain vouches for, but they are still the packager's free text: the
 * parser is line-based, bounded (caps in core/limits.h) and never fails on odd input — an entry header it
 * cannot read just ends the scan.
 *
 * Failure: 0 always for text it could read (out says what it found); -EINVAL for NULL arguments. */
#ifndef SL_DEB_CHANGELOG_H
#define SL_DEB_CHANGELOG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/limits.h"

struct sl_changelog_advice {
	unsigned entries;                    /* changelog entries between the two versions */
	char urgency[16];                    /* the highest: low, medium, high, emergency, critical; "" if none */
	size_t ncves;                        /* distinct CVE IDs, in order of appearance */
	char cves[SL_MAX_ADVISORY_CVES][24];
	bool truncated;                      /* more CVEs than kept */
};

/* Entries with old_ver < version <= new_ver (old_ver NULL: only the newest entry). */
int sl_deb_changelog_advice(const char *text, size_t len, const char *old_ver, const char *new_ver,
			    struct sl_changelog_advice *out);

#endif
