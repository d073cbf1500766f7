/* verifier: the one shape of every format's trust decision. A verifier reads a candidate snapshot whose
 * objects are already in the store (its catalogue entries: path, SHA-256, size, role, meta) and decides,
 * from those bytes and the verifying side's own configuration and trust state, whether the snapshot is
 * authentic: upstream signatures with the source's keyring, the whole hash chain down to every object,
 * and the format's policies (rollback, freeze, suite, versions, size caps). It never touches the network,
 * so the same code decides for a sync, for a transfer bundle imported across the air gap, and for a
 * periodic re-check of a stored snapshot (`sluice verify --chain`).
 *
 * Every check is reported through sl_verify_check() (pass or fail, with a reason an auditor can read);
 * where the record goes is the caller's business (a sync records on the snapshot, a re-check prints and
 * summarises). A verifier runs every check it can even after a failure, so one run names every problem.
 *
 * Evidence: a snapshot keeps every upstream byte its chain needs (signed metadata, indices as fetched,
 * signature payloads), under roles the format's publisher documents; a verifier must be able to decide
 * from the entries alone.
 *
 * Modes. SL_VERIFY_ARRIVAL (sync, import): rollback is judged against the source's trust state in the
 * catalogue (last accepted Date, versions, digests) and time policies against now; after the caller has
 * accepted the snapshot, `accept` advances that trust state. SL_VERIFY_RECHECK (a stored snapshot, months
 * later): signatures with the source's *current* keyring, every hash; time policies are judged at the
 * moment the snapshot was made (`now` = its creation time: was it acceptable then?) and rollback is not
 * re-judged (later snapshots have moved the trust state on by design); `accept` is never called.
 *
 * Ownership: the context is the caller's; verifiers borrow everything in it for the call.
 * Failure: verify returns 0 when every check passed, -SL_E_VERIFY when at least one failed (every failure
 * recorded, *cause naming the first), another negative code when it could not run at all (catalogue,
 * store I/O, GnuPG), with *cause set. */
#ifndef SL_VERIFIER_H
#define SL_VERIFIER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sl_config;
struct sl_source;
struct sl_catalog;
struct sl_store;
struct sl_gpg;

enum sl_verify_mode {
	SL_VERIFY_ARRIVAL,
	SL_VERIFY_RECHECK,
};

/* One recorded check. subject: the file it concerns ("dists/bookworm/InRelease", "main.cvd"); check: a
 * stable short name ("openpgp-signature", "sha256"); key_fpr: the signer, or NULL. */
struct sl_check {
	const char *subject, *check, *key_fpr, *reason;
	bool passed;
};

struct sl_verify_ctx {
	const struct sl_config *cfg;
	const struct sl_source *src;   /* the verifying side's configuration of the source */
	struct sl_catalog *cat;        /* entries of snap_id; trust state of source_id (read in ARRIVAL) */
	struct sl_store *store;
	int64_t source_id, snap_id;
	enum sl_verify_mode mode;
	time_t now;                    /* time policies are judged at this instant */
	void (*record)(void *arg, const struct sl_check *c);   /* may be NULL */
	void *record_arg;
	/* Filled by sl_verify_check(). */
	unsigned checks, failed;
	char first_failure[512];       /* "subject: check: reason" of the first failure, "" while none */
};

struct sl_verifier {
	int (*verify)(struct sl_verify_ctx *v, char **cause);
	/* ARRIVAL only, after the snapshot is recorded as verified: advance the source's trust state
	 * (e.g. last accepted Release Date per suite). May be NULL when the format keeps none. */
	int (*accept)(struct sl_verify_ctx *v, char **cause);
};

/* Record one check (formatted reason), count it, log a failure once. Returns `passed`. */
bool sl_verify_check(struct sl_verify_ctx *v, const char *subject, const char *check, const char *key_fpr,
		     bool passed, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The verdict after all checks: 0 when none failed, else -SL_E_VERIFY with *cause = first_failure. */
int sl_verify_verdict(struct sl_verify_ctx *v, char **cause);

/* The path of a source's isolated GnuPG home (STATE/gnupg/<source>): the verifier's, and the one a
 * syncer's pre-check uses, so both see the same imported keyring. 0 or -SL_E_TOOBIG. */
int sl_verify_gpg_home(const struct sl_config *cfg, const struct sl_source *src, char *buf, size_t cap);

/* An isolated GnuPG home for this source's verification (STATE/gnupg/<source>) holding exactly the
 * given keyring, restricted to allowed fingerprints (n 0: any key of the keyring). NULL + cause. */
struct sl_gpg *sl_verify_gpg(const struct sl_verify_ctx *v, const char *keyring, const char *const *allowed_fprs,
			     size_t n_allowed, char **cause);

/* Run the verifier of the source's format over snapshot v->snap_id. -SL_E_UNSUPPORTED when the format
 * has no verifier linked into this program. */
int sl_verify_snapshot(struct sl_verify_ctx *v, char **cause);
int sl_verify_accept(struct sl_verify_ctx *v, char **cause);

#endif
