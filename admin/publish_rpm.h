/* publish_rpm: an RPM snapshot as a dnf repository under public/rpm/<source>/.
 *
 * publish = verbatim: every entry at its path (repodata/repomd.xml, repomd.xml.asc, the metadata files and
 * the packages, all hard links into the store): the upstream's signed metadata unchanged, so dnf with
 * repo_gpgcheck=1 keeps trusting the upstream's key, and gpgcheck=1 its package key. The roles of
 * syncd/sync_rpm.h all publish; none is evidence-only.
 * publish = resign (admin/publish_rpm_resign.c): the packages linked at their paths, byte-identical (so
 * gpgcheck=1 keeps trusting the vendor's package key); primary/filelists/other regenerated for exactly
 * them with libcreaterepo_c, streaming; updateinfo pruned to the shipped packages (advisories left with
 * no package dropped), modules.yaml to the streams with a shipped artifact and comps to the groups with a
 * shipped package (publish_rpm_modules.h, publish_rpm_comps.h); repomd.xml with a
 * revision strictly greater than any this source published before (catalogue state
 * rpm.publish.revision), signed with sluice's key as repodata/repomd.xml.asc. */
#ifndef SL_PUBLISH_RPM_H
#define SL_PUBLISH_RPM_H

#include "admin/publish.h"

extern const struct sl_publisher sl_rpm_publisher;

/* The resign build op (publish_rpm_resign.c). */
int sl_rpm_publish_resign(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause);

#endif
