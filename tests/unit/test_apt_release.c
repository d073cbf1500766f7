/* test_apt_release: a real Release (bookworm-security, armour stripped as GPGME returns it) parses into
 * the right fields; bad dates, sizes, hashes, hostile paths and a missing SHA256 are refused clearly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/apt_release.h"
#include "core/error.h"

#include "tests/unit/lib/testfile.h"

static void test_real_release(void **state)
{
	(void)state;
	size_t len;
	char *text = sl_test_read_data("apt/Release.bookworm-security", &len);
	struct sl_apt_release r;
	char *cause = NULL;
	int rc = sl_apt_release_parse(text, len, &r, &cause);
	if (rc != 0)
		fail_msg("%s", cause);
	assert_null(cause);
	assert_string_equal(r.origin, "Debian");
	assert_string_equal(r.label, "Debian-Security");
	assert_string_equal(r.codename, "bookworm-security");
	assert_string_equal(r.version, "12");
	assert_string_equal(r.description, "Debian 12 - Security Updates");
	assert_true(r.acquire_by_hash);
	char buf[64];
	assert_int_equal(sl_apt_date_format(r.date, buf, sizeof buf), 0);
	assert_string_equal(buf, "Wed, 18 Nov 2026 22:17:41 UTC");
	assert_int_equal(r.valid_until - r.date, 7 * 24 * 3600);
	assert_int_equal(r.narchitectures, 5);
	assert_true(sl_apt_release_has_arch(&r, "amd64"));
	assert_false(sl_apt_release_has_arch(&r, "all"));
	assert_int_equal(r.ncomponents, 4);
	assert_true(sl_apt_release_has_component(&r, "updates/main"));
	assert_int_equal(r.nfiles, 18);
	const struct sl_apt_release_file *f = sl_apt_release_find(&r, "contrib/Contents-amd64.gz");
	assert_non_null(f);
	assert_int_equal(f->size, 20);
	assert_string_equal(f->sha256, "f61f27bd17de546264aa58f40f3aafaac7021e0ef69c17f6b1b4cd7664a037ec");
	assert_non_null(sl_apt_release_find(&r, "main/binary-amd64/Packages.xz"));
	assert_null(sl_apt_release_find(&r, "main/binary-amd64/Packages.bz2"));
	assert_null(sl_apt_release_find(&r, "contrib/Contents"));
	for (size_t i = 1; i < r.nfiles; i++)
		assert_true(strcmp(r.files[i - 1].path, r.files[i].path) < 0);
	sl_apt_release_release(&r);
	assert_null(r.files);
	sl_apt_release_release(&r);  /* twice is harmless */
	free(text);
}

static const char head[] =
	"Origin: Test\nSuite: stable\nDate: Sat, 10 Jun 2023 08:54:38 UTC\nArchitectures: amd64 all\n"
	"Components: main\n";
static const char good_line[] =
	" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/binary-amd64/Packages\n";

static int parse_with(const char *extra_head, const char *sha_lines, char **cause, struct sl_apt_release *r)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%sSHA256:\n%s", head, extra_head, sha_lines);
	return sl_apt_release_parse(text, strlen(text), r, cause);
}

static void expect_fail(const char *extra_head, const char *sha_lines, int want, const char *why)
{
	struct sl_apt_release r;
	char *cause = NULL;
	int rc = parse_with(extra_head, sha_lines, &cause, &r);
	if (rc != want || cause == NULL || strstr(cause, why) == NULL)
		fail_msg("want %d '%s', got %d '%s' for [%s][%s]", want, why, rc, cause ? cause : "(null)",
			 extra_head, sha_lines);
	/* A failed parse leaves nothing behind. */
	assert_null(r.files);
	assert_null(r.origin);
	assert_null(r.architectures);
	free(cause);
}

static void test_minimal_and_crlf(void **state)
{
	(void)state;
	struct sl_apt_release r;
	char *cause = NULL;
	assert_int_equal(parse_with("", good_line, &cause, &r), 0);
	assert_int_equal(r.nfiles, 1);
	assert_int_equal(r.valid_until, 0);
	assert_false(r.acquire_by_hash);
	assert_true(sl_apt_release_has_arch(&r, "all"));
	sl_apt_release_release(&r);
	const char crlf[] = "Suite: s\r\nSHA256:\r\n "
			    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 12 a/b\r\n";
	assert_int_equal(sl_apt_release_parse(crlf, sizeof crlf - 1, &r, &cause), 0);
	assert_string_equal(r.suite, "s");
	assert_string_equal(r.files[0].path, "a/b");
	assert_int_equal(r.files[0].size, 12);
	assert_string_equal(r.files[0].sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sl_apt_release_release(&r);
}

static void test_bad_release(void **state)
{
	(void)state;
	const char *h = " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char l[512];
	expect_fail("Valid-Until: Sat, 31 Jun 2023 08:54:38 UTC\n", good_line, -SL_E_PARSE, "line 6: Valid-Until: bad date");
	expect_fail("Valid-Until: tomorrow\n", good_line, -SL_E_PARSE, "bad date 'tomorrow'");
	expect_fail("", " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 12x main/P\n",
		    -SL_E_PARSE, "line 7: SHA256: bad size");
	expect_fail("", " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 -1 main/P\n",
		    -SL_E_PARSE, "bad size");
	expect_fail("", " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 0 main/P\n",
		    -SL_E_PARSE, "bad hash");
	expect_fail("", " g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/P\n",
		    -SL_E_PARSE, "bad hash");
	expect_fail("", " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0\n", -SL_E_PARSE,
		    "expected '<hash> <size> <path>'");
	expect_fail("", " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 a b\n", -SL_E_PARSE,
		    "expected");
	static const char *const hostile[] = { "/etc/passwd", "../../etc/passwd", "main/../../x", "main//x",
					       "./main/x", "main/x/..", "main\\x", "main/\x7fx" };
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		snprintf(l, sizeof l, "%s 0 %s\n", h, hostile[i]);
		expect_fail("", l, -SL_E_BADNAME, "unsafe path");
	}
	/* A bad line among good ones is an error, not skipped. */
	snprintf(l, sizeof l, "%s%s 1 ../x\n%s 2 main/y\n", good_line, h, h);
	expect_fail("", l, -SL_E_BADNAME, "line 8: SHA256: unsafe path");
	snprintf(l, sizeof l, "%s%s", good_line, good_line);
	expect_fail("", l, -SL_E_PARSE, "listed twice");
	expect_fail("", "", -SL_E_PARSE, "lists no files");
	expect_fail("Components: main ../evil\n", good_line, -SL_E_PARSE, "duplicate field");
}

static void test_bad_release_fields(void **state)
{
	(void)state;
	struct sl_apt_release r;
	char *cause = NULL;
	const char no_sha[] = "Origin: x\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 main/P\n";
	assert_int_equal(sl_apt_release_parse(no_sha, sizeof no_sha - 1, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "no SHA256 field"));
	free(cause);
	const char comps[] = "Components: main ../evil\nSHA256:\n"
			     " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/P\n";
	assert_int_equal(sl_apt_release_parse(comps, sizeof comps - 1, &r, &cause), -SL_E_BADNAME);
	assert_non_null(strstr(cause, "Components: invalid entry '../evil'"));
	free(cause);
	const char archs[] = "Architectures: amd64 AMD/64\nSHA256:\n"
			     " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/P\n";
	assert_int_equal(sl_apt_release_parse(archs, sizeof archs - 1, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "Architectures: invalid entry"));
	free(cause);
	const char two[] = "Suite: a\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 m/P\n"
			   "\nSuite: b\n";
	assert_int_equal(sl_apt_release_parse(two, sizeof two - 1, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "line 5: more than one paragraph"));
	free(cause);
	const char multi[] = "Suite: a\n b\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 m/P\n";
	assert_int_equal(sl_apt_release_parse(multi, sizeof multi - 1, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "Suite: must be one line"));
	free(cause);
	const char armour[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSuite: a\n";
	assert_int_equal(sl_apt_release_parse(armour, sizeof armour - 1, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "line 1: line without a colon"));
	free(cause);
	assert_int_equal(sl_apt_release_parse("", 0, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "empty"));
	free(cause);
	assert_int_equal(sl_apt_release_parse("\0", 1, &r, &cause), -SL_E_PARSE);
	assert_non_null(strstr(cause, "NUL"));
	free(cause);
}

static void test_dates(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		time_t t;
	} good[] = {
		{ "Sat, 10 Jun 2023 08:54:38 UTC", 1686387278 },
		{ "Sat, 10 Jun 2023 08:54:38 +0000", 1686387278 },
		{ "Sat, 10 Jun 2023 10:54:38 +0200", 1686387278 },
		{ "Sat, 10 Jun 2023 03:54:38 -0500", 1686387278 },
		{ "10 Jun 2023 08:54:38 GMT", 1686387278 },
		{ "Sat,  10 Jun 2023 08:54:38 Z", 1686387278 },
		{ "Thu, 29 Feb 2024 00:00:00 UTC", 1709164800 },
		{ "Thu, 1 Jan 1970 00:00:01 UTC", 1 },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		time_t t = 0;
		if (sl_apt_date_parse(good[i].s, strlen(good[i].s), &t) != 0 || t != good[i].t)
			fail_msg("'%s' -> %lld", good[i].s, (long long)t);
	}
	static const char *const bad[] = {
		"", "Sat, 10 Jun 2023", "Sat, 10 Jun 2023 08:54:38", "Sat, 10 Jun 2023 08:54:38 CEST",
		"Sat, 32 Jun 2023 08:54:38 UTC", "Sat, 31 Jun 2023 08:54:38 UTC", "Thu, 29 Feb 2023 00:00:00 UTC",
		"Sat, 10 Jux 2023 08:54:38 UTC", "Sat, 10 Jun 23 08:54:38 UTC", "Sat, 10 Jun 2023 24:00:00 UTC",
		"Sat, 10 Jun 2023 08:60:38 UTC", "Sat, 10 Jun 2023 8:54:38 UTC", "Sat 10 Jun 2023 08:54:38 UTC",
		"Sat, 10 Jun 2023 08:54:38 +9900", "Sat, 10 Jun 1969 08:54:38 UTC", "Sat, 10 Jun 2023 08:54:38 UTCX",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		time_t t = 0;
		if (sl_apt_date_parse(bad[i], strlen(bad[i]), &t) != -SL_E_PARSE)
			fail_msg("'%s' accepted", bad[i]);
	}
	char buf[64];
	assert_int_equal(sl_apt_date_format(1686387278, buf, sizeof buf), 0);
	assert_string_equal(buf, "Sat, 10 Jun 2023 08:54:38 UTC");
	time_t back;
	assert_int_equal(sl_apt_date_parse(buf, strlen(buf), &back), 0);
	assert_int_equal(back, 1686387278);
	assert_int_equal(sl_apt_date_format(1686387278, buf, 10), -SL_E_TOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_release),
		cmocka_unit_test(test_minimal_and_crlf),
		cmocka_unit_test(test_bad_release),
		cmocka_unit_test(test_bad_release_fields),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
