/* Tests for core/units: every accepted form of sizes, durations and windows, and the refused ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/units.h"

static void size_ok(const char *s, uint64_t want)
{
	uint64_t got = 12345;
	int r = sl_units_parse_size(s, &got);
	if (r != 0 || got != want)
		fail_msg("size '%s': r=%d got=%ju want=%ju", s, r, (uintmax_t)got, (uintmax_t)want);
}

static void size_bad(const char *s)
{
	uint64_t got = 777;
	int r = sl_units_parse_size(s, &got);
	if (r != -SL_E_PARSE || got != 777)
		fail_msg("size '%s' accepted or changed output: r=%d got=%ju", s ? s : "(null)", r,
			 (uintmax_t)got);
}

static void dur_ok(const char *s, int64_t want)
{
	int64_t got = 12345;
	int r = sl_units_parse_duration(s, &got);
	if (r != 0 || got != want)
		fail_msg("duration '%s': r=%d got=%jd want=%jd", s, r, (intmax_t)got, (intmax_t)want);
}

static void dur_bad(const char *s)
{
	int64_t got = 777;
	int r = sl_units_parse_duration(s, &got);
	if (r != -SL_E_PARSE || got != 777)
		fail_msg("duration '%s' accepted: r=%d got=%jd", s ? s : "(null)", r, (intmax_t)got);
}

static void test_sizes(void **state)
{
	(void)state;
	size_ok("0", 0);
	size_ok("1024", 1024);
	size_ok("007", 7);
	size_ok("10K", 10240);
	size_ok("10k", 10240);
	size_ok("10M", 10ULL << 20);
	size_ok("2G", 2ULL << 30);
	size_ok("1T", 1ULL << 40);
	size_ok("10KB", 10240);
	size_ok("10KiB", 10240);
	size_ok("10MiB", 10ULL << 20);
	size_ok("10mib", 10ULL << 20);
	size_ok("512B", 512);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("16777215T", 16777215ULL << 40);

	size_bad(NULL);
	size_bad("");
	size_bad("-1");
	size_bad("+1");
	size_bad("1.5M");      /* fractions refused: write 1536K */
	size_bad("10 M");      /* no blanks inside */
	size_bad(" 10M");
	size_bad("M");
	size_bad("10X");
	size_bad("10iB");
	size_bad("10Ki");
	size_bad("10MBB");
	size_bad("10KM");
	size_bad("0x10");
	size_bad("18446744073709551616");   /* 2^64 */
	size_bad("16777216T");              /* 2^64 */
	size_bad("17179869184G");           /* 2^64 */
	size_bad("99999999999999999999999");
}

static void test_durations(void **state)
{
	(void)state;
	dur_ok("0", 0);
	dur_ok("0s", 0);
	dur_ok("90", 90000);
	dur_ok("90s", 90000);
	dur_ok("10m", 600000);
	dur_ok("2h", 7200000);
	dur_ok("7d", 7LL * 86400000);
	dur_ok("500ms", 500);
	dur_ok("1h30m", 5400000);
	dur_ok("1d12h", 86400000LL + 43200000LL);
	dur_ok("2m30s500ms", 150500);
	dur_ok("1d1h1m1s1ms", 90061001);
	dur_ok("9223372036854775807ms", INT64_MAX);
	dur_ok("9223372036854775s", 9223372036854775000LL);

	dur_bad(NULL);
	dur_bad("");
	dur_bad("-1");
	dur_bad("-1s");
	dur_bad("1.5h");
	dur_bad("h");
	dur_bad("1h30");      /* trailing number without unit */
	dur_bad("30m1h");     /* units must descend */
	dur_bad("1h1h");      /* each unit once */
	dur_bad("1ms1s");
	dur_bad("1H");        /* lowercase units only: M would be ambiguous */
	dur_bad("1w");
	dur_bad("1 h");
	dur_bad("1h ");
	dur_bad("9223372036854776s");       /* overflows ms */
	dur_bad("9223372036854775808ms");   /* INT64_MAX + 1 */
	dur_ok("106751991167d", 106751991167LL * 86400000);
	dur_bad("106751991168d");           /* overflows ms */
	dur_bad("9223372036854775807ms1ms");
	dur_bad("106751991167300d");
}

static void test_windows(void **state)
{
	(void)state;
	int a = -5, b = -5;
	assert_int_equal(sl_units_parse_window("22:00-06:00", &a, &b), 0);
	assert_int_equal(a, 22 * 60);
	assert_int_equal(b, 6 * 60);
	assert_int_equal(sl_units_parse_window("1:30-2:45", &a, &b), 0);
	assert_int_equal(a, 90);
	assert_int_equal(b, 165);
	assert_int_equal(sl_units_parse_window("00:00-23:59", &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1439);
	assert_int_equal(sl_units_parse_window("22:00-24:00", &a, &b), 0);
	assert_int_equal(a, 1320);
	assert_int_equal(b, 0);

	static const char *const bad[] = {
		"", "22:00", "22:00-", "-06:00", "22-06", "24:00-06:00", "22:60-06:00", "22:00-06:0",
		"22:00-06:000", "22:00 - 06:00", "123:00-01:00", "10:00-10:00", "00:00-24:00", "22:00-24:01",
		"aa:bb-cc:dd", "22:00-06:00x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		a = b = 99;
		if (sl_units_parse_window(bad[i], &a, &b) != -SL_E_PARSE || a != 99 || b != 99)
			fail_msg("window '%s' accepted", bad[i]);
	}
	assert_int_equal(sl_units_parse_window(NULL, &a, &b), -SL_E_PARSE);
}

static void test_format_size(void **state)
{
	(void)state;
	static const struct {
		uint64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1023, "1023 B" },
		{ 1024, "1 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1572864, "1.5 MiB" },
		{ 10ULL << 20, "10 MiB" },
		{ (1ULL << 20) - 1, "1 MiB" },        /* 1023.999 KiB rounds up into the next unit */
		{ 5ULL << 40, "5 TiB" },
		{ UINT64_MAX, "16 EiB" },
	};
	char buf[32];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sl_units_format_size(cases[i].v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].want);
	}
	/* Truncated but terminated. */
	char small[4];
	memset(small, 'x', sizeof small);
	sl_units_format_size(1572864, small, sizeof small);
	assert_string_equal(small, "1.5");
	sl_units_format_size(1, NULL, 0);   /* no crash */
}

static void test_format_duration(void **state)
{
	(void)state;
	static const struct {
		int64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0s" },
		{ 500, "500ms" },
		{ 90000, "1m30s" },
		{ 9000000, "2h30m" },
		{ 86400000, "1d" },
		{ 90061001, "1d1h1m1s1ms" },
		{ -1, "-1ms" },
		{ -3600000, "-1h" },
	};
	char buf[64];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sl_units_format_duration(cases[i].v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].want);
	}
	sl_units_format_duration(INT64_MIN, buf, sizeof buf);
	assert_string_equal(buf, "-106751991167d7h12m55s808ms");
	char small[3];
	sl_units_format_duration(9000000, small, sizeof small);
	assert_string_equal(small, "2h");
	sl_units_format_duration(9000000, small, 1);
	assert_string_equal(small, "");
}

/* What the formatter prints, the parser reads back exactly. */
static void test_round_trip(void **state)
{
	(void)state;
	static const int64_t values[] = { 0, 1, 999, 1000, 61000, 3600000, 5400000, 86400000, 90061001,
					  INT64_MAX };
	char buf[64];
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		int64_t back = -1;
		sl_units_format_duration(values[i], buf, sizeof buf);
		assert_int_equal(sl_units_parse_duration(buf, &back), 0);
		assert_true(back == values[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
