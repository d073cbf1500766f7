/* verifier: what every format's verifier shares — recording a check, the verdict, the GnuPG home — and the
 * dispatch through the source's row in core/format.c. */
#include "verify/verifier.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/format.h"
#include "core/limits.h"
#include "core/log.h"
#include "verify/gpg.h"

bool sl_verify_check(struct sl_verify_ctx *v, const char *subject, const char *check, const char *key_fpr,
		     bool passed, const char *fmt, ...)
{
	char reason[SL_MAX_REASON];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	v->checks++;
	if (!passed) {
		if (v->failed++ == 0)
			snprintf(v->first_failure, sizeof v->first_failure, "%.200s: %.60s: %.240s", subject, check, reason);
		sl_log_err(v->src->name, "%s: %s failed: %s", subject, check, reason);
	}
	if (v->record != NULL) {
		struct sl_check c = {
			.subject = subject, .check = check, .key_fpr = key_fpr, .reason = reason, .passed = passed,
		};
		v->record(v->record_arg, &c);
	}
	return passed;
}

int sl_verify_verdict(struct sl_verify_ctx *v, char **cause)
{
	if (v->failed == 0)
		return 0;
	if (v->failed == 1)
		return sl_cause(cause, -SL_E_VERIFY, "%s", v->first_failure);
	return sl_cause(cause, -SL_E_VERIFY, "%s (and %u more failed check(s))", v->first_failure, v->failed - 1);
}

int sl_verify_gpg_home(const struct sl_config *cfg, const struct sl_source *src, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/gnupg/%s", cfg->state_dir, src->name);
	return (n < 0 || (size_t)n >= cap) ? -SL_E_TOOBIG : 0;
}

struct sl_gpg *sl_verify_gpg(const struct sl_verify_ctx *v, const char *keyring, const char *const *allowed_fprs,
			     size_t n_allowed, char **cause)
{
	char home[SL_MAX_PATH];
	if (sl_verify_gpg_home(v->cfg, v->src, home, sizeof home) < 0) {
		sl_cause(cause, -SL_E_TOOBIG, "GnuPG home for %s: path too long", v->src->name);
		return NULL;
	}
	return sl_gpg_new(home, keyring, allowed_fprs, n_allowed, cause);
}

int sl_verify_snapshot(struct sl_verify_ctx *v, char **cause)
{
	const struct sl_verifier *ver = v->src->format->verify;
	if (ver == NULL || ver->verify == NULL)
		return sl_cause(cause, -SL_E_UNSUPPORTED, "no verifier for type %s in this program",
				v->src->format->name);
	return ver->verify(v, cause);
}

int sl_verify_accept(struct sl_verify_ctx *v, char **cause)
{
	const struct sl_verifier *ver = v->src->format->verify;
	if (v->mode != SL_VERIFY_ARRIVAL || ver == NULL || ver->accept == NULL)
		return 0;
	return ver->accept(v, cause);
}
