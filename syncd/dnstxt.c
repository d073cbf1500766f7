/* dnstxt: a DNS TXT look-up and the bounded parse of its answer. */
#include "syncd/dnstxt.h"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"

int sl_dnstxt_parse(const unsigned char *ans, int n, char *out, size_t cap)
{
	if (n < NS_HFIXEDSZ)
		return -SL_E_NETWORK;
	const unsigned char *p = ans + NS_HFIXEDSZ, *end = ans + n;
	unsigned qd = (unsigned)(ans[4] << 8 | ans[5]), an = (unsigned)(ans[6] << 8 | ans[7]);
	for (unsigned i = 0; i < qd; i++) {
		int k = dn_skipname(p, end);
		if (k < 0 || end - p < k + 4)
			return -SL_E_PARSE;
		p += k + 4;
	}
	for (unsigned i = 0; i < an; i++) {
		int k = dn_skipname(p, end);
		if (k < 0 || end - p < k + 10)
			return -SL_E_PARSE;
		p += k;
		unsigned type = (unsigned)(p[0] << 8 | p[1]), rdlen = (unsigned)(p[8] << 8 | p[9]);
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return -SL_E_PARSE;
		if (type == T_TXT && rdlen > 0 && p[0] > 0 && (size_t)p[0] < rdlen && (size_t)p[0] < cap) {
			memcpy(out, p + 1, p[0]);
			out[p[0]] = '\0';
			return 0;
		}
		p += rdlen;
	}
	return -SL_E_NOTFOUND;
}

int sl_dnstxt_query(const char *name, char *out, size_t cap)
{
	unsigned char ans[SL_MAX_DNS_ANSWER];
	int n = res_query(name, C_IN, T_TXT, ans, sizeof ans);
	return sl_dnstxt_parse(ans, n, out, cap);
}
