/* Tests for verify/rpm_chain (sl_rpm_verifier), driven directly: each case builds a repository in a store
 * and catalogue snapshot (primary.xml from the checked-in RPMs of tests/data/rpm, gzip-compressed by
 * core/decomp, a repomd.xml signed with a key made here) and runs the verifier, asserting the recorded check
 * and reason and the verdict. No HTTP. The RPMs are real (tests/data/rpm/make-fixtures.sh) and carry real
 * header signatures: libgreet and hello by pkgkey.asc, evil by a key not kept, unsigned by none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/store.h"
#include "tests/unit/lib/gpgtest.h"
#include "tests/unit/lib/snapfix.h"
#include "tests/unit/lib/testfile.h"
#include "verify/rpm_chain.h"
#include "verify/verifier.h"

#define MAX_PKGS 4
#define MAX_CHECKS 256

struct pkgdef {
	const char *file;                  /* in tests/data/rpm */
	const char *name, *ver;            /* as primary lists it */
	const char *sum_type;              /* default sha256 */
	const char *href;                  /* default Packages/<file> */
	bool no_entry;                     /* listed in primary, absent from the snapshot */
	bool wrong_size;                   /* primary's size is one byte more */
};

struct repo {
	struct pkgdef pkgs[MAX_PKGS];
	size_t npkgs;
	const char *revision;              /* default "1000" */
	const char *rec_sum_type;          /* primary record checksum type (default sha256) */
	const char *rec_href;              /* default repodata/primary.xml.gz */
	bool rec_base;                     /* xml:base on the record's location */
	const char *raw_primary;           /* instead of the generated XML */
	long long open_size;               /* > 0: instead of the true open-size */
	bool bad_open_sum;
	bool rec_size_plus_one;
	bool unsigned_repo;                /* no repomd.xml.asc */
	bool intruder_signs;               /* signed by a key that is not pinned */
	bool extra_package;                /* a package entry primary does not list */
	time_t sign_when;                  /* signature made at this (faked) time; 0: now */
};

struct recorded {
	char subject[256], check[64], reason[512];
	bool passed;
};

struct fx {
	struct sl_snapfix *sf;
	struct sl_gpgtest *gt;
	char meta_fpr[41], intruder_fpr[41];
	char keyring[512], other_keyring[512];
	struct sl_config *cfg;
	struct recorded rec[MAX_CHECKS];
	size_t nrec;
	int64_t snap;
};

/* ---- building a repository -------------------------------------------------------------------------------- */

struct mem {
	char *p;
	size_t len;
};

static int mem_sink(void *arg, const void *data, size_t len)
{
	struct mem *m = arg;
	m->p = realloc(m->p, m->len + len + 1);
	assert_non_null(m->p);
	memcpy(m->p + m->len, data, len);
	m->len += len;
	return 0;
}

static struct mem gzip_mem(const char *data, size_t len)
{
	struct mem m = { 0 };
	struct sl_comp_writer *w = sl_comp_writer_new(SL_COMP_GZIP, mem_sink, &m, NULL);
	assert_non_null(w);
	assert_int_equal(sl_comp_writer_write(w, data, len), 0);
	assert_int_equal(sl_comp_writer_finish(w), 0);
	sl_comp_writer_free(w);
	return m;
}

static void appendf(struct mem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct mem *m, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof buf);
	mem_sink(m, buf, (size_t)n);
	m->p[m->len] = '\0';
}

static const char *href_of(const struct pkgdef *p, char *buf, size_t cap)
{
	if (p->href != NULL)
		return p->href;
	snprintf(buf, cap, "Packages/%s", p->file);
	return buf;
}

static void load_config(struct fx *f, const char *keyring, bool repo_signed)
{
	sl_config_free(f->cfg);
	char *pk = sl_test_data_path("rpm/pkgkey.asc"), text[4096];
	snprintf(text, sizeof text,
		 "[sluice]\nstate_dir = %s\n[source el]\ntype = rpm\nurl = http://127.0.0.1:1/\nkeyring = %s\n"
		 "signed_by = %s\npackage_keyring = %s\nrepo_signed = %s\npublish = verbatim\n",
		 sl_snapfix_state_dir(f->sf), keyring, f->meta_fpr, pk, repo_signed ? "yes" : "no");
	free(pk);
	char *cause = NULL;
	f->cfg = sl_config_parse(text, strlen(text), "t.conf", &cause);
	if (f->cfg == NULL)
		fail_msg("config: %s", cause);
}

static void build(struct fx *f, const struct repo *r)
{
	struct sl_snapfix_entry e[16];
	size_t ne = 0;
	char *files[MAX_PKGS + 1] = { 0 };
	size_t flen[MAX_PKGS + 1];
	char hrefs[MAX_PKGS + 1][256];

	struct mem prim = { 0 };
	appendf(&prim, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
		       "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"%zu\">\n", r->npkgs);
	for (size_t i = 0; i < r->npkgs; i++) {
		const struct pkgdef *p = &r->pkgs[i];
		char rel[128], sha[SL_SHA256_HEX];
		snprintf(rel, sizeof rel, "rpm/%s", p->file);
		files[i] = sl_test_read_data(rel, &flen[i]);
		sl_digest_sha256(files[i], flen[i], sha);
		const char *href = href_of(p, hrefs[i], sizeof hrefs[i]);
		appendf(&prim, "<package type=\"rpm\">\n  <name>%s</name>\n  <arch>noarch</arch>\n"
			       "  <version epoch=\"0\" ver=\"%s\" rel=\"1\"/>\n  <checksum type=\"%s\" pkgid=\"YES\">%s</checksum>\n"
			       "  <summary>s</summary>\n  <description>d &amp; more</description>\n"
			       "  <size package=\"%zu\" installed=\"1\" archive=\"1\"/>\n  <location href=\"%s\"/>\n"
			       "  <format><rpm:provides><rpm:entry name=\"%s\"/></rpm:provides></format>\n</package>\n",
			p->name, p->ver, p->sum_type ? p->sum_type : "sha256", sha, flen[i] + (p->wrong_size ? 1 : 0), href,
			p->name);
		if (!p->no_entry)
			e[ne++] = (struct sl_snapfix_entry){ .path = href, .role = "package", .data = files[i], .len = flen[i] };
	}
	appendf(&prim, "</metadata>\n");
	const char *raw = r->raw_primary != NULL ? r->raw_primary : prim.p;
	size_t raw_len = strlen(raw);
	struct mem gz = gzip_mem(raw, raw_len);
	char gz_sha[SL_SHA256_HEX], open_sha[SL_SHA256_HEX], md5[129];
	sl_digest_sha256(gz.p, gz.len, gz_sha);
	sl_digest_sha256(raw, raw_len, open_sha);
	if (r->bad_open_sum)
		open_sha[0] = open_sha[0] == 'a' ? 'b' : 'a';
	const char *rec_type = r->rec_sum_type ? r->rec_sum_type : "sha256";
	const char *rec_sum = gz_sha;
	if (strcmp(rec_type, "md5") == 0) {
		struct sl_hasher *h = sl_hasher_new(SL_HASH_MD5);
		sl_hasher_update(h, gz.p, gz.len);
		sl_hasher_final(h, md5, NULL, NULL, NULL);
		sl_hasher_free(h);
		rec_sum = md5;
	} else if (rec_type[0] == '\0') {
		rec_sum = "";
	}
	const char *rec_href = r->rec_href ? r->rec_href : "repodata/primary.xml.gz";
	struct mem md = { 0 };
	appendf(&md, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n"
		     "  <revision>%s</revision>\n  <data type=\"primary\">\n    <checksum type=\"%s\">%s</checksum>\n"
		     "    <open-checksum type=\"sha256\">%s</open-checksum>\n    <location %shref=\"%s\"/>\n"
		     "    <timestamp>1700000000</timestamp>\n    <size>%zu</size>\n    <open-size>%lld</open-size>\n"
		     "  </data>\n</repomd>\n",
		r->revision ? r->revision : "1000", rec_type, rec_sum, open_sha,
		r->rec_base ? "xml:base=\"http://evil.invalid/\" " : "", rec_href, gz.len + (r->rec_size_plus_one ? 1 : 0),
		r->open_size > 0 ? r->open_size : (long long)raw_len);
	e[ne++] = (struct sl_snapfix_entry){ .path = "repodata/repomd.xml", .role = "repomd", .data = md.p, .len = md.len };
	e[ne++] = (struct sl_snapfix_entry){ .path = rec_href, .role = "metadata", .meta_json = "{\"type\":\"primary\"}",
					     .data = gz.p, .len = gz.len };
	char *sig = NULL;
	size_t sig_len = 0;
	if (!r->unsigned_repo) {
		const char *signers[] = { r->intruder_signs ? f->intruder_fpr : f->meta_fpr, NULL };
		sig = sl_gpgtest_sign(f->gt, signers, SL_GPGTEST_DETACH_ARMOR, md.p, md.len, r->sign_when, &sig_len);
		e[ne++] = (struct sl_snapfix_entry){ .path = "repodata/repomd.xml.asc", .role = "repomd-sig", .data = sig,
						     .len = sig_len };
	}
	if (r->extra_package) {
		files[MAX_PKGS] = sl_test_read_data("rpm/unsigned-1.0-1.noarch.rpm", &flen[MAX_PKGS]);
		e[ne++] = (struct sl_snapfix_entry){ .path = "Packages/stowaway.rpm", .role = "package",
						     .data = files[MAX_PKGS], .len = flen[MAX_PKGS] };
	}
	assert_int_equal(sl_snapfix_snapshot(f->sf, e, ne, SL_SNAP_SYNCING, &f->snap), 0);
	for (size_t i = 0; i <= MAX_PKGS; i++)
		free(files[i]);
	free(prim.p);
	free(gz.p);
	free(md.p);
	free(sig);
}

/* ---- running the verifier --------------------------------------------------------------------------------- */

static void record(void *arg, const struct sl_check *c)
{
	struct fx *f = arg;
	if (f->nrec >= MAX_CHECKS)
		return;
	struct recorded *r = &f->rec[f->nrec++];
	snprintf(r->subject, sizeof r->subject, "%s", c->subject);
	snprintf(r->check, sizeof r->check, "%s", c->check);
	snprintf(r->reason, sizeof r->reason, "%s", c->reason);
	r->passed = c->passed;
}

static int run(struct fx *f, enum sl_verify_mode mode, char **cause)
{
	f->nrec = 0;
	struct sl_verify_ctx v = {
		.cfg = f->cfg, .src = &f->cfg->sources[0], .cat = sl_snapfix_catalog(f->sf),
		.store = sl_snapfix_store(f->sf), .source_id = sl_snapfix_source_id(f->sf), .snap_id = f->snap,
		.mode = mode, .now = time(NULL), .record = record, .record_arg = f,
	};
	int rc = sl_rpm_verifier.verify(&v, cause);
	if (rc == 0 && mode == SL_VERIFY_ARRIVAL)
		assert_int_equal(sl_rpm_verifier.accept(&v, cause), 0);
	return rc;
}

/* The first failed record, which must be `check` on `subject` with `reason` in its text. */
static void expect_failure(struct fx *f, const struct repo *r, const char *subject, const char *check,
			   const char *reason)
{
	build(f, r);
	char *cause = NULL;
	int rc = run(f, SL_VERIFY_ARRIVAL, &cause);
	if (rc != -SL_E_VERIFY) {
		for (size_t i = 0; i < f->nrec; i++)
			fprintf(stderr, "  %s %s: %s: %s\n", f->rec[i].passed ? "ok  " : "FAIL", f->rec[i].subject,
				f->rec[i].check, f->rec[i].reason);
		fail_msg("verdict %d (%s), expected -SL_E_VERIFY for %s", rc, cause ? cause : "", check);
	}
	assert_non_null(cause);
	for (size_t i = 0; i < f->nrec; i++) {
		struct recorded *c = &f->rec[i];
		if (c->passed)
			continue;
		if (strcmp(c->check, check) != 0 || strstr(c->subject, subject) == NULL || strstr(c->reason, reason) == NULL)
			fail_msg("first failure is %s: %s: %s; expected %s: %s: ...%s...", c->subject, c->check, c->reason,
				 subject, check, reason);
		assert_non_null(strstr(cause, check));
		free(cause);
		return;
	}
	fail_msg("no failed record");
}

static const struct repo good_repo = {
	.pkgs = { { .file = "libgreet-1.1-1.noarch.rpm", .name = "libgreet", .ver = "1.1" },
		  { .file = "hello-2.0-1.noarch.rpm", .name = "hello", .ver = "2.0" } },
	.npkgs = 2,
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->sf = sl_snapfix_new("el", "rpm");
	assert_non_null(f->sf);
	f->gt = sl_gpgtest_new();
	sl_gpgtest_genkey(f->gt, "repo meta <meta@test.invalid>", 0, "never", f->meta_fpr);
	sl_gpgtest_genkey(f->gt, "intruder <intruder@test.invalid>", 0, "never", f->intruder_fpr);
	snprintf(f->keyring, sizeof f->keyring, "%s/meta.asc", sl_gpgtest_dir(f->gt));
	snprintf(f->other_keyring, sizeof f->other_keyring, "%s/intruder.asc", sl_gpgtest_dir(f->gt));
	const char *meta[] = { f->meta_fpr, NULL }, *intr[] = { f->intruder_fpr, NULL };
	sl_gpgtest_export(f->gt, meta, true, f->keyring);
	sl_gpgtest_export(f->gt, intr, true, f->other_keyring);
	load_config(f, f->keyring, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sl_config_free(f->cfg);
	sl_gpgtest_free(f->gt);
	sl_snapfix_free(f->sf);
	free(f);
	return 0;
}

static bool has_check(struct fx *f, const char *check, bool passed)
{
	for (size_t i = 0; i < f->nrec; i++)
		if (strcmp(f->rec[i].check, check) == 0 && f->rec[i].passed == passed)
			return true;
	return false;
}

/* ---- cases ------------------------------------------------------------------------------------------------- */

static void test_good_chain(void **state)
{
	struct fx *f = *state;
	build(f, &good_repo);
	char *cause = NULL;
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, &cause), 0);
	assert_null(cause);
	const char *want[] = { "openpgp-signature", "repomd-format", "rollback", "checksum-type", "location", "checksum",
			       "open-checksum", "packages", "inventory" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!has_check(f, want[i], true))
			fail_msg("no passing %s record", want[i]);
	for (size_t i = 0; i < f->nrec; i++)
		if (strcmp(f->rec[i].check, "packages") == 0)
			assert_non_null(strstr(f->rec[i].reason, "2 package(s)"));
	/* accept advanced the trust state. */
	char *rev = NULL;
	assert_int_equal(sl_catalog_state_get(sl_snapfix_catalog(f->sf), sl_snapfix_source_id(f->sf), "rpm.revision", &rev), 0);
	assert_string_equal(rev, "1000");
	free(rev);
}

static void test_rollback(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sl_catalog_state_set(sl_snapfix_catalog(f->sf), sl_snapfix_source_id(f->sf), "rpm.revision", "2000"), 0);
	assert_int_equal(sl_catalog_state_set(sl_snapfix_catalog(f->sf), sl_snapfix_source_id(f->sf), "rpm.timestamp", "1"), 0);
	expect_failure(f, &good_repo, "repodata/repomd.xml", "rollback", "revision 1000 is older than the last accepted revision 2000");
}

static void test_metadata_unknown_key(void **state)
{
	struct repo r = good_repo;
	r.intruder_signs = true;
	expect_failure(*state, &r, "repodata/repomd.xml", "openpgp-signature", "no good signature by an allowed key");
}

static void test_expired_key(void **state)
{
	struct fx *f = *state;
	/* A key made two days ago that expired after one, signing while it was valid: refused now (gpg.c). */
	char old[41];
	time_t made = time(NULL) - 2 * 86400;
	sl_gpgtest_genkey(f->gt, "expired <expired@test.invalid>", made, "1d", old);
	const char *k[] = { old, NULL };
	char ring[600];
	snprintf(ring, sizeof ring, "%s/expired.asc", sl_gpgtest_dir(f->gt));
	sl_gpgtest_export(f->gt, k, true, ring);
	memcpy(f->meta_fpr, old, sizeof old);   /* pinned and signing, but expired */
	load_config(f, ring, true);
	struct repo r = good_repo;
	r.sign_when = made + 3600;
	expect_failure(f, &r, "repodata/repomd.xml", "openpgp-signature", "expired");
}

static void test_unsigned_repo(void **state)
{
	struct fx *f = *state;
	struct repo r = good_repo;
	r.unsigned_repo = true;
	expect_failure(f, &r, "repodata/repomd.xml", "openpgp-signature", "no repomd.xml.asc");
	/* repo_signed = no: recorded, and the packages' own signatures and payload digests carry the trust. */
	load_config(f, f->keyring, false);
	build(f, &r);
	char *cause = NULL;
	assert_int_equal(run(f, SL_VERIFY_ARRIVAL, &cause), 0);
	assert_true(has_check(f, "repo-signed", true));
	for (size_t i = 0; i < f->nrec; i++)
		if (strcmp(f->rec[i].check, "packages") == 0)
			assert_non_null(strstr(f->rec[i].reason, "payload digest recomputed"));
}

static void test_md5_record(void **state)
{
	struct repo r = good_repo;
	r.rec_sum_type = "md5";
	expect_failure(*state, &r, "primary.xml.gz", "checksum-type", "checksum type md5 refused");
}

static void test_empty_checksum(void **state)
{
	struct repo r = good_repo;
	r.rec_sum_type = "";
	expect_failure(*state, &r, "primary.xml.gz", "checksum-type", "empty checksum refused");
}

static void test_href_dotdot(void **state)
{
	struct repo r = good_repo;
	r.rec_href = "repodata/../../primary.xml.gz";
	expect_failure(*state, &r, "primary.xml.gz", "location", "leaves the repository");
}

static void test_href_absolute(void **state)
{
	struct repo r = good_repo;
	r.rec_href = "/etc/primary.xml.gz";
	expect_failure(*state, &r, "primary.xml.gz", "location", "is absolute");
}

static void test_href_xml_base(void **state)
{
	struct repo r = good_repo;
	r.rec_base = true;
	expect_failure(*state, &r, "primary.xml.gz", "location", "xml:base");
}

static void test_record_size(void **state)
{
	struct repo r = good_repo;
	r.rec_size_plus_one = true;
	expect_failure(*state, &r, "primary.xml.gz", "checksum", "size: entry has");
}

static void test_open_checksum(void **state)
{
	struct repo r = good_repo;
	r.bad_open_sum = true;
	expect_failure(*state, &r, "primary.xml.gz", "open-checksum", "does not match the signed open-checksum");
}

static void test_decompression_bomb(void **state)
{
	struct repo r = good_repo;
	size_t big = 8u << 20;
	char *bomb = malloc(big + 64);
	assert_non_null(bomb);
	strcpy(bomb, "<metadata packages=\"0\">");
	memset(bomb + strlen(bomb), ' ', big);
	strcpy(bomb + 23 + big, "</metadata>");
	r.raw_primary = bomb;
	r.open_size = 4096;   /* what the signed record claims */
	expect_failure(*state, &r, "primary.xml.gz", "decompression", "exceeds 4096 bytes");
	free(bomb);
}

static void test_entity_bomb(void **state)
{
	struct repo r = good_repo;
	r.raw_primary = "<?xml version=\"1.0\"?>\n<!DOCTYPE metadata [\n<!ENTITY a \"aaaaaaaaaa\">\n"
			"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n]>\n"
			"<metadata packages=\"1\"><package type=\"rpm\"><name>&c;</name></package></metadata>\n";
	expect_failure(*state, &r, "primary.xml.gz", "metadata-format", "document type or entity");
}

static void test_package_unknown_key(void **state)
{
	struct repo r = good_repo;
	r.pkgs[1] = (struct pkgdef){ .file = "evil-1.0-1.noarch.rpm", .name = "evil", .ver = "1.0" };
	expect_failure(*state, &r, "Packages/evil-1.0-1.noarch.rpm", "package-signature", "NOKEY");
}

static void test_package_unsigned(void **state)
{
	struct repo r = good_repo;
	r.pkgs[1] = (struct pkgdef){ .file = "unsigned-1.0-1.noarch.rpm", .name = "unsigned", .ver = "1.0" };
	expect_failure(*state, &r, "Packages/unsigned-1.0-1.noarch.rpm", "package-signature", "no header signature");
}

static void test_package_nevra(void **state)
{
	struct repo r = good_repo;
	r.pkgs[0].ver = "9.9";   /* validly signed libgreet 1.1 listed as 9.9 */
	expect_failure(*state, &r, "Packages/libgreet-1.1-1.noarch.rpm", "nevra",
		       "signed header is libgreet-1.1-1.noarch, primary lists libgreet-9.9-1.noarch");
}

static void test_package_md5(void **state)
{
	struct repo r = good_repo;
	r.pkgs[0].sum_type = "md5";
	expect_failure(*state, &r, "Packages/libgreet-1.1-1.noarch.rpm", "checksum-type", "md5 refused");
}

static void test_package_href(void **state)
{
	struct repo r = good_repo;
	r.pkgs[0].href = "../libgreet.rpm";
	expect_failure(*state, &r, "../libgreet.rpm", "location", "leaves the repository");
}

static void test_package_missing(void **state)
{
	struct repo r = good_repo;
	r.pkgs[1].no_entry = true;
	expect_failure(*state, &r, "Packages/hello-2.0-1.noarch.rpm", "package-present", "not in the snapshot");
}

static void test_package_size(void **state)
{
	struct repo r = good_repo;
	r.pkgs[1].wrong_size = true;
	expect_failure(*state, &r, "Packages/hello-2.0-1.noarch.rpm", "package-hash", "size: entry has");
}

static void test_inventory(void **state)
{
	struct repo r = good_repo;
	r.extra_package = true;
	expect_failure(*state, &r, "packages", "inventory", "3 package entries, only 2 listed in primary");
}

/* RECHECK: an object altered on disk is named; a keyring without the signing key fails the signature. */
static void test_recheck(void **state)
{
	struct fx *f = *state;
	build(f, &good_repo);
	char *cause = NULL;
	assert_int_equal(run(f, SL_VERIFY_RECHECK, &cause), 0);
	assert_false(has_check(f, "rollback", true));   /* not re-judged */

	struct sl_entry e;
	assert_int_equal(sl_catalog_snapshot_entry(sl_snapfix_catalog(f->sf), f->snap, "Packages/hello-2.0-1.noarch.rpm", &e), 0);
	char path[4096];
	assert_int_equal(sl_store_object_path(sl_snapfix_store(f->sf), e.sha256, path, sizeof path), 0);
	sl_entry_release(&e);
	size_t len;
	char *data = sl_test_read_file(path, &len);
	data[len - 1] ^= 1;
	chmod(path, 0644);
	sl_test_write_file(path, data, len);
	free(data);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, &cause), -SL_E_VERIFY);
	assert_non_null(strstr(cause, "Packages/hello-2.0-1.noarch.rpm"));
	assert_non_null(strstr(cause, "altered on disk"));
	free(cause);
	cause = NULL;

	load_config(f, f->other_keyring, true);
	build(f, &good_repo);
	assert_int_equal(run(f, SL_VERIFY_RECHECK, &cause), -SL_E_VERIFY);
	assert_non_null(strstr(cause, "openpgp-signature"));
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsigned_repo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_md5_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_href_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_href_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_href_xml_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompression_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entity_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_unsigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_nevra, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_md5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_href, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recheck, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
