/* test_apt_chain: the APT verifier driven directly (no HTTP server) over fixture repositories placed in a
 * real store and catalogue snapshot (tests/unit/lib/snapfix), signed with throwaway keys made by the real
 * gpg (tests/unit/lib/gpgtest): the happy path in both publish modes, and every refusal with the check
 * it is recorded under and its reason, on arrival and on a re-check. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/apt_release.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/format.h"
#include "core/store.h"
#include "tests/unit/lib/gpgtest.h"
#include "tests/unit/lib/snapfix.h"
#include "verify/apt_chain.h"
#include "verify/settle.h"

#define DAY 86400
#define NPOOL 3
#define MAX_RECS 512
#define MAX_ENTRIES 16

/* Keys for the whole program: UP signs the upstream, IN is an intruder outside the keyring. */
static struct {
	struct sl_gpgtest *t;
	char up[41], in[41];
	char keyring[256];        /* UP only */
	char intruder_ring[256];  /* IN only: a keyring without the signing key */
} K;

static int setup_keys(void **state)
{
	(void)state;
	K.t = sl_gpgtest_new();
	sl_gpgtest_genkey(K.t, "Upstream <up@test>", 0, "never", K.up);
	sl_gpgtest_genkey(K.t, "Intruder <in@test>", 0, "never", K.in);
	snprintf(K.keyring, sizeof K.keyring, "%s/upstream.gpg", sl_gpgtest_dir(K.t));
	snprintf(K.intruder_ring, sizeof K.intruder_ring, "%s/intruder.gpg", sl_gpgtest_dir(K.t));
	const char *up[] = { K.up, NULL }, *in[] = { K.in, NULL };
	sl_gpgtest_export(K.t, up, false, K.keyring);
	sl_gpgtest_export(K.t, in, false, K.intruder_ring);
	return 0;
}

static int teardown_keys(void **state)
{
	(void)state;
	sl_gpgtest_free(K.t);
	return 0;
}

/* ---- one upstream repository, as text, and the snapshot made of it ---- */

struct rec {
	char *subject, *check, *reason;
	bool passed;
};

struct fix {
	struct sl_snapfix *sf;
	struct sl_source src;
	struct sl_config cfg;
	char *suites[1], *comps[1], *archs[1];
	/* upstream */
	char pool_path[NPOOL][128];
	char pool_data[NPOOL][64];
	char packages[8192];       /* the upstream index */
	char filtered[8192];       /* resign: the generated index */
	char release[4096];
	char *inrelease;
	size_t inrelease_len;
	time_t date;
	/* the snapshot */
	struct sl_snapfix_entry e[MAX_ENTRIES];
	size_t n;
	int64_t snap;
	/* what the verifier recorded */
	struct rec recs[MAX_RECS];
	size_t nrecs;
};

static void record(void *arg, const struct sl_check *c)
{
	struct fix *f = arg;
	assert_true(f->nrecs < MAX_RECS);
	struct rec *r = &f->recs[f->nrecs++];
	r->subject = strdup(c->subject);
	r->check = strdup(c->check);
	r->reason = strdup(c->reason);
	r->passed = c->passed;
}

static void stanza(char *buf, size_t cap, const char *pkg, const char *path, const char *data)
{
	char sha[SL_SHA256_HEX];
	sl_digest_sha256(data, strlen(data), sha);
	size_t used = strlen(buf);
	snprintf(buf + used, cap - used,
		 "Package: %s\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@test>\nFilename: %s\n"
		 "Size: %zu\nSHA256: %s\nDescription: test package %s\n\n",
		 pkg, path, strlen(data), sha, pkg);
}

/* Release over the current f->packages; Suite/Codename, Date offset and Valid-Until offset (0: none). */
static void make_release(struct fix *f, const char *suite, long date_off, long valid_off)
{
	char sha[SL_SHA256_HEX], date[64], valid[96] = "";
	sl_digest_sha256(f->packages, strlen(f->packages), sha);
	f->date = time(NULL) + date_off;
	sl_apt_date_format(f->date, date, sizeof date);
	if (valid_off != 0) {
		char v[64];
		sl_apt_date_format(time(NULL) + valid_off, v, sizeof v);
		snprintf(valid, sizeof valid, "Valid-Until: %s\n", v);
	}
	snprintf(f->release, sizeof f->release,
		 "Origin: Test\nLabel: Test\nSuite: %s\nCodename: %s\nDate: %s\n%sArchitectures: amd64\n"
		 "Components: main\nSHA256:\n %s %zu main/binary-amd64/Packages\n",
		 suite, suite, date, valid, sha, strlen(f->packages));
}

static void sign(struct fix *f, const char *fpr)
{
	const char *signers[] = { fpr, NULL };
	free(f->inrelease);
	f->inrelease = sl_gpgtest_sign(K.t, signers, SL_GPGTEST_CLEAR, f->release, strlen(f->release), 0,
				       &f->inrelease_len);
}

static void add(struct fix *f, const char *path, const char *role, const void *data, size_t len)
{
	assert_true(f->n < MAX_ENTRIES);
	f->e[f->n++] = (struct sl_snapfix_entry){ .path = path, .role = role, .data = data, .len = len };
}

static void remove_entry(struct fix *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->e[i].path, path) == 0) {
			f->e[i] = f->e[--f->n];
			return;
		}
	}
	fail_msg("no entry %s", path);
}

/* The good repository: three packages; resign keeps alpha and bravo. Entries are set up, not stored
 * yet (store() does that), so each test can change them first. */
static struct fix *fix_new(enum sl_publish_mode mode)
{
	struct fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->sf = sl_snapfix_new("deb", "apt");
	assert_non_null(f->sf);
	f->suites[0] = (char *)"stable";
	f->comps[0] = (char *)"main";
	f->archs[0] = (char *)"amd64";
	f->src = (struct sl_source){
		.name = (char *)"deb", .format = sl_format_find("apt"), .publish = mode,
		.suites = { f->suites, 1 }, .components = { f->comps, 1 }, .architectures = { f->archs, 1 },
		.keyring = K.keyring, .max_future_ms = DAY * 1000LL,
	};
	f->cfg.state_dir = (char *)sl_snapfix_state_dir(f->sf);
	f->cfg.sources = &f->src;
	f->cfg.nsources = 1;
	static const char *const names[NPOOL] = { "alpha", "bravo", "charlie" };
	for (int i = 0; i < NPOOL; i++) {
		snprintf(f->pool_path[i], sizeof f->pool_path[i], "pool/main/%c/%s/%s_1.0-1_all.deb", names[i][0],
			 names[i], names[i]);
		snprintf(f->pool_data[i], sizeof f->pool_data[i], "the bytes of %s.deb", names[i]);
		stanza(f->packages, sizeof f->packages, names[i], f->pool_path[i], f->pool_data[i]);
		if (i < 2)
			stanza(f->filtered, sizeof f->filtered, names[i], f->pool_path[i], f->pool_data[i]);
	}
	make_release(f, "stable", -3600, 0);
	sign(f, K.up);
	add(f, "dists/stable/InRelease", "release", NULL, 0);   /* data set in store() */
	add(f, mode == SL_PUBLISH_RESIGN ? "upstream/dists/stable/main/binary-amd64/Packages"
					 : "dists/stable/main/binary-amd64/Packages",
	    "upstream-index", NULL, 0);
	if (mode == SL_PUBLISH_RESIGN)
		add(f, "dists/stable/main/binary-amd64/Packages", "index", NULL, 0);
	for (int i = 0; i < (mode == SL_PUBLISH_RESIGN ? 2 : NPOOL); i++)
		add(f, f->pool_path[i], "pool", f->pool_data[i], strlen(f->pool_data[i]));
	return f;
}

/* Forget what the verifier recorded (before running it again). */
static void clear_recs(struct fix *f)
{
	for (size_t i = 0; i < f->nrecs; i++) {
		free(f->recs[i].subject);
		free(f->recs[i].check);
		free(f->recs[i].reason);
	}
	f->nrecs = 0;
}

static void fix_free(struct fix *f)
{
	clear_recs(f);
	free(f->inrelease);
	sl_snapfix_free(f->sf);
	free(f);
}

/* Point the metadata entries at the current texts and make the snapshot. */
static void store(struct fix *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct sl_snapfix_entry *e = &f->e[i];
		if (strcmp(e->role, "release") == 0 && strcmp(e->path, "dists/stable/InRelease") == 0) {
			e->data = f->inrelease;
			e->len = f->inrelease_len;
		} else if (strcmp(e->role, "upstream-index") == 0 && e->data == NULL) {
			e->data = f->packages;
			e->len = strlen(f->packages);
		} else if (strcmp(e->role, "index") == 0 && e->data == NULL) {
			e->data = f->filtered;
			e->len = strlen(f->filtered);
		}
	}
	assert_int_equal(sl_snapfix_snapshot(f->sf, f->e, f->n, SL_SNAP_SYNCING, &f->snap), 0);
}

static int run(struct fix *f, enum sl_verify_mode mode, struct sl_verify_ctx *out)
{
	struct sl_verify_ctx v = {
		.cfg = &f->cfg, .src = &f->src, .cat = sl_snapfix_catalog(f->sf), .store = sl_snapfix_store(f->sf),
		.source_id = sl_snapfix_source_id(f->sf), .snap_id = f->snap, .mode = mode, .now = time(NULL),
		.record = record, .record_arg = f,
	};
	char *cause = NULL;
	int rc = sl_apt_verifier.verify(&v, &cause);
	if (rc != 0 && rc != -SL_E_VERIFY)
		fail_msg("verifier could not run: %s", cause ? cause : sl_strerror(rc));
	if (rc == -SL_E_VERIFY) {
		assert_non_null(cause);
		assert_string_not_equal(v.first_failure, "");
	}
	free(cause);
	if (out != NULL)
		*out = v;
	return rc;
}

static const struct rec *find(const struct fix *f, const char *subject, const char *check)
{
	for (size_t i = 0; i < f->nrecs; i++)
		if (strcmp(f->recs[i].subject, subject) == 0 && strcmp(f->recs[i].check, check) == 0)
			return &f->recs[i];
	for (size_t i = 0; i < f->nrecs; i++)
		fprintf(stderr, "  recorded: %s | %s | %s | %s\n", f->recs[i].subject, f->recs[i].check,
			f->recs[i].passed ? "pass" : "FAIL", f->recs[i].reason);
	fail_msg("no record %s / %s", subject, check);
	return NULL;
}

/* The refusal: verdict -SL_E_VERIFY, and this check of this subject failed with a reason containing why. */
static void expect_refused(struct fix *f, enum sl_verify_mode mode, const char *subject, const char *check,
			   const char *why)
{
	assert_int_equal(run(f, mode, NULL), -SL_E_VERIFY);
	const struct rec *r = find(f, subject, check);
	if (r->passed || strstr(r->reason, why) == NULL)
		fail_msg("%s / %s: %s '%s', want a failure with '%s'", subject, check, r->passed ? "passed" : "failed",
			 r->reason, why);
}

static void assert_no_failure(const struct fix *f)
{
	for (size_t i = 0; i < f->nrecs; i++)
		if (!f->recs[i].passed)
			fail_msg("unexpected failure: %s | %s | %s", f->recs[i].subject, f->recs[i].check, f->recs[i].reason);
}

/* ---- the happy paths ---- */

static void test_verbatim_ok(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	store(f);
	struct sl_verify_ctx v;
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, &v), 0);
	assert_no_failure(f);
	assert_true(find(f, "dists/stable/InRelease", "openpgp-signature")->passed);
	assert_true(find(f, "dists/stable/InRelease", "rollback")->passed);
	assert_true(find(f, "dists/stable/main/binary-amd64/Packages", "index-hash")->passed);
	const struct rec *p = find(f, "pool", "pool-files");
	assert_non_null(strstr(p->reason, "3 file(s)"));

	/* accept advances the rollback state to this Release's Date; a re-run then still passes. */
	char *cause = NULL, *val = NULL;
	assert_int_equal(sl_apt_verifier.accept(&v, &cause), 0);
	assert_int_equal(sl_catalog_state_get(v.cat, v.source_id, "apt.stable.date", &val), 0);
	assert_int_equal(strtoll(val, NULL, 10), (long long)f->date);
	free(val);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	fix_free(f);
}

static void test_resign_ok(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	store(f);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	assert_no_failure(f);
	const struct rec *r = find(f, "dists/stable/main/binary-amd64/Packages", "index-subset");
	assert_non_null(strstr(r->reason, "2 stanza(s)"));
	assert_non_null(strstr(find(f, "pool", "pool-files")->reason, "2 file(s)"));
	/* Nothing is re-judged from state on a re-check: still passes. */
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	fix_free(f);
}

/* ---- Release refusals ---- */

static void test_unknown_signer(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	sign(f, K.in);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/InRelease", "openpgp-signature",
		       "no good signature by an allowed key");
	fix_free(f);
}

static void test_rollback(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	store(f);
	char newer[32];
	snprintf(newer, sizeof newer, "%lld", (long long)f->date + 600);
	assert_int_equal(sl_catalog_state_set(sl_snapfix_catalog(f->sf), sl_snapfix_source_id(f->sf),
					      "apt.stable.date", newer), 0);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/InRelease", "rollback", "is older than last accepted");
	/* A re-check does not judge rollback (later snapshots moved the state on by design). */
	clear_recs(f);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	fix_free(f);
}

static void test_freeze(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	make_release(f, "stable", -3600, -60);
	sign(f, K.up);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/InRelease", "valid-until", "has passed");
	fix_free(f);
}

static void test_future_date(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	make_release(f, "stable", 2 * DAY, 0);
	sign(f, K.up);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/InRelease", "future-date", "after now");
	fix_free(f);
}

static void test_suite_mismatch(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	make_release(f, "oldstable", -3600, 0);
	sign(f, K.up);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/InRelease", "suite", "Release says Suite oldstable");
	fix_free(f);
}

static void test_release_missing(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	remove_entry(f, "dists/stable/InRelease");
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/InRelease", "openpgp-signature",
		       "neither InRelease nor Release + Release.gpg");
	fix_free(f);
}

/* Release + Release.gpg (no InRelease), as apt falls back to them. */
static void detached(struct fix *f, const char *fpr)
{
	const char *signers[] = { fpr, NULL };
	size_t len = 0;
	char *sig = sl_gpgtest_sign(K.t, signers, SL_GPGTEST_DETACH, f->release, strlen(f->release), 0, &len);
	free(f->inrelease);
	f->inrelease = sig;        /* owned by the fixture, freed with it */
	f->inrelease_len = len;
	remove_entry(f, "dists/stable/InRelease");
	add(f, "dists/stable/Release", "release", f->release, strlen(f->release));
	add(f, "dists/stable/Release.gpg", "release", sig, len);
}

static void test_detached_ok(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	detached(f, K.up);
	store(f);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	assert_no_failure(f);
	assert_true(find(f, "dists/stable/Release", "openpgp-signature")->passed);
	fix_free(f);
}

static void test_detached_unknown_signer(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	detached(f, K.in);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/Release", "openpgp-signature",
		       "no good signature by an allowed key");
	fix_free(f);
}

static void test_detached_without_signature(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	detached(f, K.up);
	remove_entry(f, "dists/stable/Release.gpg");
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/Release", "openpgp-signature",
		       "neither InRelease nor Release + Release.gpg");
	fix_free(f);
}

/* ---- index refusals ---- */

static void test_index_hash_mismatch(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	static const char forged[] = "Package: alpha\nVersion: 6.6\n";
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->e[i].role, "upstream-index") == 0) {
			f->e[i].data = forged;
			f->e[i].len = strlen(forged);
		}
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/main/binary-amd64/Packages", "index-hash",
		       "the signed Release says");
	fix_free(f);
}

static void test_index_missing(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	remove_entry(f, "dists/stable/main/binary-amd64/Packages");
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/main/binary-amd64/Packages", "index-hash",
		       "not in the snapshot");
	fix_free(f);
}

static void test_component_not_offered(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	f->comps[0] = (char *)"contrib";
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "stable", "component", "component contrib is not in the signed Release");
	fix_free(f);
}

/* A Filename that leaves pool/ (the signed index itself is hostile): the whole index is refused. */
static void hostile_index(const char *filename, const char *why)
{
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	f->packages[0] = '\0';
	stanza(f->packages, sizeof f->packages, "alpha", filename, f->pool_data[0]);
	make_release(f, "stable", -3600, 0);
	sign(f, K.up);
	remove_entry(f, f->pool_path[1]);
	remove_entry(f, f->pool_path[2]);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/main/binary-amd64/Packages", "index-content", why);
	fix_free(f);
}

static void test_hostile_filename_dotdot(void **state)
{
	(void)state;
	hostile_index("../../../etc/passwd", "'..'");
}

static void test_hostile_filename_absolute(void **state)
{
	(void)state;
	hostile_index("/etc/passwd", "Filename");
}

/* ---- pool refusals ---- */

static void pool_content(const char *other, const char *why)
{
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->e[i].path, f->pool_path[0]) == 0) {
			f->e[i].data = other;
			f->e[i].len = strlen(other);
		}
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, f->pool_path[0], "pool-file", why);
	fix_free(f);
}

/* Same size, other bytes: only the SHA-256 tells. */
static void test_pool_hash_mismatch(void **state)
{
	(void)state;
	assert_int_equal(strlen("the bytes of ALPHA.deb"), strlen("the bytes of alpha.deb"));
	pool_content("the bytes of ALPHA.deb", "dists/stable/main/binary-amd64/Packages says size 22 and SHA-256");
}

static void test_pool_size_mismatch(void **state)
{
	(void)state;
	pool_content("the bytes of someone else's alpha", "snapshot entry has size 33");
}

static void test_pool_missing_entry(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	remove_entry(f, f->pool_path[2]);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, f->pool_path[2], "pool-file", "but not in the snapshot");
	fix_free(f);
}

static void test_pool_missing_object(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	store(f);
	char sha[SL_SHA256_HEX];
	sl_digest_sha256(f->pool_data[1], strlen(f->pool_data[1]), sha);
	assert_int_equal(sl_store_remove(sl_snapfix_store(f->sf), sha), 0);
	expect_refused(f, SL_VERIFY_ARRIVAL, f->pool_path[1], "pool-file", "is missing");
	fix_free(f);
}

static void test_pool_hostile_entry(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	add(f, "pool/../../etc/cron.d/x", "pool", "boom", 4);
	add(f, "/etc/passwd", "pool", "root", 4);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "pool/../../etc/cron.d/x", "pool-file", "hostile path");
	const struct rec *r = find(f, "/etc/passwd", "pool-file");
	assert_false(r->passed);
	assert_non_null(strstr(r->reason, "hostile path"));
	fix_free(f);
}

static void test_pool_extra_file(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	add(f, "pool/main/e/evil/evil_1.0_all.deb", "pool", "payload", 7);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "pool/main/e/evil/evil_1.0_all.deb", "pool-file",
		       "not listed in the verified Packages indices");
	fix_free(f);
}

static void test_unaccounted_entry(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	add(f, "dists/evil/InRelease", "release", "hello", 5);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/evil/InRelease", "chain-entry", "not part of the verified chain");
	fix_free(f);
}

/* ---- resign: the generated index ---- */

static void test_resign_foreign_stanza(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	/* bravo's stanza with a changed Description: not byte for byte an upstream stanza. */
	char *d = strstr(f->filtered, "test package bravo");
	assert_non_null(d);
	memcpy(d, "evil package bravo", 18);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/main/binary-amd64/Packages", "index-subset",
		       "(package bravo) is not a stanza of the verified upstream index");
	fix_free(f);
}

static void test_resign_pool_not_selected(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	/* charlie is upstream, but the generated index does not publish it: extra content. */
	add(f, f->pool_path[2], "pool", f->pool_data[2], strlen(f->pool_data[2]));
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, f->pool_path[2], "pool-file", "not listed");
	fix_free(f);
}

static void test_resign_generated_missing(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	remove_entry(f, "dists/stable/main/binary-amd64/Packages");
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/main/binary-amd64/Packages", "index-subset",
		       "not in the snapshot");
	fix_free(f);
}

/* A generated form that is the upstream index object itself (a sync that selected every package publishes
 * the upstream .xz as is): walked once with the upstream index, with the same verdicts as a walk of its own.
 * Its stanzas name every upstream pool file, so one missing from the snapshot is still refused. */
static void test_resign_upstream_as_generated_form(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	add(f, "dists/stable/main/binary-amd64/Packages.gz", "index", f->packages, strlen(f->packages));
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, f->pool_path[2], "pool-file", "but not in the snapshot");
	fix_free(f);

	f = fix_new(SL_PUBLISH_RESIGN);
	add(f, "dists/stable/main/binary-amd64/Packages.gz", "index", f->packages, strlen(f->packages));
	add(f, f->pool_path[2], "pool", f->pool_data[2], strlen(f->pool_data[2]));
	store(f);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	assert_no_failure(f);
	const struct rec *r = find(f, "dists/stable/main/binary-amd64/Packages", "index-subset");
	assert_non_null(strstr(r->reason, "Packages, Packages.gz: 3 stanza(s)"));
	assert_non_null(strstr(find(f, "pool", "pool-files")->reason, "3 file(s)"));
	clear_recs(f);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	fix_free(f);

	/* Every package taken (the plain index holds every upstream stanza): the same form is not walked
	 * again, and the verdicts are those of the plain walk, a missing pool file included. */
	for (int missing = 0; missing < 2; missing++) {
		f = fix_new(SL_PUBLISH_RESIGN);
		memcpy(f->filtered, f->packages, sizeof f->filtered);
		add(f, "dists/stable/main/binary-amd64/Packages.gz", "index", f->packages, strlen(f->packages));
		if (!missing)
			add(f, f->pool_path[2], "pool", f->pool_data[2], strlen(f->pool_data[2]));
		store(f);
		if (missing) {
			expect_refused(f, SL_VERIFY_ARRIVAL, f->pool_path[2], "pool-file", "but not in the snapshot");
		} else {
			assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
			assert_no_failure(f);
			r = find(f, "dists/stable/main/binary-amd64/Packages", "index-subset");
			assert_non_null(strstr(r->reason, "Packages, Packages.gz: 3 stanza(s)"));
			assert_non_null(strstr(find(f, "pool", "pool-files")->reason, "3 file(s)"));
		}
		fix_free(f);
	}
}

struct membuf {
	char data[8192];
	size_t len;
};

static int mem_sink(void *arg, const void *data, size_t len)
{
	struct membuf *m = arg;
	assert_true(m->len + len <= sizeof m->data);
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return 0;
}

static void gzip_into(struct membuf *m, const char *text)
{
	m->len = 0;
	char *cause = NULL;
	struct sl_comp_writer *w = sl_comp_writer_new(SL_COMP_GZIP, mem_sink, m, &cause);
	assert_non_null(w);
	assert_int_equal(sl_comp_writer_write(w, text, strlen(text)), 0);
	assert_int_equal(sl_comp_writer_finish(w), 0);
	sl_comp_writer_free(w);
}

/* A generated .gz that decompresses to exactly the plain index just walked is not parsed again (same
 * verdicts); one that decompresses to anything else is walked on its own and refused for what it holds. */
static void test_resign_generated_gz(void **state)
{
	(void)state;
	static struct membuf gz;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	gzip_into(&gz, f->filtered);
	add(f, "dists/stable/main/binary-amd64/Packages.gz", "index", gz.data, gz.len);
	store(f);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	assert_no_failure(f);
	const struct rec *r = find(f, "dists/stable/main/binary-amd64/Packages", "index-subset");
	assert_non_null(strstr(r->reason, "Packages, Packages.gz: 2 stanza(s)"));
	clear_recs(f);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	assert_no_failure(f);
	fix_free(f);

	/* The .gz holds a stanza that is not upstream's (the plain index is good). */
	f = fix_new(SL_PUBLISH_RESIGN);
	char evil[sizeof f->filtered];
	memcpy(evil, f->filtered, sizeof evil);
	char *d = strstr(evil, "test package bravo");
	assert_non_null(d);
	memcpy(d, "evil package bravo", 18);
	gzip_into(&gz, evil);
	add(f, "dists/stable/main/binary-amd64/Packages.gz", "index", gz.data, gz.len);
	store(f);
	expect_refused(f, SL_VERIFY_ARRIVAL, "dists/stable/main/binary-amd64/Packages.gz", "index-subset",
		       "(package bravo) is not a stanza of the verified upstream index");
	fix_free(f);

	/* The .gz holds fewer stanzas: each one upstream's, so it passes with its own count. */
	f = fix_new(SL_PUBLISH_RESIGN);
	char *second = strstr(f->filtered, "\n\nPackage: bravo");
	assert_non_null(second);
	char first[sizeof f->filtered];
	snprintf(first, sizeof first, "%.*s", (int)(second - f->filtered + 2), f->filtered);
	gzip_into(&gz, first);
	add(f, "dists/stable/main/binary-amd64/Packages.gz", "index", gz.data, gz.len);
	store(f);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	r = find(f, "dists/stable/main/binary-amd64/Packages", "index-subset");
	assert_non_null(strstr(r->reason, "Packages, Packages.gz: 1 stanza(s)"));
	fix_free(f);
}

/* ---- re-check ---- */

static void test_recheck_altered_object(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	store(f);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	/* Same size, other bytes: only re-hashing sees it (arrival trusts the store's commit). */
	char sha[SL_SHA256_HEX], path[4096];
	sl_digest_sha256(f->pool_data[0], strlen(f->pool_data[0]), sha);
	assert_int_equal(sl_store_object_path(sl_snapfix_store(f->sf), sha, path, sizeof path), 0);
	assert_int_equal(chmod(path, 0644), 0);
	FILE *fp = fopen(path, "r+");
	assert_non_null(fp);
	fputc('X', fp);
	fclose(fp);
	clear_recs(f);
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, NULL), 0);
	clear_recs(f);
	expect_refused(f, SL_VERIFY_RECHECK, f->pool_path[0], "pool-file", "altered on disk");
	fix_free(f);
}

static void test_recheck_keyring_without_signer(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	store(f);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	f->src.keyring = K.intruder_ring;
	clear_recs(f);
	expect_refused(f, SL_VERIFY_RECHECK, "dists/stable/InRelease", "openpgp-signature",
		       "no good signature by an allowed key");
	fix_free(f);
}

/* ---- through settle: records made during the walk over the entries reach the catalogue ---- */

static int count_failed(void *arg, const struct sl_verification *v)
{
	if (!v->passed && strcmp(v->check, "chain-entry") == 0)
		++*(int *)arg;
	return 0;
}

static void test_settle_records_on_snapshot(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	add(f, "dists/evil/InRelease", "release", "hello", 5);
	store(f);
	struct sl_settle_result res;
	char *cause = NULL;
	assert_int_equal(sl_settle_snapshot(&f->cfg, &f->src, sl_snapfix_catalog(f->sf), sl_snapfix_store(f->sf),
					    sl_snapfix_source_id(f->sf), f->snap, &res, &cause), 0);
	free(cause);
	assert_int_equal(res.verdict, SL_SETTLED_FAILED);
	assert_non_null(strstr(res.reason, "dists/evil/InRelease: chain-entry"));
	int n = 0;
	assert_int_equal(sl_catalog_verifications(sl_snapfix_catalog(f->sf), f->snap, count_failed, &n), 0);
	assert_int_equal(n, 1);
	/* No trust state moves for a failed snapshot. */
	char *val = NULL;
	assert_int_equal(sl_catalog_state_get(sl_snapfix_catalog(f->sf), sl_snapfix_source_id(f->sf),
					      "apt.stable.date", &val), -SL_E_NOTFOUND);
	fix_free(f);
}

struct barrier_probe {
	struct sl_catalog *cat;
	int64_t snap;
	int calls;
	int ret;
	char state_seen[32];
};

static int probe_wait(void *arg, char **why)
{
	struct barrier_probe *b = arg;
	b->calls++;
	struct sl_snapshot_info si;
	assert_int_equal(sl_catalog_snapshot_get(b->cat, b->snap, &si), 0);
	snprintf(b->state_seen, sizeof b->state_seen, "%s", sl_snap_state_name(si.state));
	sl_snapshot_info_release(&si);
	if (b->ret < 0)
		*why = strdup("the disk said no");
	return b->ret;
}

/* The barrier (a sync's store flush) is waited for once, after the checks and while the snapshot is still
 * 'syncing'; when it fails, the snapshot is failed with its reason and never verified. */
static void test_settle_barrier(void **state)
{
	(void)state;
	for (int fail = 0; fail < 2; fail++) {
		struct fix *f = fix_new(SL_PUBLISH_RESIGN);
		store(f);
		struct sl_catalog *cat = sl_snapfix_catalog(f->sf);
		assert_int_equal(sl_catalog_snapshot_seal(cat, f->snap, (int64_t)f->date, NULL), 0);
		struct barrier_probe b = { .cat = cat, .snap = f->snap, .ret = fail ? -EIO : 0 };
		const struct sl_settle_barrier bar = { probe_wait, &b };
		struct sl_settle_result res;
		char *cause = NULL;
		int rc = sl_settle_snapshot_after(&f->cfg, &f->src, cat, sl_snapfix_store(f->sf),
						  sl_snapfix_source_id(f->sf), f->snap, &bar, &res, &cause);
		assert_int_equal(b.calls, 1);
		assert_string_equal(b.state_seen, "syncing");
		struct sl_snapshot_info si;
		assert_int_equal(sl_catalog_snapshot_get(cat, f->snap, &si), 0);
		if (fail) {
			assert_int_equal(rc, -EIO);
			assert_non_null(cause);
			assert_non_null(strstr(cause, "the disk said no"));
			assert_int_equal(si.state, SL_SNAP_FAILED);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(res.verdict, SL_SETTLED_PENDING);
			assert_int_equal(si.state, SL_SNAP_PENDING);
		}
		sl_snapshot_info_release(&si);
		free(cause);
		fix_free(f);
	}
}

static void test_settle_accepts(void **state)
{
	(void)state;
	struct fix *f = fix_new(SL_PUBLISH_RESIGN);
	store(f);
	struct sl_catalog *cat = sl_snapfix_catalog(f->sf);
	assert_int_equal(sl_catalog_snapshot_seal(cat, f->snap, (int64_t)f->date, NULL), 0);
	struct sl_settle_result res;
	char *cause = NULL, *val = NULL;
	assert_int_equal(sl_settle_snapshot(&f->cfg, &f->src, cat, sl_snapfix_store(f->sf), sl_snapfix_source_id(f->sf),
					    f->snap, &res, &cause), 0);
	free(cause);
	assert_int_equal(res.verdict, SL_SETTLED_PENDING);
	assert_int_equal(res.failed, 0);
	/* accept wrote the Date of the verified Release: the rollback rule's state. */
	assert_int_equal(sl_catalog_state_get(cat, sl_snapfix_source_id(f->sf), "apt.stable.date", &val), 0);
	assert_int_equal(strtoll(val, NULL, 10), (long long)f->date);
	free(val);
	fix_free(f);
}

/* ---- memory at scale (issue 18): SL_APT_CHAIN_SCALE=60000 runs it; off by default (a minute) ---- */

static long proc_kb(const char *field)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	if (fp != NULL)
		fclose(fp);
	return kb;
}

static void test_memory_at_scale(void **state)
{
	(void)state;
	const char *env = getenv("SL_APT_CHAIN_SCALE");
	if (env == NULL)
		skip();
	size_t n = strtoul(env, NULL, 10);
	struct fix *f = fix_new(SL_PUBLISH_VERBATIM);
	char idx_path[512];
	snprintf(idx_path, sizeof idx_path, "%s/Packages", sl_gpgtest_dir(K.t));
	FILE *fp = fopen(idx_path, "w");
	assert_non_null(fp);
	struct sl_snapfix_entry *e = calloc(n + 2, sizeof *e);
	char (*paths)[96] = calloc(n, sizeof *paths), (*datas)[48] = calloc(n, sizeof *datas);
	assert_true(e != NULL && paths != NULL && datas != NULL);
	for (size_t i = 0; i < n; i++) {
		char st[1024] = "", name[32];
		snprintf(name, sizeof name, "pkg%zu", i);
		snprintf(paths[i], sizeof paths[i], "pool/main/p/%s/%s_1.0-1_all.deb", name, name);
		snprintf(datas[i], sizeof datas[i], "deb %zu", i);
		stanza(st, sizeof st, name, paths[i], datas[i]);
		fputs(st, fp);
		e[i] = (struct sl_snapfix_entry){ .path = paths[i], .role = "pool", .data = datas[i], .len = strlen(datas[i]) };
	}
	fclose(fp);
	size_t len = 0;
	char *text = sl_gpgtest_read(idx_path, &len);
	char sha[SL_SHA256_HEX], date[64];
	sl_digest_sha256(text, len, sha);
	free(text);
	sl_apt_date_format(time(NULL) - 60, date, sizeof date);
	snprintf(f->release, sizeof f->release, "Suite: stable\nDate: %s\nArchitectures: amd64\nComponents: main\n"
		 "SHA256:\n %s %zu main/binary-amd64/Packages\n", date, sha, len);
	sign(f, K.up);
	e[n] = (struct sl_snapfix_entry){ .path = "dists/stable/InRelease", .role = "release", .data = f->inrelease,
					  .len = f->inrelease_len };
	e[n + 1] = (struct sl_snapfix_entry){ .path = "dists/stable/main/binary-amd64/Packages",
					      .role = "upstream-index", .file = idx_path };
	assert_int_equal(sl_snapfix_snapshot(f->sf, e, n + 2, SL_SNAP_SYNCING, &f->snap), 0);
	free(e);
	free(paths);
	free(datas);
	/* Peak RSS of the verification alone: reset the high-water mark, verify, compare. */
	fp = fopen("/proc/self/clear_refs", "w");
	assert_non_null(fp);
	fputs("5", fp);
	fclose(fp);
	long before = proc_kb("VmRSS:");
	assert_int_equal(run(f, SL_VERIFY_RECHECK, NULL), 0);
	long peak = proc_kb("VmHWM:");
	fprintf(stderr, "%zu packages: verification peak RSS %ld kB above the %ld kB before it\n", n, peak - before,
		before);
	assert_true(peak - before < 32 * 1024);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbatim_ok),
		cmocka_unit_test(test_resign_ok),
		cmocka_unit_test(test_unknown_signer),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_freeze),
		cmocka_unit_test(test_future_date),
		cmocka_unit_test(test_suite_mismatch),
		cmocka_unit_test(test_release_missing),
		cmocka_unit_test(test_detached_ok),
		cmocka_unit_test(test_detached_unknown_signer),
		cmocka_unit_test(test_detached_without_signature),
		cmocka_unit_test(test_index_hash_mismatch),
		cmocka_unit_test(test_index_missing),
		cmocka_unit_test(test_component_not_offered),
		cmocka_unit_test(test_hostile_filename_dotdot),
		cmocka_unit_test(test_hostile_filename_absolute),
		cmocka_unit_test(test_pool_hash_mismatch),
		cmocka_unit_test(test_pool_size_mismatch),
		cmocka_unit_test(test_pool_missing_entry),
		cmocka_unit_test(test_pool_missing_object),
		cmocka_unit_test(test_pool_hostile_entry),
		cmocka_unit_test(test_pool_extra_file),
		cmocka_unit_test(test_unaccounted_entry),
		cmocka_unit_test(test_resign_foreign_stanza),
		cmocka_unit_test(test_resign_pool_not_selected),
		cmocka_unit_test(test_resign_generated_missing),
		cmocka_unit_test(test_resign_upstream_as_generated_form),
		cmocka_unit_test(test_resign_generated_gz),
		cmocka_unit_test(test_recheck_altered_object),
		cmocka_unit_test(test_recheck_keyring_without_signer),
		cmocka_unit_test(test_settle_records_on_snapshot),
		cmocka_unit_test(test_settle_accepts),
		cmocka_unit_test(test_settle_barrier),
		cmocka_unit_test(test_memory_at_scale),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
