/* apt_verify: Release policy checks (suite, rollback, freeze, future date). */
#include "verify/apt_verify.h"

#include <stdio.h>
#include <string.h>

#include "core/apt_release.h"
#include "core/error.h"

static void fmt_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, cap, "@%lld", (long long)t);
}

static int keep_first(int rc, int err)
{
	return rc != 0 ? rc : err;
}

int sl_apt_verify_release(const struct sl_apt_release *rel, const struct sl_apt_policy *pol,
			  sl_verify_record_fn record, void *arg)
{
	char reason[512], a[64], b[64];
	int rc = 0;

	/* Suite: a signed Release of another suite (e.g. an old stable's) must not be accepted in place of the
	 * configured one; apt itself checks this against the sources line. */
	bool suite_ok = (rel->suite && strcmp(rel->suite, pol->suite) == 0) ||
			(rel->codename && strcmp(rel->codename, pol->suite) == 0);
	snprintf(reason, sizeof reason, "configured suite %s; Release says Suite %s, Codename %s", pol->suite,
		 rel->suite ? rel->suite : "(none)", rel->codename ? rel->codename : "(none)");
	record(arg, "suite", suite_ok, reason);
	if (!suite_ok)
		rc = keep_first(rc, -SL_E_MISMATCH);

	if (rel->date == 0) {
		record(arg, "date", false, "Release has no Date field");
		return keep_first(rc, -SL_E_PARSE);
	}
	fmt_time(rel->date, a, sizeof a);

	/* Rollback: an attacker replaying an older, validly signed Release would hide security updates. */
	if (pol->last_date != 0) {
		fmt_time(pol->last_date, b, sizeof b);
		bool ok = rel->date >= pol->last_date;
		snprintf(reason, sizeof reason, "Date %s %s last accepted %s", a, ok ? "not older than" : "is older than",
			 b);
		record(arg, "rollback", ok, reason);
		if (!ok)
			rc = keep_first(rc, -SL_E_ROLLBACK);
	} else {
		snprintf(reason, sizeof reason, "Date %s; first Release accepted for this suite", a);
		record(arg, "rollback", true, reason);
	}

	/* Future: a Date far ahead would lock out every later legitimate Release via the rollback rule. */
	int64_t ahead_s = (int64_t)rel->date - (int64_t)pol->now;
	bool future_ok = ahead_s * 1000 <= pol->max_future_ms;
	snprintf(reason, sizeof reason, "Date %s is %lld s %s now (allowed: %lld s ahead)", a,
		 (long long)(ahead_s < 0 ? -ahead_s : ahead_s), ahead_s < 0 ? "before" : "after",
		 (long long)(pol->max_future_ms / 1000));
	record(arg, "future-date", future_ok, reason);
	if (!future_ok)
		rc = keep_first(rc, -SL_E_FUTURE);

	/* Freeze: a Release past Valid-Until may be an attacker withholding newer metadata. */
	if (rel->valid_until != 0) {
		fmt_time(rel->valid_until, b, sizeof b);
		bool ok = rel->valid_until > pol->now;
		snprintf(reason, sizeof reason, "Valid-Until %s %s", b, ok ? "not reached" : "has passed");
		record(arg, "valid-until", ok, reason);
		if (!ok)
			rc = keep_first(rc, -SL_E_EXPIRED);
	} else {
		record(arg, "valid-until", true, "no Valid-Until in Release");
	}
	return rc;
}
