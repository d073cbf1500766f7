/* Tests for verify/clamav_db, the ClamAV verifier, driven directly (no HTTP): ClamAV's real test databases
 * (../shared/fixtures/clamav, signed with ClamAV's production keys, never committed) are placed in a store
 * and a catalogue snapshot as the syncer leaves them (test.cvd version 6 with test-2..6.cdiff), and the
 * verifier must pass them and refuse every tampered variant (made here, in the fixture's temp state dir)
 * with the recorded check and reason: CVD header, MD5, RSA signature, .info, rollback, CDIFF signature,
 * CDIFF chain gap, database name; RECHECK names an object altered on disk and fails with a key that did
 * not sign. Skipped with a message when ../shared is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/store.h"
#include "tests/unit/lib/snapfix.h"
#include "tests/unit/lib/tmpdir.h"
#include "verify/clamav_db.h"
#include "verify/verifier.h"

/* ---- fixtures ---- */

static char *fixture_path(const char *name)
{
	const char *src = getenv("SL_SOURCE_DIR");
	char *p = NULL;
	if (src == NULL || asprintf(&p, "%s/../shared/fixtures/clamav/%s", src, name) < 0)
		return NULL;
	return p;
}

static bool have_fixtures(void)
{
	char *p = fixture_path("test-6.cvd");
	bool ok = p != NULL && access(p, R_OK) == 0;
	if (!ok)
		fprintf(stderr, "SKIP: %s is absent (ClamAV's signed test databases, ../shared/fixtures/clamav "
				"relative to SL_SOURCE_DIR)\n", p != NULL ? p : "$SL_SOURCE_DIR/../shared/fixtures/clamav");
	free(p);
	return ok;
}

#define SKIP_WITHOUT_FIXTURES() \
	do { \
		if (!have_fixtures()) \
			skip(); \
	} while (0)

struct blob {
	char *p;
	size_t len;
};

static struct blob load(const char *name)
{
	char *path = fixture_path(name);
	struct blob b = { 0 };
	assert_non_null(path);
	assert_int_equal(sl_fs_read_file(path, 1u << 20, &b.p, &b.len), 0);
	free(path);
	return b;
}

/* ---- a snapshot as the syncer leaves it ---- */

#define MAX_FILES 8

struct t {
	struct sl_snapfix *fx;
	struct sl_source src;
	char *dbs[2];
	struct sl_config cfg;
	struct blob cvd, cdiff[7];         /* cdiff[k]: test-k.cdiff, k = 2..6 */
	struct sl_snapfix_entry e[MAX_FILES];
	char *meta[MAX_FILES], *paths[MAX_FILES];
	size_t n;
	int64_t snap;
	/* records of the last run */
	struct rec {
		char *subject, *check, *reason;
		bool passed;
	} rec[64];
	size_t nrec;
	char *cause;
};

static void record(void *arg, const struct sl_check *c)
{
	struct t *t = arg;
	assert_true(t->nrec < sizeof t->rec / sizeof t->rec[0]);
	struct rec *r = &t->rec[t->nrec++];
	r->subject = strdup(c->subject);
	r->check = strdup(c->check);
	r->reason = strdup(c->reason);
	r->passed = c->passed;
}

static void records_clear(struct t *t)
{
	for (size_t i = 0; i < t->nrec; i++) {
		free(t->rec[i].subject);
		free(t->rec[i].check);
		free(t->rec[i].reason);
	}
	t->nrec = 0;
	free(t->cause);
	t->cause = NULL;
}

static struct t *t_new(const char *db)
{
	struct t *t = calloc(1, sizeof *t);
	assert_non_null(t);
	t->fx = sl_snapfix_new("clam", "clamav");
	assert_non_null(t->fx);
	t->dbs[0] = strdup(db);
	t->src.name = "clam";
	t->src.databases.v = t->dbs;
	t->src.databases.n = 1;
	t->cfg.state_dir = (char *)sl_snapfix_state_dir(t->fx);
	t->cvd = load("test-6.cvd");
	for (int k = 2; k <= 6; k++) {
		char name[32];
		snprintf(name, sizeof name, "test-%d.cdiff", k);
		t->cdiff[k] = load(name);
	}
	return t;
}

static void t_free(struct t *t)
{
	records_clear(t);
	for (size_t i = 0; i < t->n; i++) {
		free(t->meta[i]);
		free(t->paths[i]);
	}
	free(t->cvd.p);
	for (int k = 2; k <= 6; k++)
		free(t->cdiff[k].p);
	free(t->dbs[0]);
	sl_snapfix_free(t->fx);
	free(t);
}

static void add(struct t *t, const char *path, const char *role, const char *db, int version, const void *data,
		size_t len)
{
	assert_true(t->n < MAX_FILES);
	t->paths[t->n] = strdup(path);
	assert_true(asprintf(&t->meta[t->n], "{\"database\":\"%s\",\"version\":%d}", db, version) > 0);
	t->e[t->n] = (struct sl_snapfix_entry){
		.path = t->paths[t->n], .role = role, .meta_json = t->meta[t->n], .data = data, .len = len,
	};
	t->n++;
}

/* test.cvd (as `cvd_path`) and test-2..6.cdiff, except `skip_cdiff`. */
static void add_db(struct t *t, const char *cvd_path, int skip_cdiff)
{
	add(t, cvd_path, "cvd", "test", 6, t->cvd.p, t->cvd.len);
	for (int k = 2; k <= 6; k++) {
		if (k == skip_cdiff)
			continue;
		char name[32];
		snprintf(name, sizeof name, "test-%d.cdiff", k);
		add(t, name, "cdiff", "test", k, t->cdiff[k].p, t->cdiff[k].len);
	}
}

static void snapshot(struct t *t)
{
	assert_int_equal(sl_snapfix_snapshot(t->fx, t->e, t->n, SL_SNAP_SYNCING, &t->snap), 0);
}

static int run(struct t *t, enum sl_verify_mode mode)
{
	records_clear(t);
	struct sl_verify_ctx v = {
		.cfg = &t->cfg, .src = &t->src, .cat = sl_snapfix_catalog(t->fx), .store = sl_snapfix_store(t->fx),
		.source_id = sl_snapfix_source_id(t->fx), .snap_id = t->snap, .mode = mode, .now = 1700000000,
		.record = record, .record_arg = t,
	};
	int rc = sl_clamav_verifier.verify(&v, &t->cause);
	if (rc == 0 && mode == SL_VERIFY_ARRIVAL)
		assert_int_equal(sl_clamav_verifier.accept(&v, &t->cause), 0);
	return rc;
}

static const struct rec *find(const struct t *t, const char *subject, const char *check)
{
	for (size_t i = 0; i < t->nrec; i++)
		if (strcmp(t->rec[i].subject, subject) == 0 && strcmp(t->rec[i].check, check) == 0)
			return &t->rec[i];
	return NULL;
}

/* The check was recorded with that outcome and a reason containing `want`. */
static void expect(const struct t *t, const char *subject, const char *check, bool passed, const char *want)
{
	const struct rec *r = find(t, subject, check);
	if (r == NULL) {
		for (size_t i = 0; i < t->nrec; i++)
			fprintf(stderr, "  recorded: %s %s %s: %s\n", t->rec[i].subject, t->rec[i].check,
				t->rec[i].passed ? "ok" : "FAIL", t->rec[i].reason);
		fail_msg("no %s record for %s", check, subject);
	}
	if (r->passed != passed || strstr(r->reason, want) == NULL)
		fail_msg("%s %s: %s \"%s\", expected %s with \"%s\"", subject, check, r->passed ? "ok" : "FAIL", r->reason,
			 passed ? "ok" : "FAIL", want);
}

static unsigned failures(const struct t *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < t->nrec; i++)
		n += !t->rec[i].passed;
	return n;
}

static void set_state(struct t *t, const char *value)
{
	assert_int_equal(sl_catalog_state_set(sl_snapfix_catalog(t->fx), sl_snapfix_source_id(t->fx),
					      "clamav.test.version", value), 0);
}

static char *get_state(struct t *t)
{
	char *v = NULL;
	int rc = sl_catalog_state_get(sl_snapfix_catalog(t->fx), sl_snapfix_source_id(t->fx), "clamav.test.version", &v);
	return rc == 0 ? v : NULL;
}

/* Header field i (0-based, ':'-separated) of a CVD copy, rewritten in place; the header stays 512 bytes. */
static void set_header_field(char *cvd, int field, const char *value)
{
	char head[513], out[513] = "";
	memcpy(head, cvd, 512);
	head[512] = '\0';
	char *save = NULL, *tok = strtok_r(head, ":", &save);
	for (int i = 0; tok != NULL; i++, tok = strtok_r(NULL, ":", &save)) {
		if (i > 0)
			strcat(out, ":");
		strcat(out, i == field ? value : tok);
	}
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	assert_true(n <= 512);
	memset(cvd, ' ', 512);
	memcpy(cvd, out, n);
}

static char *dup_blob(const struct blob *b)
{
	char *p = malloc(b->len);
	assert_non_null(p);
	memcpy(p, b->p, b->len);
	return p;
}

/* ---- happy path ---- */

static void test_happy_path(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add_db(t, "test.cvd", 0);
	snapshot(t);
	int rc = run(t, SL_VERIFY_ARRIVAL);
	if (rc != 0)
		fail_msg("verify: %s", t->cause);
	assert_int_equal(failures(t), 0);
	expect(t, "test.cvd", "header", true, "version 6, 14 signatures, flevel 81");
	expect(t, "test.cvd", "version", true, "version 6, last accepted 0");
	expect(t, "test.cvd", "md5", true, "body MD5 as in the header");
	expect(t, "test.cvd", "signature", true, "dsig signs the body's MD5");
	expect(t, "test.cvd", "archive", true, "tar.gz with 20 files");
	expect(t, "test.cvd", "info", true, "signed .info matches the header and every file");
	expect(t, "test.cvd", "database", true, "test is a database of this source");
	for (int k = 2; k <= 6; k++) {
		char name[32];
		snprintf(name, sizeof name, "test-%d.cdiff", k);
		expect(t, name, "format", true, "update to version");
		expect(t, name, "signature", true, "signed by the ClamAV key");
		expect(t, name, "script", true, "gzip stream of the announced length");
	}
	expect(t, "test.cvd", "cdiff chain", true,
	       "test-2.cdiff .. test-6.cdiff: contiguous up to the CVD's version, each signed");
	/* accept advanced the trust state to the CVD's version */
	char *v = get_state(t);
	assert_non_null(v);
	assert_string_equal(v, "6");
	free(v);
	t_free(t);
}

/* A CVD alone, and its .sign files: no chain, and a .sign must be text. */
static void test_no_cdiffs_and_sign_files(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add(t, "test.cvd", "cvd", "test", 6, t->cvd.p, t->cvd.len);
	static const char sign[] = "some signature text\n";
	static const uint8_t bin[] = { 0x00, 0xff, 0x10 };
	add(t, "test-6.cvd.sign", "sign", "test", 6, sign, sizeof sign - 1);
	add(t, "test-6.cdiff.sign", "sign", "test", 6, bin, sizeof bin);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "cdiff chain", true, "no incremental updates kept: clients download version 6 whole");
	expect(t, "test-6.cvd.sign", "format", true, "text, 20 bytes, signs test.cvd");
	expect(t, "test-6.cdiff.sign", "format", false, "not a text file (3 bytes)");
	assert_int_equal(failures(t), 1);
	assert_non_null(strstr(t->cause, "test-6.cdiff.sign: format: not a text file"));
	t_free(t);
}

/* ---- refusals ---- */

static void test_header_malformed(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	char *bad = dup_blob(&t->cvd);
	memcpy(bad, "ClamAV-XXX", 10);
	add(t, "test.cvd", "cvd", "test", 6, bad, t->cvd.len);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	const struct rec *r = find(t, "test.cvd", "header");
	assert_non_null(r);
	assert_false(r->passed);
	assert_null(find(t, "test.cvd", "md5"));   /* nothing is judged against a header that did not parse */
	assert_non_null(strstr(t->cause, "test.cvd: header: "));
	assert_null(get_state(t));                 /* no accept */
	free(bad);
	t_free(t);
}

static void test_header_field_tampered(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	char *bad = dup_blob(&t->cvd);
	set_header_field(bad, 2, "7");   /* version 6 -> 7: MD5 and dsig still hold, the signed .info does not */
	add(t, "test.cvd", "cvd", "test", 7, bad, t->cvd.len);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "header", true, "version 7");
	expect(t, "test.cvd", "md5", true, "body MD5 as in the header");
	expect(t, "test.cvd", "signature", true, "dsig signs the body's MD5");
	expect(t, "test.cvd", "info", false, "the header does not match the signed .info's");
	assert_non_null(strstr(t->cause, "test.cvd: info: the header does not match the signed .info's"));
	free(bad);
	t_free(t);
}

static void test_md5_body_flipped(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	char *bad = dup_blob(&t->cvd);
	bad[512 + (t->cvd.len - 512) / 2] ^= 0x01;
	add(t, "test.cvd", "cvd", "test", 6, bad, t->cvd.len);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "header", true, "version 6");
	expect(t, "test.cvd", "md5", false, "MD5 of the body is");
	assert_null(find(t, "test.cvd", "signature"));   /* the dsig is not judged over a body that lacks its MD5 */
	assert_non_null(strstr(t->cause, "test.cvd: md5: MD5 of the body is"));
	free(bad);
	t_free(t);
}

static void test_rsa_signature_altered(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	char *bad = dup_blob(&t->cvd);
	/* One digit of the dsig (field 6) changed, staying in ClamAV's alphabet. */
	int colons = 0;
	size_t i = 0;
	while (i < 512 && colons < 6)
		colons += bad[i++] == ':';
	bad[i + 10] = bad[i + 10] == 'A' ? 'B' : 'A';
	add(t, "test.cvd", "cvd", "test", 6, bad, t->cvd.len);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "md5", true, "body MD5 as in the header");
	expect(t, "test.cvd", "signature", false, "dsig does not verify with the ClamAV key");
	assert_non_null(strstr(t->cause, "test.cvd: signature: dsig does not verify"));
	free(bad);
	t_free(t);
}

static void test_version_rollback(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	set_state(t, "7");
	add_db(t, "test.cvd", 0);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "version", false, "version 6 is lower than 7, the last accepted");
	assert_int_equal(failures(t), 1);   /* the content itself is fine */
	assert_non_null(strstr(t->cause, "test.cvd: version: version 6 is lower than 7"));
	char *v = get_state(t);
	assert_string_equal(v, "7");        /* not moved back */
	free(v);
	t_free(t);
}

static void test_cdiff_signature_tampered(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	struct blob *c = &t->cdiff[6];
	size_t i = c->len - 5;
	c->p[i] = c->p[i] == 'b' ? 'c' : 'b';
	add_db(t, "test.cvd", 0);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test-6.cdiff", "format", true, "update to version 6");
	expect(t, "test-6.cdiff", "signature", false, "signature does not verify with the ClamAV key");
	expect(t, "test-5.cdiff", "signature", true, "signed by the ClamAV key");
	expect(t, "test.cvd", "cdiff chain", false, "contiguous, but 1 of them did not verify");
	t_free(t);
}

static void test_cdiff_chain_gap(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add_db(t, "test.cvd", 4);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "cdiff chain", false,
	       "test-4.cdiff is missing: the chain test-2.cdiff .. test-6.cdiff has a gap");
	assert_int_equal(failures(t), 1);
	t_free(t);
}

static void test_cdiff_chain_short_of_cvd(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add_db(t, "test.cvd", 6);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "cdiff chain", false, "the newest update is test-5.cdiff, but the CVD is version 6");
	t_free(t);
}

/* The source is configured for "daily": test's files are not its. */
static void test_wrong_database_name(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("daily");
	add_db(t, "test.cvd", 0);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "database", false, "database \"test\" is not one this source is configured for");
	expect(t, "test-3.cdiff", "database", false, "database \"test\" is not one this source is configured for");
	expect(t, "daily.cvd", "database", false, "the snapshot has no daily.cvd");
	t_free(t);
}

/* test's content under daily's name: the body's .info betrays it. */
static void test_content_of_another_database(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("daily");
	add(t, "daily.cvd", "cvd", "daily", 6, t->cvd.p, t->cvd.len);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "daily.cvd", "signature", true, "dsig signs the body's MD5");
	expect(t, "daily.cvd", "info", false, "the body's .info is test.info, not daily.info");
	t_free(t);
}

/* The entry's metadata must be the file's: diff and status show it. */
static void test_metadata_disagrees(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add(t, "test.cvd", "cvd", "test", 9, t->cvd.p, t->cvd.len);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "test.cvd", "database", false, "the entry's metadata says version 9, the header 6");
	t_free(t);
}

static void test_unknown_entry(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add_db(t, "test.cvd", 0);
	add(t, "../evil.cvd", "cvd", "test", 6, "x", 1);
	add(t, "test-7.cdiff", "cvd", "test", 7, "x", 1);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_ARRIVAL), -SL_E_VERIFY);
	expect(t, "../evil.cvd", "entry", false, "not a file of a ClamAV database");
	expect(t, "test-7.cdiff", "entry", false, "role \"cvd\", but the file is a cdiff file");
	t_free(t);
}

/* ---- RECHECK ---- */

static void test_recheck_names_altered_object(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	set_state(t, "9");   /* RECHECK does not re-judge rollback */
	add_db(t, "test.cvd", 0);
	snapshot(t);
	assert_int_equal(run(t, SL_VERIFY_RECHECK), 0);
	assert_int_equal(failures(t), 0);
	expect(t, "test-3.cdiff", "sha256", true, "intact");
	assert_null(find(t, "test.cvd", "version"));

	/* Alter test-3.cdiff's object on disk (objects are 0444). */
	char sha[SL_SHA256_HEX], path[4096];
	sl_digest_sha256(t->cdiff[3].p, t->cdiff[3].len, sha);
	assert_int_equal(sl_store_object_path(sl_snapfix_store(t->fx), sha, path, sizeof path), 0);
	assert_int_equal(chmod(path, 0644), 0);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 20, SEEK_SET), 0);
	assert_int_equal(fputc('Z', f), 'Z');
	fclose(f);
	assert_int_equal(run(t, SL_VERIFY_RECHECK), -SL_E_VERIFY);
	expect(t, "test-3.cdiff", "sha256", false, "its bytes no longer hash to its name");
	assert_non_null(strstr(t->cause, "test-3.cdiff: sha256: "));
	expect(t, "test.cvd", "cdiff chain", false, "1 of them did not verify");
	t_free(t);
}

static void test_recheck_other_key(void **state)
{
	(void)state;
	SKIP_WITHOUT_FIXTURES();
	struct t *t = t_new("test");
	add_db(t, "test.cvd", 0);
	snapshot(t);
	char *dir = sl_test_tmpdir_new(), *pem = NULL;
	assert_non_null(dir);
	assert_true(asprintf(&pem, "%s/other.pem", dir) > 0);
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	assert_non_null(pk);
	FILE *f = fopen(pem, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, pk), 1);
	fclose(f);
	EVP_PKEY_free(pk);
	t->src.cvd_key = pem;
	assert_int_equal(run(t, SL_VERIFY_RECHECK), -SL_E_VERIFY);
	expect(t, "test.cvd", "signature", false, "dsig does not verify with the ClamAV key");
	expect(t, "test-2.cdiff", "signature", false, "signature does not verify with the ClamAV key");
	assert_non_null(strstr(t->cause, "signature"));
	t->src.cvd_key = NULL;
	free(pem);
	sl_test_tmpdir_free(dir);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_no_cdiffs_and_sign_files),
		cmocka_unit_test(test_header_malformed),
		cmocka_unit_test(test_header_field_tampered),
		cmocka_unit_test(test_md5_body_flipped),
		cmocka_unit_test(test_rsa_signature_altered),
		cmocka_unit_test(test_version_rollback),
		cmocka_unit_test(test_cdiff_signature_tampered),
		cmocka_unit_test(test_cdiff_chain_gap),
		cmocka_unit_test(test_cdiff_chain_short_of_cvd),
		cmocka_unit_test(test_wrong_database_name),
		cmocka_unit_test(test_content_of_another_database),
		cmocka_unit_test(test_metadata_disagrees),
		cmocka_unit_test(test_unknown_entry),
		cmocka_unit_test(test_recheck_names_altered_object),
		cmocka_unit_test(test_recheck_other_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
