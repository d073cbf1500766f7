/* Tests for core/rpm_primary: packages stream out one at a time with NEVRA, pkgid, size and location, also
 * when the input arrives a few bytes at a time; missing fields, DOCTYPEs and a callback's refusal stop the
 * parse with a cause; the fd variant decompresses (capped) and hashes what it decompressed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/rpm_primary.h"
#include "tests/unit/lib/testfile.h"
#include "tests/unit/lib/tmpdir.h"

static const char primary[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"2\">\n"
	"<package type=\"rpm\">\n  <name>libgreet</name>\n  <arch>noarch</arch>\n"
	"  <version epoch=\"0\" ver=\"1.1\" rel=\"1\"/>\n"
	"  <checksum type=\"sha256\" pkgid=\"YES\">CA4C3D8F7D800108E67D2542AFBD44E101A6268BE2CCEAFED24114A5A923CA16</checksum>\n"
	"  <summary>greeting &amp; data</summary>\n  <description><![CDATA[<b>not markup</b>]]></description>\n"
	"  <time file=\"1\" build=\"2\"/>\n  <size package=\"6089\" installed=\"24\" archive=\"284\"/>\n"
	"  <location href=\"Packages/libgreet-1.1-1.noarch.rpm\"/>\n"
	"  <format>\n    <rpm:license>MIT</rpm:license>\n"
	"    <rpm:provides><rpm:entry name=\"libgreet\" flags=\"EQ\" epoch=\"0\" ver=\"1.1\" rel=\"1\"/></rpm:provides>\n"
	"    <file>/usr/share/greet/data</file>\n  </format>\n</package>\n"
	"<package type=\"rpm\">\n  <name>hello</name>\n  <arch>x86_64</arch>\n"
	"  <version epoch=\"2\" ver=\"2.0\" rel=\"3.el9\"/>\n"
	"  <checksum type=\"sha512\" pkgid=\"YES\">abcd</checksum>\n"
	"  <size package=\"10\"/>\n  <location xml:base=\"http://x.invalid/\" href=\"h.rpm\"/>\n"
	"  <format><rpm:requires><rpm:entry name=\"libgreet\"/></rpm:requires></format>\n</package>\n"
	"</metadata>\n";

struct collected {
	struct sl_rpm_pkg pkgs[4];
	size_t n;
	int stop_at;   /* return an error at this package (1-based), 0: never */
};

static int collect(void *arg, const struct sl_rpm_pkg *p)
{
	struct collected *c = arg;
	if (c->n < 4)
		c->pkgs[c->n] = *p;
	c->n++;
	return c->stop_at != 0 && (int)c->n == c->stop_at ? -SL_E_MISMATCH : 0;
}

struct src {
	const char *p;
	size_t len, off, chunk;
};

static ssize_t src_read(void *arg, void *buf, size_t cap)
{
	struct src *s = arg;
	size_t n = s->len - s->off;
	if (n > cap)
		n = cap;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int parse(const char *text, size_t chunk, struct collected *c, int64_t *declared, char **cause)
{
	struct src s = { text, strlen(text), 0, chunk };
	*cause = NULL;
	return sl_rpm_primary_parse(src_read, &s, collect, c, declared, cause);
}

static void check_two(const struct collected *c)
{
	assert_int_equal(c->n, 2);
	const struct sl_rpm_pkg *a = &c->pkgs[0], *b = &c->pkgs[1];
	assert_string_equal(a->name, "libgreet");
	assert_string_equal(a->arch, "noarch");
	assert_string_equal(a->epoch, "0");
	assert_string_equal(a->ver, "1.1");
	assert_string_equal(a->rel, "1");
	assert_string_equal(a->sum_type, "sha256");
	assert_string_equal(a->sum, "ca4c3d8f7d800108e67d2542afbd44e101a6268be2cceafed24114a5a923ca16");
	assert_int_equal(a->size, 6089);
	assert_string_equal(a->href, "Packages/libgreet-1.1-1.noarch.rpm");
	assert_false(a->has_base);
	assert_string_equal(b->name, "hello");
	assert_string_equal(b->sum_type, "sha512");
	assert_true(b->has_base);
	char nevra[256];
	sl_rpm_pkg_nevra(b, nevra, sizeof nevra);
	assert_string_equal(nevra, "hello-2:2.0-3.el9.x86_64");
	sl_rpm_pkg_nevra(a, nevra, sizeof nevra);
	assert_string_equal(nevra, "libgreet-1.1-1.noarch");
}

static void test_stream(void **state)
{
	(void)state;
	/* Whole, and three bytes at a time: field boundaries never depend on the reads. */
	size_t chunks[] = { 1u << 20, 3, 1 };
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct collected c = { 0 };
		int64_t declared = 0;
		char *cause;
		assert_int_equal(parse(primary, chunks[i], &c, &declared, &cause), 0);
		assert_int_equal(declared, 2);
		check_two(&c);
	}
}

static void expect_bad(const char *text, int code, const char *needle)
{
	struct collected c = { 0 };
	char *cause = NULL;
	int rc = parse(text, 4096, &c, NULL, &cause);
	if (rc != code || cause == NULL || strstr(cause, needle) == NULL)
		fail_msg("rc %d cause '%s', expected %d with '%s'", rc, cause ? cause : "(null)", code, needle);
	free(cause);
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("<repomd/>", -SL_E_PARSE, "not <metadata>");
	expect_bad("<metadata><package><arch>a</arch><version ver=\"1\" rel=\"1\"/><checksum type=\"sha256\">aa</checksum>"
		   "<location href=\"x\"/></package></metadata>", -SL_E_PARSE, "has no name");
	expect_bad("<metadata><package><name>n</name><arch>a</arch><checksum type=\"sha256\">aa</checksum>"
		   "<location href=\"x\"/></package></metadata>", -SL_E_PARSE, "package n has no version");
	expect_bad("<metadata><package><name>n</name><arch>a</arch><version ver=\"1\" rel=\"1\"/>"
		   "<checksum type=\"sha256\">aa</checksum></package></metadata>", -SL_E_PARSE, "has no location");
	expect_bad("<metadata><package><name>n</name><size package=\"x1\"/></package></metadata>", -SL_E_PARSE,
		   "is not a size");
	expect_bad("<!DOCTYPE metadata [<!ENTITY a \"aaaa\">]><metadata><package><name>&a;</name></package></metadata>",
		   -SL_E_PARSE, "document type or entity");
	expect_bad("<metadata><package><name>n</name>", -SL_E_PARSE, "line");
	/* The callback's refusal stops the parse and is returned. */
	struct collected c = { .stop_at = 1 };
	char *cause = NULL;
	assert_int_equal(parse(primary, 4096, &c, NULL, &cause), -SL_E_MISMATCH);
	assert_int_equal(c.n, 1);
	free(cause);
}

static void test_fd(void **state)
{
	(void)state;
	char *dir = sl_test_tmpdir_new();
	assert_non_null(dir);
	char path[512];
	snprintf(path, sizeof path, "%s/primary.xml.xz", dir);
	sl_test_write_compressed(path, SL_COMP_XZ, primary, strlen(primary));
	char want[SL_SHA256_HEX];
	sl_digest_sha256(primary, strlen(primary), want);

	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct sl_rpm_open o = { .max_out = strlen(primary), .alg = SL_HASH_SHA256 };
	struct collected c = { 0 };
	char *cause = NULL;
	assert_int_equal(sl_rpm_primary_parse_fd(fd, &o, collect, &c, NULL, &cause), 0);
	check_two(&c);
	assert_string_equal(o.open_sum, want);
	assert_int_equal(o.open_size, strlen(primary));

	/* One byte less than it decompresses to: refused as a bomb, whatever the parse got to. */
	lseek(fd, 0, SEEK_SET);
	struct sl_rpm_open small = { .max_out = strlen(primary) - 1, .alg = SL_HASH_SHA256 };
	c.n = 0;
	assert_int_equal(sl_rpm_primary_parse_fd(fd, &small, collect, &c, NULL, &cause), -SL_E_TOOBIG);
	assert_non_null(strstr(cause, "decompression bomb"));
	free(cause);
	cause = NULL;
	/* Read-through (no parse) hashes the same. */
	lseek(fd, 0, SEEK_SET);
	struct sl_rpm_open thru = { .max_out = 1u << 20, .alg = SL_HASH_SHA512 };
	assert_int_equal(sl_rpm_primary_parse_fd(fd, &thru, NULL, NULL, NULL, &cause), 0);
	assert_int_equal(strlen(thru.open_sum), 128);
	close(fd);
	sl_test_tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
