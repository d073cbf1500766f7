/* apt_chain_int: what the APT verifier's two files share — one verification's suites, indices and pool
 * tables (apt_chain.c: Releases, indices, the run; apt_chain_pool.c: pool entries against the stanzas of
 * the verified indices, and the generated indices against the upstream ones). Not for use elsewhere. */
#ifndef SL_APT_CHAIN_INT_H
#define SL_APT_CHAIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/apt_release.h"
#include "core/limits.h"
#include "verify/verifier.h"

#define CHAIN_KEY 16                /* bytes of a path or stanza key: SHA-256 truncated to 128 bits */
#define CHAIN_POOL_FAIL_DETAIL 100  /* pool failures recorded one by one; the rest are counted in one record */

struct chain_suite {
	const char *name;
	bool ok;                        /* signature and policies passed */
	bool parsed;
	struct sl_apt_release rel;
	char signer[41];
	char subject[SL_MAX_REL_PATH];  /* dists/<suite>/InRelease or .../Release */
};

struct chain_index {
	struct chain_suite *suite;
	const char *comp, *arch;
	char rel_path[SL_MAX_REL_PATH];  /* relative to dists/<suite>/ */
	const struct sl_apt_release_file *file;
	char entry_sha[SL_SHA256_HEX];   /* the evidence entry's object */
	bool ok;                         /* evidence present and intact */
	int same_form;                   /* resign: the generated form (1 .gz, 2 .xz) that is this very object, or 0 */
	uint64_t stanzas;                /* stanzas of the upstream index */
	uint64_t plain_hits;             /* resign: distinct upstream stanzas the generated plain index holds */
	char plain_sha[SL_SHA256_HEX];   /* resign: the generated plain index, once walked and found good, or "" */
	uint64_t plain_stanzas;          /* its stanzas */
};

struct chain_have {                  /* one pool entry */
	uint8_t key[CHAIN_KEY];          /* of its path */
	uint8_t sha[32];
	/* 56 bytes, not 64: 60,000 of these are the verifier's largest table. */
	uint64_t size : 63;
	uint64_t matched : 1;            /* a published stanza names it with this size and SHA-256 */
};

struct chain_expect {                /* a non-pool entry the chain accounts for */
	char *path;
	const char *role;
};

struct chain {
	struct sl_verify_ctx *v;
	bool resign;
	struct chain_suite *suites;
	size_t nsuites;
	struct chain_index *idx;
	size_t nidx;
	struct chain_expect *expect;
	size_t nexpect, capexpect;
	struct chain_have *have;
	size_t nhave, caphave;
	uint8_t (*para)[CHAIN_KEY];      /* resign: keys of every verified upstream stanza, sorted */
	uint8_t *para_hit;               /* resign: a bit per para key, set when a generated plain index holds it */
	size_t npara, cappara;
	size_t pool_failures;            /* pool-file failures; the first CHAIN_POOL_FAIL_DETAIL are recorded */
	uint64_t pool_bytes;
	bool index_failed;               /* an index was refused: the pool's verdict is not reached */
	int err;                         /* could not run (catalogue, store I/O, memory) */
	char *cause;
};

/* apt_chain.c */
int chain_expect_add(struct chain *ch, const char *path, const char *role);
void chain_key(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[CHAIN_KEY]);
/* An index object is intact with `size` bytes: re-hashed from disk in RECHECK; in ARRIVAL present with that
 * size (the store hashed it at commit). 0 (*got: its size) or a negative code (-SL_E_DIGEST: altered). */
int chain_object_check(struct chain *ch, const char *sha256, uint64_t size, uint64_t *got);

/* apt_chain_pool.c. Each returns 0 (checks recorded, pass or fail) or a negative code when it could not
 * run (ch->cause set). */
int chain_pool_walk(struct chain *ch);           /* every entry: pool entries checked and tabled, the rest accounted */
int chain_pool_upstream(struct chain *ch);       /* stanzas of the verified indices (verbatim: matched to the pool) */
int chain_pool_generated(struct chain *ch);      /* resign: the generated indices, each stanza an upstream one */
int chain_pool_finish(struct chain *ch);         /* pool entries no published stanza names; the summary */
void chain_pool_release(struct chain *ch);

#endif
