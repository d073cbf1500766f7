/* sync_apt: the APT syncer. For each configured suite: InRelease (or Release + Release.gpg), verified with
 * the source's keyring only and checked against rollback/freeze/suite rules; then the Packages indices of
 * the configured components and architectures (.xz, else .gz, else plain; by-hash when offered), each
 * committed only if size and SHA-256 match the signed Release; then the pool files of the selected
 * packages (all, or the dependency closure of `packages =`), each committed only if size and SHA-256 match
 * the verified index. An unchanged upstream costs one conditional request per suite.
 *
 * Snapshot entries it produces (the publisher's contract, see admin/publish.h):
 *   role "release"        dists/<suite>/InRelease | Release | Release.gpg (upstream bytes; meta: fields)
 *   role "upstream-index" the index as fetched (publish = verbatim only)
 *   role "index"          filtered Packages, Packages.gz, Packages.xz per component/arch (publish = resign)
 *   role "pool"           pool/... files; meta {"package","version","arch","suite","component"} */
#ifndef SL_SYNC_APT_H
#define SL_SYNC_APT_H

#include "syncd/sync.h"

extern const struct sl_syncer sl_apt_syncer;

#endif
