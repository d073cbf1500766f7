/* fuzz_fetch_header: upstream response header lines into the fetch engine's curl header callback
 * (sl_fx_on_header), as curl hands them over: one line per call, its CRLF included, status lines of
 * redirect hops and 1xx answers between them. The input is split after every '\n'. The transfer captures
 * three names, as the registry client does. Asserts after every line: the callback takes the whole line
 * or refuses it with a reason (a captured value that outgrows its buffer or has a control character),
 * and every kept value (ETag, Last-Modified, Content-Type, Retry-After, Content-Range, captures) is a
 * NUL-terminated string inside its buffer, never a cut one, and without control characters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "syncd/fetch_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64u << 10)   /* bytes: curl's own header cap is 100 KiB per response */

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A kept value is a string inside its buffer with no control character but HTAB (RFC 9110 5.5): it is
 * sent back upstream (If-None-Match), stored and logged, so a CR must never survive in it. */
static void terminated(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);
	require(end != NULL);
	for (const char *c = s; c < end; c++)
		require(*c == '\t' || ((unsigned char)*c >= 0x20 && *c != 0x7f));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	static const char *const capture[] = { "WWW-Authenticate", "Link", "RateLimit-Remaining", NULL };
	static struct xfer x;
	static char (*cap_val)[SL_MAX_HEADER_VALUE];
	if (cap_val == NULL)
		cap_val = calloc(3, sizeof *cap_val);
	require(cap_val != NULL);
	memset(&x, 0, sizeof x);
	memset(cap_val, 0x55, 3 * sizeof *cap_val);   /* garbage, as after an earlier response */
	x.req.capture = capture;
	x.ncap = 3;
	x.cap_val = cap_val;
	/* curl passes a writable copy that is not NUL-terminated. */
	char *copy = malloc(size ? size : 1);
	require(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	size_t off = 0;
	while (off < size) {
		const char *nl = memchr(copy + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (copy + off)) + 1 : size - off;
		/* curl's size argument is always 1; n carries the length. */
		size_t r = sl_fx_on_header(copy + off, 1, len, &x);
		if (r != len) {
			require(r == 0 && (x.abort_err == -SL_E_TOOBIG || x.abort_err == -SL_E_HTTP) && x.msg[0] != '\0');
			break;
		}
		terminated(x.etag, sizeof x.etag);
		terminated(x.last_modified, sizeof x.last_modified);
		terminated(x.content_type, sizeof x.content_type);
		terminated(x.retry_after, sizeof x.retry_after);
		terminated(x.content_range, sizeof x.content_range);
		for (size_t i = 0; i < x.ncap; i++)
			if (x.cap_seen & (1u << i))
				terminated(x.cap_val[i], SL_MAX_HEADER_VALUE);
		off += len;
	}
	require((x.cap_seen >> x.ncap) == 0);
	free(copy);
	return 0;
}
