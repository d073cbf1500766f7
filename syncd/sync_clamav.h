/* sync_clamav: the ClamAV syncer. For each configured database it learns the upstream's current version
 * as freshclam does (the DNS TXT record when `dns =` is set, else `Range: bytes=0-511` on <db>.cvd with
 * If-Modified-Since), refuses an announced version below the last accepted one, and only when a version
 * moved downloads the new <db>.cvd, the <db>-K.cdiff files back to the `cdiffs` window and the .sign files
 * the upstream has. Databases whose version did not move are carried over from the previous snapshot.
 * It adds entries and seals; trust is decided afterwards by the verifier (verify/clamav_db), which checks
 * every entry, carried over or new, from the store. As an early reject each download first goes through
 * the verifier's per-file checks: a refused file never enters a snapshot, leaves the store unless another
 * snapshot holds it, and fails the run with its verification records.
 *
 * Entries: "<db>.cvd" (role cvd), "<db>-K.cdiff" (cdiff), "<db>-V.cvd.sign" / "<db>-K.cdiff.sign" (sign),
 * all published; meta_json {"database","version","sigs","build_time","flevel",...}. Catalogue state per
 * source: "clamav.<db>.version" (last accepted: read here, written by the verifier's accept),
 * "clamav.clean" (conditional requests only after a clean run). */
#ifndef SL_SYNC_CLAMAV_H
#define SL_SYNC_CLAMAV_H

#include "syncd/sync.h"

extern const struct sl_syncer sl_clamav_syncer;

#endif
