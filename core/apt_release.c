/* apt_release: strict parsing of APT Release files into owned fields and a sorted SHA256 table. */
#include "core/apt_release.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/deb822.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/path.h"

#define RELEASE_SHOW_MAX 80   /* bytes of an offending value quoted in a cause */

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

struct rel_ctx {
	struct sl_apt_release *r;
	char **cause;
	unsigned paras;
	size_t files_cap;
};


/* Printable excerpt of untrusted bytes for an error message. */
static void show(struct sl_blob b, char out[RELEASE_SHOW_MAX + 4])
{
	size_t n = b.len < RELEASE_SHOW_MAX ? b.len : RELEASE_SHOW_MAX;
	for (size_t i = 0; i < n; i++)
		out[i] = (b.p[i] >= 0x20 && b.p[i] < 0x7f) ? (char)b.p[i] : '?';
	strcpy(out + n, b.len > n ? "..." : "");
}

static unsigned line_of(const struct sl_deb822_para *p, const uint8_t *at)
{
	unsigned line = p->line;
	for (const uint8_t *q = p->raw.p; q < at && q < p->raw.p + p->raw.len; q++)
		if (*q == '\n')
			line++;
	return line;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at *s (advanced). */
static bool digits(struct sl_blob *s, size_t min, size_t max, int *out)
{
	size_t i = 0;
	int v = 0;
	while (i < s->len && i < max && is_digit(s->p[i])) {
		v = v * 10 + (s->p[i] - '0');
		i++;
	}
	if (i < min)
		return false;
	s->p += i;
	s->len -= i;
	*out = v;
	return true;
}

static bool lit(struct sl_blob *s, char c)
{
	if (s->len == 0 || s->p[0] != c)
		return false;
	s->p++;
	s->len--;
	return true;
}

static bool spaces(struct sl_blob *s)
{
	size_t i = 0;
	while (i < s->len && (s->p[i] == ' ' || s->p[i] == '\t'))
		i++;
	s->p += i;
	s->len -= i;
	return i > 0;
}

static int word(struct sl_blob *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (s->len >= 3 && memcmp(s->p, names[i], 3) == 0) {
			s->p += 3;
			s->len -= 3;
			return i;
		}
	return -1;
}

int sl_apt_date_parse(const char *str, size_t len, time_t *out)
{
	struct sl_blob s = sl_blob_trim((struct sl_blob){ (const uint8_t *)str, len });
	int day, mon, year, hh, mm, ss, off = 0;
	if (s.len > 0 && !is_digit(s.p[0])) {
		if (word(&s, wdays, 7) < 0 || !lit(&s, ','))
			return -SL_E_PARSE;
		spaces(&s);
	}
	if (!digits(&s, 1, 2, &day) || !spaces(&s))
		return -SL_E_PARSE;
	mon = word(&s, months, 12);
	if (mon < 0 || !spaces(&s) || !digits(&s, 4, 4, &year) || !spaces(&s))
		return -SL_E_PARSE;
	if (!digits(&s, 2, 2, &hh) || !lit(&s, ':') || !digits(&s, 2, 2, &mm) || !lit(&s, ':') ||
	    !digits(&s, 2, 2, &ss) || !spaces(&s))
		return -SL_E_PARSE;
	if (sl_blob_eq(s, "UTC") || sl_blob_eq(s, "GMT") || sl_blob_eq(s, "Z")) {
		off = 0;
	} else if (s.len == 5 && (s.p[0] == '+' || s.p[0] == '-')) {
		struct sl_blob z = { s.p + 1, 4 };
		int zh, zm;
		if (!digits(&z, 2, 2, &zh) || !digits(&z, 2, 2, &zm) || zh > 23 || zm > 59)
			return -SL_E_PARSE;
		off = (zh * 60 + zm) * 60 * (s.p[0] == '-' ? -1 : 1);
	} else {
		return -SL_E_PARSE;
	}
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (year < 1970 || day < 1 || day > mdays[mon] || (mon == 1 && day == 29 && !leap) || hh > 23 ||
	    mm > 59 || ss > 60)
		return -SL_E_PARSE;
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon, .tm_mday = day,
			 .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -SL_E_PARSE;
	*out = t - off;
	return 0;
}

int sl_apt_date_format(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -EOVERFLOW;
	int n = snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d UTC", wdays[tm.tm_wday], tm.tm_mday,
			 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= cap)
		return -SL_E_TOOBIG;
	return 0;
}

/* A single-line, printable field copied to the heap. */
static int take_str(const struct sl_deb822_para *p, const char *name, char **dst, char **cause)
{
	struct sl_blob v;
	if (!sl_deb822_get(p, name, &v))
		return 0;
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] < 0x20 || v.p[i] == 0x7f)
			return sl_cause(cause, -SL_E_PARSE, "line %u: %s: must be one line of printable text",
				     line_of(p, v.p), name);
	*dst = sl_blob_strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int take_date(const struct sl_deb822_para *p, const char *name, time_t *dst, char **cause)
{
	struct sl_blob v;
	char shown[RELEASE_SHOW_MAX + 4];
	if (!sl_deb822_get(p, name, &v))
		return 0;
	if (sl_apt_date_parse((const char *)v.p, v.len, dst) != 0 || *dst == 0) {
		show(v, shown);
		return sl_cause(cause, -SL_E_PARSE, "line %u: %s: bad date '%s'", line_of(p, v.p), name, shown);
	}
	return 0;
}

static bool arch_ok(struct sl_blob a)
{
	if (a.len == 0 || a.len > SL_MAX_NAME)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (!((a.p[i] >= 'a' && a.p[i] <= 'z') || is_digit(a.p[i]) || a.p[i] == '-'))
			return false;
	return true;
}

static int take_list(const struct sl_deb822_para *p, const char *name, bool is_arch, char ***dst, size_t *n,
		     char **cause)
{
	struct sl_blob v, tok;
	char shown[RELEASE_SHOW_MAX + 4];
	if (!sl_deb822_get(p, name, &v))
		return 0;
	struct sl_blob it = v;
	size_t count = 0;
	while (sl_blob_token(&it, " \t\r\n", &tok))
		count++;
	if (count > SL_MAX_LIST_ITEMS)
		return sl_cause(cause, -SL_E_TOOBIG, "line %u: %s: too many entries", line_of(p, v.p), name);
	*dst = calloc(count + 1, sizeof(char *));
	if (*dst == NULL)
		return -ENOMEM;
	it = v;
	while (sl_blob_token(&it, " \t\r\n", &tok)) {
		bool ok = is_arch ? arch_ok(tok) : sl_path_check_relative((const char *)tok.p, tok.len) == 0;
		if (!ok) {
			show(tok, shown);
			return sl_cause(cause, is_arch ? -SL_E_PARSE : -SL_E_BADNAME, "line %u: %s: invalid entry '%s'",
				     line_of(p, tok.p), name, shown);
		}
		(*dst)[*n] = sl_blob_strdup(tok);
		if ((*dst)[*n] == NULL)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sl_apt_release_file *)a)->path, ((const struct sl_apt_release_file *)b)->path);
}

static int take_files(struct rel_ctx *c, const struct sl_deb822_para *p)
{
	struct sl_apt_release *r = c->r;
	struct sl_blob v, it, line, hash, size, path, extra;
	char shown[RELEASE_SHOW_MAX + 4];
	if (!sl_deb822_get(p, "SHA256", &v))
		return sl_cause(c->cause, -SL_E_PARSE, "line %u: no SHA256 field", p->line);
	it = v;
	while (sl_deb822_lines(&it, &line)) {
		unsigned ln = line_of(p, line.p);
		struct sl_blob rest = line;
		show(line, shown);
		if (!sl_blob_token(&rest, " \t", &hash) || !sl_blob_token(&rest, " \t", &size) ||
		    !sl_blob_token(&rest, " \t", &path) || sl_blob_token(&rest, " \t", &extra))
			return sl_cause(c->cause, -SL_E_PARSE, "line %u: SHA256: expected '<hash> <size> <path>', got '%s'",
				     ln, shown);
		if (r->nfiles == c->files_cap) {
			size_t cap = c->files_cap ? c->files_cap * 2 : 64;
			struct sl_apt_release_file *f = realloc(r->files, cap * sizeof(*f));
			if (f == NULL)
				return -ENOMEM;
			r->files = f;
			c->files_cap = cap;
		}
		struct sl_apt_release_file *f = &r->files[r->nfiles];
		memset(f, 0, sizeof(*f));
		if (hash.len != 64)
			return sl_cause(c->cause, -SL_E_PARSE, "line %u: SHA256: bad hash in '%s'", ln, shown);
		for (size_t i = 0; i < 64; i++) {
			int h = hexval(hash.p[i]);
			if (h < 0)
				return sl_cause(c->cause, -SL_E_PARSE, "line %u: SHA256: bad hash in '%s'", ln, shown);
			f->sha256[i] = "0123456789abcdef"[h];
		}
		if (sl_blob_to_u64(size, &f->size) != 0)
			return sl_cause(c->cause, -SL_E_PARSE, "line %u: SHA256: bad size in '%s'", ln, shown);
		if (sl_path_check_relative((const char *)path.p, path.len) != 0)
			return sl_cause(c->cause, -SL_E_BADNAME, "line %u: SHA256: unsafe path in '%s'", ln, shown);
		f->path = sl_blob_strdup(path);
		if (f->path == NULL)
			return -ENOMEM;
		r->nfiles++;
	}
	if (r->nfiles == 0)
		return sl_cause(c->cause, -SL_E_PARSE, "line %u: SHA256 field lists no files", line_of(p, v.p));
	qsort(r->files, r->nfiles, sizeof(r->files[0]), file_cmp);
	for (size_t i = 1; i < r->nfiles; i++)
		if (strcmp(r->files[i - 1].path, r->files[i].path) == 0)
			return sl_cause(c->cause, -SL_E_PARSE, "SHA256: '%.*s' listed twice", RELEASE_SHOW_MAX,
				     r->files[i].path);
	return 0;
}

static int release_cb(void *arg, const struct sl_deb822_para *p)
{
	struct rel_ctx *c = arg;
	struct sl_apt_release *r = c->r;
	struct sl_blob v;
	int rc = 0;
	if (c->paras++ > 0)
		return sl_cause(c->cause, -SL_E_PARSE, "line %u: more than one paragraph in a Release file", p->line);
	static const struct {
		const char *name;
		size_t off;
	} strs[] = {
		{ "Origin", offsetof(struct sl_apt_release, origin) },
		{ "Label", offsetof(struct sl_apt_release, label) },
		{ "Suite", offsetof(struct sl_apt_release, suite) },
		{ "Codename", offsetof(struct sl_apt_release, codename) },
		{ "Version", offsetof(struct sl_apt_release, version) },
		{ "Description", offsetof(struct sl_apt_release, description) },
	};
	for (size_t i = 0; rc == 0 && i < sizeof strs / sizeof strs[0]; i++)
		rc = take_str(p, strs[i].name, (char **)((char *)r + strs[i].off), c->cause);
	if (rc == 0)
		rc = take_date(p, "Date", &r->date, c->cause);
	if (rc == 0)
		rc = take_date(p, "Valid-Until", &r->valid_until, c->cause);
	if (rc == 0)
		rc = take_list(p, "Architectures", true, &r->architectures, &r->narchitectures, c->cause);
	if (rc == 0)
		rc = take_list(p, "Components", false, &r->components, &r->ncomponents, c->cause);
	if (rc == 0 && sl_deb822_get(p, "Acquire-By-Hash", &v))
		r->acquire_by_hash = sl_blob_eq_nocase(v, "yes");
	if (rc == 0)
		rc = take_files(c, p);
	if (rc == -ENOMEM)
		sl_cause(c->cause, rc, "out of memory");
	return rc;
}

int sl_apt_release_parse(const void *text, size_t len, struct sl_apt_release *out, char **cause)
{
	memset(out, 0, sizeof(*out));
	if (cause != NULL)
		*cause = NULL;
	if (len > SL_MAX_RELEASE_BYTES)
		return sl_cause(cause, -SL_E_TOOBIG, "Release file larger than %u bytes", SL_MAX_RELEASE_BYTES);
	struct rel_ctx c = { .r = out, .cause = cause };
	struct sl_deb822 *d = sl_deb822_new(release_cb, &c);
	if (d == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int rc = sl_deb822_feed(d, text, len);
	if (rc == 0)
		rc = sl_deb822_finish(d);
	if (rc != 0 && *sl_deb822_error(d) != '\0')
		sl_cause(cause, rc, "line %u: %s", sl_deb822_line(d), sl_deb822_error(d));
	sl_deb822_free(d);
	if (rc == 0 && c.paras == 0)
		rc = sl_cause(cause, -SL_E_PARSE, "empty Release file");
	if (rc != 0)
		sl_apt_release_release(out);
	return rc;
}

static void free_list(char **l, size_t n)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void sl_apt_release_release(struct sl_apt_release *r)
{
	if (r == NULL)
		return;
	free(r->origin);
	free(r->label);
	free(r->suite);
	free(r->codename);
	free(r->version);
	free(r->description);
	free_list(r->architectures, r->narchitectures);
	free_list(r->components, r->ncomponents);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	memset(r, 0, sizeof(*r));
}

const struct sl_apt_release_file *sl_apt_release_find(const struct sl_apt_release *r, const char *path)
{
	struct sl_apt_release_file key = { .path = (char *)path };
	if (r->nfiles == 0)
		return NULL;
	return bsearch(&key, r->files, r->nfiles, sizeof(r->files[0]), file_cmp);
}

static bool in_list(char **l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

bool sl_apt_release_has_arch(const struct sl_apt_release *r, const char *arch)
{
	return in_list(r->architectures, r->narchitectures, arch);
}

bool sl_apt_release_has_component(const struct sl_apt_release *r, const char *component)
{
	return in_list(r->components, r->ncomponents, component);
}
