/* cfgcheck: each value grammar accepts what the field writes and refuses the near misses (the config
 * tests see the same checks through whole files with FILE:LINE; this one pins the edges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/cfgcheck.h"

typedef const char *check_fn(char *s);

static void expect(check_fn *f, const char *name, const char *const *good, const char *const *bad)
{
	char buf[1024];
	for (; *good != NULL; good++) {
		snprintf(buf, sizeof buf, "%s", *good);
		const char *why = f(buf);
		if (why != NULL)
			fail_msg("%s refused '%s': %s", name, *good, why);
	}
	for (; *bad != NULL; bad++) {
		snprintf(buf, sizeof buf, "%s", *bad);
		if (f(buf) == NULL)
			fail_msg("%s accepted '%s'", name, *bad);
	}
}

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_uint(void **st)
{
	uint64_t v = 7;
	assert_true(sl_cfgcheck_uint("0", &v) && v == 0);
	assert_true(sl_cfgcheck_uint("18446744073709551615", &v) && v == UINT64_MAX);
	assert_false(sl_cfgcheck_uint("18446744073709551616", &v));
	assert_false(sl_cfgcheck_uint("", &v));
	assert_false(sl_cfgcheck_uint("-1", &v));
	assert_false(sl_cfgcheck_uint(" 1", &v));
	assert_false(sl_cfgcheck_uint("1k", &v));
}

static void test_names(void **st)
{
	expect(sl_cfgcheck_user, "user", LIST("sluice", "_apt", "www-data", "u1"),
	       LIST("Root", "1user", "a b", "abcdefghijklmnopqrstuvwxyz0123456", "é"));
	expect(sl_cfgcheck_username, "username", LIST("robot$ci+1", "a@b"), LIST("a b", "tab\there", "\x7f"));
	expect(sl_cfgcheck_host, "host", LIST("current.cvd.example.org", "a", "x-1.y_2"),
	       LIST(".a", "a.", "a..b", "a b", "a/b",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org"));
	expect(sl_cfgcheck_suite, "suite", LIST("bookworm", "bookworm-security", "stable/updates", "main"),
	       LIST("/abs", "a/../b", "a//b", "trail/", "..", "a b", "a?b"));
	expect(sl_cfgcheck_arch, "arch", LIST("amd64", "arm64", "kfreebsd-amd64"), LIST("all", "AMD64", "a_b"));
	expect(sl_cfgcheck_package, "package", LIST("libc6", "g++", "0ad", "python3.11"),
	       LIST("-x", "Apt", "a_b", "a b", ".x"));
	expect(sl_cfgcheck_database, "database", LIST("main", "daily", "bytecode", "safebrowsing_v2"),
	       LIST("a.b", "../x", "a b"));
}

static void test_images_platforms(void **st)
{
	expect(sl_cfgcheck_image, "image",
	       LIST("library/alpine:3.20", "debian:12*", "team/app:v1.2_rc-1",
		    "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	       LIST("alpine", "Alpine:3", ":3", "/a:1", "a//b:1", "a/:1", "a:-x", "a:.x", "a:",
		    "a@sha256:0123", "a@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		    "a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	expect(sl_cfgcheck_platform, "platform", LIST("linux/amd64", "linux/arm/v7"),
	       LIST("linux", "linux/arm/v7/x", "/linux/amd64", "linux//amd64", "linux/amd64/", "linux amd64"));
}

static void test_cidr(void **st)
{
	expect(sl_cfgcheck_cidr, "cidr", LIST("10.0.0.0/8", "192.168.1.5", "2001:db8::/32", "::1", "0.0.0.0/0"),
	       LIST("10.0.0.1/8", "10.0.0.0/33", "2001:db8::1/32", "10.0.0.0/", "10.0.0.0/x", "host.example",
		    "10.0.0.0/8/8"));
}

static void test_fingerprint(void **st)
{
	char fp[] = "a0b1 c2d3 e4f5 0617 2839  4a5b 6c7d 8e9f 0a1b 2c3d";
	assert_null(sl_cfgcheck_fingerprint(fp));
	assert_string_equal(fp, "A0B1C2D3E4F5061728394A5B6C7D8E9F0A1B2C3D");
	char short_fp[] = "A0B1C2D3";
	assert_non_null(sl_cfgcheck_fingerprint(short_fp));
	char two[] = "A0B1C2D3E4F5061728394A5B6C7D8E9F0A1B2C3D A0B1C2D3E4F5061728394A5B6C7D8E9F0A1B2C3D";
	assert_non_null(sl_cfgcheck_fingerprint(two));
	char nonhex[] = "G0B1C2D3E4F5061728394A5B6C7D8E9F0A1B2C3D";
	assert_non_null(sl_cfgcheck_fingerprint(nonhex));
}

static void test_distance(void **st)
{
	(void)st;
	assert_int_equal(sl_cfgcheck_distance("suites", "suites", 3), 0);
	assert_int_equal(sl_cfgcheck_distance("suties", "suites", 3), 1);          /* a swap is one edit */
	assert_int_equal(sl_cfgcheck_distance("max_conections", "max_connections", 3), 1);
	assert_int_equal(sl_cfgcheck_distance("keyrin", "keyring", 3), 1);
	assert_int_equal(sl_cfgcheck_distance("urls", "url", 3), 1);
	assert_int_equal(sl_cfgcheck_distance("", "abc", 5), 3);
	assert_int_equal(sl_cfgcheck_distance("colour", "proxy", 3), 3);            /* capped */
	assert_int_equal(sl_cfgcheck_distance("a", "abcdefgh", 3), 3);               /* length alone exceeds the cap */
	char longer[100];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(sl_cfgcheck_distance(longer, longer, 3), 3);               /* too long to compare */
}

static void test_hostport_url(void **st)
{
	static const char *const good_hp[] = { "127.0.0.1:8080", "[::1]:8443", "host:1", "host:65535", NULL };
	static const char *const bad_hp[] = { "host", "[::1]", "host:0", "host:65536", "[::1", "[zz]:80", "[::1]x",
					      ":80", "host:", NULL };
	for (const char *const *s = good_hp; *s != NULL; s++)
		if (sl_cfgcheck_hostport(*s, strlen(*s), true) != NULL)
			fail_msg("hostport refused '%s'", *s);
	for (const char *const *s = bad_hp; *s != NULL; s++)
		if (sl_cfgcheck_hostport(*s, strlen(*s), true) == NULL)
			fail_msg("hostport accepted '%s'", *s);
	assert_null(sl_cfgcheck_hostport("host", 4, false));
	/* Only the first len bytes count. */
	assert_null(sl_cfgcheck_hostport("host:80/path", 7, true));

	static const char *const good_url[] = { "http://mirror.example.org/debian", "https://[::1]:8443/",
						"http://127.0.0.1:9000/a%20b", NULL };
	static const char *const bad_url[] = { "ftp://x/", "mirror.example.org", "http://u:p@x/", "http://x/?q",
					       "http://x/#f", "http://x/a b", "http:///", "http://x:0/", NULL };
	char buf[256];
	for (const char *const *s = good_url; *s != NULL; s++) {
		snprintf(buf, sizeof buf, "%s", *s);
		const char *why = sl_cfgcheck_url(buf, false);
		if (why != NULL)
			fail_msg("url refused '%s': %s", *s, why);
	}
	for (const char *const *s = bad_url; *s != NULL; s++) {
		snprintf(buf, sizeof buf, "%s", *s);
		if (sl_cfgcheck_url(buf, false) == NULL)
			fail_msg("url accepted '%s'", *s);
	}
	char proxy[] = "socks5h://user:pw@proxy.example.org:1080";
	assert_null(sl_cfgcheck_url(proxy, true));
	char socks5[] = "socks5://proxy.example.org:1080";
	assert_non_null(strstr(sl_cfgcheck_url(socks5, true), "socks5h"));
	char path[] = "http://proxy.example.org:3128/path";
	assert_non_null(sl_cfgcheck_url(path, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_images_platforms),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_hostport_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
