/* Unit tests for core/bundle_manifest: the canonical writer and the strict streaming reader of a transfer
 * bundle's manifest (round trip, one encoding per value, every refusal with its reason), and the tar member
 * name gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/bundle_manifest.h"
#include "core/error.h"

#define FPR "0123456789ABCDEF0123456789ABCDEF01234567"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* The reference manifest: two sources, awkward text fields, two volumes. Heap, NUL-terminated. */
static char *good(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	struct sl_bundle_header h = { .sequence = 7, .created = 1000, .valid_until = 2000, .base = SL_BASE_SINCE,
				      .base_since = 5 };
	memcpy(h.exporter, FPR, 41);
	assert_int_equal(sl_bundle_write_header(f, &h), 0);
	struct sl_bundle_source s1 = { .name = "alpha", .type = "apt", .snapshot_id = 3, .upstream_date = 99,
				       .n_entries = 2, .total_bytes = 30, .summary = "{\"a\": 1}" };
	memcpy(s1.content_digest, SHA_C, 65);
	assert_int_equal(sl_bundle_write_source(f, &s1), 0);
	struct sl_entry e1 = { .path = "dists/a b\t%/InRelease", .sha256 = SHA_A, .size = 10, .role = "release",
			       .meta_json = "-" };
	struct sl_entry e2 = { .path = "pool/\xc3\xa9.deb", .sha256 = SHA_B, .size = 20, .role = "pool", .meta_json = NULL };
	assert_int_equal(sl_bundle_write_entry(f, &e1), 0);
	assert_int_equal(sl_bundle_write_entry(f, &e2), 0);
	struct sl_bundle_source s2 = { .name = "beta", .type = "oci", .snapshot_id = 4, .n_entries = 0 };
	memcpy(s2.content_digest, SHA_C, 65);
	assert_int_equal(sl_bundle_write_source(f, &s2), 0);
	struct sl_bundle_object o1 = { .sha256 = SHA_A, .size = 10, .volume = 1 };
	struct sl_bundle_object o2 = { .sha256 = SHA_B, .size = 20, .volume = 2 };
	assert_int_equal(sl_bundle_write_object(f, &o1), 0);
	assert_int_equal(sl_bundle_write_object(f, &o2), 0);
	struct sl_bundle_end e = { .n_sources = 2, .n_objects = 2, .object_bytes = 30, .volumes = 2 };
	assert_int_equal(sl_bundle_write_end(f, SL_BUNDLE_FORMAT, &e), 0);
	fclose(f);
	*len = n;
	return buf;
}

static void test_canonical_text(void **state)
{
	(void)state;
	size_t len;
	char *m = good(&len);
	assert_non_null(strstr(m, "entry\tdists/a%20b%09%25/InRelease\t" SHA_A "\t10\trelease\t%2D\n"));
	assert_non_null(strstr(m, "entry\tpool/%C3%A9.deb\t" SHA_B "\t20\tpool\t-\n"));
	assert_non_null(strstr(m, "\t{\"a\":%201}\n"));
	assert_non_null(strstr(m, "base\tsince\t5\n"));
	assert_non_null(strstr(m, "end\t2\t2\t30\t2\n"));
	free(m);
}

static void test_round_trip(void **state)
{
	(void)state;
	size_t len;
	char *m = good(&len);
	FILE *f = fmemopen(m, len, "r");
	struct sl_bundle_reader *r = sl_bundle_reader_file(f);
	char *cause = NULL;
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_HEADER);
	assert_string_equal(sl_bundle_header(r)->exporter, FPR);
	assert_int_equal(sl_bundle_header(r)->sequence, 7);
	assert_int_equal(sl_bundle_header(r)->base, SL_BASE_SINCE);
	assert_int_equal(sl_bundle_header(r)->base_since, 5);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_SOURCE);
	assert_string_equal(sl_bundle_source(r)->name, "alpha");
	assert_string_equal(sl_bundle_source(r)->summary, "{\"a\": 1}");
	assert_int_equal(sl_bundle_source(r)->upstream_date, 99);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_ENTRY);
	assert_string_equal(sl_bundle_entry(r)->path, "dists/a b\t%/InRelease");
	assert_string_equal(sl_bundle_entry(r)->meta_json, "-");
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_ENTRY);
	assert_string_equal(sl_bundle_entry(r)->path, "pool/\xc3\xa9.deb");
	assert_null(sl_bundle_entry(r)->meta_json);
	assert_string_equal(sl_bundle_entry(r)->role, "pool");
	assert_int_equal(sl_bundle_entry(r)->size, 20);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_SOURCE);
	assert_string_equal(sl_bundle_source(r)->type, "oci");
	assert_null(sl_bundle_source(r)->summary);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_OBJECT);
	assert_int_equal(sl_bundle_object(r)->volume, 1);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_OBJECT);
	assert_string_equal(sl_bundle_object(r)->sha256, SHA_B);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_END);
	assert_int_equal(sl_bundle_end(r)->volumes, 2);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_EOF);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_EOF);
	assert_null(cause);
	sl_bundle_reader_free(r);
	fclose(f);
	struct sl_bundle_header h;
	struct sl_bundle_end e;
	assert_int_equal(sl_bundle_manifest_check(m, len, &h, &e, &cause), 0);
	assert_int_equal(h.valid_until, 2000);
	assert_int_equal(e.object_bytes, 30);
	free(m);
}

/* Format 2: alpha is a delta of the inside's snapshot 2 (one entry replaced, one dropped), the patch travels
 * as an object, and the new index is built on the inside in three steps. */
static char *good_delta(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	struct sl_bundle_header h = { .format = SL_BUNDLE_FORMAT_DELTA, .sequence = 8, .created = 1000,
				      .valid_until = 2000, .base = SL_BASE_SINCE, .base_since = 7 };
	memcpy(h.exporter, FPR, 41);
	assert_int_equal(sl_bundle_write_header(f, &h), 0);
	struct sl_bundle_source s1 = { .name = "alpha", .type = "apt", .snapshot_id = 4, .upstream_date = 99,
				       .n_entries = 3, .total_bytes = 60 };
	memcpy(s1.content_digest, SHA_C, 65);
	assert_int_equal(sl_bundle_write_source(f, &s1), 0);
	struct sl_bundle_delta d = { .base_snapshot = 3, .n_listed = 2 };
	memcpy(d.base_digest, SHA_B, 65);
	assert_int_equal(sl_bundle_write_delta_of(f, &d), 0);
	assert_int_equal(sl_bundle_write_drop(f, "dists/old"), 0);
	struct sl_entry e1 = { .path = "dists/x/Packages.xz", .sha256 = SHA_A, .size = 10, .role = "index" };
	assert_int_equal(sl_bundle_write_entry(f, &e1), 0);
	struct sl_bundle_object o1 = { .sha256 = SHA_C, .size = 5, .volume = 1 };
	assert_int_equal(sl_bundle_write_object(f, &o1), 0);
	struct sl_bundle_build b1 = { .size = 40, .op = SL_BUILD_UNPACK, .target = SHA_A, .in1 = SHA_B };
	struct sl_bundle_build b2 = { .size = 41, .op = SL_BUILD_PATCH, .target = SHA_C, .in1 = SHA_A, .in2 = SHA_B };
	struct sl_bundle_build b3 = { .size = 10, .op = SL_BUILD_PACK, .target = SHA_A, .in1 = SHA_C,
				      .token = "xz 6 crc64" };
	assert_int_equal(sl_bundle_write_build(f, &b1), 0);
	assert_int_equal(sl_bundle_write_build(f, &b2), 0);
	assert_int_equal(sl_bundle_write_build(f, &b3), 0);
	struct sl_bundle_end e = { .n_sources = 1, .n_objects = 1, .object_bytes = 5, .volumes = 1, .n_builds = 3 };
	assert_int_equal(sl_bundle_write_end(f, SL_BUNDLE_FORMAT_DELTA, &e), 0);
	fclose(f);
	*len = n;
	return buf;
}

static void test_delta(void **state)
{
	(void)state;
	size_t len;
	char *m = good_delta(&len);
	assert_non_null(strstr(m, "sluice-bundle\t2\n"));
	assert_non_null(strstr(m, "delta-of\t3\t" SHA_B "\t2\ndrop\tdists/old\nentry\t"));
	assert_non_null(strstr(m, "build\t" SHA_A "\t10\tpack\t" SHA_C "\t-\txz%206%20crc64\n"));
	assert_non_null(strstr(m, "end\t1\t1\t5\t1\t3\n"));
	struct sl_bundle_reader *r = sl_bundle_reader_mem(m, len);
	char *cause = NULL;
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_HEADER);
	assert_int_equal(sl_bundle_header(r)->format, SL_BUNDLE_FORMAT_DELTA);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_SOURCE);
	assert_int_equal(sl_bundle_source(r)->n_entries, 3);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_DELTA);
	assert_int_equal(sl_bundle_delta(r)->base_snapshot, 3);
	assert_string_equal(sl_bundle_delta(r)->base_digest, SHA_B);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_DROP);
	assert_string_equal(sl_bundle_entry(r)->path, "dists/old");
	assert_null(sl_bundle_entry(r)->sha256);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_ENTRY);
	assert_string_equal(sl_bundle_entry(r)->role, "index");
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_OBJECT);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_BUILD);
	assert_int_equal(sl_bundle_build(r)->op, SL_BUILD_UNPACK);
	assert_string_equal(sl_bundle_build(r)->in2, "");
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_BUILD);
	assert_int_equal(sl_bundle_build(r)->op, SL_BUILD_PATCH);
	assert_string_equal(sl_bundle_build(r)->in2, SHA_B);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_BUILD);
	assert_string_equal(sl_bundle_build(r)->token, "xz 6 crc64");
	assert_int_equal(sl_bundle_build(r)->size, 10);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_END);
	assert_int_equal(sl_bundle_end(r)->n_builds, 3);
	assert_int_equal(sl_bundle_next(r, &cause), SL_BREC_EOF);
	assert_null(cause);
	sl_bundle_reader_free(r);
	free(m);
}

/* Replace the first `from` in the manifest gen() writes by `to`, parse, expect refusal with `why` in the cause. */
static void refused_in(char *(*gen)(size_t *), const char *from, const char *to, int want, const char *why)
{
	size_t len;
	char *m = gen(&len);
	char *at = strstr(m, from);
	assert_non_null(at);
	size_t fl = strlen(from), tl = strlen(to);
	char *n = malloc(len - fl + tl + 1);
	memcpy(n, m, (size_t)(at - m));
	memcpy(n + (at - m), to, tl);
	memcpy(n + (at - m) + tl, at + fl, len - (size_t)(at - m) - fl + 1);
	char *cause = NULL;
	int rc = sl_bundle_manifest_check(n, len - fl + tl, NULL, NULL, &cause);
	if (rc != want || cause == NULL || strstr(cause, why) == NULL)
		fail_msg("'%s' -> '%s': rc %d cause '%s', want %d '%s'", from, to, rc, cause ? cause : "", want, why);
	free(cause);
	free(n);
	free(m);
}

static void refused(const char *from, const char *to, int want, const char *why)
{
	refused_in(good, from, to, want, why);
}

static void test_delta_refusals(void **state)
{
	(void)state;
	/* delta records only where format 2 puts them */
	refused_in(good_delta, "sluice-bundle\t2", "sluice-bundle\t1", -SL_E_PARSE, "entries left");
	refused("entry\tpool/", "drop\tpool/", -SL_E_PARSE, "has 1 entries left");
	refused_in(good_delta, "delta-of\t3", "delta-off\t3", -SL_E_PARSE, "has 3 entries left");
	refused_in(good_delta, "delta-of\t3\t" SHA_B "\t2", "delta-of\t3\t" SHA_B "\t3", -SL_E_PARSE, "entries left");
	refused_in(good_delta, "delta-of\t3\t" SHA_B "\t2", "delta-of\t3\t" SHA_B "\t1", -SL_E_PARSE,
		   "more entries than source");
	refused_in(good_delta, "delta-of\t3\t" SHA_B, "delta-of\t0\t" SHA_B, -SL_E_PARSE, "bad delta-of");
	refused_in(good_delta, "drop\tdists/old", "drop\tdists/z", -SL_E_PARSE, "out of order");
	refused_in(good_delta, "entry\tdists/x/Packages.xz", "entry\tdists/a", -SL_E_PARSE, "out of order");
	refused_in(good_delta, "drop\tdists/old", "drop\tdists/old\tx", -SL_E_PARSE, "a drop has 1 field");
	/* builds: inputs as the operation needs them, known operations, counted at the end */
	refused_in(good_delta, "\tpack\t", "\tpick\t", -SL_E_PARSE, "bad build operation");
	refused_in(good_delta, "\tunpack\t" SHA_B "\t-", "\tunpack\t" SHA_B "\t" SHA_A, -SL_E_PARSE,
		   "bad build operation");
	refused_in(good_delta, "\tpatch\t" SHA_A "\t" SHA_B, "\tpatch\t" SHA_A "\t-", -SL_E_PARSE,
		   "bad build operation");
	refused_in(good_delta, "\t-\txz%206%20crc64", "\t-\t-", -SL_E_PARSE, "bad build token");
	refused_in(good_delta, "\t-\txz%206%20crc64", "\t-\txz 6", -SL_E_PARSE, "bad build token");
	refused_in(good_delta, "\tunpack\t" SHA_B "\t-\t-", "\tunpack\t" SHA_B "\t-\txz", -SL_E_PARSE,
		   "bad build token");
	refused_in(good_delta, "end\t1\t1\t5\t1\t3", "end\t1\t1\t5\t1\t2", -SL_E_PARSE, "end counts 2 builds");
	refused_in(good_delta, "end\t1\t1\t5\t1\t3", "end\t1\t1\t5\t1", -SL_E_PARSE, "bad end");
	refused_in(good_delta, "object\t" SHA_C "\t5\t1\n", "", -SL_E_PARSE, "end counts");
	refused_in(good_delta, "build\t" SHA_A "\t10", "object\t" SHA_A "\t10", -SL_E_PARSE, "unexpected record 'object'");
}

static void test_refusals(void **state)
{
	(void)state;
	refused("sluice-bundle\t1", "sluice-bundle\t3", -SL_E_PARSE, "not a sluice bundle");
	refused("exporter\t0123", "exporter\tabcd", -SL_E_PARSE, "uppercase fingerprint");
	refused("sequence\t7", "sequence\t0", -SL_E_PARSE, "bad sequence");
	refused("sequence\t7", "sequence\t07", -SL_E_PARSE, "bad sequence");
	refused("valid-until\t2000", "valid-until\t999", -SL_E_PARSE, "valid-until before created");
	refused("base\tsince\t5", "base\tsince\t7", -SL_E_PARSE, "base is not");
	refused("base\tsince\t5", "base\tlatest", -SL_E_PARSE, "base is not");
	refused("created\t1000", "created\t1000\textra", -SL_E_PARSE, "bad time");
	refused("source\tbeta", "source\taaa", -SL_E_PARSE, "out of order or repeated");
	refused("source\tbeta", "source\tBeta", -SL_E_PARSE, "bad source name");
	refused("\t2\t30\t{", "\t3\t30\t{", -SL_E_PARSE, "entries left");
	refused("\t2\t30\t{", "\t1\t10\t{", -SL_E_PARSE, "more entries than source 'alpha' declares");
	refused("\t2\t30\t{", "\t2\t31\t{", -SL_E_PARSE, "add up to 30 bytes, not 31");
	refused("entry\tpool/", "entry\taaa/", -SL_E_PARSE, "path out of order");
	refused("a%20b", "a%zzb", -SL_E_PARSE, "bad path");
	refused("a%20b", "a%41b", -SL_E_PARSE, "bad path");          /* 'A' must be literal */
	refused("a%20b", "a%2fb", -SL_E_PARSE, "bad path");          /* lowercase hex */
	refused("a%20b", "a%00b", -SL_E_PARSE, "bad path");          /* NUL */
	refused("a%20b", "a b", -SL_E_PARSE, "bad path");            /* a blank is %20 (found by the fuzzer) */
	refused("\t%2D\n", "\t%2Dx\n", -SL_E_PARSE, "bad meta");       /* %2D only stands alone */
	refused("\trelease\t", "\t\t", -SL_E_PARSE, "bad role");
	refused("object\t" SHA_B "\t20\t2", "object\t" SHA_A "\t20\t2", -SL_E_PARSE, "object out of order");
	refused("object\t" SHA_B "\t20\t2", "object\t" SHA_B "\t20\t3", -SL_E_PARSE, "volumes must be numbered");
	refused("object\t" SHA_A "\t10\t1", "object\t" SHA_A "\t10\t0", -SL_E_PARSE, "bad object");
	refused("end\t2\t2\t30\t2", "end\t2\t2\t31\t2", -SL_E_PARSE, "do not match the records");
	refused("end\t2\t2\t30\t2", "end\t2\t2\t30\t3", -SL_E_PARSE, "objects name volume 2");
	refused("end\t2\t2\t30\t2\n", "end\t2\t2\t30\t2\nend\t2\t2\t30\t2\n", -SL_E_PARSE, "text after 'end'");
	refused("end\t2\t2\t30\t2\n", "", -SL_E_PARSE, "without 'end'");
	refused("end\t2\t2\t30\t2\n", "end\t2\t2\t30\t2", -SL_E_PARSE, "no newline at the end");
	refused("release", "rel\x01", -SL_E_PARSE, "control character");
	refused("release", "rel\xc3\xa9", -SL_E_PARSE, "outside ASCII");
	refused("\trelease\t", "\trelease\tx\tx\tx\tx\tx\tx\tx\tx\tx\t", -SL_E_PARSE, "too many fields");
	refused("source\tbeta\toci", "entry\tx\toci", -SL_E_PARSE, "an entry has 5 fields");
	refused("object\t" SHA_A, "blob\t" SHA_A, -SL_E_PARSE, "unexpected record 'blob'");
}

static void test_caps(void **state)
{
	(void)state;
	size_t n = SL_MAX_BUNDLE_LINE + 100;
	char *m = malloc(n + 1);
	memset(m, 'x', n);
	m[n] = '\n';
	char *cause = NULL;
	assert_int_equal(sl_bundle_manifest_check(m, n + 1, NULL, NULL, &cause), -SL_E_TOOBIG);
	assert_non_null(strstr(cause, "longer than"));
	free(cause);
	cause = NULL;
	assert_int_equal(sl_bundle_manifest_check(m, (size_t)SL_MAX_BUNDLE_MANIFEST + 1, NULL, NULL, &cause), -SL_E_TOOBIG);
	free(cause);
	cause = NULL;
	assert_int_equal(sl_bundle_manifest_check("", 0, NULL, NULL, &cause), -SL_E_PARSE);
	free(cause);
	free(m);
}

static void test_members(void **state)
{
	(void)state;
	char sha[SL_SHA256_HEX];
	const char *why;
	assert_int_equal(sl_bundle_member_parse("MANIFEST", sha, &why), SL_MEMBER_MANIFEST);
	assert_int_equal(sl_bundle_member_parse("MANIFEST.sig", sha, &why), SL_MEMBER_SIGNATURE);
	assert_int_equal(sl_bundle_member_parse("VOLUME", sha, &why), SL_MEMBER_VOLUME);
	assert_int_equal(sl_bundle_member_parse("END", sha, &why), SL_MEMBER_END);
	assert_int_equal(sl_bundle_member_parse("objects/" SHA_A, sha, &why), SL_MEMBER_OBJECT);
	assert_string_equal(sha, SHA_A);
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "", "empty" },
		{ "/etc/passwd", "absolute" },
		{ "/MANIFEST", "absolute" },
		{ "..", "'..'" },
		{ "objects/../MANIFEST", "'..'" },
		{ "a/..", "'..'" },
		{ "../" SHA_A, "'..'" },
		{ "./MANIFEST", "never contains" },
		{ "MANIFEST2", "never contains" },
		{ "objects/" SHA_A "/", "never contains" },
		{ "objects/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "never contains" },
		{ "objects/aaaa", "never contains" },
		{ "objects//" SHA_A, "never contains" },
		{ "objects/a..b", "never contains" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		int rc = sl_bundle_member_parse(bad[i].name, sha, &why);
		if (rc != -SL_E_BADNAME || why == NULL || strstr(why, bad[i].why) == NULL)
			fail_msg("member '%s': rc %d why '%s'", bad[i].name, rc, why ? why : "");
	}
	assert_int_equal(sl_bundle_member_parse(NULL, sha, &why), -SL_E_BADNAME);
}

static void test_small_members(void **state)
{
	(void)state;
	uint64_t seq, count;
	unsigned k, n;
	assert_int_equal(sl_bundle_volume_parse("7 2 3\n", 6, &seq, &k, &n), 0);
	assert_true(seq == 7 && k == 2 && n == 3);
	assert_int_equal(sl_bundle_volume_parse("7 4 3\n", 6, &seq, &k, &n), -SL_E_PARSE);
	assert_int_equal(sl_bundle_volume_parse("7 0 3\n", 6, &seq, &k, &n), -SL_E_PARSE);
	assert_int_equal(sl_bundle_volume_parse("7 1 3", 5, &seq, &k, &n), -SL_E_PARSE);
	assert_int_equal(sl_bundle_volume_parse("7 1 3 4\n", 8, &seq, &k, &n), -SL_E_PARSE);
	assert_int_equal(sl_bundle_volume_parse("7 1\n", 4, &seq, &k, &n), -SL_E_PARSE);
	assert_int_equal(sl_bundle_end_parse("2 15\n", 5, &k, &count), 0);
	assert_true(k == 2 && count == 15);
	assert_int_equal(sl_bundle_end_parse("2 -1\n", 5, &k, &count), -SL_E_PARSE);
	assert_int_equal(sl_bundle_end_parse("0 1\n", 4, &k, &count), -SL_E_PARSE);
}

/* The fuzzer's seeds named good_* are accepted (so the fuzzer starts from inputs that reach the end). */
static void test_seeds(void **state)
{
	(void)state;
	static const char *const seeds[] = { "good_two_sources", "good_full_empty", "good_ack", "good_delta" };
	const char *src = getenv("SL_SOURCE_DIR");
	if (src == NULL)
		skip();
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		char path[4096], buf[8192];
		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/bundle_manifest/%s", src, seeds[i]);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		char *cause = NULL;
		if (sl_bundle_manifest_check(buf, n, NULL, NULL, &cause) != 0)
			fail_msg("seed %s refused: %s", seeds[i], cause ? cause : "?");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_text),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_delta_refusals),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_small_members),
		cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
