/* reqhead: the strictness checks on a request's head that libmicrohttpd 0.9.75 lacks. */
#include "served/reqhead.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/limits.h"
#include "served/request.h"

/* RFC 9112 strictness that MHD 0.9.75 lacks, checked on the head as MHD left it in its read buffer:
 * each line's CR LF and each field's colon became NULs there, so between the end of one field's value
 * and the next field's name only NULs may lie — anything else was hidden from us behind a NUL in a
 * value (or is an obs-fold line MHD joined elsewhere). */
struct head_scan {
	const char *lo, *hi;     /* MHD's head bytes; pointers outside are not compared (another layout) */
	const char *prev_end;    /* end of the previous line's last field byte */
	unsigned hosts;
	unsigned status;
	const char *reason;
};

static bool only_nuls(const struct head_scan *h, const char *from, const char *to)
{
	if (from == NULL || from < h->lo || to > h->hi || from > to)
		return true;
	for (const char *c = from; c < to; c++)
		if (*c != '\0')
			return false;
	return true;
}

static void head_fail(struct head_scan *h, unsigned status, const char *reason)
{
	if (h->status == 0) {
		h->status = status;
		h->reason = reason;
	}
}

static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				  const char *value, size_t value_size)
{
	struct head_scan *h = cls;
	if (key_size + 2 + value_size > SL_MAX_REQUEST_FIELD)
		head_fail(h, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "header field too large");
	if (key_size == 0 || strpbrk(key, " \t") != NULL)
		head_fail(h, MHD_HTTP_BAD_REQUEST, "whitespace before the colon");
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0 && ++h->hosts > 1)
		head_fail(h, MHD_HTTP_BAD_REQUEST, "more than one Host header");
	for (size_t i = 0; i < value_size; i++) {
		unsigned char ch = (unsigned char)value[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			head_fail(h, MHD_HTTP_BAD_REQUEST, ch == '\r' ? "bare CR in a field value"
								      : "control byte in a field value");
	}
	if (!only_nuls(h, h->prev_end, key))
		head_fail(h, MHD_HTTP_BAD_REQUEST, "NUL in a header line");
	/* Name, the colon's NUL, optional blanks, value. */
	const char *after = key + key_size + 1;
	if (key >= h->lo && value <= h->hi && value >= after) {
		if (after[-1] != '\0')
			head_fail(h, MHD_HTTP_BAD_REQUEST, "NUL in a header line");
		for (const char *c = after; c < value; c++)
			if (*c != ' ' && *c != '\t')
				head_fail(h, MHD_HTTP_BAD_REQUEST, "NUL in a header line");
	}
	h->prev_end = value + value_size;
	return MHD_YES;
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

unsigned sl_reqhead_check(struct sl_request *r, const char *method, const char *version)
{
	struct head_scan h = { .lo = method, .hi = method };
	const union MHD_ConnectionInfo *hi = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (hi != NULL) {
		if (hi->header_size > SL_MAX_REQUEST_HEADERS) {
			r->reason = "request head too large";
			return MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
		}
		h.hi = method + hi->header_size;
	}
	/* Request line: token SP target SP version, single spaces (MHD skips runs of them). */
	size_t mlen = strlen(method);
	bool line_ok = mlen > 0;
	for (size_t i = 0; i < mlen; i++)
		line_ok = line_ok && is_tchar((unsigned char)method[i]);
	if (r->target != NULL && r->target >= h.lo && r->target < h.hi) {
		line_ok = line_ok && r->target == method + mlen + 1;
		if (version >= h.lo && version < h.hi)
			line_ok = line_ok && version == r->target + r->target_len + 1;
	}
	if (!line_ok || strncmp(version, "HTTP/1.", 7) != 0) {
		r->reason = "malformed request line";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (version >= h.lo && version < h.hi)
		h.prev_end = version + strlen(version);
	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_field, &h);
	if (h.status == 0 && h.prev_end != NULL && !only_nuls(&h, h.prev_end, h.hi)) {
		h.status = MHD_HTTP_BAD_REQUEST;
		h.reason = "NUL in a header line";
	}
	r->reason = h.reason;
	return h.status;
}

