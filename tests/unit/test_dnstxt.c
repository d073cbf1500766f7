/* dnstxt: the bounded parse of a DNS TXT answer (untrusted bytes from the resolver). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "syncd/dnstxt.h"

/* An answer: header (1 question, `an` answers), the question "a.b" TXT IN, then one answer record for
 * the same name (compressed pointer) of `type` whose rdata is one character-string `txt`. */
static int answer(unsigned char *buf, unsigned an, unsigned type, const char *txt, int rdlen_fix)
{
	unsigned char *p = buf;
	static const unsigned char head[12] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(p, head, sizeof head);
	p[7] = (unsigned char)an;
	p += sizeof head;
	static const unsigned char q[] = { 1, 'a', 1, 'b', 0, 0, 16, 0, 1 };
	memcpy(p, q, sizeof q);
	p += sizeof q;
	size_t n = strlen(txt);
	unsigned rdlen = (unsigned)(n + 1 + rdlen_fix);
	const unsigned char rr[] = { 0xc0, 12, 0, (unsigned char)type, 0, 1, 0, 0, 0x0e, 0x10,
				     (unsigned char)(rdlen >> 8), (unsigned char)rdlen };
	memcpy(p, rr, sizeof rr);
	p += sizeof rr;
	*p++ = (unsigned char)n;
	memcpy(p, txt, n);
	p += n;
	return (int)(p - buf);
}

static void test_dnstxt_first_string(void **state)
{
	(void)state;
	unsigned char a[512];
	char out[64];
	int n = answer(a, 1, 16, "0.103.11:62:27000:1700000000:1:90:49192:334", 0);
	assert_int_equal(sl_dnstxt_parse(a, n, out, sizeof out), 0);
	assert_string_equal(out, "0.103.11:62:27000:1700000000:1:90:49192:334");
}

static void test_dnstxt_refusals(void **state)
{
	(void)state;
	unsigned char a[512];
	char out[64];
	int n = answer(a, 1, 16, "x:y", 0);
	/* Short or absent answers (res_query's -1 included) are a network failure. */
	assert_int_equal(sl_dnstxt_parse(a, -1, out, sizeof out), -SL_E_NETWORK);
	assert_int_equal(sl_dnstxt_parse(a, 11, out, sizeof out), -SL_E_NETWORK);
	/* Cut inside the question, the record header or the rdata: malformed, never read past n. */
	assert_int_equal(sl_dnstxt_parse(a, 14, out, sizeof out), -SL_E_PARSE);
	assert_int_equal(sl_dnstxt_parse(a, 12 + 9 + 5, out, sizeof out), -SL_E_PARSE);
	assert_int_equal(sl_dnstxt_parse(a, n - 1, out, sizeof out), -SL_E_PARSE);
	/* rdata longer than the answer: malformed. */
	n = answer(a, 1, 16, "x:y", 40);
	assert_int_equal(sl_dnstxt_parse(a, n, out, sizeof out), -SL_E_PARSE);
	/* No TXT record (an A record), no answers, or a string that does not fit: not found. */
	n = answer(a, 1, 1, "x:y", 0);
	assert_int_equal(sl_dnstxt_parse(a, n, out, sizeof out), -SL_E_NOTFOUND);
	n = answer(a, 0, 16, "x:y", 0);
	assert_int_equal(sl_dnstxt_parse(a, n, out, sizeof out), -SL_E_NOTFOUND);
	n = answer(a, 1, 16, "a string longer than the room", 0);
	assert_int_equal(sl_dnstxt_parse(a, n, out, 8), -SL_E_NOTFOUND);
	/* A character-string claiming more than its rdata: not taken. */
	n = answer(a, 1, 16, "abc", -2);
	assert_int_equal(sl_dnstxt_parse(a, n - 2, out, sizeof out), -SL_E_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnstxt_first_string),
		cmocka_unit_test(test_dnstxt_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
