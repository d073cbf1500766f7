/* test_apt_packages: real stanzas validate and stream from any compression; hostile Filename, names,
 * versions, sizes and hashes are refused with a clear cause; the host's whole real index validates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apt_packages.h"
#include "core/decomp.h"
#include "core/error.h"
#include "core/limits.h"

#include "tests/unit/lib/testfile.h"
#include "tests/unit/lib/tmpdir.h"

struct seen {
	unsigned n;
	unsigned stop_at;
	char names[8][64];
	uint64_t curl_size;
	bool curl_ok;
};

static int seen_cb(void *arg, const struct sl_apt_pkg *pkg, const struct sl_deb822_para *para)
{
	struct seen *s = arg;
	if (s->n < 8)
		sl_blob_copy(pkg->package, s->names[s->n], sizeof s->names[0]);
	if (sl_blob_eq(pkg->package, "curl")) {
		s->curl_size = pkg->size;
		s->curl_ok = sl_blob_eq(pkg->architecture, "amd64") && sl_blob_eq(pkg->multi_arch, "foreign") &&
			     sl_blob_eq(pkg->filename, "pool/main/c/curl/curl_7.88.1-10+deb12u15_amd64.deb") &&
			     pkg->depends.len > 0 && pkg->pre_depends.p == NULL && para->nfields > 10;
	}
	s->n++;
	if (s->stop_at != 0 && s->n == s->stop_at)
		return 99;
	return 0;
}

static int open_compressed(const char *name, enum sl_comp c, const void *text, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", sl_test_tmpdir_group(), name);
	sl_test_write_compressed(path, c, text, len);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_real_sample_any_compression(void **state)
{
	(void)state;
	size_t len;
	char *text = sl_test_read_data("apt/Packages.sample", &len);
	static const enum sl_comp comps[] = { SL_COMP_NONE, SL_COMP_GZIP, SL_COMP_XZ };
	for (size_t i = 0; i < 3; i++) {
		int fd = open_compressed("Packages", comps[i], text, len);
		struct seen s = { 0 };
		char *cause = NULL;
		int rc = sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, seen_cb, &s, &cause);
		close(fd);
		if (rc != 0)
			fail_msg("%s", cause);
		assert_int_equal(s.n, 5);
		assert_string_equal(s.names[0], "curl");
		assert_string_equal(s.names[4], "zlib1g");
		assert_true(s.curl_ok);
		assert_int_equal(s.curl_size, 315764);
	}
	/* The callback's own return stops the walk and comes back unchanged. */
	int fd = open_compressed("Packages", SL_COMP_GZIP, text, len);
	struct seen s = { .stop_at = 2 };
	assert_int_equal(sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, seen_cb, &s, NULL), 99);
	assert_int_equal(s.n, 2);
	close(fd);
	/* The size cap applies to the decompressed index. */
	fd = open_compressed("Packages", SL_COMP_XZ, text, len);
	char *cause = NULL;
	assert_int_equal(sl_apt_packages_foreach_fd(fd, len / 2, seen_cb, &s, &cause), -SL_E_TOOBIG);
	assert_non_null(cause);
	free(cause);
	close(fd);
	free(text);
}

static const char tmpl[] =
	"Package: %s\nVersion: %s\nArchitecture: %s\nSize: %s\nFilename: %s\nSHA256: %s\n%s";

struct one {
	int rc;
	char *cause;
	struct sl_apt_pkg pkg;
};

static int one_cb(void *arg, const struct sl_deb822_para *p)
{
	struct one *o = arg;
	o->rc = sl_apt_pkg_from_para(p, &o->pkg, &o->cause);
	return 0;
}

static int check_stanza(const char *pkg, const char *ver, const char *arch, const char *size, const char *file,
			const char *sha, const char *extra, char **cause)
{
	char text[4096];
	snprintf(text, sizeof text, tmpl, pkg, ver, arch, size, file, sha, extra);
	struct one o = { .rc = 12345 };
	assert_int_equal(sl_deb822_parse(text, strlen(text), one_cb, &o), 0);
	*cause = o.cause;
	return o.rc;
}

#define SHA "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define FN "pool/main/h/hello/hello_2.10-3_amd64.deb"

static void expect(int rc, char *cause, int want, const char *why)
{
	if (rc != want || (want != 0 && (cause == NULL || strstr(cause, why) == NULL)))
		fail_msg("want %d '%s', got %d '%s'", want, why, rc, cause ? cause : "(null)");
	free(cause);
}

static void expect_stanza(const char *pkg, const char *ver, const char *arch, const char *size, const char *file,
			  const char *sha, const char *extra, int want, const char *why)
{
	char *cause = NULL;
	int rc = check_stanza(pkg, ver, arch, size, file, sha, extra, &cause);
	expect(rc, cause, want, why);
}

static void test_valid_stanza(void **state)
{
	(void)state;
	expect_stanza("hello", "2.10-3", "amd64", "53080", FN, SHA, "Multi-Arch: foreign\n", 0, "");
	expect_stanza("g++-12", "1:12.2.0-14+deb12u1", "all", "0", FN, SHA, "", 0, "");
}

static void test_hostile_filenames(void **state)
{
	(void)state;
	static const struct {
		const char *fn;
		const char *why;
	} bad[] = {
		{ "/etc/passwd", "is absolute" },
		{ "/pool/main/h/hello.deb", "is absolute" },
		{ "../../etc/passwd", "contains '..'" },
		{ "pool/../../etc/passwd", "contains '..'" },
		{ "pool/main/h/..", "contains '..'" },
		{ "pool/main/h/hello/../../../../x.deb", "contains '..'" },
		{ "dists/bookworm/Release", "is outside pool/" },
		{ "poolx/main/h.deb", "is outside pool/" },
		{ "pool/", "not a safe relative path" },
		{ "pool//main/h.deb", "not a safe relative path" },
		{ "pool/./main/h.deb", "not a safe relative path" },
		{ "pool/main/h\\..\\x.deb", "not a safe relative path" },
		{ "pool/main/h\x01.deb", "not a safe relative path" },
		{ "pool/main/h\xc3\xa9.deb", "not a safe relative path" },
		{ "main/../pool/x.deb", "contains '..'" },
		{ "", "empty Filename field" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *cause = NULL;
		int want = bad[i].fn[0] ? -SL_E_BADNAME : -SL_E_PARSE;
		int rc = check_stanza("hello", "1.0", "amd64", "1", bad[i].fn, SHA, "", &cause);
		if (bad[i].fn[0])
			assert_non_null(strstr(cause ? cause : "", "package 'hello': Filename"));
		expect(rc, cause, want, bad[i].why);
	}
	/* Too long and too deep. */
	char deep[SL_MAX_REL_PATH + 64] = "pool";
	while (strlen(deep) < SL_MAX_REL_PATH + 10)
		strcat(deep, "/aa");
	expect_stanza("hello", "1.0", "amd64", "1", deep, SHA, "", -SL_E_BADNAME, "not a safe relative path");
}

static void test_bad_fields(void **state)
{
	(void)state;
	expect_stanza("Hello", "1.0", "amd64", "1", FN, SHA, "", -SL_E_BADNAME, "invalid package name 'Hello'");
	expect_stanza("h", "1.0", "amd64", "1", FN, SHA, "", -SL_E_BADNAME, "invalid package name");
	expect_stanza("../x", "1.0", "amd64", "1", FN, SHA, "", -SL_E_BADNAME, "invalid package");
	expect_stanza("-x", "1.0", "amd64", "1", FN, SHA, "", -SL_E_BADNAME, "invalid package");
	expect_stanza("hello", "1.0 2", "amd64", "1", FN, SHA, "", -SL_E_PARSE, "Version '1.0 2': version string has embedded spaces");
	expect_stanza("hello", "x:1", "amd64", "1", FN, SHA, "", -SL_E_PARSE, "epoch");
	expect_stanza("hello", "1.0", "amd/64", "1", FN, SHA, "", -SL_E_PARSE, "invalid Architecture");
	expect_stanza("hello", "1.0", "amd64", "-1", FN, SHA, "", -SL_E_PARSE, "invalid Size");
	expect_stanza("hello", "1.0", "amd64", "99999999999999999999999", FN, SHA, "", -SL_E_PARSE, "invalid Size");
	expect_stanza("hello", "1.0", "amd64", "1", FN, "abc", "", -SL_E_PARSE, "invalid SHA256");
	expect_stanza("hello", "1.0", "amd64", "1", FN,
		      "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9", "", -SL_E_PARSE,
		      "invalid SHA256");
	expect_stanza("hello", "1.0", "amd64", "1", FN, SHA, "Multi-Arch: sometimes\n", -SL_E_PARSE,
		      "invalid Multi-Arch");
	/* Each required field missing in turn. */
	static const char *const req[] = { "Package", "Version", "Architecture", "Filename", "SHA256", "Size" };
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text, tmpl, "hello", "1.0", "amd64", "1", FN, SHA, "");
		char *at = strstr(text, req[i]);
		assert_non_null(at);
		at[0] = 'X';  /* rename the field */
		struct one o = { 0 };
		assert_int_equal(sl_deb822_parse(text, strlen(text), one_cb, &o), 0);
		char want[64];
		snprintf(want, sizeof want, "no %s field", req[i]);
		expect(o.rc, o.cause, -SL_E_PARSE, want);
	}
}

/* A bad stanza in the middle stops the walk with its line; nothing after it is delivered. */
static void test_bad_stanza_stops_walk(void **state)
{
	(void)state;
	char text[2048];
	int n = snprintf(text, sizeof text, tmpl, "aa", "1", "amd64", "1", FN, SHA, "\n");
	n += snprintf(text + n, sizeof text - (size_t)n, tmpl, "bb", "1", "amd64", "1", "/etc/shadow", SHA, "\n");
	n += snprintf(text + n, sizeof text - (size_t)n, tmpl, "cc", "1", "amd64", "1", FN, SHA, "");
	int fd = open_compressed("bad", SL_COMP_XZ, text, (size_t)n);
	struct seen s = { 0 };
	char *cause = NULL;
	assert_int_equal(sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, seen_cb, &s, &cause), -SL_E_BADNAME);
	close(fd);
	assert_int_equal(s.n, 1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "line 8: package 'bb': Filename '/etc/shadow' is absolute"));
	free(cause);
	/* Syntax errors come back with the deb822 line. */
	const char junk[] = "Package: aa\nthis is not deb822\n";
	fd = open_compressed("junk", SL_COMP_GZIP, junk, sizeof junk - 1);
	assert_int_equal(sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, seen_cb, &s, &cause), -SL_E_PARSE);
	close(fd);
	assert_string_equal(cause, "line 2: line without a colon");
	free(cause);
	/* Corrupt compression is reported as such. */
	fd = open_compressed("trunc", SL_COMP_NONE, "\xfd" "7zXZ\0\0\x04", 8);
	assert_int_equal(sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, seen_cb, &s, &cause), -SL_E_ARCHIVE);
	close(fd);
	assert_non_null(cause);
	free(cause);
}

static int count_cb(void *arg, const struct sl_apt_pkg *pkg, const struct sl_deb822_para *para)
{
	(void)pkg;
	(void)para;
	(*(size_t *)arg)++;
	return 0;
}

/* Every stanza of the host's real indices validates: no false refusals on Debian's own data. */
static void test_host_indices_validate(void **state)
{
	(void)state;
	glob_t g;
	if (glob("/var/lib/apt/lists/*_Packages*", 0, NULL, &g) != 0) {
		printf("no APT lists on this host; skipped\n");
		skip();
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		size_t n = 0;
		char *cause = NULL;
		int rc = sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, count_cb, &n, &cause);
		close(fd);
		if (rc != 0)
			fail_msg("%s: %s", g.gl_pathv[i], cause);
		printf("%s: %zu packages valid\n", g.gl_pathv[i], n);
		assert_true(n > 0);
	}
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_sample_any_compression),
		cmocka_unit_test(test_valid_stanza),
		cmocka_unit_test(test_hostile_filenames),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_bad_stanza_stops_walk),
		cmocka_unit_test(test_host_indices_validate),
	};
	return cmocka_run_group_tests(tests, sl_test_tmpdir_group_setup, sl_test_tmpdir_group_teardown);
}
