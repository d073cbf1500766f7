/* cfgcheck: the grammars of sluice.conf's values. */
#include "core/cfgcheck.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "core/limits.h"

/* Decimal digits only (no sign, no blanks), without overflow. */
bool sl_cfgcheck_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool all_of(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

const char *sl_cfgcheck_user(char *s)
{
	if (strlen(s) > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return "is not a user name";
	for (const char *c = s; *c != '\0'; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_' && *c != '-')
			return "is not a user name";
	return NULL;
}

const char *sl_cfgcheck_username(char *s)
{
	if (strlen(s) > 255)
		return "is too long";
	for (const char *c = s; *c != '\0'; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return "must be printable ASCII without blanks";
	return NULL;
}

const char *sl_cfgcheck_host(char *s)
{
	size_t label = 0;
	if (s[0] == '\0' || strlen(s) > 253 || s[0] == '.')
		return "is not a host name";
	for (const char *c = s; *c != '\0'; c++) {
		if (*c == '.') {
			if (label == 0 || c[1] == '\0')
				return "is not a host name";
			label = 0;
		} else if (isalnum((unsigned char)*c) || *c == '-' || *c == '_') {
			if (++label > 63)
				return "is not a host name";
		} else {
			return "is not a host name";
		}
	}
	return NULL;
}

const char *sl_cfgcheck_suite(char *s)
{
	/* These become URL and directory parts, so no "..", no absolute or empty components. */
	if (strlen(s) > 128 || !all_of(s, "._+-/") || s[0] == '/' || strstr(s, "..") != NULL ||
	    strstr(s, "//") != NULL || s[strlen(s) - 1] == '/')
		return "is not a suite or component name (letters, digits, . _ + - /)";
	return NULL;
}

const char *sl_cfgcheck_arch(char *s)
{
	if (strcmp(s, "all") == 0)
		return "is always included; list only real architectures";
	if (strlen(s) > 32 || !all_of(s, "-"))
		return "is not an architecture name";
	for (const char *c = s; *c != '\0'; c++)
		if (isupper((unsigned char)*c))
			return "is not an architecture name (lowercase)";
	return NULL;
}

const char *sl_cfgcheck_package(char *s)
{
	/* Debian policy 5.6.7: lowercase letters, digits, + - . ; starting alphanumeric. */
	if (strlen(s) > 128 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return "is not a Debian package name";
	for (const char *c = s; *c != '\0'; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && strchr("+-.", *c) == NULL)
			return "is not a Debian package name";
	return NULL;
}

const char *sl_cfgcheck_database(char *s)
{
	if (strlen(s) > 64 || !all_of(s, "_-"))
		return "is not a ClamAV database name";
	return NULL;
}

const char *sl_cfgcheck_image(char *s)
{
	static const char *const why = "is not repo:tag, repo:pattern* or repo@sha256:DIGEST";
	char *at = strchr(s, '@');
	char *colon = strrchr(s, ':');
	char *end = at != NULL ? at : colon;
	if (end == NULL)
		return "needs a tag, tag pattern or digest (debian:12, debian:12*, debian@sha256:...)";
	if (end == s || strlen(s) > 512)
		return why;
	/* Repository: lowercase path components, as the distribution spec allows. */
	for (const char *c = s; c < end; c++) {
		bool sep = *c == '/' || *c == '.' || *c == '_' || *c == '-';
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && !sep)
			return why;
		if (*c == '/' && (c == s || c + 1 == end || c[1] == '/'))
			return why;
	}
	if (at != NULL) {
		const char *d = at + 1;
		if (strncmp(d, "sha256:", 7) != 0 || strlen(d + 7) != 64)
			return why;
		for (d += 7; *d != '\0'; d++)
			if (!isdigit((unsigned char)*d) && !(*d >= 'a' && *d <= 'f'))
				return why;
		return NULL;
	}
	const char *tag = colon + 1;
	if (*tag == '\0' || strlen(tag) > 128 || !all_of(tag, "._-*") || tag[0] == '.' || tag[0] == '-')
		return why;
	return NULL;
}

const char *sl_cfgcheck_platform(char *s)
{
	unsigned parts = 1;
	if (!all_of(s, "/._-") || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//") != NULL)
		return "is not os/arch or os/arch/variant";
	for (const char *c = s; *c != '\0'; c++)
		parts += *c == '/';
	if (parts < 2 || parts > 3)
		return "is not os/arch or os/arch/variant";
	return NULL;
}

const char *sl_cfgcheck_cidr(char *s)
{
	unsigned char addr[16];
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t iplen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (iplen >= sizeof ip)
		return "is not an address or CIDR";
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	int bits;
	if (inet_pton(AF_INET, ip, addr) == 1)
		bits = 32;
	else if (inet_pton(AF_INET6, ip, addr) == 1)
		bits = 128;
	else
		return "is not an address or CIDR (10.0.0.0/8, 2001:db8::/32)";
	uint64_t prefix = (uint64_t)bits;
	if (slash != NULL && (!sl_cfgcheck_uint(slash + 1, &prefix) || prefix > (uint64_t)bits))
		return "has a bad prefix length";
	/* Host bits set usually means a typo in the prefix; refuse rather than guess. */
	for (int b = (int)prefix; b < bits; b++)
		if (addr[b / 8] & (0x80 >> (b % 8)))
			return "has host bits set beyond the prefix length";
	return NULL;
}

const char *sl_cfgcheck_fingerprint(char *s)
{
	/* gpg prints fingerprints in groups of four; accept that and store one canonical form. */
	size_t n = 0;
	for (const char *c = s; *c != '\0'; c++)
		if (!isspace((unsigned char)*c) && !isxdigit((unsigned char)*c))
			return "is not a 40-digit hex fingerprint";
	for (const char *c = s; *c != '\0'; c++)
		if (!isspace((unsigned char)*c))
			s[n++] = (char)toupper((unsigned char)*c);
	s[n] = '\0';
	if (n != 40)
		return "is not a 40-digit hex fingerprint (separate several with commas)";
	return NULL;
}

/* Port "1".."65535" starting at s (NUL-terminated). */
static bool valid_port(const char *s)
{
	uint64_t v;
	return sl_cfgcheck_uint(s, &v) && v >= 1 && v <= 65535;
}

/* host, [v6], host:port or [v6]:port in s[0..len). */
const char *sl_cfgcheck_hostport(const char *s, size_t len, bool need_port)
{
	char buf[300], addr[16];
	if (len == 0)
		return "has no host";
	if (len >= sizeof buf)
		return "has a host name that is too long";
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *port = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (close == NULL)
			return "has an unterminated [IPv6] address";
		*close = '\0';
		if (inet_pton(AF_INET6, buf + 1, addr) != 1)
			return "has a bad IPv6 address";
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "has text after the IPv6 address";
	} else {
		port = strchr(buf, ':');
		if (port != NULL)
			*port++ = '\0';
		if (buf[0] == '\0')
			return "has no host (0.0.0.0:PORT or [::]:PORT listens on every address)";
		if (sl_cfgcheck_host(buf) != NULL)
			return "has a bad host name";
	}
	if (port == NULL && need_port)
		return "needs a port (host:port, [v6]:port)";
	if (port != NULL && !valid_port(port))
		return "has a bad port (1-65535)";
	return NULL;
}

const char *sl_cfgcheck_url(char *v, bool proxy)
{
	if (strlen(v) > SL_MAX_URL)
		return "is too long";
	const char *sep = strstr(v, "://");
	if (sep == NULL)
		return proxy ? "is not a URL (http://HOST:PORT, https://... or socks5h://...)"
			     : "is not a URL (http://HOST/PATH or https://...)";
	size_t slen = (size_t)(sep - v);
	bool ok = (slen == 4 && strncmp(v, "http", 4) == 0) || (slen == 5 && strncmp(v, "https", 5) == 0) ||
		  (proxy && slen == 7 && strncmp(v, "socks5h", 7) == 0);
	if (proxy && slen == 6 && strncmp(v, "socks5", 6) == 0)
		return "uses socks5://, which resolves names locally; use socks5h:// so the proxy resolves them";
	if (!ok)
		return proxy ? "must be http://, https:// or socks5h://" : "must be http:// or https://";
	if (strpbrk(v, "?#") != NULL)
		return "must not have a query or fragment";
	const char *auth = sep + 3;
	const char *auth_end = auth + strcspn(auth, "/");
	const char *at = memrchr(auth, '@', (size_t)(auth_end - auth));
	if (at != NULL) {
		if (!proxy)
			return "must not contain credentials (user@host); they would end up in logs";
		auth = at + 1;
	}
	const char *why = sl_cfgcheck_hostport(auth, (size_t)(auth_end - auth), false);
	if (why != NULL)
		return why;
	if (proxy && *auth_end != '\0' && strcmp(auth_end, "/") != 0)
		return "must not have a path";
	for (const char *c = auth_end; *c != '\0'; c++)
		if (isspace((unsigned char)*c))
			return "must not contain blanks (write %20)";
	return NULL;
}

const char *sl_cfgcheck_smtp(char *s)
{
	size_t skip = strncmp(s, "smtp://", 7) == 0 ? 7 : strncmp(s, "smtps://", 8) == 0 ? 8 : 0;
	if (skip == 0)
		return "is not an SMTP URL (smtp://HOST[:PORT] or smtps://...)";
	const char *auth = s + skip, *end = auth + strcspn(auth, "/");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return "must not contain credentials; they would end up in logs";
	if (*end != '\0' && strcmp(end, "/") != 0)
		return "must not have a path";
	return sl_cfgcheck_hostport(auth, (size_t)(end - auth), false);
}

const char *sl_cfgcheck_mail(char *s)
{
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return "is not a mail address (user@domain)";
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '<' || *c == '>' || *c == ',' || *c == 0x7f)
			return "is not a plain mail address (no blanks, angle brackets or commas)";
	return NULL;
}

#define DIST_MAX_LEN 64   /* bytes: config key names are short; longer words are never close */

unsigned sl_cfgcheck_distance(const char *a, const char *b, unsigned cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > DIST_MAX_LEN || lb > DIST_MAX_LEN)
		return cap;
	if ((la > lb ? la - lb : lb - la) >= cap)
		return cap;
	/* Optimal string alignment over three rows: the one two back is needed for a swap. */
	unsigned rows[3][DIST_MAX_LEN + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		unsigned *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] < cap ? prev[lb] : cap;
}

const char *sl_cfgcheck_rpm_arch(char *s)
{
	if (strlen(s) > 32 || !all_of(s, "_") || s[0] == '\0')
		return "is not an RPM architecture name (e.g. x86_64, aarch64, noarch)";
	return NULL;
}

const char *sl_cfgcheck_rpm_package(char *s)
{
	/* What rpmbuild accepts in Name: letters, digits and ._+- ; never starting with '-' (an option). */
	if (strlen(s) > 128 || s[0] == '\0' || s[0] == '-' || !all_of(s, "._+-"))
		return "is not an RPM package name";
	return NULL;
}
