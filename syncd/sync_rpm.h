/* sync_rpm: the RPM (dnf/yum repository) syncer. It fetches repodata/repomd.xml and repomd.xml.asc, then
 * every metadata file repomd.xml lists (except the sqlite and zchunk variants dnf does not need), each
 * committed to the store only if its size and SHA-256 match the record (an early reject: the verifier
 * decides), then streams primary.xml to list the packages of the configured architectures and fetches
 * each, committed only if size and pkgid SHA-256 match its primary entry. It records nothing the verifier
 * decides (signatures, rollback, checksum strength, hrefs, package signatures): what it cannot use (an
 * md5 record, a hostile href, a primary that does not parse) it skips, seals, and leaves to
 * verify/rpm_chain.c, which refuses the snapshot with the reason.
 *
 * Snapshot entries it produces (the publisher's contract, see admin/publish_rpm.h):
 *   role "repomd"      repodata/repomd.xml (upstream bytes)
 *   role "repomd-sig"  repodata/repomd.xml.asc (absent when the upstream has none)
 *   role "metadata"    each fetched record at its location href; meta {"type": "primary"|...}
 *   role "package"     each package at its location href; meta {"name","epoch","version","release","arch"} */
#ifndef SL_SYNC_RPM_H
#define SL_SYNC_RPM_H

#include "syncd/sync.h"

extern const struct sl_syncer sl_rpm_syncer;

#endif
