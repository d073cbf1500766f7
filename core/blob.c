/* blob: borrowed byte views. */
#include "core/blob.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct sl_blob sl_blob_str(const char *s)
{
	return (struct sl_blob){ (const uint8_t *)s, s ? strlen(s) : 0 };
}

bool sl_blob_eq(struct sl_blob b, const char *s)
{
	size_t n = strlen(s);
	return b.len == n && (n == 0 || memcmp(b.p, s, n) == 0);
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

bool sl_blob_eq_nocase(struct sl_blob b, const char *s)
{
	size_t n = strlen(s);
	if (b.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(b.p[i]) != lower((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct sl_blob sl_blob_trim(struct sl_blob b)
{
	while (b.len > 0 && is_space(b.p[0])) {
		b.p++;
		b.len--;
	}
	while (b.len > 0 && is_space(b.p[b.len - 1]))
		b.len--;
	return b;
}

bool sl_blob_token(struct sl_blob *b, const char *seps, struct sl_blob *tok)
{
	size_t i = 0;
	while (i < b->len && strchr(seps, b->p[i]) != NULL && b->p[i] != '\0')
		i++;
	size_t start = i;
	while (i < b->len && (b->p[i] == '\0' || strchr(seps, b->p[i]) == NULL))
		i++;
	if (i == start) {
		b->p += b->len;
		b->len = 0;
		return false;
	}
	tok->p = b->p + start;
	tok->len = i - start;
	b->p += i;
	b->len -= i;
	return true;
}

bool sl_blob_split(struct sl_blob *b, uint8_t sep, struct sl_blob *head)
{
	const uint8_t *hit = b->len ? memchr(b->p, sep, b->len) : NULL;
	if (hit == NULL) {
		*head = *b;
		b->p += b->len;
		b->len = 0;
		return false;
	}
	head->p = b->p;
	head->len = (size_t)(hit - b->p);
	b->len -= head->len + 1;
	b->p = hit + 1;
	return true;
}

int sl_blob_to_u64(struct sl_blob b, uint64_t *out)
{
	uint64_t v = 0;
	if (b.len == 0 || b.len > 20)
		return -SL_E_PARSE;
	for (size_t i = 0; i < b.len; i++) {
		if (b.p[i] < '0' || b.p[i] > '9')
			return -SL_E_PARSE;
		uint64_t d = (uint64_t)(b.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -SL_E_PARSE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int sl_blob_copy(struct sl_blob b, char *buf, size_t cap)
{
	if (cap == 0)
		return -SL_E_TOOBIG;
	if (b.len >= cap) {
		buf[0] = '\0';
		return -SL_E_TOOBIG;
	}
	if (b.len)
		memcpy(buf, b.p, b.len);
	buf[b.len] = '\0';
	return 0;
}

char *sl_blob_strdup(struct sl_blob b)
{
	char *s = malloc(b.len + 1);
	if (s == NULL)
		return NULL;
	if (b.len)
		memcpy(s, b.p, b.len);
	s[b.len] = '\0';
	return s;
}
