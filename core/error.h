/* error: sluice's error codes. Every int-returning function returns 0 or a negative code: either -errno
 * or one of -SL_E_* below. sl_strerror() names both kinds. Codes are stable; exit codes derive from them. */
#ifndef SL_ERROR_H
#define SL_ERROR_H

enum sl_err {
	SL_E_BASE = 4096,   /* above every errno value */
	SL_E_PARSE,         /* malformed input (config, metadata, headers) */
	SL_E_CONFIG,        /* invalid configuration */
	SL_E_DIGEST,        /* content does not match its expected digest */
	SL_E_SIZE,          /* content does not match its expected size */
	SL_E_TOOBIG,        /* a hard cap from core/limits.h was exceeded */
	SL_E_BADNAME,       /* hostile or invalid name, path or digest */
	SL_E_SIGNATURE,     /* missing, invalid or untrusted signature */
	SL_E_ROLLBACK,      /* older than what was already accepted */
	SL_E_EXPIRED,       /* metadata past its validity (freeze attack) */
	SL_E_FUTURE,        /* metadata dated too far in the future */
	SL_E_MISMATCH,      /* metadata does not match the configuration (suite, name) */
	SL_E_HTTP,          /* upstream answered with an error status */
	SL_E_TIMEOUT,       /* transfer stalled or took too long */
	SL_E_NETWORK,       /* connection-level failure */
	SL_E_COOLDOWN,      /* upstream host is cooling down; not contacted */
	SL_E_CATALOG,       /* catalogue (SQLite) failure */
	SL_E_STATE,         /* object is not in the state the operation requires */
	SL_E_NOTFOUND,      /* no such source, snapshot or object */
	SL_E_EXISTS,        /* already exists */
	SL_E_LOCKED,        /* held by another process */
	SL_E_VERIFY,        /* verification failed (generic) */
	SL_E_INTERRUPTED,   /* stopped by a signal or deadline */
	SL_E_ARCHIVE,       /* compression or archive format error */
	SL_E_UNSUPPORTED,   /* valid but not supported */
	SL_E_MAX
};

/* Human-readable text for a negative code (-errno or -SL_E_*); never NULL. */
const char *sl_strerror(int err);

/* Explain a failure through an optional `char **cause` and return `err` unchanged, so a failing path is
 * `return sl_cause(cause, -SL_E_PARSE, "line %u: ...", n);`. The first explanation wins: when *cause is
 * already set (by a callee, which knows more) it is kept. cause may be NULL. *cause is heap (caller frees);
 * on allocation failure it stays NULL. Where only the explanation matters, pass 0 as err. */
int sl_cause(char **cause, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
