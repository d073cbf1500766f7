/* test_deb_changelog: which changelog.Debian entries an upgrade brings (old < version <= new, by dpkg's
 * ordering, epochs and tildes included), the CVE IDs they list (deduplicated, canonical case, in order of
 * appearance, capped) and their highest urgency; hostile text (no header, huge lines, cut anywhere, more
 * lines than the cap) never fails and never reads past its length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/deb_changelog.h"

static const char cl[] =
	"foo (1.0-4) unstable; urgency=low\n"
	"\n"
	"  * Fix CVE-2024-0004.\n"
	"\n"
	" -- A <a@example.org>  Mon, 04 Mar 2024 10:00:00 +0000\n"
	"\n"
	"foo (1.0-3) bookworm-security; urgency=HIGH\n"
	"\n"
	"  * Fix CVE-2024-0003 and cve-2024-0004 (closes: #1).\n"
	"  * Not IDs: XCVE-2024-9999, CVE-2024-123, CVE-2024-12345678, CVE-20245-1234.\n"
	"\n"
	" -- A <a@example.org>  Sun, 03 Mar 2024 10:00:00 +0000\n"
	"\n"
	"foo (1.0-2) unstable; urgency=medium\n"
	"\n"
	"  * Fix CVE-2024-0002, CVE-2024-0003.\n"
	"\n"
	" -- A <a@example.org>  Sat, 02 Mar 2024 10:00:00 +0000\n"
	"\n"
	"foo (1.0-1) unstable; urgency=critical\n"
	"\n"
	"  * Fix CVE-2024-0001.\n"
	"\n"
	" -- A <a@example.org>  Fri, 01 Mar 2024 10:00:00 +0000\n";

static void advice(const char *text, size_t len, const char *old_v, const char *new_v, struct sl_changelog_advice *a)
{
	assert_int_equal(sl_deb_changelog_advice(text, len, old_v, new_v, a), 0);
}

static void assert_cves(const struct sl_changelog_advice *a, const char *const *want, size_t n)
{
	assert_int_equal(a->ncves, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(a->cves[i], want[i]);
}

static void test_between_versions(void **state)
{
	(void)state;
	struct sl_changelog_advice a;
	/* One entry: 1.0-4 is newer than the new version, 1.0-2 is what is installed. */
	advice(cl, strlen(cl), "1.0-2", "1.0-3", &a);
	assert_int_equal(a.entries, 1);
	static const char *const w1[] = { "CVE-2024-0003", "CVE-2024-0004" };
	assert_cves(&a, w1, 2);
	assert_string_equal(a.urgency, "high");   /* canonical case */
	assert_false(a.truncated);
	/* Three entries, in order of appearance, deduplicated across entries; 1.0-1's critical is history. */
	advice(cl, strlen(cl), "1.0-1", "1.0-4", &a);
	assert_int_equal(a.entries, 3);
	static const char *const w2[] = { "CVE-2024-0004", "CVE-2024-0003", "CVE-2024-0002" };
	assert_cves(&a, w2, 3);
	assert_string_equal(a.urgency, "high");
	/* The same version: nothing new. */
	advice(cl, strlen(cl), "1.0-4", "1.0-4", &a);
	assert_int_equal(a.entries, 0);
	assert_int_equal(a.ncves, 0);
	assert_string_equal(a.urgency, "");
	/* From the very beginning: critical is the highest. */
	advice(cl, strlen(cl), "0.9-1", "1.0-4", &a);
	assert_int_equal(a.entries, 4);
	assert_int_equal(a.ncves, 4);
	assert_string_equal(a.urgency, "critical");
	/* No installed version: only the newest entry. */
	advice(cl, strlen(cl), NULL, "1.0-4", &a);
	assert_int_equal(a.entries, 1);
	static const char *const w3[] = { "CVE-2024-0004" };
	assert_cves(&a, w3, 1);
	assert_string_equal(a.urgency, "low");
}

static void test_epochs_tildes(void **state)
{
	(void)state;
	static const char t[] =
		"bar (1:2.0~rc2-1) unstable; urgency=medium\n  * CVE-2025-1002\n -- B <b@x>  Mon, 01 Jan 2025 00:00:00 +0000\n\n"
		"bar (1:2.0~rc1-1) unstable; urgency=emergency\n  * CVE-2025-1001\n -- B <b@x>  Mon, 01 Jan 2025 00:00:00 +0000\n\n"
		"bar (2.0-1) unstable; urgency=low\n  * CVE-2025-1000\n -- B <b@x>  Mon, 01 Jan 2025 00:00:00 +0000\n";
	struct sl_changelog_advice a;
	/* 2.0-1 without an epoch sorts below every 1:... version. */
	advice(t, strlen(t), "2.0-1", "1:2.0~rc2-1", &a);
	assert_int_equal(a.entries, 2);
	assert_int_equal(a.ncves, 2);
	assert_string_equal(a.urgency, "emergency");
	/* ~rc1 < ~rc2: only the newer release candidate. */
	advice(t, strlen(t), "1:2.0~rc1-1", "1:2.0~rc2-1", &a);
	assert_int_equal(a.entries, 1);
	assert_string_equal(a.cves[0], "CVE-2025-1002");
	/* A new version below the newest entry (1:2.0~rc1-1 < 1:2.0~rc2-1) skips the newer entry. */
	advice(t, strlen(t), "2.0-1", "1:2.0~rc1-1", &a);
	assert_int_equal(a.entries, 1);
	assert_string_equal(a.cves[0], "CVE-2025-1001");
	/* An installed 1:2.0 is newer than all of it ("2.0~rc2" < "2.0"). */
	advice(t, strlen(t), "1:2.0-1", "1:2.0~rc2-1", &a);
	assert_int_equal(a.entries, 0);
}

static void test_urgency_forms(void **state)
{
	(void)state;
	static const char t[] =
		"baz (3) unstable; urgency=medium (high for hurd users)\n  * x\n\n"
		"baz (2) unstable; urgency=bogus\n  * y\n\n"
		"baz (1) unstable; priority=x, urgency=Low\n  * z\n";
	struct sl_changelog_advice a;
	advice(t, strlen(t), "0", "3", &a);
	assert_int_equal(a.entries, 3);
	assert_string_equal(a.urgency, "medium");   /* the comment is not an urgency, "bogus" is none */
	advice(t, strlen(t), "1", "2", &a);
	assert_string_equal(a.urgency, "");
}

static void test_cve_cap(void **state)
{
	(void)state;
	size_t cap = 64 + 40 * (SL_MAX_ADVISORY_CVES + 10);
	char *t = malloc(cap);
	assert_non_null(t);
	size_t n = (size_t)snprintf(t, cap, "q (2) unstable; urgency=high\n");
	for (unsigned i = 0; i < SL_MAX_ADVISORY_CVES + 10; i++)
		n += (size_t)snprintf(t + n, cap - n, "  * CVE-2023-%05u CVE-2023-%05u\n", i, i);   /* twice: dedup */
	struct sl_changelog_advice a;
	advice(t, n, "1", "2", &a);
	assert_int_equal(a.ncves, SL_MAX_ADVISORY_CVES);
	assert_true(a.truncated);
	assert_string_equal(a.cves[0], "CVE-2023-00000");
	assert_string_equal(a.cves[SL_MAX_ADVISORY_CVES - 1], "CVE-2023-00063");
	free(t);
}

static void test_hostile(void **state)
{
	(void)state;
	struct sl_changelog_advice a;
	assert_int_equal(sl_deb_changelog_advice(NULL, 0, "1", "2", &a), -EINVAL);
	assert_int_equal(sl_deb_changelog_advice(cl, 1, "1", NULL, &a), -EINVAL);
	assert_int_equal(sl_deb_changelog_advice(cl, 1, "1", "2", NULL), -EINVAL);
	/* No header at all: CVEs outside any entry are not attributed to the upgrade. */
	static const char nohead[] = "  * CVE-2024-1111\n\nfree text CVE-2024-2222\n";
	advice(nohead, strlen(nohead), "1", "2", &a);
	assert_int_equal(a.entries, 0);
	assert_int_equal(a.ncves, 0);
	/* Empty text. */
	advice("", 0, "1", "2", &a);
	assert_int_equal(a.entries, 0);
	/* Headers it cannot read: no ')' / no ';' / empty or oversized version are body lines. */
	char big[SL_MAX_DEBVER + 64];
	memset(big, '9', sizeof big);
	memcpy(big, "x (", 3);
	memcpy(big + sizeof big - 20, ") u; urgency=high\n", 18);
	big[sizeof big - 2] = '\0';
	advice(big, strlen(big), "1", "2", &a);
	assert_int_equal(a.entries, 0);
	static const char odd[] = "x (1.0 unstable; urgency=high\nx () u; urgency=high\nx (2) no semicolon\n";
	advice(odd, strlen(odd), "0", "9", &a);
	assert_int_equal(a.entries, 0);
	/* A huge line (4 MiB, no newline) with an ID at its very end, inside an entry. */
	size_t hn = 4u << 20;
	char *huge = malloc(hn);
	assert_non_null(huge);
	size_t h = (size_t)snprintf(huge, hn, "big (2) unstable; urgency=low\n  ");
	memset(huge + h, 'a', hn - h);
	memcpy(huge + hn - 15, " CVE-2024-7777", 14);
	huge[hn - 1] = ' ';
	advice(huge, hn, "1", "2", &a);
	assert_int_equal(a.ncves, 1);
	assert_string_equal(a.cves[0], "CVE-2024-7777");
	/* ... and cut right inside the ID: a prefix that is not an ID is not one. */
	advice(huge, hn - 4, "1", "2", &a);
	assert_int_equal(a.ncves, 0);
	free(huge);
	/* Cut anywhere: every prefix of a real-shaped changelog parses without reading past it. */
	for (size_t cut = 0; cut <= strlen(cl); cut++) {
		char *p = malloc(cut ? cut : 1);
		assert_non_null(p);
		memcpy(p, cl, cut);
		advice(p, cut, "1.0-1", "1.0-4", &a);
		assert_true(a.ncves <= 3);
		free(p);
	}
	/* Text with NUL bytes is text of its length. */
	static const char nul[] = "n (2) u; urgency=high\n  * \0 CVE-2024-3333\n";
	advice(nul, sizeof nul - 1, "1", "2", &a);
	assert_int_equal(a.ncves, 1);
}

static void test_line_cap(void **state)
{
	(void)state;
	/* More lines than SL_MAX_CHANGELOG_LINES: the scan stops at the cap, an ID beyond it is not seen. */
	size_t lines = SL_MAX_CHANGELOG_LINES + 10, cap = 64 + lines + 32;
	char *t = malloc(cap);
	assert_non_null(t);
	size_t n = (size_t)snprintf(t, cap, "c (2) u; urgency=low\n");
	memset(t + n, '\n', lines);
	n += lines;
	n += (size_t)snprintf(t + n, cap - n, "  CVE-2024-4444\n");
	struct sl_changelog_advice a;
	advice(t, n, "1", "2", &a);
	assert_int_equal(a.entries, 1);
	assert_int_equal(a.ncves, 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_between_versions), cmocka_unit_test(test_epochs_tildes),
		cmocka_unit_test(test_urgency_forms),    cmocka_unit_test(test_cve_cap),
		cmocka_unit_test(test_hostile),          cmocka_unit_test(test_line_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
