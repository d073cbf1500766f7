/* httpparse: request header values and request targets, parsed from untrusted bytes. */
#include "served/httpparse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "core/blob.h"
#include "core/path.h"

bool sl_httpparse_date(const char *s, time_t *out)
{
	static const char *const fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT",
		"%A, %d-%b-%y %H:%M:%S GMT",
		"%a %b %e %H:%M:%S %Y",
	};
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *end = strptime(s, fmts[i], &tm);
		if (end != NULL && *end == '\0') {
			*out = timegm(&tm);
			return true;
		}
	}
	return false;
}

bool sl_httpparse_etag_match(const char *list, const char *etag)
{
	struct sl_blob b = sl_blob_str(list), tok;
	struct sl_blob ours = sl_blob_str(etag);
	while (sl_blob_token(&b, ",", &tok)) {
		tok = sl_blob_trim(tok);
		if (sl_blob_eq(tok, "*"))
			return true;
		if (tok.len >= 2 && tok.p[0] == 'W' && tok.p[1] == '/') {
			tok.p += 2;
			tok.len -= 2;
		}
		if (tok.len == ours.len && memcmp(tok.p, ours.p, ours.len) == 0)
			return true;
	}
	return false;
}

bool sl_httpparse_if_range(const char *h, const char *etag, bool dated, time_t mtime)
{
	if (h[0] == '"')
		return strcmp(h, etag) == 0;
	if (h[0] == 'W' && h[1] == '/')
		return false;
	time_t t;
	return dated && sl_httpparse_date(h, &t) && t == mtime;
}

enum sl_httpparse_range sl_httpparse_range(const char *h, uint64_t size, uint64_t *start, uint64_t *len)
{
	if (strncasecmp(h, "bytes=", 6) != 0)
		return SL_RANGE_NONE;
	struct sl_blob spec = sl_blob_trim(sl_blob_str(h + 6));
	if (spec.len == 0 || memchr(spec.p, ',', spec.len) != NULL)
		return SL_RANGE_NONE;
	struct sl_blob first;
	if (!sl_blob_split(&spec, '-', &first))
		return SL_RANGE_NONE;
	first = sl_blob_trim(first);
	struct sl_blob last = sl_blob_trim(spec);
	uint64_t a = 0, b = 0;
	if (first.len == 0) {
		if (sl_blob_to_u64(last, &b) < 0)
			return SL_RANGE_NONE;
		if (b == 0 || size == 0)
			return SL_RANGE_UNSATISFIABLE;
		*start = b >= size ? 0 : size - b;
		*len = size - *start;
		return SL_RANGE_ONE;
	}
	if (sl_blob_to_u64(first, &a) < 0)
		return SL_RANGE_NONE;
	if (last.len == 0) {
		b = UINT64_MAX;
	} else if (sl_blob_to_u64(last, &b) < 0 || b < a) {
		return SL_RANGE_NONE;
	}
	if (a >= size)
		return SL_RANGE_UNSATISFIABLE;
	if (b > size - 1)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return SL_RANGE_ONE;
}

unsigned sl_httpparse_check_rel(const char *rel)
{
	size_t n = strlen(rel);
	if (n == 0 || rel[n - 1] == '/')
		return MHD_HTTP_NOT_FOUND;   /* a directory: no listings */
	if (sl_path_check_relative(rel, n) < 0)
		return MHD_HTTP_BAD_REQUEST;
	/* Dot-led names (.gen, .tmp, .git...) are the publisher's, never content. */
	for (const char *c = rel; c != NULL; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (*c == '.')
			return MHD_HTTP_BAD_REQUEST;
	}
	return 0;
}

int sl_httpparse_query_value(const char *raw, char *buf, size_t cap)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; raw[i] != '\0'; i++) {
		unsigned c = (unsigned char)raw[i];
		if (c == '%') {
			if (!isxdigit((unsigned char)raw[i + 1]) || !isxdigit((unsigned char)raw[i + 2])) {
				buf[0] = '\0';
				return -1;
			}
			unsigned v;
			sscanf(raw + i + 1, "%2x", &v);
			c = v;
			i += 2;
		}
		if (c < 0x21 || c >= 0x7f || o + 1 >= cap) {
			buf[0] = '\0';
			return -1;
		}
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return 1;
}

bool sl_httpparse_oci_ns(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr(".-:[]", s[i]) != NULL))
			return false;
	return true;
}

/* The rightmost occurrence of `marker` in s, or NULL. */
static char *last_of(char *s, const char *marker)
{
	char *hit = NULL;
	for (char *p = strstr(s, marker); p != NULL; p = strstr(p + 1, marker))
		hit = p;
	return hit;
}

enum sl_httpparse_oci_op sl_httpparse_oci_path(char *path, const char **name, const char **arg)
{
	static const char tags_suffix[] = "/tags/list";
	size_t len = strlen(path);
	char *man = last_of(path, "/manifests/"), *blob = last_of(path, "/blobs/");
	*name = path;
	*arg = NULL;
	if (len > sizeof tags_suffix - 1 && strcmp(path + len - (sizeof tags_suffix - 1), tags_suffix) == 0) {
		path[len - (sizeof tags_suffix - 1)] = '\0';
		return SL_OCI_OP_TAGS;
	}
	if (man != NULL && (blob == NULL || man > blob)) {
		*man = '\0';
		*arg = man + strlen("/manifests/");
		return SL_OCI_OP_MANIFEST;
	}
	if (blob != NULL) {
		*blob = '\0';
		*arg = blob + strlen("/blobs/");
		return SL_OCI_OP_BLOB;
	}
	return SL_OCI_OP_NONE;
}
