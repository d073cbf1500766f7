/* libFuzzer target for served's HTTP-date parser (sl_httpparse_date), used by If-Modified-Since and
 * If-Range. An accepted date must format back (as IMF-fixdate) to a string that parses to the same time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "served/httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 256   /* bytes: an HTTP-date is 29 */

static void require(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char s[FUZZ_MAX_INPUT + 1];
	memcpy(s, data, size);
	s[size] = '\0';
	time_t t;
	if (!sl_httpparse_date(s, &t))
		return 0;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 8000)
		return 0;   /* out of the range strftime's %Y round-trips */
	char back[64];
	strftime(back, sizeof back, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	time_t t2;
	require(sl_httpparse_date(back, &t2));
	require(t2 == t);
	return 0;
}
