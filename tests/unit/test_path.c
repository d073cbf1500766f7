/* Tests for core/path: every refusal class of sl_path_check_relative, joins, and URL decoding of encoded
 * traversal. Each hostile form is listed with the reason it must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/path.h"

static int check(const char *s)
{
	return sl_path_check_relative(s, strlen(s));
}

static void test_accepts_plain_names(void **state)
{
	(void)state;
	const char *ok[] = {
		"pool/main/a/apt/apt_2.6.1_amd64.deb",
		"dists/bookworm/main/binary-amd64/Packages.xz",
		"library/nginx",
		"a",
		"a..b/c.d",
		"...",                 /* three dots is a name, not a parent */
		".well-known/x",
		"a-b_c.d+e~f:1@%2e",   /* '%' is literal here: decoding happens once, earlier */
		"with space",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (check(ok[i]) != 0)
			fail_msg("refused %s", ok[i]);
	}
	/* Only len bytes count. */
	assert_int_equal(sl_path_check_relative("abc/..", 3), 0);
}

static void test_refuses_traversal_and_shape(void **state)
{
	(void)state;
	const char *bad[] = {
		"",                    /* empty */
		"/etc/passwd",         /* absolute */
		"//x",
		"..",                  /* parent */
		"../x",
		"a/../../x",
		"a/..",
		".",                   /* self: aliases one file under many names */
		"./a",
		"a/./b",
		"a/.",
		"a//b",                /* empty component */
		"a/",
		"a\\b",                /* backslash */
		"..\\..\\windows",
		"a\nb",                /* control characters forge log lines */
		"a\rb",
		"a\tb",
		"\x1b[31mred",
		"a\x7f" "b",           /* DEL */
		"caf\xc3\xa9",         /* non-ASCII */
		"\xc0\xae\xc0\xae/etc",/* overlong UTF-8 dots */
		"a\xe2\x88\x95..",     /* U+2215 DIVISION SLASH */
		"\xef\xbc\x8e\xef\xbc\x8e/x", /* fullwidth dots */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (check(bad[i]) != -SL_E_BADNAME)
			fail_msg("accepted case %zu", i);
	}
	assert_int_equal(sl_path_check_relative(NULL, 3), -SL_E_BADNAME);
	/* NUL inside the given length: what was checked would not be what open() sees. */
	assert_int_equal(sl_path_check_relative("a\0b", 3), -SL_E_BADNAME);
	assert_int_equal(sl_path_check_relative("a/\0", 3), -SL_E_BADNAME);
}

static void test_limits(void **state)
{
	(void)state;
	char buf[SL_MAX_REL_PATH + 8];
	/* Length: exactly the cap passes, one more fails. */
	memset(buf, 'a', SL_MAX_REL_PATH + 1);
	for (size_t i = 200; i < SL_MAX_REL_PATH; i += 200)
		buf[i] = '/';
	assert_int_equal(sl_path_check_relative(buf, SL_MAX_REL_PATH), 0);
	assert_int_equal(sl_path_check_relative(buf, SL_MAX_REL_PATH + 1), -SL_E_BADNAME);
	/* Depth: SL_MAX_PATH_DEPTH components pass, one more fails. */
	size_t o = 0;
	for (int i = 0; i < SL_MAX_PATH_DEPTH; i++) {
		buf[o++] = 'd';
		buf[o++] = '/';
	}
	assert_int_equal(sl_path_check_relative(buf, o - 1), 0);
	buf[o] = 'd';
	assert_int_equal(sl_path_check_relative(buf, o + 1), -SL_E_BADNAME);
	/* One component longer than NAME_MAX can never be a file name. */
	memset(buf, 'n', 256);
	assert_int_equal(sl_path_check_relative(buf, 255), 0);
	assert_int_equal(sl_path_check_relative(buf, 256), -SL_E_BADNAME);
}

static void test_join(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(sl_path_join(buf, sizeof buf, "/srv/root", "a/b"), 0);
	assert_string_equal(buf, "/srv/root/a/b");
	assert_int_equal(sl_path_join(buf, sizeof buf, "/srv/root//", "a"), 0);
	assert_string_equal(buf, "/srv/root/a");
	assert_int_equal(sl_path_join(buf, sizeof buf, "/", "a"), 0);
	assert_string_equal(buf, "/a");
	assert_int_equal(sl_path_join(buf, sizeof buf, "rel", "a"), 0);
	assert_string_equal(buf, "rel/a");

	assert_int_equal(sl_path_join(buf, sizeof buf, "/srv", "../etc/passwd"), -SL_E_BADNAME);
	assert_string_equal(buf, "");
	assert_int_equal(sl_path_join(buf, sizeof buf, "/srv", "/etc/passwd"), -SL_E_BADNAME);
	assert_int_equal(sl_path_join(buf, sizeof buf, "/srv", ""), -SL_E_BADNAME);
	assert_int_equal(sl_path_join(buf, sizeof buf, "", "a"), -SL_E_BADNAME);
	assert_int_equal(sl_path_join(buf, sizeof buf, NULL, "a"), -SL_E_BADNAME);
	assert_int_equal(sl_path_join(buf, sizeof buf, "/srv", NULL), -SL_E_BADNAME);
	/* Exactly fitting, then one byte short. */
	assert_int_equal(sl_path_join(buf, 8, "/srv", "ab"), 0);
	assert_string_equal(buf, "/srv/ab");
	assert_int_equal(sl_path_join(buf, 8, "/srv", "abc"), -SL_E_TOOBIG);
	assert_string_equal(buf, "");
	assert_int_equal(sl_path_join(buf, 0, "/srv", "a"), -SL_E_TOOBIG);
}

static void test_url_decode(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(sl_path_url_decode("/debian/pool/a%2Bb%7e1.deb", buf, sizeof buf), 0);
	assert_string_equal(buf, "/debian/pool/a+b~1.deb");
	assert_int_equal(sl_path_url_decode("a+b", buf, sizeof buf), 0);
	assert_string_equal(buf, "a+b");
	/* Decoded once: a double-encoded dot stays a literal "%2e" and is harmless. */
	assert_int_equal(sl_path_url_decode("%252e%252e/x", buf, sizeof buf), 0);
	assert_string_equal(buf, "%2e%2e/x");
	assert_int_equal(check(buf), 0);
	assert_int_equal(sl_path_url_decode("", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
}

static void test_url_decode_traversal(void **state)
{
	(void)state;
	char buf[64];
	/* Encoded dots decode, and the relative-path gate then refuses them. */
	const char *dots[] = { "%2e%2e/etc/passwd", "%2E%2E/etc", "a/%2e%2e/%2e%2e/x", ".%2e/x", "%2e/x",
			       "%c0%ae%c0%ae/x", "a%0ab" };
	for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++) {
		assert_int_equal(sl_path_url_decode(dots[i], buf, sizeof buf), 0);
		if (check(buf) != -SL_E_BADNAME)
			fail_msg("%s decoded to an accepted path", dots[i]);
	}
	/* Encoded separators and NUL are refused by the decoder itself. */
	const char *bad[] = { "..%2Fetc", "..%2fetc", "..%5c..%5cx", "%5C", "a%00.deb", "%", "a%", "%4",
			      "%zz", "%g0", "%0g", "%%32%65" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(buf, "junk");
		if (sl_path_url_decode(bad[i], buf, sizeof buf) != -SL_E_BADNAME)
			fail_msg("decoded %s", bad[i]);
		assert_string_equal(buf, "");
	}
	assert_int_equal(sl_path_url_decode(NULL, buf, sizeof buf), -SL_E_BADNAME);
}

static void test_url_decode_capacity(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(sl_path_url_decode("abc", buf, 4), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(sl_path_url_decode("abcd", buf, 4), -SL_E_TOOBIG);
	assert_string_equal(buf, "");
	assert_int_equal(sl_path_url_decode("%41%42%43", buf, 4), 0);
	assert_string_equal(buf, "ABC");
	assert_int_equal(sl_path_url_decode("a", buf, 0), -SL_E_TOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_plain_names),
		cmocka_unit_test(test_refuses_traversal_and_shape),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_url_decode_traversal),
		cmocka_unit_test(test_url_decode_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
