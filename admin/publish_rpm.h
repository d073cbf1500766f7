/* publish_rpm: an RPM snapshot as a dnf repository under public/rpm/<source>/.
 *
 * publish = verbatim: every entry at its path (repodata/repomd.xml, repomd.xml.asc, the metadata files and
 * the packages, all hard links into the store): the upstream's signed metadata unchanged, so dnf with
 * repo_gpgcheck=1 keeps trusting the upstream's key, and gpgcheck=1 its package key. The roles of
 * syncd/sync_rpm.h all publish; none is evidence-only.
 * publish = resign: not implemented yet (regenerating primary/filelists/other for a subset and signing
 * repomd.xml with sluice's key): the build fails with a clear cause, nothing is published. */
#ifndef SL_PUBLISH_RPM_H
#define SL_PUBLISH_RPM_H

#include "admin/publish.h"

extern const struct sl_publisher sl_rpm_publisher;

#endif
