/* fuzz_debver: Debian version parsing and dpkg's ordering. The input is three versions: the first two
 * bytes give the lengths of the first and second, the third is the rest. Asserts the documented rules
 * for an accepted version (only [A-Za-z0-9.+~:-], upstream starts with a digit, the revision only
 * [A-Za-z0-9.+~], the parts lie inside the input), and that the order is one: reflexive, antisymmetric,
 * and transitive over valid versions, with the string form agreeing with the blob form. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096   /* bytes: versions are capped at SL_MAX_DEBVER anyway */

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static bool in(const char *set, uint8_t c)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool check(struct sl_blob v)
{
	struct sl_debver d;
	const char *why = NULL;
	int rc = sl_debver_parse(v, &d, &why);
	require(sl_debver_valid(v) == (rc == 0));
	require(sl_debver_cmp(v, v) == 0);
	if (rc != 0) {
		require(why != NULL);
		return false;
	}
	require(why == NULL && v.len > 0 && v.len <= SL_MAX_DEBVER);
	for (size_t i = 0; i < v.len; i++)
		require(alnum(v.p[i]) || in(".+~:-", v.p[i]));
	require(d.upstream.p >= v.p && d.upstream.p + d.upstream.len <= v.p + v.len);
	require(d.upstream.len > 0 && d.upstream.p[0] >= '0' && d.upstream.p[0] <= '9');
	require(d.revision.p >= v.p && d.revision.p + d.revision.len <= v.p + v.len);
	for (size_t i = 0; i < d.revision.len; i++)
		require(alnum(d.revision.p[i]) || in(".+~", d.revision.p[i]));
	return true;
}

/* The blob as a C string when it has no NUL inside (NULL otherwise); heap. */
static char *cstr(struct sl_blob v)
{
	if (v.len > 0 && memchr(v.p, '\0', v.len) != NULL)
		return NULL;
	char *s = malloc(v.len + 1);
	require(s != NULL);
	if (v.len > 0)
		memcpy(s, v.p, v.len);
	s[v.len] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	size_t la = data[0], lb = data[1];
	data += 2;
	size -= 2;
	if (la > size)
		la = size;
	if (lb > size - la)
		lb = size - la;
	struct sl_blob v[3] = {
		{ data, la },
		{ data + la, lb },
		{ data + la + lb, size - la - lb },
	};
	bool ok[3];
	for (int i = 0; i < 3; i++)
		ok[i] = check(v[i]);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			int c = sl_debver_cmp(v[i], v[j]);
			require(sign(c) == -sign(sl_debver_cmp(v[j], v[i])));
			char *a = cstr(v[i]), *b = cstr(v[j]);
			if (a != NULL && b != NULL)
				require(sign(sl_debver_cmp_str(a, b)) == sign(c));
			free(a);
			free(b);
		}
	if (ok[0] && ok[1] && ok[2]) {
		int ab = sign(sl_debver_cmp(v[0], v[1])), bc = sign(sl_debver_cmp(v[1], v[2]));
		int ac = sign(sl_debver_cmp(v[0], v[2]));
		if (ab <= 0 && bc <= 0)
			require(ac <= 0);
		if (ab >= 0 && bc >= 0)
			require(ac >= 0);
	}
	return 0;
}
