/* debver: dpkg's version comparison (lib/dpkg/version.c verrevcmp) and parser checks
 * (lib/dpkg/parsehelp.c parseversion), reimplemented over length-delimited blobs. */
#include "core/debver.h"

#include <limits.h>
#include <string.h>

#include "core/error.h"

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Weight of a non-digit character: end of string and digits 0, letters themselves, '~' below all. */
static int order(int c)
{
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c != 0)
		return c + 256;
	return 0;
}

static int at(struct sl_blob b, size_t i)
{
	return i < b.len ? b.p[i] : 0;
}

static int verrevcmp(struct sl_blob a, struct sl_blob b)
{
	size_t i = 0, j = 0;
	while (i < a.len || j < b.len) {
		int first_diff = 0;
		while ((i < a.len && !is_digit(a.p[i])) || (j < b.len && !is_digit(b.p[j]))) {
			int ac = order(at(a, i));
			int bc = order(at(b, j));
			if (ac != bc)
				return ac - bc;
			i++;
			j++;
		}
		while (at(a, i) == '0')
			i++;
		while (at(b, j) == '0')
			j++;
		while (is_digit(at(a, i)) && is_digit(at(b, j))) {
			if (first_diff == 0)
				first_diff = at(a, i) - at(b, j);
			i++;
			j++;
		}
		if (is_digit(at(a, i)))
			return 1;
		if (is_digit(at(b, j)))
			return -1;
		if (first_diff != 0)
			return first_diff;
	}
	return 0;
}

/* Split without judging: what dpkg does before its checks. Returns false for a bad epoch. */
static bool split(struct sl_blob v, struct sl_debver *out)
{
	out->epoch = 0;
	const uint8_t *colon = v.len ? memchr(v.p, ':', v.len) : NULL;
	bool ok = true;
	if (colon != NULL) {
		size_t n = (size_t)(colon - v.p);
		unsigned long e = 0;
		if (n == 0)
			ok = false;
		for (size_t i = 0; i < n; i++) {
			if (!is_digit(v.p[i]) || e > (unsigned long)(INT_MAX - 9) / 10) {
				ok = false;
				break;
			}
			e = e * 10 + (unsigned long)(v.p[i] - '0');
		}
		out->epoch = ok ? e : 0;
		v.p = colon + 1;
		v.len -= n + 1;
	}
	out->upstream = v;
	out->revision = (struct sl_blob){ v.p + v.len, 0 };
	for (size_t i = v.len; i > 0; i--)
		if (v.p[i - 1] == '-') {
			out->upstream.len = i - 1;
			out->revision = (struct sl_blob){ v.p + i, v.len - i };
			break;
		}
	return ok;
}

int sl_debver_parse(struct sl_blob v, struct sl_debver *out, const char **why)
{
	const char *w = NULL;
	struct sl_debver tmp;
	if (out == NULL)
		out = &tmp;
	if (v.len == 0)
		w = "version string is empty";
	else if (v.len > SL_MAX_DEBVER)
		w = "version string is too long";
	for (size_t i = 0; w == NULL && i < v.len; i++)
		if (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\n' || v.p[i] == '\r')
			w = "version string has embedded spaces";
	if (w == NULL) {
		const uint8_t *colon = memchr(v.p, ':', v.len);
		if (!split(v, out))
			w = colon == v.p ? "epoch in version is empty" : "epoch in version is not a number or too big";
		else if (colon != NULL && colon == v.p + v.len - 1)
			w = "nothing after colon in version number";
	}
	/* With a '-', the revision starts one byte after the end of upstream. */
	bool has_dash = w == NULL && out->revision.p != out->upstream.p + out->upstream.len;
	if (w == NULL && has_dash && out->revision.len == 0)
		w = "revision number is empty";
	if (w == NULL && out->upstream.len == 0)
		w = "version number is empty";
	if (w == NULL && !is_digit(out->upstream.p[0]))
		w = "version number does not start with digit";
	for (size_t i = 0; w == NULL && i < out->upstream.len; i++) {
		int c = out->upstream.p[i];
		/* c != 0: strchr() finds the terminator, and a NUL would cut the version wherever it
		 * becomes a C string (catalogue, file names, logs). */
		if (!is_digit(c) && !is_alpha(c) && (c == 0 || strchr(".-+~:", c) == NULL))
			w = "invalid character in version number";
	}
	for (size_t i = 0; w == NULL && i < out->revision.len; i++) {
		int c = out->revision.p[i];
		if (!is_digit(c) && !is_alpha(c) && (c == 0 || strchr(".+~", c) == NULL))
			w = "invalid character in revision number";
	}
	if (why != NULL)
		*why = w;
	return w == NULL ? 0 : -SL_E_PARSE;
}

bool sl_debver_valid(struct sl_blob v)
{
	return sl_debver_parse(v, NULL, NULL) == 0;
}

int sl_debver_cmp(struct sl_blob a, struct sl_blob b)
{
	struct sl_debver va, vb;
	split(a, &va);
	split(b, &vb);
	if (va.epoch != vb.epoch)
		return va.epoch > vb.epoch ? 1 : -1;
	int r = verrevcmp(va.upstream, vb.upstream);
	if (r != 0)
		return r;
	return verrevcmp(va.revision, vb.revision);
}

int sl_debver_cmp_str(const char *a, const char *b)
{
	return sl_debver_cmp(sl_blob_str(a), sl_blob_str(b));
}
