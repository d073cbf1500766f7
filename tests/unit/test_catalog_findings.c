/* catalog_findings: findings and their decisions, inheritance of an unexpired acceptance by a later
 * snapshot carrying the same artifact, expiry, the approval count, a rescan that finds decided findings
 * again, the verdict cache and scan runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/catalog.h"
#include "core/error.h"
#include "tests/unit/lib/snapfix.h"

#define DIG "1111111111111111111111111111111111111111111111111111111111111111"

static int64_t snap(struct sl_snapfix *f, const char *content)
{
	struct sl_snapfix_entry e = { .path = "pool/main/e/evil_1_all.deb", .role = "pool", .data = content,
				      .len = strlen(content) };
	int64_t id = 0;
	assert_int_equal(sl_snapfix_snapshot(f, &e, 1, SL_SNAP_PENDING, &id), 0);
	return id;
}

static int64_t add(struct sl_catalog *c, int64_t s, const char *member, int64_t now)
{
	struct sl_finding fi = { .snapshot_id = s, .kind = "malware", .blocking = true,
				 .artifact = "pool/main/e/evil_1_all.deb", .digest = DIG, .member = member,
				 .detail = "Eicar-Test-Signature" };
	int64_t id = 0;
	assert_int_equal(sl_catalog_finding_add(c, &fi, now, &id), 0);
	return id;
}

struct seen {
	char decision[16], reason[64];
	int64_t carried, expires;
};

static int seen_cb(void *arg, const struct sl_finding *f)
{
	struct seen *s = arg;
	snprintf(s->decision, sizeof s->decision, "%s", f->decision ? f->decision : "-");
	snprintf(s->reason, sizeof s->reason, "%s", f->reason ? f->reason : "-");
	s->carried = f->carried_from;
	s->expires = f->expires_at;
	return 0;
}

static int count_cb(void *arg, const struct sl_finding *f)
{
	(void)f;
	++*(unsigned *)arg;
	return 0;
}

static void test_decide_inherit_expire(void **state)
{
	(void)state;
	struct sl_snapfix *f = sl_snapfix_new("deb", "apt");
	assert_non_null(f);
	struct sl_catalog *c = sl_snapfix_catalog(f);
	int64_t s1 = snap(f, "one");
	int64_t a = add(c, s1, "data.tar.xz!eicar.com", 1000);
	int64_t b = add(c, s1, "data.tar.xz!other.com", 1000);
	unsigned n = 0;
	assert_int_equal(sl_catalog_findings_undecided(c, s1, &n), 0);
	assert_int_equal(n, 2);
	/* Refused: empty reason; unknown id; twice. */
	assert_int_equal(sl_catalog_finding_accept(c, a, "alice", "", 0, 1001), -EINVAL);
	assert_int_equal(sl_catalog_finding_accept(c, 9999, "alice", "x", 0, 1001), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_finding_accept(c, a, "alice", "AV test file", 0, 1001), 0);
	assert_int_equal(sl_catalog_finding_accept(c, a, "bob", "again", 0, 1002), -SL_E_STATE);
	assert_int_equal(sl_catalog_finding_accept(c, b, "alice", "short", 2000, 1001), 0);
	assert_int_equal(sl_catalog_findings_undecided(c, s1, &n), 0);
	assert_int_equal(n, 0);

	/* A later snapshot with the same artifact: the open-ended acceptance is inherited, the one that
	 * expired at 2000 is not (now 3000). */
	int64_t s2 = snap(f, "two");
	int64_t a2 = add(c, s2, "data.tar.xz!eicar.com", 3000);
	int64_t b2 = add(c, s2, "data.tar.xz!other.com", 3000);
	struct seen sa = { 0 }, sb = { 0 };
	assert_int_equal(sl_catalog_finding(c, a2, seen_cb, &sa), 0);
	assert_int_equal(sl_catalog_finding(c, b2, seen_cb, &sb), 0);
	assert_string_equal(sa.decision, "accepted");
	assert_string_equal(sa.reason, "AV test file");
	assert_int_equal(sa.carried, a);
	assert_string_equal(sb.decision, "-");
	assert_int_equal(sl_catalog_findings_undecided(c, s2, &n), 0);
	assert_int_equal(n, 1);
	/* A rescan clears the undecided one only. */
	assert_int_equal(sl_catalog_findings_clear_undecided(c, s2, true), 0);
	assert_int_equal(sl_catalog_finding(c, b2, NULL, NULL), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_finding(c, a2, NULL, NULL), 0);
	/* ... and finding again what is already decided on this snapshot adds nothing; what was cleared
	 * comes back undecided. */
	struct sl_finding again = { .snapshot_id = s2, .kind = "malware", .blocking = true,
				    .artifact = "pool/main/e/evil_1_all.deb", .digest = DIG,
				    .member = "data.tar.xz!eicar.com", .detail = "Eicar-Test-Signature" };
	int64_t none = -1;
	assert_int_equal(sl_catalog_finding_add(c, &again, 3001, &none), 0);
	assert_int_equal(none, -1);
	add(c, s2, "data.tar.xz!other.com", 3001);
	unsigned total = 0;
	assert_int_equal(sl_catalog_findings(c, s2, count_cb, &total), 0);
	assert_int_equal(total, 2);
	assert_int_equal(sl_catalog_findings_undecided(c, s2, &n), 0);
	assert_int_equal(n, 1);
	sl_snapfix_free(f);
}

static void test_verdict_cache_and_runs(void **state)
{
	(void)state;
	struct sl_snapfix *f = sl_snapfix_new("deb", "apt");
	struct sl_catalog *c = sl_snapfix_catalog(f);
	char *v = NULL;
	assert_int_equal(sl_catalog_scan_verdict_get(c, DIG, "1.4.6", "db1", &v), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_scan_verdict_put(c, DIG, "1.4.6", "db1", "[]", 5), 0);
	assert_int_equal(sl_catalog_scan_verdict_get(c, DIG, "1.4.6", "db1", &v), 0);
	assert_string_equal(v, "[]");
	free(v);
	/* Another database set or engine is another verdict. */
	assert_int_equal(sl_catalog_scan_verdict_get(c, DIG, "1.4.6", "db2", &v), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_scan_verdict_get(c, DIG, "1.4.7", "db1", &v), -SL_E_NOTFOUND);
	int64_t s = snap(f, "x");
	struct sl_scan_run r = { .snapshot_id = s, .at = 7, .engine = "1.4.6", .db = "db1", .scanned = 3, .cached = 1,
				 .findings = 2 };
	assert_int_equal(sl_catalog_scan_run_add(c, &r), 0);
	struct sl_scan_run got;
	assert_int_equal(sl_catalog_scan_run_last(c, s, &got), 0);
	assert_int_equal(got.scanned, 3);
	assert_int_equal(got.cached, 1);
	assert_int_equal(got.findings, 2);
	assert_int_equal(sl_catalog_scan_run_last(c, s + 100, &got), -SL_E_NOTFOUND);
	sl_snapfix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_inherit_expire),
		cmocka_unit_test(test_verdict_cache_and_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
