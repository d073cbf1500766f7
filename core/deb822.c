/* deb822: streaming parser for Debian control data. Bytes are appended to one bounded buffer holding
 * the current paragraph and the line being read; complete lines are classified as they arrive and
 * fields are recorded as offsets from the paragraph start, so the buffer can move without fix-ups. */
#include "core/deb822.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/limits.h"

/* Room for the paragraph plus the separator line after it (which may be whitespace-only). */
#define DEB822_BUF_MAX   (SL_MAX_DEB822_PARA + 4096u)  /* bytes */
#define DEB822_BUF_START (64u << 10)                   /* bytes: first allocation, grows by doubling */

struct deb822_span {
	size_t name_off, name_len;
	size_t val_off, val_end;  /* relative to the paragraph start */
	bool val_pending;         /* first line was empty: value starts at the first continuation line */
};

struct sl_deb822 {
	sl_deb822_cb cb;
	void *arg;
	uint8_t *buf;
	size_t alloc, used;
	size_t pstart;           /* offset of the current paragraph (or of the next line when outside one) */
	size_t scan;             /* offset of the first byte of the line not yet classified */
	bool in_para;
	bool comments;
	bool finished;
	unsigned line;           /* number of the line at `scan` (1-based) */
	unsigned para_line;
	unsigned err_line;
	int err;
	const char *why;
	size_t nfields;
	struct deb822_span spans[SL_MAX_DEB822_FIELDS];
	struct sl_deb822_field fields[SL_MAX_DEB822_FIELDS];
};

struct sl_deb822 *sl_deb822_new(sl_deb822_cb cb, void *arg)
{
	struct sl_deb822 *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->cb = cb;
	d->arg = arg;
	d->line = 1;
	d->why = "";
	return d;
}

void sl_deb822_free(struct sl_deb822 *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d);
}

void sl_deb822_allow_comments(struct sl_deb822 *d, bool on)
{
	d->comments = on;
}

unsigned sl_deb822_line(const struct sl_deb822 *d)
{
	return d->err_line;
}

const char *sl_deb822_error(const struct sl_deb822 *d)
{
	return d->why;
}

static int fail(struct sl_deb822 *d, int err, const char *why)
{
	d->err = err;
	d->err_line = d->line;
	d->why = why;
	return err;
}

static bool is_hspace(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int emit(struct sl_deb822 *d, size_t end)
{
	const uint8_t *base = d->buf + d->pstart;
	for (size_t i = 0; i < d->nfields; i++) {
		const struct deb822_span *sp = &d->spans[i];
		d->fields[i].name = (struct sl_blob){ base + sp->name_off, sp->name_len };
		d->fields[i].value = (struct sl_blob){ base + sp->val_off, sp->val_end - sp->val_off };
	}
	struct sl_deb822_para p = {
		.fields = d->fields,
		.nfields = d->nfields,
		.raw = { base, end - d->pstart },
		.line = d->para_line,
	};
	d->in_para = false;
	d->nfields = 0;
	int rc = d->cb(d->arg, &p);
	if (rc != 0) {
		d->err = rc;
		d->err_line = d->para_line;
		d->why = "";
	}
	return rc;
}

/* Trim trailing blanks and CR of [ls, end) and return the new end. */
static size_t rtrim(const uint8_t *buf, size_t ls, size_t end)
{
	while (end > ls && (is_hspace(buf[end - 1]) || buf[end - 1] == '\r'))
		end--;
	return end;
}

static int field_line(struct sl_deb822 *d, size_t ls, size_t ce)
{
	const uint8_t *colon = memchr(d->buf + ls, ':', ce - ls);
	if (colon == NULL)
		return fail(d, -SL_E_PARSE, "line without a colon");
	size_t name_end = (size_t)(colon - d->buf);
	if (name_end == ls)
		return fail(d, -SL_E_PARSE, "empty field name");
	if (d->buf[ls] == '-')
		return fail(d, -SL_E_PARSE, "field name starts with '-'");
	for (size_t i = ls; i < name_end; i++)
		if (d->buf[i] <= 0x20 || d->buf[i] >= 0x7f)
			return fail(d, -SL_E_PARSE, "invalid character in field name");
	if (d->nfields >= SL_MAX_DEB822_FIELDS)
		return fail(d, -SL_E_TOOBIG, "too many fields in one paragraph");
	if (!d->in_para) {
		d->in_para = true;
		d->pstart = ls;
		d->para_line = d->line;
	}
	struct sl_blob name = { d->buf + ls, name_end - ls };
	for (size_t i = 0; i < d->nfields; i++) {
		const struct deb822_span *o = &d->spans[i];
		if (o->name_len == name.len && strncasecmp((const char *)d->buf + d->pstart + o->name_off,
							   (const char *)name.p, name.len) == 0)
			return fail(d, -SL_E_PARSE, "duplicate field");
	}
	size_t vs = name_end + 1;
	while (vs < ce && is_hspace(d->buf[vs]))
		vs++;
	size_t ve = rtrim(d->buf, vs, ce);
	struct deb822_span *sp = &d->spans[d->nfields++];
	sp->name_off = ls - d->pstart;
	sp->name_len = name.len;
	sp->val_off = vs - d->pstart;
	sp->val_end = ve - d->pstart;
	sp->val_pending = ve == vs;
	return 0;
}

/* Drop a comment line [ls, next) from the buffer so values stay contiguous. */
static void cut_line(struct sl_deb822 *d, size_t ls, size_t next)
{
	memmove(d->buf + ls, d->buf + next, d->used - next);
	d->used -= next - ls;
}

/* Classify one complete line [ls, le); le is the offset of its '\n' (or the end of input).
 * Sets *next to the offset where the following line starts. */
static int one_line(struct sl_deb822 *d, size_t ls, size_t le, size_t *next)
{
	*next = le < d->used ? le + 1 : le;
	if (le > ls && memchr(d->buf + ls, '\0', le - ls) != NULL)
		return fail(d, -SL_E_PARSE, "NUL byte");
	size_t ce = rtrim(d->buf, ls, le);
	bool blank = true;
	for (size_t i = ls; i < ce; i++)
		if (!is_hspace(d->buf[i])) {
			blank = false;
			break;
		}
	if (blank) {
		if (d->in_para) {
			int rc = emit(d, ls);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	uint8_t c = d->buf[ls];
	if (c == '#') {
		if (!d->comments)
			return fail(d, -SL_E_PARSE, "comment line (allowed only in debian/control)");
		cut_line(d, ls, *next);
		*next = ls;
		return 0;
	}
	if (is_hspace(c)) {
		if (!d->in_para || d->nfields == 0)
			return fail(d, -SL_E_PARSE, "continuation line without a field");
		struct deb822_span *sp = &d->spans[d->nfields - 1];
		if (sp->val_pending) {
			sp->val_off = ls - d->pstart;
			sp->val_pending = false;
		}
		sp->val_end = ce - d->pstart;
	} else {
		int rc = field_line(d, ls, ce);
		if (rc != 0)
			return rc;
	}
	if (*next - d->pstart > SL_MAX_DEB822_PARA)
		return fail(d, -SL_E_TOOBIG, "paragraph too long");
	return 0;
}

static int process(struct sl_deb822 *d, bool at_end)
{
	while (d->scan < d->used) {
		const uint8_t *nl = memchr(d->buf + d->scan, '\n', d->used - d->scan);
		if (nl == NULL && !at_end)
			break;
		size_t le = nl ? (size_t)(nl - d->buf) : d->used;
		size_t next;
		int rc = one_line(d, d->scan, le, &next);
		if (rc != 0)
			return rc;
		d->scan = next;
		if (nl != NULL)
			d->line++;
		if (!d->in_para)
			d->pstart = d->scan;
	}
	return 0;
}

static void compact(struct sl_deb822 *d)
{
	if (d->pstart == 0)
		return;
	memmove(d->buf, d->buf + d->pstart, d->used - d->pstart);
	d->used -= d->pstart;
	d->scan -= d->pstart;
	d->pstart = 0;
}

static int reserve(struct sl_deb822 *d, size_t want)
{
	if (want <= d->alloc)
		return 0;
	size_t n = d->alloc ? d->alloc : DEB822_BUF_START;
	while (n < want)
		n *= 2;
	if (n > DEB822_BUF_MAX)
		n = DEB822_BUF_MAX;
	uint8_t *p = realloc(d->buf, n);
	if (p == NULL)
		return -ENOMEM;
	d->buf = p;
	d->alloc = n;
	return 0;
}

int sl_deb822_feed(struct sl_deb822 *d, const void *data, size_t len)
{
	const uint8_t *in = data;
	if (d->err != 0)
		return d->err;
	if (d->finished)
		return fail(d, -SL_E_STATE, "feed after finish");
	while (len > 0) {
		if (d->used + len > d->alloc)
			compact(d);
		size_t room = DEB822_BUF_MAX - d->used;
		if (room == 0)
			return fail(d, -SL_E_TOOBIG, d->in_para ? "paragraph too long" : "line too long");
		size_t n = len < room ? len : room;
		int rc = reserve(d, d->used + n);
		if (rc != 0)
			return fail(d, rc, "out of memory");
		memcpy(d->buf + d->used, in, n);
		d->used += n;
		in += n;
		len -= n;
		rc = process(d, false);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int sl_deb822_finish(struct sl_deb822 *d)
{
	if (d->err != 0)
		return d->err;
	if (d->finished)
		return 0;
	int rc = process(d, true);
	if (rc != 0)
		return rc;
	d->finished = true;
	if (d->in_para)
		return emit(d, d->used);
	return 0;
}

int sl_deb822_parse(const void *data, size_t len, sl_deb822_cb cb, void *arg)
{
	struct sl_deb822 *d = sl_deb822_new(cb, arg);
	if (d == NULL)
		return -ENOMEM;
	int rc = sl_deb822_feed(d, data, len);
	if (rc == 0)
		rc = sl_deb822_finish(d);
	sl_deb822_free(d);
	return rc;
}

bool sl_deb822_get(const struct sl_deb822_para *p, const char *name, struct sl_blob *value)
{
	for (size_t i = 0; i < p->nfields; i++)
		if (sl_blob_eq_nocase(p->fields[i].name, name)) {
			*value = p->fields[i].value;
			return true;
		}
	return false;
}

bool sl_deb822_lines(struct sl_blob *it, struct sl_blob *line)
{
	while (it->len > 0) {
		struct sl_blob head;
		sl_blob_split(it, '\n', &head);
		head = sl_blob_trim(head);
		if (head.len > 0) {
			*line = head;
			return true;
		}
	}
	return false;
}
