/* dnstxt: one DNS TXT look-up through the system resolver (res_query), for upstreams that announce
 * versions in DNS (ClamAV's current.cvd.clamav.net). The answer is untrusted: it is parsed within its
 * bounds (at most SL_MAX_DNS_ANSWER bytes) and only the first character-string of the first TXT record
 * is kept. Failure is a negative code, never a crash: callers fall back to asking over HTTP. */
#ifndef SL_DNSTXT_H
#define SL_DNSTXT_H

#include <stddef.h>

/* The first TXT string of the answer to `name` into out (NUL-terminated, at most cap - 1 bytes).
 * 0; -SL_E_NETWORK (no answer), -SL_E_PARSE (malformed), -SL_E_NOTFOUND (no TXT string that fits). */
int sl_dnstxt_query(const char *name, char *out, size_t cap);
/* The same over an answer already received (ans, n bytes): what sl_dnstxt_query() does after res_query. */
int sl_dnstxt_parse(const unsigned char *ans, int n, char *out, size_t cap);

#endif
