/* sync_clamav: the ClamAV syncer. For each configured database it learns the upstream's current version
 * as freshclam does (the DNS TXT record when `dns =` is set, else `Range: bytes=0-511` on <db>.cvd with
 * If-Modified-Since), and only when a version moved downloads the new <db>.cvd, the <db>-K.cdiff files
 * back to the `cdiffs` window and the .sign files the upstream has. Everything is verified before it
 * enters the snapshot: the CVD header, the body's MD5 and tar structure, the dsig with ClamAV's key (or
 * the source's cvd_key), no version below the last accepted one, each cdiff's signature and version,
 * and the chain's contiguity. Databases whose version did not move are carried over from the previous
 * snapshot. Objects that fail are removed from the store unless another snapshot references them.
 *
 * Entries: "<db>.cvd" (role cvd), "<db>-K.cdiff" (cdiff), "<db>-V.cvd.sign" / "<db>-K.cdiff.sign" (sign);
 * meta_json {"database","version","sigs","build_time","flevel",...}. Catalogue state per source:
 * "clamav.<db>.version" (last accepted), "clamav.clean" (conditional requests only after a clean run). */
#ifndef SL_SYNC_CLAMAV_H
#define SL_SYNC_CLAMAV_H

#include "syncd/sync.h"

extern const struct sl_syncer sl_clamav_syncer;

#endif
