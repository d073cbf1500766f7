/* apt_chain: the APT verifier — decides from a snapshot's entries alone whether its whole signed chain
 * InRelease (or Release + Release.gpg) -> Packages -> pool file holds, for a sync, a transfer bundle or a
 * re-check months later (verify/verifier.h). Per configured suite: the OpenPGP signature with the source's
 * keyring only (and its `signed_by` fingerprints), only GPGME's text parsed, then the policies of
 * sl_apt_verify_release (suite, rollback against catalogue state "apt.<suite>.date", future Date, Valid-Until
 * freeze). Per configured component x architecture: the index the signed Release lists (.xz, else .gz,
 * else plain) is in the snapshot with that size and SHA-256 and re-hashes to it in the store. Every pool
 * entry is a safe path under pool/ whose size and SHA-256 are those of the stanza with that Filename in a
 * verified index, and every stanza the snapshot publishes has its pool entry (nothing missing, nothing
 * extra). With publish = resign, every stanza of the generated indices (role "index") is byte for byte a
 * stanza of the verified upstream index of the same suite/component/architecture. An entry the chain does
 * not account for (another suite's Release, an unplanned index, an unknown role) is refused.
 *
 * Entries it reads (written by syncd/sync_apt.c; admin/publish_apt.h says what is published):
 *   "release"        dists/<suite>/InRelease, or dists/<suite>/Release + Release.gpg
 *   "upstream-index" the index as fetched: at dists/<suite>/<path> (verbatim: it is what gets published)
 *                    or at upstream/dists/<suite>/<path> (resign: evidence only, never published; the
 *                    generated index takes the real name) — sl_apt_chain_index_path()
 *   "index"          resign only: dists/<suite>/<comp>/binary-<arch>/Packages, .gz, .xz as generated
 *   "pool"           pool/... files
 *
 * Memory stays flat with the archive: indices are streamed, and the pool is matched through two sorted
 * arrays of fixed-size records (128-bit hash of the Filename, SHA-256, size: 64 bytes per pool file;
 * resign adds 16 bytes per upstream stanza) — about 4 MB at 60,000 packages.
 *
 * The syncer pre-checks with the same functions (sl_apt_chain_release, sl_apt_chain_plan_index) so it
 * never downloads what the verifier will refuse; it records none of these checks itself.
 *
 * Ownership: everything borrowed for the call. Failure: see verifier.h; the helpers below return 0 or a
 * negative code with *cause (heap) where they take one. */
#ifndef SL_APT_CHAIN_H
#define SL_APT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/apt_release.h"
#include "verify/apt_verify.h"
#include "verify/verifier.h"

struct sl_gpg;
struct sl_source;

#define SL_APT_CHAIN_EVIDENCE_DIR "upstream/"   /* prefix of the upstream indices kept as evidence (resign) */
#define SL_APT_CHAIN_STATE_FMT "apt.%s.date"     /* catalogue state: Date (Unix s) of the last accepted Release */

extern const struct sl_verifier sl_apt_verifier;

/* One check of a Release, for whoever records it (NULL: nobody, the syncer's silent pre-check). */
typedef void (*sl_apt_chain_record_fn)(void *arg, const char *check, const char *key_fpr, bool passed,
				       const char *reason);

/* One suite's signed Release: the signature over body (clear-signed when sig is NULL, else detached),
 * the text GPGME vouched for parsed into *rel (release it with sl_apt_release_release, also after a
 * failure), then pol's policies. Records "openpgp-signature", then "release-format" (only when it fails)
 * or the policy checks. signer: the accepted primary fingerprint, "" when none. 0 when every check
 * passed; -SL_E_SIGNATURE, -SL_E_PARSE..., or the policy's code otherwise. */
int sl_apt_chain_release(struct sl_gpg *gpg, const void *body, size_t body_len, const void *sig, size_t sig_len,
			 const struct sl_apt_policy *pol, sl_apt_chain_record_fn record, void *arg,
			 struct sl_apt_release *rel, char signer[41]);

/* The index a signed Release lists for comp/arch: rel_path "<comp>/binary-<arch>/Packages[.xz|.gz]"
 * (first listed of .xz, .gz, plain) and its *file. -SL_E_MISMATCH when the Release lists components and
 * comp is not one of them, -SL_E_NOTFOUND when no index is listed; *why (static text) says which check
 * failed ("component" or "index-listed"). */
int sl_apt_chain_plan_index(const struct sl_apt_release *rel, const char *comp, const char *arch, char *rel_path,
			    size_t cap, const struct sl_apt_release_file **file, const char **why);

/* The Date of the last accepted Release of suite (catalogue state, see SL_APT_CHAIN_STATE_FMT): 0 into
 * *out when none was accepted yet; a negative code when the catalogue failed. */
struct sl_catalog;
int sl_apt_chain_last_date(struct sl_catalog *cat, int64_t source_id, const char *suite, time_t *out);

/* Where a snapshot keeps the upstream index dists/<suite>/<rel_path> (see above). 0 or -SL_E_TOOBIG. */
int sl_apt_chain_index_path(const struct sl_source *src, const char *suite, const char *rel_path, char *buf,
			    size_t cap);

#endif
