/* cfgcheck: the grammars of sluice.conf's values, one pure check per kind of value. Each takes the value as
 * a NUL-terminated string and returns NULL when it is good, else a short reason ("is not a host name")
 * that config.c prefixes with FILE:LINE, the key and the value. Nothing is allocated or logged. The
 * item checks take a mutable string: sl_cfgcheck_fingerprint rewrites a good value in place into its
 * canonical form (40 uppercase hex digits, gpg's blanks removed). */
#ifndef SL_CFGCHECK_H
#define SL_CFGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal digits only (no sign, no blanks), without overflow: true and *out set, else false. */
bool sl_cfgcheck_uint(const char *s, uint64_t *out);

/* Item checks (config.c's key table calls them through item_check pointers). */
const char *sl_cfgcheck_user(char *s);          /* a system user name */
const char *sl_cfgcheck_username(char *s);      /* a registry user name: printable ASCII, no blanks */
const char *sl_cfgcheck_host(char *s);          /* a DNS host name */
const char *sl_cfgcheck_suite(char *s);         /* an APT suite or component: safe as URL and path parts */
const char *sl_cfgcheck_arch(char *s);          /* a Debian architecture other than "all" */
const char *sl_cfgcheck_package(char *s);       /* a Debian package name (policy 5.6.7) */
const char *sl_cfgcheck_rpm_arch(char *s);      /* an RPM architecture (x86_64, aarch64, noarch) */
const char *sl_cfgcheck_rpm_package(char *s);   /* an RPM package name (letters, digits, . _ + -) */
const char *sl_cfgcheck_database(char *s);      /* a ClamAV database name */
const char *sl_cfgcheck_image(char *s);         /* repo:tag, repo:pattern* or repo@sha256:DIGEST */
const char *sl_cfgcheck_platform(char *s);      /* os/arch or os/arch/variant */
const char *sl_cfgcheck_cidr(char *s);          /* an address or CIDR, host bits clear */
const char *sl_cfgcheck_fingerprint(char *s);   /* an OpenPGP v4 fingerprint; canonicalised in place */
const char *sl_cfgcheck_smtp(char *s);          /* smtp://HOST[:PORT] or smtps://... */
const char *sl_cfgcheck_mail(char *s);          /* a plain mail address user@domain */

/* host, [v6], host:port or [v6]:port in s[0..len) (not NUL-terminated). */
const char *sl_cfgcheck_hostport(const char *s, size_t len, bool need_port);
/* An upstream base URL (http, https; no credentials, query or fragment), or with proxy a proxy URL
 * (http, https or socks5h; credentials allowed, no path). */
const char *sl_cfgcheck_url(char *v, bool proxy);

/* Edits (insert, delete, substitute, swap two neighbours) that turn a into b, or `cap` when at least
 * that many (or either is longer than 64 bytes): how close a misspelt key is to a known one. */
unsigned sl_cfgcheck_distance(const char *a, const char *b, unsigned cap);

#endif
