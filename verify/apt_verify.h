/* apt_verify: the policy checks on an APT Release file after its OpenPGP signature was verified (gpg.h):
 * the Suite or Codename must be the configured suite (no substitution of another suite), the Date must not
 * be older than the last accepted one (rollback), nor too far in the future, and Valid-Until must not have
 * passed (freeze). Every check is reported to `record`, pass or fail, with a reason an auditor can read.
 * Pure function of its inputs: no I/O, no state. */
#ifndef SL_APT_VERIFY_H
#define SL_APT_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sl_apt_release;

typedef void (*sl_verify_record_fn)(void *arg, const char *check, bool passed, const char *reason);

struct sl_apt_policy {
	const char *suite;        /* as configured (matches Suite or Codename) */
	time_t last_date;         /* Date of the last accepted Release of this suite; 0: none yet */
	time_t now;
	int64_t max_future_ms;    /* how far ahead Date may be (clock skew allowance) */
};

/* 0 when every check passed; otherwise the first failure's code (-SL_E_MISMATCH, -SL_E_ROLLBACK,
 * -SL_E_FUTURE, -SL_E_EXPIRED, -SL_E_PARSE for a missing Date). All checks run and are recorded. */
int sl_apt_verify_release(const struct sl_apt_release *rel, const struct sl_apt_policy *pol,
			  sl_verify_record_fn record, void *arg);

#endif
