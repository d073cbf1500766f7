/* apt_chain: the APT chain verifier — Releases and indices here, the pool in apt_chain_pool.c. */
#include "verify/apt_chain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/store.h"
#include "verify/apt_chain_int.h"
#include "verify/gpg.h"

/* ---- shared with the syncer -------------------------------------------------------------------- */

struct policy_rec {
	sl_apt_chain_record_fn record;
	void *arg;
	const char *signer;
};

static void policy_record(void *arg, const char *check, bool passed, const char *reason)
{
	struct policy_rec *pr = arg;
	if (pr->record != NULL)
		pr->record(pr->arg, check, pr->signer, passed, reason);
}

int sl_apt_chain_release(struct sl_gpg *gpg, const void *body, size_t body_len, const void *sig, size_t sig_len,
			 const struct sl_apt_policy *pol, sl_apt_chain_record_fn record, void *arg,
			 struct sl_apt_release *rel, char signer[41])
{
	memset(rel, 0, sizeof *rel);
	signer[0] = '\0';
	struct sl_gpg_result g = { 0 };
	int rc = sig != NULL ? sl_gpg_verify_detached(gpg, body, body_len, sig, sig_len, &g)
			     : sl_gpg_verify_clearsigned(gpg, body, body_len, &g);
	if (record != NULL)
		record(arg, "openpgp-signature", rc == 0 ? g.fpr : NULL, rc == 0, g.reason ? g.reason : sl_strerror(rc));
	if (rc < 0) {
		sl_gpg_result_release(&g);
		return -SL_E_SIGNATURE;
	}
	snprintf(signer, 41, "%s", g.fpr);

	/* Only the text GPGME vouched for is parsed. */
	char *pcause = NULL;
	rc = sl_apt_release_parse(g.text, g.len, rel, &pcause);
	sl_gpg_result_release(&g);
	if (rc < 0) {
		if (record != NULL)
			record(arg, "release-format", signer, false, pcause ? pcause : sl_strerror(rc));
		free(pcause);
		return rc;
	}
	struct policy_rec pr = { record, arg, signer };
	return sl_apt_verify_release(rel, pol, policy_record, &pr);
}

int sl_apt_chain_plan_index(const struct sl_apt_release *rel, const char *comp, const char *arch, char *rel_path,
			    size_t cap, const struct sl_apt_release_file **file, const char **why)
{
	static const char *const exts[] = { ".xz", ".gz", "" };
	*file = NULL;
	if (rel->ncomponents > 0 && !sl_apt_release_has_component(rel, comp)) {
		*why = "component";
		return -SL_E_MISMATCH;
	}
	for (unsigned e = 0; e < 3 && *file == NULL; e++) {
		int n = snprintf(rel_path, cap, "%s/binary-%s/Packages%s", comp, arch, exts[e]);
		if (n < 0 || (size_t)n >= cap)
			return -SL_E_TOOBIG;
		*file = sl_apt_release_find(rel, rel_path);
	}
	if (*file == NULL) {
		*why = "index-listed";
		return -SL_E_NOTFOUND;
	}
	return 0;
}

int sl_apt_chain_index_path(const struct sl_source *src, const char *suite, const char *rel_path, char *buf,
			    size_t cap)
{
	const char *pre = src->publish == SL_PUBLISH_RESIGN ? SL_APT_CHAIN_EVIDENCE_DIR : "";
	int n = snprintf(buf, cap, "%sdists/%s/%s", pre, suite, rel_path);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

int sl_apt_chain_last_date(struct sl_catalog *cat, int64_t source_id, const char *suite, time_t *out)
{
	char key[SL_MAX_REL_PATH], *val = NULL;
	*out = 0;
	snprintf(key, sizeof key, SL_APT_CHAIN_STATE_FMT, suite);
	int rc = sl_catalog_state_get(cat, source_id, key, &val);
	if (rc == -SL_E_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	*out = (time_t)strtoll(val, NULL, 10);
	free(val);
	return 0;
}

/* ---- helpers for both files ---------------------------------------------------------------------- */

int chain_expect_add(struct chain *ch, const char *path, const char *role)
{
	if (ch->nexpect == ch->capexpect) {
		size_t cap = ch->capexpect ? ch->capexpect * 2 : 16;
		struct chain_expect *e = realloc(ch->expect, cap * sizeof *e);
		if (e == NULL)
			return -ENOMEM;
		ch->expect = e;
		ch->capexpect = cap;
	}
	char *p = strdup(path);
	if (p == NULL)
		return -ENOMEM;
	ch->expect[ch->nexpect++] = (struct chain_expect){ p, role };
	return 0;
}

/* 128 bits of SHA-256 over a, then b: no two different paths or stanzas meet by accident, and finding a
 * pair that does is a 2^64 birthday search even for whoever wrote the index. */
void chain_key(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[CHAIN_KEY])
{
	uint8_t full[32];
	if (sl_digest_sha256_raw2(a, alen, b, blen, full) < 0)
		memset(full, 0xff, sizeof full);   /* no hasher: every key equal, so nothing matches by chance */
	memcpy(out, full, CHAIN_KEY);
}

int chain_object_check(struct chain *ch, const char *sha256, uint64_t size, uint64_t *got)
{
	struct sl_verify_ctx *v = ch->v;
	if (v->mode == SL_VERIFY_ARRIVAL) {
		/* As for pool objects (apt_chain_pool.c): the store committed them only after their bytes hashed
		 * to their name, moments ago; the size check catches one torn by a crash before the store sync. */
		*got = size;
		return sl_store_has_size(v->store, sha256, size) ? 0 : -SL_E_NOTFOUND;
	}
	return sl_store_check(v->store, sha256, got);
}

/* ---- Releases -------------------------------------------------------------------------------------- */

struct release_rec {
	struct sl_verify_ctx *v;
	const char *subject;
};

static void release_record(void *arg, const char *check, const char *key_fpr, bool passed, const char *reason)
{
	struct release_rec *rr = arg;
	/* Later snapshots moved the trust state on by design: a re-check does not judge rollback. */
	if (rr->v->mode == SL_VERIFY_RECHECK && strcmp(check, "rollback") == 0)
		reason = "not judged on a re-check (judged when the snapshot arrived)";
	sl_verify_check(rr->v, rr->subject, check, key_fpr, passed, "%s", reason);
}

/* Read a release entry's object (re-hashed on the way). 0, or a failure reason into why. */
static int read_release(struct chain *ch, const struct sl_entry *e, uint8_t **data, size_t *len, char *why,
			size_t cap)
{
	int rc = sl_store_read(ch->v->store, e->sha256, SL_MAX_RELEASE_BYTES, data, len);
	if (rc == -SL_E_DIGEST)
		snprintf(why, cap, "store object %s altered on disk: its bytes no longer hash to its name", e->sha256);
	else if (rc == -SL_E_NOTFOUND || rc == -ENOENT)
		snprintf(why, cap, "store object %s is missing", e->sha256);
	else if (rc < 0)
		snprintf(why, cap, "store object %s: %s", e->sha256, sl_strerror(rc));
	else if (*len != e->size)
		snprintf(why, cap, "store object has %zu bytes, the entry says %llu", *len, (unsigned long long)e->size);
	else
		return 0;
	free(*data);
	*data = NULL;
	return rc < 0 ? rc : -SL_E_SIZE;
}

/* The suite's release entries into e[]: InRelease (1), else Release + Release.gpg (2), else 0 (missing,
 * also when only one of the pair is there); or a negative catalogue error. */
static int release_entries(struct chain *ch, struct chain_suite *s, struct sl_entry e[2])
{
	static const char *const names[] = { "InRelease", "Release", "Release.gpg" };
	char path[3][SL_MAX_REL_PATH];
	bool have[3] = { false, false, false };
	for (int i = 0; i < 3; i++)
		snprintf(path[i], sizeof path[i], "dists/%s/%s", s->name, names[i]);
	snprintf(s->subject, sizeof s->subject, "%s", path[0]);
	int rc = sl_catalog_snapshot_entry(ch->v->cat, ch->v->snap_id, path[0], &e[0]);
	if (rc == 0)
		return 1;
	for (int i = 1; i < 3 && rc == -SL_E_NOTFOUND; i++) {
		rc = sl_catalog_snapshot_entry(ch->v->cat, ch->v->snap_id, path[i], &e[i - 1]);
		have[i] = rc == 0;
		if (rc == 0 && i == 1)
			rc = -SL_E_NOTFOUND;   /* go on to Release.gpg */
	}
	if (rc < 0 && rc != -SL_E_NOTFOUND) {
		if (have[1])
			sl_entry_release(&e[0]);
		return rc;
	}
	if (have[1] && have[2]) {
		snprintf(s->subject, sizeof s->subject, "%s", path[1]);
		return 2;
	}
	if (have[1]) {
		/* A Release without its signature: recorded against the Release, and accounted for. */
		snprintf(s->subject, sizeof s->subject, "%s", path[1]);
		int r = chain_expect_add(ch, path[1], "release");
		sl_entry_release(&e[0]);
		return r < 0 ? r : 0;
	}
	if (have[2]) {
		int r = chain_expect_add(ch, path[2], "release");
		sl_entry_release(&e[1]);
		return r < 0 ? r : 0;
	}
	return 0;
}

static int verify_suite(struct chain *ch, struct chain_suite *s, struct sl_gpg *gpg)
{
	struct sl_verify_ctx *v = ch->v;
	struct sl_entry e[2];
	memset(e, 0, sizeof e);
	int n = release_entries(ch, s, e);
	if (n < 0)
		return sl_cause(&ch->cause, n, "catalogue: %s", sl_strerror(n));
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = chain_expect_add(ch, e[i].path, "release");
	uint8_t *data[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	char why[512] = "";
	if (n == 0)
		snprintf(why, sizeof why, "neither InRelease nor Release + Release.gpg is in the snapshot");
	for (int i = 0; i < n && rc == 0 && why[0] == '\0'; i++) {
		if (strcmp(e[i].role ? e[i].role : "", "release") != 0)
			snprintf(why, sizeof why, "%s has role \"%s\", not \"release\"", e[i].path, e[i].role ? e[i].role : "");
		else if (read_release(ch, &e[i], &data[i], &len[i], why, sizeof why) == 0)
			continue;
	}
	if (rc == 0 && why[0] != '\0') {
		sl_verify_check(v, s->subject, "openpgp-signature", NULL, false, "%s", why);
	} else if (rc == 0) {
		struct sl_apt_policy pol = {
			.suite = s->name, .now = v->now, .max_future_ms = v->src->max_future_ms,
		};
		if (v->mode == SL_VERIFY_ARRIVAL)
			rc = sl_apt_chain_last_date(v->cat, v->source_id, s->name, &pol.last_date);
		if (rc < 0) {
			sl_cause(&ch->cause, rc, "catalogue: %s", sl_strerror(rc));
		} else {
			struct release_rec rr = { v, s->subject };
			int vr = sl_apt_chain_release(gpg, data[0], len[0], n == 2 ? data[1] : NULL, len[1], &pol,
						      release_record, &rr, &s->rel, s->signer);
			s->parsed = true;
			s->ok = vr == 0;
		}
	}
	for (int i = 0; i < 2; i++) {
		free(data[i]);
		if (i < n)
			sl_entry_release(&e[i]);
	}
	return rc;
}

/* ---- indices ------------------------------------------------------------------------------------- */

static int plan_suite(struct chain *ch, struct chain_suite *s, bool *all_ok)
{
	const struct sl_source *src = ch->v->src;
	for (size_t c = 0; c < src->components.n; c++) {
		for (size_t a = 0; a < src->architectures.n; a++) {
			struct chain_index *ix = &ch->idx[ch->nidx];
			memset(ix, 0, sizeof *ix);
			ix->suite = s;
			ix->comp = src->components.v[c];
			ix->arch = src->architectures.v[a];
			const char *why = "";
			int rc = sl_apt_chain_plan_index(&s->rel, ix->comp, ix->arch, ix->rel_path, sizeof ix->rel_path,
							 &ix->file, &why);
			if (rc == -SL_E_MISMATCH) {
				/* Today's words; one record per component, as the syncer made them. */
				sl_verify_check(ch->v, s->name, "component", s->signer, false,
						"component %s is not in the signed Release", ix->comp);
				*all_ok = false;
				break;
			}
			if (rc == -SL_E_NOTFOUND) {
				sl_verify_check(ch->v, s->name, "index-listed", s->signer, false,
						"no Packages index for %s/binary-%s in the signed Release", ix->comp, ix->arch);
				*all_ok = false;
				continue;
			}
			if (rc < 0)
				return sl_cause(&ch->cause, rc, "dists/%s: index path too long", s->name);
			ch->nidx++;
		}
	}
	return 0;
}

/* The evidence entry of one planned index: present, as the signed Release says, intact in the store. */
static int check_index(struct chain *ch, struct chain_index *ix)
{
	struct sl_verify_ctx *v = ch->v;
	const char *suite = ix->suite->name, *signer = ix->suite->signer;
	char subject[SL_MAX_PATH], path[SL_MAX_PATH];
	snprintf(subject, sizeof subject, "dists/%s/%s", suite, ix->rel_path);
	int rc = sl_apt_chain_index_path(v->src, suite, ix->rel_path, path, sizeof path);
	if (rc == 0)
		rc = chain_expect_add(ch, path, "upstream-index");
	if (rc < 0)
		return sl_cause(&ch->cause, rc, "%s: %s", subject, sl_strerror(rc));
	struct sl_entry e;
	rc = sl_catalog_snapshot_entry(v->cat, v->snap_id, path, &e);
	if (rc == -SL_E_NOTFOUND) {
		sl_verify_check(v, subject, "index-hash", signer, false, "not in the snapshot (expected as %s)", path);
		return 0;
	}
	if (rc < 0)
		return sl_cause(&ch->cause, rc, "catalogue: %s", sl_strerror(rc));
	const struct sl_apt_release_file *f = ix->file;
	uint64_t got = 0;
	if (strcmp(e.role ? e.role : "", "upstream-index") != 0) {
		sl_verify_check(v, subject, "index-hash", signer, false, "%s has role \"%s\", not \"upstream-index\"",
				path, e.role ? e.role : "");
	} else if (e.size != f->size || strcmp(e.sha256, f->sha256) != 0) {
		sl_verify_check(v, subject, "index-hash", signer, false,
				"snapshot entry has size %llu and SHA-256 %s; the signed Release says size %llu and "
				"SHA-256 %s", (unsigned long long)e.size, e.sha256, (unsigned long long)f->size,
				f->sha256);
	} else if ((rc = chain_object_check(ch, e.sha256, e.size, &got)) < 0 || got != f->size) {
		if (rc == -SL_E_DIGEST)
			sl_verify_check(v, subject, "index-hash", signer, false,
					"store object %s altered on disk: its bytes no longer hash to its name", e.sha256);
		else if (rc < 0)
			sl_verify_check(v, subject, "index-hash", signer, false, "store object %s: %s", e.sha256,
					rc == -ENOENT || rc == -SL_E_NOTFOUND ? "missing" : sl_strerror(rc));
		else
			sl_verify_check(v, subject, "index-hash", signer, false, "store object has %llu bytes, expected %llu",
					(unsigned long long)got, (unsigned long long)f->size);
		rc = 0;
	} else {
		sl_verify_check(v, subject, "index-hash", signer, true, "size %llu and SHA-256 %s match the signed Release",
				(unsigned long long)f->size, f->sha256);
		snprintf(ix->entry_sha, sizeof ix->entry_sha, "%s", e.sha256);
		ix->ok = true;
	}
	sl_entry_release(&e);
	return 0;
}

/* resign: the generated indices of every planned index are part of the chain (checked in apt_chain_pool.c). */
static int expect_generated(struct chain *ch)
{
	static const char *const ext[] = { "", ".gz", ".xz" };
	for (size_t i = 0; i < ch->nidx; i++) {
		for (int k = 0; k < 3; k++) {
			char path[SL_MAX_PATH];
			snprintf(path, sizeof path, "dists/%s/%s/binary-%s/Packages%s", ch->idx[i].suite->name,
				 ch->idx[i].comp, ch->idx[i].arch, ext[k]);
			int rc = chain_expect_add(ch, path, "index");
			if (rc < 0)
				return sl_cause(&ch->cause, rc, "%s", sl_strerror(rc));
		}
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------------------------- */

static void chain_release(struct chain *ch)
{
	for (size_t i = 0; i < ch->nsuites; i++)
		if (ch->suites[i].parsed)
			sl_apt_release_release(&ch->suites[i].rel);
	free(ch->suites);
	free(ch->idx);
	for (size_t i = 0; i < ch->nexpect; i++)
		free(ch->expect[i].path);
	free(ch->expect);
	chain_pool_release(ch);
	free(ch->cause);
}

static struct sl_gpg *chain_gpg(struct sl_verify_ctx *v, char **cause)
{
	const struct sl_source *src = v->src;
	return sl_verify_gpg(v, src->keyring, (const char *const *)src->fingerprints.v, src->fingerprints.n, cause);
}

/* Phases in chain order; a phase runs only when every check of the one before passed, since its input
 * (a Release's file list, an index's stanzas) is not trusted otherwise. */
static int chain_run(struct chain *ch)
{
	struct sl_verify_ctx *v = ch->v;
	const struct sl_source *src = v->src;
	if (src->suites.n > SL_APT_MAX_SUITES)
		return sl_cause(&ch->cause, -SL_E_TOOBIG, "too many suites (max %d)", SL_APT_MAX_SUITES);
	ch->suites = calloc(src->suites.n ? src->suites.n : 1, sizeof *ch->suites);
	size_t nplan = src->suites.n * src->components.n * src->architectures.n;
	if (nplan > SL_APT_MAX_INDICES)
		return sl_cause(&ch->cause, -SL_E_TOOBIG, "too many indices (max %d)", SL_APT_MAX_INDICES);
	ch->idx = calloc(nplan ? nplan : 1, sizeof *ch->idx);
	if (ch->suites == NULL || ch->idx == NULL)
		return -ENOMEM;
	ch->nsuites = src->suites.n;

	struct sl_gpg *gpg = chain_gpg(v, &ch->cause);
	if (gpg == NULL)
		return -SL_E_SIGNATURE;
	int rc = 0;
	bool ok = true;
	for (size_t i = 0; i < ch->nsuites && rc == 0; i++) {
		ch->suites[i].name = src->suites.v[i];
		rc = verify_suite(ch, &ch->suites[i], gpg);
		ok = ok && ch->suites[i].ok;
	}
	sl_gpg_free(gpg);
	if (rc < 0 || !ok)
		return rc;

	for (size_t i = 0; i < ch->nsuites && rc == 0; i++)
		rc = plan_suite(ch, &ch->suites[i], &ok);
	for (size_t i = 0; i < ch->nidx && rc == 0; i++) {
		rc = check_index(ch, &ch->idx[i]);
		ok = ok && ch->idx[i].ok;
	}
	if (rc == 0 && ch->resign)
		rc = expect_generated(ch);
	if (rc < 0 || !ok)
		return rc;

	/* Pool entries are tabled for the walks that match stanzas to them: every upstream stanza in verbatim,
	 * the generated ones in resign. resign's upstream walk only collects stanza keys, so it runs before
	 * the table exists: the upstream .xz's decoder (a 4-8 MiB dictionary) and the 60,000-entry table are
	 * never resident together. */
	if (ch->resign) {
		rc = chain_pool_upstream(ch);
		if (rc == 0)
			rc = chain_pool_walk(ch);
		if (rc == 0)
			rc = chain_pool_generated(ch);
	} else {
		rc = chain_pool_walk(ch);
		if (rc == 0)
			rc = chain_pool_upstream(ch);
	}
	if (rc == 0)
		rc = chain_pool_finish(ch);
	return rc;
}

static int apt_verify(struct sl_verify_ctx *v, char **cause)
{
	struct chain ch = { .v = v, .resign = v->src->publish == SL_PUBLISH_RESIGN };
	int rc = chain_run(&ch);
	if (rc < 0) {
		sl_cause(cause, rc, "%s", ch.cause ? ch.cause : sl_strerror(rc));
		chain_release(&ch);
		return rc;
	}
	chain_release(&ch);
	return sl_verify_verdict(v, cause);
}

/* Remember each suite's Date for the rollback rule. The Date comes from the signed text again, not from
 * the syncer's entry metadata: trust state is only ever derived from verified bytes. */
static int apt_accept(struct sl_verify_ctx *v, char **cause)
{
	struct chain ch = { .v = v };
	const struct sl_source *src = v->src;
	ch.suites = calloc(src->suites.n ? src->suites.n : 1, sizeof *ch.suites);
	if (ch.suites == NULL)
		return -ENOMEM;
	ch.nsuites = src->suites.n;
	struct sl_gpg *gpg = chain_gpg(v, cause);
	if (gpg == NULL) {
		chain_release(&ch);
		return -SL_E_SIGNATURE;
	}
	/* Verified a moment ago: no records this time, only the Dates. */
	struct sl_verify_ctx quiet = *v;
	quiet.record = NULL;
	ch.v = &quiet;
	int rc = 0;
	for (size_t i = 0; i < ch.nsuites && rc == 0; i++) {
		struct chain_suite *s = &ch.suites[i];
		s->name = src->suites.v[i];
		rc = verify_suite(&ch, s, gpg);
		if (rc == 0 && !s->ok)
			rc = sl_cause(&ch.cause, -SL_E_VERIFY, "%s: no longer verifies", s->subject);
		if (rc == 0) {
			char key[SL_MAX_REL_PATH], val[32];
			snprintf(key, sizeof key, SL_APT_CHAIN_STATE_FMT, s->name);
			snprintf(val, sizeof val, "%lld", (long long)s->rel.date);
			rc = sl_catalog_state_set(v->cat, v->source_id, key, val);
			if (rc < 0)
				sl_cause(&ch.cause, rc, "catalogue: %s", sl_strerror(rc));
		}
	}
	sl_gpg_free(gpg);
	if (rc < 0)
		sl_cause(cause, rc, "%s", ch.cause ? ch.cause : sl_strerror(rc));
	chain_release(&ch);
	return rc;
}

const struct sl_verifier sl_apt_verifier = {
	.verify = apt_verify,
	.accept = apt_accept,
};
