/* error: text for sluice's error codes. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const sl_error_text[SL_E_MAX - SL_E_BASE] = {
	[SL_E_PARSE - SL_E_BASE] = "malformed input",
	[SL_E_CONFIG - SL_E_BASE] = "invalid configuration",
	[SL_E_DIGEST - SL_E_BASE] = "digest mismatch",
	[SL_E_SIZE - SL_E_BASE] = "size mismatch",
	[SL_E_TOOBIG - SL_E_BASE] = "size limit exceeded",
	[SL_E_BADNAME - SL_E_BASE] = "invalid or hostile name",
	[SL_E_SIGNATURE - SL_E_BASE] = "bad or untrusted signature",
	[SL_E_ROLLBACK - SL_E_BASE] = "rollback refused: older than accepted",
	[SL_E_EXPIRED - SL_E_BASE] = "metadata expired",
	[SL_E_FUTURE - SL_E_BASE] = "metadata dated in the future",
	[SL_E_MISMATCH - SL_E_BASE] = "metadata does not match configuration",
	[SL_E_HTTP - SL_E_BASE] = "upstream HTTP error",
	[SL_E_TIMEOUT - SL_E_BASE] = "transfer timed out",
	[SL_E_NETWORK - SL_E_BASE] = "network error",
	[SL_E_COOLDOWN - SL_E_BASE] = "upstream cooling down",
	[SL_E_CATALOG - SL_E_BASE] = "catalogue error",
	[SL_E_STATE - SL_E_BASE] = "invalid state for this operation",
	[SL_E_NOTFOUND - SL_E_BASE] = "not found",
	[SL_E_EXISTS - SL_E_BASE] = "already exists",
	[SL_E_LOCKED - SL_E_BASE] = "locked by another process",
	[SL_E_VERIFY - SL_E_BASE] = "verification failed",
	[SL_E_INTERRUPTED - SL_E_BASE] = "interrupted",
	[SL_E_ARCHIVE - SL_E_BASE] = "archive or compression error",
	[SL_E_UNSUPPORTED - SL_E_BASE] = "unsupported",
};

const char *sl_strerror(int err)
{
	int e = err < 0 ? -err : err;
	if (e == 0)
		return "success";
	if (e > SL_E_BASE && e < SL_E_MAX && sl_error_text[e - SL_E_BASE] != NULL)
		return sl_error_text[e - SL_E_BASE];
	if (e < SL_E_BASE)
		return strerror(e);
	return "unknown error";
}

int sl_cause(char **cause, int err, const char *fmt, ...)
{
	if (cause == NULL || *cause != NULL)
		return err;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return err;
}
