/* libFuzzer target for served's conditional headers: If-None-Match (sl_httpparse_etag_match) and If-Range
 * (sl_httpparse_if_range). Input: an entity-tag, a NUL, the header value. Properties: "*" and the tag
 * itself always match If-None-Match; a weak validator never satisfies If-Range; If-Range by tag needs the
 * exact strong tag. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "served/httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 8192   /* bytes: one header field at most (SL_MAX_REQUEST_FIELD) */

static void require(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *buf = malloc(size + 2);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	const char *etag = buf;
	size_t el = strlen(buf);
	const char *h = el < size ? buf + el + 1 : buf + size;
	(void)sl_httpparse_etag_match(h, etag);
	require(sl_httpparse_etag_match("*", etag));
	/* A tag as the server makes them (quoted, no list separator or blank at its ends) matches itself. */
	if (el > 0 && strchr(etag, ',') == NULL && !isspace((unsigned char)etag[0]) &&
	    !isspace((unsigned char)etag[el - 1]) && strncmp(etag, "W/", 2) != 0)
		require(sl_httpparse_etag_match(etag, etag));
	bool ir = sl_httpparse_if_range(h, etag, true, 784111777);
	if (h[0] == 'W' && h[1] == '/')
		require(!ir);
	if (h[0] == '"')
		require(ir == (strcmp(h, etag) == 0));
	(void)sl_httpparse_if_range(h, etag, false, 0);
	if (h[0] != '"')
		require(!sl_httpparse_if_range(h, etag, false, 0));
	free(buf);
	return 0;
}
