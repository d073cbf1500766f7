/* url: the host of an upstream URL, and apt's quoting of the paths appended to one (see url.h). */
#include "core/url.h"

#include <stdbool.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"

int sl_url_host(const char *url, char *buf, size_t cap)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return -SL_E_BADNAME;
	p += 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memrchr(p, '@', n);
	if (at != NULL) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	size_t host_len;
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);
		if (close == NULL)
			return -SL_E_BADNAME;
		host_len = (size_t)(close - p) + 1;
	} else {
		const char *colon = memchr(p, ':', n);
		host_len = colon != NULL ? (size_t)(colon - p) : n;
	}
	if (host_len == 0)
		return -SL_E_BADNAME;
	if (host_len >= cap)
		return -SL_E_TOOBIG;
	for (size_t i = 0; i < host_len; i++)
		buf[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 'a' - 'A') : p[i];
	buf[host_len] = '\0';
	return 0;
}

void sl_url_source_host(const struct sl_source *src, char *buf, size_t cap)
{
	const char *url = src->url != NULL ? src->url : src->registry;
	if (cap == 0)
		return;
	buf[0] = '\0';
	if (url == NULL || sl_url_host(url, buf, cap) != 0)
		buf[0] = '\0';
}

/* apt's QuoteString with its default Acquire::URIEncode set "+~ " ('+' because Amazon S3 decodes it to a
 * space, LP#1003633; '~' has been quoted by apt's http method since its first versions); QuoteString
 * itself always adds '%', bytes <= 0x20 and >= 0x7f, and what isprint() refuses, which in the C locale
 * is nothing more. Matching it byte for byte means an upstream sees the same request from both. */
static bool must_quote(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '%' || c == '+' || c == '~';
}

static int quote_at(char *buf, size_t cap, size_t o, const char *part)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *p = (const unsigned char *)part; *p != '\0'; p++) {
		size_t need = must_quote(*p) ? 3 : 1;
		if (o + need >= cap) {
			buf[0] = '\0';
			return -SL_E_TOOBIG;
		}
		if (need == 1) {
			buf[o++] = (char)*p;
			continue;
		}
		buf[o++] = '%';
		buf[o++] = hex[*p >> 4];
		buf[o++] = hex[*p & 0xf];
	}
	buf[o] = '\0';
	return 0;
}

int sl_url_quote(char *buf, size_t cap, const char *part)
{
	if (buf == NULL || cap == 0)
		return -SL_E_TOOBIG;
	return quote_at(buf, cap, 0, part);
}

int sl_url_join(char *buf, size_t cap, const char *base, const char *rel)
{
	if (buf == NULL || cap == 0)
		return -SL_E_TOOBIG;
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	/* The base is the operator's, written as the server wants it: apt does not re-quote it either. */
	if (bl + 1 >= cap) {
		buf[0] = '\0';
		return -SL_E_TOOBIG;
	}
	memcpy(buf, base, bl);
	buf[bl] = '/';
	return quote_at(buf, cap, bl + 1, rel);
}
