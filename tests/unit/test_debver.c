/* test_debver: version ordering agrees with dpkg itself (asked at test time with dpkg --compare-versions)
 * and with a table of orderings known from dpkg's own test suite; validation follows dpkg's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/debver.h"
#include "core/error.h"

extern char **environ;

/* Pairs whose order must match dpkg; a < b, a == b or a > b as dpkg decides. */
static const char *const pairs[][2] = {
	{ "1.0", "1.0" }, { "1.0", "1.1" }, { "1.0~rc1", "1.0" }, { "1.0~~", "1.0~" }, { "1.0~", "1.0" },
	{ "1.0", "1.0+b1" }, { "1.0-1", "1.0-1~bpo1" }, { "1.0-1", "1.0-1+deb12u1" }, { "1:0.1", "2.0" },
	{ "0:1.0", "1.0" }, { "1.0", "1.0-0" }, { "1.0a", "1.0" }, { "1.0a", "1.0b" }, { "1.0a", "1.0+" },
	{ "1.0.", "1.0" }, { "1.0-", "1.0" }, { "1.01", "1.1" }, { "1.001", "1.0001" }, { "10", "9" },
	{ "1.0~a", "1.0~b" }, { "2.36-9+deb12u10", "2.36-9+deb12u4" }, { "7.88.1-10+deb12u15", "7.88.1-10+deb12u5" },
	{ "1:1.2.13.dfsg-1", "1.2.13.dfsg-1" }, { "1.2.3-1ubuntu1", "1.2.3-1" }, { "3.0.15-1~deb12u1", "3.0.15-1" },
	{ "a", "b" }, { "0", "00" }, { "1.0-1", "1.0-1.1" }, { "1.0+dfsg", "1.0.dfsg" }, { "1.0~rc1-1", "1.0-0" },
	{ "9.9.9", "10" }, { "1:2", "1:10" }, { "2:1", "10:0" }, { "1.0~beta1~svn1245", "1.0~beta1" },
	{ "1.0Z", "1.0a" }, { "1.0-a", "1.0-A" }, { "0.0.0", "0" }, { "1.2.3", "1.2.3-" }, { "4.0+20230101", "4.0+2023" },
	{ "2.0-1", "2.0-10" }, { "0.9.8~", "0.9.8-" }, { "1.0.0-1~", "1.0.0-1" }, { "1.0+~", "1.0+" },
};

/* 0: equal; -1: a < b; 1: a > b; 2: dpkg unavailable; 3: dpkg refuses the input. */
static int dpkg_order(const char *a, const char *b)
{
	static const char *const ops[] = { "lt", "eq", "gt" };
	for (int i = 0; i < 3; i++) {
		char *argv[] = { "dpkg", "--compare-versions", (char *)a, (char *)ops[i], (char *)b, NULL };
		pid_t pid;
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
		int rc = posix_spawnp(&pid, "dpkg", &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (rc != 0)
			return 2;
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			return 2;
		if (WEXITSTATUS(st) == 0)
			return i - 1;
		if (WEXITSTATUS(st) != 1)
			return 3;  /* dpkg refuses one of the versions */
	}
	return 2;
}

static int sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

static void test_matches_dpkg(void **state)
{
	(void)state;
	unsigned asked = 0;
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		const char *a = pairs[i][0], *b = pairs[i][1];
		int want = dpkg_order(a, b);
		if (want == 2)
			continue;
		asked++;
		if (want == 3) {
			if (sl_debver_valid(sl_blob_str(a)) && sl_debver_valid(sl_blob_str(b)))
				fail_msg("dpkg refuses %s or %s but we accept both", a, b);
			continue;
		}
		int got = sign(sl_debver_cmp_str(a, b));
		int rev = sign(sl_debver_cmp_str(b, a));
		if (got != want || rev != -want)
			fail_msg("%s vs %s: dpkg says %d, we say %d (reverse %d)", a, b, want, got, rev);
	}
	if (asked == 0)
		skip();
	printf("compared %u pairs with dpkg --compare-versions\n", asked);
}

/* Known answers, so the ordering is checked even where dpkg is absent. */
static void test_known_orderings(void **state)
{
	(void)state;
	assert_true(sl_debver_cmp_str("1.0~rc1", "1.0") < 0);
	assert_true(sl_debver_cmp_str("1.0~", "1.0~~") > 0);
	assert_true(sl_debver_cmp_str("1:0.1", "9.9") > 0);
	assert_true(sl_debver_cmp_str("1.0", "1.0-0") == 0);
	assert_true(sl_debver_cmp_str("0:1.0", "1.0") == 0);
	assert_true(sl_debver_cmp_str("1.0a", "1.0+") < 0);     /* letters before non-letters */
	assert_true(sl_debver_cmp_str("1.0", "1.0a") < 0);      /* end before letters */
	assert_true(sl_debver_cmp_str("1.01", "1.1") == 0);     /* digit runs numerically */
	assert_true(sl_debver_cmp_str("2.36-9+deb12u10", "2.36-9+deb12u9") > 0);
	assert_true(sl_debver_cmp_str("1.0-1", "1.0-1~bpo1") > 0);
	assert_true(sl_debver_cmp_str("99999999999999999999999", "99999999999999999999998") > 0);
}

static void test_validation(void **state)
{
	(void)state;
	static const char *const good[] = {
		"1.0", "1:2.3-4", "0:1", "1.0~rc1+dfsg-1~bpo12+1", "2.36-9+deb12u10", "1:2.3:4-5", "1.0-1-2",
		"10:1.0", "7.88.1-10+deb12u15", "1.0+git20230101.abc-0.1",
	};
	static const struct {
		const char *v;
		const char *why;
	} bad[] = {
		{ "", "empty" },
		{ "1.0 beta", "embedded spaces" },
		{ "1.0\n", "embedded spaces" },
		{ ":1.0", "epoch in version is empty" },
		{ "a:1.0", "not a number" },
		{ "1.2:3-4", "not a number" },
		{ "-1:1.0", "not a number" },
		{ "99999999999:1.0", "too big" },
		{ "1:", "nothing after colon" },
		{ "1.0-", "revision number is empty" },
		{ "a1.0", "does not start with digit" },
		{ "1:-1", "version number is empty" },
		{ "1.0_1", "invalid character in version" },
		{ "1.0/../x", "invalid character in version" },
		{ "1:1.0-1:2", "invalid character in revision" },
		{ "1.0-1_2", "invalid character in revision" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		const char *why = "unset";
		if (sl_debver_parse(sl_blob_str(good[i]), NULL, &why) != 0)
			fail_msg("'%s' refused: %s", good[i], why);
		assert_null(why);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = NULL;
		assert_false(sl_debver_valid(sl_blob_str(bad[i].v)));
		assert_int_equal(sl_debver_parse(sl_blob_str(bad[i].v), NULL, &why), -SL_E_PARSE);
		if (why == NULL || strstr(why, bad[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].v, why ? why : "(null)", bad[i].why);
	}
	/* A NUL inside the blob (found by fuzz_debver): strchr() matched the terminator, so "1.0\0x" passed. */
	static const struct {
		const char *v;
		size_t len;
		const char *why;
	} nul[] = {
		{ "1.0\0x", 5, "invalid character in version" },
		{ "1.0\0", 4, "invalid character in version" },
		{ "1.0-1\0", 6, "invalid character in revision" },
		{ "1:1\0.0-1", 8, "invalid character in version" },
	};
	for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
		const char *why = NULL;
		struct sl_blob b = { (const uint8_t *)nul[i].v, nul[i].len };
		assert_int_equal(sl_debver_parse(b, NULL, &why), -SL_E_PARSE);
		assert_false(sl_debver_valid(b));
		if (why == NULL || strstr(why, nul[i].why) == NULL)
			fail_msg("NUL case %zu: got '%s', want '%s'", i, why ? why : "(null)", nul[i].why);
	}
	char longv[SL_MAX_DEBVER + 2];
	memset(longv, '1', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	assert_false(sl_debver_valid(sl_blob_str(longv)));

	struct sl_debver v;
	assert_int_equal(sl_debver_parse(sl_blob_str("3:1.2-3-4"), &v, NULL), 0);
	assert_int_equal(v.epoch, 3);
	assert_true(sl_blob_eq(v.upstream, "1.2-3"));
	assert_true(sl_blob_eq(v.revision, "4"));
	assert_int_equal(sl_debver_parse(sl_blob_str("1.2"), &v, NULL), 0);
	assert_int_equal(v.epoch, 0);
	assert_int_equal(v.revision.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_dpkg),
		cmocka_unit_test(test_known_orderings),
		cmocka_unit_test(test_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
