/* clamav_db: the ClamAV verifier. It decides from a snapshot's entries alone (whether a sync just fetched
 * them, carried them over from an earlier snapshot, or a transfer bundle brought them) that every database
 * is ClamAV's: for each "<db>.cvd" the 512-byte header, the body's MD5 as the header names it, the header's
 * dsig over that MD5 with ClamAV's key (or the source's cvd_key), a sane tar body and the signed <db>.info
 * that binds header and members, no version below the last accepted one (ARRIVAL), and that <db> is a
 * database this source is configured for; for each "<db>-K.cdiff" its format (version K), signature and
 * script, and that the cdiffs form a contiguous chain ending at the CVD's version; for each ".sign" that it
 * is a bounded text file. RECHECK re-hashes every object first and does not re-judge rollback.
 *
 * Entries (written by syncd/sync_clamav): "<db>.cvd" (role cvd), "<db>-K.cdiff" (cdiff), "<db>-V.cvd.sign"
 * and "<db>-K.cdiff.sign" (sign). Trust state per source: "clamav.<db>.version", the last accepted version,
 * read by the syncer to decide what to fetch and written only by `accept`.
 *
 * The per-file checks are exported for the syncer's early reject: a download that fails them never enters
 * a snapshot, and is refused with these same records. They record through sl_verify_check() on the given
 * context and return true when every check passed.
 *
 * Ownership: borrows everything. Failure: see verify/verifier.h. */
#ifndef SL_CLAMAV_DB_H
#define SL_CLAMAV_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cvd.h"
#include "verify/clamav_sig.h"
#include "verify/verifier.h"

extern const struct sl_verifier sl_clamav_verifier;

struct sl_catalog;

/* The last accepted version of database `db` ("clamav.<db>.version"); 0 when none. 0 or a catalogue error. */
int sl_clamav_db_accepted(struct sl_catalog *cat, int64_t source_id, const char *db, int64_t *version);

/* The CVD `path` ("<db>.cvd") read from fd (offset 0), checked phase by phase: header, version against
 * `accepted` (skipped when negative), body MD5, dsig, archive, .info. *h is the parsed header when the
 * header check passed (else zeroed). */
bool sl_clamav_db_check_cvd(struct sl_verify_ctx *v, const struct sl_clamav_keys *keys, const char *db,
			    const char *path, int fd, int64_t accepted, struct sl_cvd_header *h);
/* The CDIFF `path` that its name says produces version `want`: format, signature, script. */
bool sl_clamav_db_check_cdiff(struct sl_verify_ctx *v, const struct sl_clamav_keys *keys, const char *path,
			      uint32_t want, const uint8_t *p, size_t len);
/* The .sign file `path` for the file `signs`: a non-empty text file. */
bool sl_clamav_db_check_sign(struct sl_verify_ctx *v, const char *path, const char *signs, const uint8_t *p,
			     size_t len);

#endif
