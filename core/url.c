/* url: the host of an upstream URL (see url.h). */
#include "core/url.h"

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
