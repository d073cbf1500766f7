/* advise_rpm: the advisories of an RPM snapshot against the published one, from the updateinfo meta the
 * syncer keeps: an advisory names the packages it ships, and only those the new snapshot brings (a NEVRA
 * the old one lacked) carry it; epochs default to 0 as updateinfo writes them; CVE lists are capped; no
 * published snapshot means no advisories; odd meta is skipped, never a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/catalog.h"
#include "core/format.h"
#include "tests/unit/lib/snapfix.h"
#include "verify/advise.h"

#define PKG(name, ver) "{\"name\":\"" name "\",\"arch\":\"x86_64\",\"epoch\":\"0\",\"version\":\"" ver "\",\"release\":\"1.el9\"}"

struct got {
	char lines[16][4096];
	unsigned n;
};

static int collect(void *arg, const struct sl_advisory *a)
{
	struct got *g = arg;
	if (g->n < 16)
		snprintf(g->lines[g->n++], sizeof g->lines[0], "%s|%s", a->artifact, a->detail);
	assert_non_null(a->digest);
	return 0;
}

static const struct sl_advisor *advisor(void)
{
	const struct sl_format_ops *rpm = sl_format_find("rpm");
	assert_non_null(rpm);
	assert_non_null(rpm->advise);
	return rpm->advise;
}

static void test_brought_packages_only(void **state)
{
	(void)state;
	struct sl_snapfix *f = sl_snapfix_new("el", "rpm");
	assert_non_null(f);
	struct sl_catalog *c = sl_snapfix_catalog(f);
	struct sl_snapfix_entry old[] = {
		{ .path = "Packages/o/openssl-3.0.1-1.el9.x86_64.rpm", .role = "package", .meta_json = PKG("openssl", "3.0.1"),
		  .data = "o1", .len = 2 },
		{ .path = "Packages/b/bash-5.1-1.el9.x86_64.rpm", .role = "package", .meta_json = PKG("bash", "5.1"),
		  .data = "b1", .len = 2 },
	};
	/* The new snapshot upgrades openssl and keeps bash; its updateinfo has an advisory for the new
	 * openssl, one for the bash it already had (nothing new: no advisory), and one naming a package
	 * that is not mirrored at all. */
	char cves[4096] = "";
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(cves + n, sizeof cves - n, "%s\"CVE-2026-%04d\"", i ? "," : "", i);
	char meta[8192];
	snprintf(meta, sizeof meta,
		 "{\"type\":\"updateinfo\",\"advisories\":{"
		 "\"RHSA-2026:1\":{\"type\":\"security\",\"severity\":\"Important\",\"cves\":[\"CVE-2026-0001\",\"CVE-2026-0002\"],"
		 "\"packages\":[\"openssl-0:3.0.2-1.el9.x86_64\",\"openssl-libs-0:3.0.2-1.el9.x86_64\"]},"
		 "\"RHBA-2026:2\":{\"type\":\"bugfix\",\"severity\":\"\",\"cves\":[],\"packages\":[\"bash-0:5.1-1.el9.x86_64\"]},"
		 "\"RHSA-2026:3\":{\"type\":\"security\",\"severity\":\"Low\",\"cves\":[%s],"
		 "\"packages\":[\"openssl-0:3.0.2-1.el9.x86_64\", 7]}}}",
		 cves);
	struct sl_snapfix_entry new[] = {
		{ .path = "Packages/o/openssl-3.0.2-1.el9.x86_64.rpm", .role = "package", .meta_json = PKG("openssl", "3.0.2"),
		  .data = "o2", .len = 2 },
		{ .path = "Packages/b/bash-5.1-1.el9.x86_64.rpm", .role = "package", .meta_json = PKG("bash", "5.1"),
		  .data = "b1", .len = 2 },
		{ .path = "Packages/x/broken.rpm", .role = "package", .meta_json = "{not json", .data = "x", .len = 1 },
		{ .path = "repodata/updateinfo.xml.gz", .role = "metadata", .meta_json = meta, .data = "u", .len = 1 },
	};
	int64_t s_old = 0, s_new = 0;
	assert_int_equal(sl_snapfix_snapshot(f, old, 2, SL_SNAP_PENDING, &s_old), 0);
	assert_int_equal(sl_snapfix_snapshot(f, new, 4, SL_SNAP_PENDING, &s_new), 0);
	struct got g = { 0 };
	assert_int_equal(advisor()->advise(c, sl_snapfix_store(f), s_old, s_new, collect, &g), 0);
	assert_int_equal(g.n, 2);
	bool one = false, three = false;
	for (unsigned i = 0; i < g.n; i++) {
		assert_non_null(strstr(g.lines[i], "Packages/o/openssl-3.0.2-1.el9.x86_64.rpm|"));
		if (strstr(g.lines[i], "RHSA-2026:1 (security, Important): CVE-2026-0001 CVE-2026-0002") != NULL)
			one = true;
		if (strstr(g.lines[i], "RHSA-2026:3 (security, Low): CVE-2026-0000") != NULL &&
		    strstr(g.lines[i], " and more") != NULL)
			three = true;
	}
	assert_true(one);
	assert_true(three);
	/* Nothing published to compare with: no advisories. */
	g.n = 0;
	assert_int_equal(advisor()->advise(c, sl_snapfix_store(f), 0, s_new, collect, &g), 0);
	assert_int_equal(g.n, 0);
	sl_snapfix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brought_packages_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
