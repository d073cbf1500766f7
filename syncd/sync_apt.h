/* sync_apt: the APT syncer. For each configured suite: InRelease (or Release + Release.gpg); then the
 * Packages indices of the configured components and architectures (.xz, else .gz, else plain; by-hash
 * when offered), each committed only if size and SHA-256 match the signed Release; then the pool files of
 * the selected packages (all, or the dependency closure of `packages =`), each committed only if size and
 * SHA-256 match the index. It pre-checks every link with the verifier's own functions (verify/apt_chain.h:
 * signature, policies, planned indices, index content) so that it never downloads what would be refused,
 * but records only fetch-time refusals (bytes that never reach the store); the verifier, run by sync.c
 * over the sealed snapshot, records every other check. After a pre-check refusal the run seals the
 * evidence it has, so the verifier states the refusal. An unchanged upstream costs one conditional
 * request per suite. Trust state ("apt.<suite>.date") is written by the verifier's accept, not here.
 *
 * Snapshot entries it produces (the publisher's contract, see admin/publish_apt.h):
 *   role "release"        dists/<suite>/InRelease | Release | Release.gpg (upstream bytes; meta: fields)
 *   role "upstream-index" the index as fetched: evidence for the verifier in both modes, at
 *                         dists/<suite>/<path> (verbatim: also what is published) or
 *                         upstream/dists/<suite>/<path> (resign: never published)
 *   role "index"          filtered Packages, Packages.gz, Packages.xz per component/arch (publish = resign)
 *   role "pool"           pool/... files; meta {"package","version","arch","suite","component"} */
#ifndef SL_SYNC_APT_H
#define SL_SYNC_APT_H

#include "syncd/sync.h"

extern const struct sl_syncer sl_apt_syncer;

#endif
