/* bundle_manifest: canonical writer and strict streaming reader of a transfer bundle's manifest (format in
 * the header). The manifest is signed, but the reader still treats it as hostile: a stolen exporter key
 * must not be able to crash or exhaust the inside. */
#include "core/bundle_manifest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define MAX_FIELDS 10                 /* fields in one record: `source` has 9 after its tag */
#define MAX_SEQUENCE (1ull << 53)     /* sequences and sizes stay exact in JSON and SQLite */

/* ---- writing ---- */

static int put_enc(FILE *f, const char *s, bool optional)
{
	if (s == NULL)
		return fputc('-', f) == EOF ? -EIO : 0;
	if (optional && strcmp(s, "-") == 0)
		return fputs("%2D", f) == EOF ? -EIO : 0;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		int r = (*c > 0x20 && *c < 0x7f && *c != '%') ? fputc(*c, f) : fprintf(f, "%%%02X", *c);
		if (r < 0)
			return -EIO;
	}
	return 0;
}

int sl_bundle_write_header(FILE *f, const struct sl_bundle_header *h)
{
	int r = fprintf(f, "sluice-bundle\t%d\nexporter\t%s\nsequence\t%" PRIu64 "\ncreated\t%" PRId64
			"\nvalid-until\t%" PRId64 "\n", h->format == SL_BUNDLE_FORMAT_DELTA ? SL_BUNDLE_FORMAT_DELTA :
			SL_BUNDLE_FORMAT, h->exporter, h->sequence, h->created, h->valid_until);
	if (r < 0)
		return -EIO;
	if (h->base == SL_BASE_FULL)
		r = fprintf(f, "base\tfull\n");
	else if (h->base == SL_BASE_SINCE)
		r = fprintf(f, "base\tsince\t%" PRIu64 "\n", h->base_since);
	else
		r = fprintf(f, "base\tack\t%s\n", h->base_ack);
	return r < 0 ? -EIO : 0;
}

int sl_bundle_write_source(FILE *f, const struct sl_bundle_source *s)
{
	if (fprintf(f, "source\t%s\t%s\t%" PRId64 "\t%s\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t", s->name, s->type,
		    s->snapshot_id, s->content_digest, s->upstream_date, s->n_entries, s->total_bytes) < 0)
		return -EIO;
	int r = put_enc(f, s->summary, true);
	return r < 0 ? r : fputc('\n', f) == EOF ? -EIO : 0;
}

int sl_bundle_write_entry(FILE *f, const struct sl_entry *e)
{
	int r = fputs("entry\t", f) == EOF ? -EIO : 0;
	if (r == 0)
		r = put_enc(f, e->path, false);
	if (r == 0 && fprintf(f, "\t%s\t%" PRIu64 "\t", e->sha256, e->size) < 0)
		r = -EIO;
	if (r == 0)
		r = put_enc(f, e->role, false);
	if (r == 0)
		r = fputc('\t', f) == EOF ? -EIO : 0;
	if (r == 0)
		r = put_enc(f, e->meta_json, true);
	if (r == 0)
		r = fputc('\n', f) == EOF ? -EIO : 0;
	return r;
}

int sl_bundle_write_delta_of(FILE *f, const struct sl_bundle_delta *d)
{
	return fprintf(f, "delta-of\t%" PRId64 "\t%s\t%" PRIu64 "\n", d->base_snapshot, d->base_digest,
		       d->n_listed) < 0 ? -EIO : 0;
}

int sl_bundle_write_drop(FILE *f, const char *path)
{
	int r = fputs("drop\t", f) == EOF ? -EIO : 0;
	if (r == 0)
		r = put_enc(f, path, false);
	return r < 0 ? r : fputc('\n', f) == EOF ? -EIO : 0;
}

int sl_bundle_write_object(FILE *f, const struct sl_bundle_object *o)
{
	return fprintf(f, "object\t%s\t%" PRIu64 "\t%u\n", o->sha256, o->size, o->volume) < 0 ? -EIO : 0;
}

static const char *const op_names[] = { [SL_BUILD_PATCH] = "patch", [SL_BUILD_UNPACK] = "unpack",
					[SL_BUILD_PACK] = "pack" };

int sl_bundle_write_build(FILE *f, const struct sl_bundle_build *b)
{
	if (b->op < SL_BUILD_PATCH || b->op > SL_BUILD_PACK)
		return -EINVAL;
	if (fprintf(f, "build\t%s\t%" PRIu64 "\t%s\t%s\t%s\t", b->target, b->size, op_names[b->op], b->in1,
		    b->in2[0] ? b->in2 : "-") < 0)
		return -EIO;
	int r = put_enc(f, b->token[0] ? b->token : NULL, true);
	return r < 0 ? r : fputc('\n', f) == EOF ? -EIO : 0;
}

int sl_bundle_write_end(FILE *f, int format, const struct sl_bundle_end *e)
{
	int r = fprintf(f, "end\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%u", e->n_sources, e->n_objects,
			e->object_bytes, e->volumes);
	if (r >= 0 && format == SL_BUNDLE_FORMAT_DELTA)
		r = fprintf(f, "\t%" PRIu64, e->n_builds);
	return r < 0 || fputc('\n', f) == EOF ? -EIO : 0;
}

/* ---- reading ---- */

enum phase { PH_START, PH_HEADER_DONE, PH_SOURCES, PH_OBJECTS, PH_BUILDS, PH_ENDED, PH_DONE };

struct sl_bundle_reader {
	const char *mem;
	size_t len, pos;
	FILE *f;
	uint64_t lineno;
	char *line;                     /* SL_MAX_BUNDLE_LINE + 1 */
	char *dec[3];                   /* decoded text fields of the current record */
	enum phase phase;
	struct sl_bundle_header h;
	struct sl_bundle_source s;
	struct sl_entry e;
	struct sl_bundle_object o;
	struct sl_bundle_delta d;
	struct sl_bundle_build b;
	struct sl_bundle_end end;
	/* running checks */
	uint64_t n_sources, entries_left, entry_bytes, n_objects, object_bytes, n_builds;
	bool delta_due;                 /* a source of format 2 may be followed by delta-of */
	bool in_delta;                  /* the current source's records are changes */
	char last_name[SL_MAX_NAME + 1];
	char *last_path;                /* SL_MAX_REL_PATH + 1 */
	char last_sha[SL_SHA256_HEX];
	unsigned last_volume;
	bool have_path;
};

static struct sl_bundle_reader *reader_new(void)
{
	struct sl_bundle_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->line = malloc(SL_MAX_BUNDLE_LINE + 2);
	r->last_path = malloc(SL_MAX_REL_PATH + 1);
	for (int i = 0; i < 3; i++)
		r->dec[i] = malloc(SL_MAX_BUNDLE_LINE + 1);
	if (r->line == NULL || r->last_path == NULL || r->dec[0] == NULL || r->dec[1] == NULL || r->dec[2] == NULL) {
		sl_bundle_reader_free(r);
		return NULL;
	}
	return r;
}

struct sl_bundle_reader *sl_bundle_reader_mem(const void *data, size_t len)
{
	struct sl_bundle_reader *r = reader_new();
	if (r != NULL) {
		r->mem = data != NULL ? data : "";
		r->len = data != NULL ? len : 0;
	}
	return r;
}

struct sl_bundle_reader *sl_bundle_reader_file(FILE *f)
{
	struct sl_bundle_reader *r = reader_new();
	if (r != NULL)
		r->f = f;
	return r;
}

void sl_bundle_reader_free(struct sl_bundle_reader *r)
{
	if (r == NULL)
		return;
	free(r->line);
	free(r->last_path);
	for (int i = 0; i < 3; i++)
		free(r->dec[i]);
	free(r);
}

/* One line without its '\n' into r->line: 1, 0 at end of input, or negative. A last line without '\n'
 * is malformed (a truncated manifest must not parse). */
static int next_line(struct sl_bundle_reader *r, size_t *len_out, char **cause)
{
	size_t n = 0;
	r->lineno++;
	for (;;) {
		int c;
		if (r->f != NULL) {
			c = getc(r->f);
			if (c == EOF && ferror(r->f))
				return sl_cause(cause, -EIO, "manifest line %" PRIu64 ": read error", r->lineno);
		} else {
			c = r->pos < r->len ? (unsigned char)r->mem[r->pos++] : EOF;
		}
		if (c == EOF) {
			if (n == 0)
				return 0;
			return sl_cause(cause, -SL_E_PARSE, "manifest line %" PRIu64 ": no newline at the end (truncated?)",
					r->lineno);
		}
		if (c == '\n')
			break;
		if (n >= SL_MAX_BUNDLE_LINE)
			return sl_cause(cause, -SL_E_TOOBIG, "manifest line %" PRIu64 ": longer than %u bytes", r->lineno,
					(unsigned)SL_MAX_BUNDLE_LINE);
		if (c < 0x20 && c != '\t')
			return sl_cause(cause, -SL_E_PARSE, "manifest line %" PRIu64 ": control character", r->lineno);
		if (c > 0x7e)
			return sl_cause(cause, -SL_E_PARSE, "manifest line %" PRIu64 ": byte outside ASCII", r->lineno);
		r->line[n++] = (char)c;
	}
	r->line[n] = '\0';
	*len_out = n;
	return 1;
}

static int split(char *line, char *f[MAX_FIELDS + 1])
{
	int n = 0;
	for (char *p = line;;) {
		if (n > MAX_FIELDS)
			return -1;
		f[n++] = p;
		char *t = strchr(p, '\t');
		if (t == NULL)
			break;
		*t = '\0';
		p = t + 1;
	}
	return n;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode into out (NUL-terminated, at most cap bytes of text); NULL text for "-" when optional. The one
 * canonical encoding only; a decoded NUL is refused. */
static bool decode(const char *in, char *out, size_t cap, bool optional, bool *is_null)
{
	*is_null = false;
	if (optional && strcmp(in, "-") == 0) {
		*is_null = true;
		return true;
	}
	size_t n = 0;
	for (const char *c = in; *c; c++) {
		unsigned char b = (unsigned char)*c;
		if (b <= 0x20)
			return false;   /* a blank is written %20: one encoding per value */
		if (b == '%') {
			int hi = hexval(c[1]), lo = hi < 0 ? -1 : hexval(c[2]);
			if (lo < 0)
				return false;
			b = (unsigned char)(hi * 16 + lo);
			c += 2;
			bool literal = b > 0x20 && b < 0x7f && b != '%';
			/* "%2D" alone is the optional field's literal "-" */
			if (b == 0 || (literal && !(optional && b == '-' && strcmp(in, "%2D") == 0)))
				return false;
		}
		if (n >= cap)
			return false;
		out[n++] = (char)b;
	}
	out[n] = '\0';
	return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 20)
		return false;
	uint64_t v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
	uint64_t v;
	if (!parse_u64(s, MAX_SEQUENCE, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

static bool valid_fpr(const char *s)
{
	if (strlen(s) != 40)
		return false;
	for (const char *c = s; *c; c++)
		if (hexval(*c) < 0)
			return false;
	return true;
}

static bool valid_word(const char *s, size_t cap)
{
	size_t n = strlen(s);
	if (n == 0 || n > cap)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
			return false;
	return true;
}

#define BAD(...) sl_cause(cause, -SL_E_PARSE, __VA_ARGS__)

static int header_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	static const char *const order[] = { "sluice-bundle", "exporter", "sequence", "created", "valid-until", "base" };
	uint64_t ln = r->lineno, v;
	unsigned idx = (unsigned)(ln - 1);
	if (idx >= 6 || strcmp(f[0], order[idx]) != 0)
		return BAD("manifest line %" PRIu64 ": expected '%s'", ln, idx < 6 ? order[idx] : "source");
	switch (idx) {
	case 0:
		if (nf != 2 || (strcmp(f[1], "1") != 0 && strcmp(f[1], "2") != 0))
			return BAD("manifest line 1: not a sluice bundle of format %d or %d", SL_BUNDLE_FORMAT,
				   SL_BUNDLE_FORMAT_DELTA);
		r->h.format = f[1][0] - '0';
		break;
	case 1:
		if (nf != 2 || !valid_fpr(f[1]))
			return BAD("manifest line 2: exporter is not a 40-digit uppercase fingerprint");
		memcpy(r->h.exporter, f[1], 41);
		break;
	case 2:
		if (nf != 2 || !parse_u64(f[1], MAX_SEQUENCE, &v) || v == 0)
			return BAD("manifest line 3: bad sequence");
		r->h.sequence = v;
		break;
	case 3:
	case 4:
		if (nf != 2 || !parse_i64(f[1], idx == 3 ? &r->h.created : &r->h.valid_until))
			return BAD("manifest line %u: bad time", idx + 1);
		if (idx == 4 && r->h.valid_until < r->h.created)
			return BAD("manifest line 5: valid-until before created");
		break;
	case 5:
		if (nf == 2 && strcmp(f[1], "full") == 0) {
			r->h.base = SL_BASE_FULL;
		} else if (nf == 3 && strcmp(f[1], "since") == 0 && parse_u64(f[2], MAX_SEQUENCE, &v) &&
			   v < r->h.sequence) {
			r->h.base = SL_BASE_SINCE;
			r->h.base_since = v;
		} else if (nf == 3 && strcmp(f[1], "ack") == 0 && sl_digest_valid_sha256(f[2])) {
			r->h.base = SL_BASE_ACK;
			memcpy(r->h.base_ack, f[2], SL_SHA256_HEX);
		} else {
			return BAD("manifest line 6: base is not 'full', 'since N' (N < sequence) or 'ack SHA256'");
		}
		r->phase = PH_HEADER_DONE;
		return SL_BREC_HEADER;
	}
	return 0;   /* more header lines to come */
}

static int source_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno;
	struct sl_bundle_source *s = &r->s;
	uint64_t snap;
	bool null;
	if (nf != 9)
		return BAD("manifest line %" PRIu64 ": a source has 8 fields", ln);
	if (!valid_word(f[1], SL_MAX_NAME) || !valid_word(f[2], sizeof s->type - 1))
		return BAD("manifest line %" PRIu64 ": bad source name or type", ln);
	if (r->n_sources > 0 && strcmp(f[1], r->last_name) <= 0)
		return BAD("manifest line %" PRIu64 ": source '%s' out of order or repeated", ln, f[1]);
	if (r->n_sources >= SL_MAX_SOURCES)
		return sl_cause(cause, -SL_E_TOOBIG, "manifest line %" PRIu64 ": more than %d sources", ln, SL_MAX_SOURCES);
	if (!parse_u64(f[3], MAX_SEQUENCE, &snap) || snap == 0 || !sl_digest_valid_sha256(f[4]) ||
	    !parse_i64(f[5], &s->upstream_date) || !parse_u64(f[6], SL_MAX_BUNDLE_ENTRIES, &s->n_entries) ||
	    !parse_u64(f[7], MAX_SEQUENCE, &s->total_bytes))
		return BAD("manifest line %" PRIu64 ": bad source field", ln);
	if (s->n_entries == 0 && s->total_bytes != 0)
		return BAD("manifest line %" PRIu64 ": a source without entries has no bytes", ln);
	if (!decode(f[8], r->dec[2], SL_MAX_BUNDLE_LINE, true, &null))
		return BAD("manifest line %" PRIu64 ": bad summary encoding", ln);
	snprintf(s->name, sizeof s->name, "%s", f[1]);
	snprintf(s->type, sizeof s->type, "%s", f[2]);
	s->snapshot_id = (int64_t)snap;
	memcpy(s->content_digest, f[4], SL_SHA256_HEX);
	s->summary = null ? NULL : r->dec[2];
	snprintf(r->last_name, sizeof r->last_name, "%s", f[1]);
	r->n_sources++;
	r->entries_left = s->n_entries;
	r->entry_bytes = 0;
	r->have_path = false;
	r->in_delta = false;
	r->delta_due = r->h.format == SL_BUNDLE_FORMAT_DELTA;
	return SL_BREC_SOURCE;
}

static int delta_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno, snap;
	if (nf != 4 || !parse_u64(f[1], MAX_SEQUENCE, &snap) || snap == 0 || !sl_digest_valid_sha256(f[2]) ||
	    !parse_u64(f[3], SL_MAX_BUNDLE_ENTRIES, &r->d.n_listed))
		return BAD("manifest line %" PRIu64 ": bad delta-of", ln);
	r->d.base_snapshot = (int64_t)snap;
	memcpy(r->d.base_digest, f[2], SL_SHA256_HEX);
	r->delta_due = false;
	r->in_delta = true;
	r->entries_left = r->d.n_listed;
	return SL_BREC_DELTA;
}

/* A path record's path: decoded into dec[0], in order after the source's previous one. */
static int take_path(struct sl_bundle_reader *r, const char *field, char **cause)
{
	uint64_t ln = r->lineno;
	bool null;
	if (!decode(field, r->dec[0], SL_MAX_REL_PATH, false, &null) || r->dec[0][0] == '\0')
		return BAD("manifest line %" PRIu64 ": bad path", ln);
	if (r->have_path && strcmp(r->dec[0], r->last_path) <= 0)
		return BAD("manifest line %" PRIu64 ": path out of order or repeated", ln);
	memcpy(r->last_path, r->dec[0], strlen(r->dec[0]) + 1);
	r->have_path = true;
	return 0;
}

static int drop_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno;
	if (nf != 2)
		return BAD("manifest line %" PRIu64 ": a drop has 1 field", ln);
	if (r->entries_left == 0)
		return BAD("manifest line %" PRIu64 ": more changes than the delta of '%s' declares", ln, r->s.name);
	int rc = take_path(r, f[1], cause);
	if (rc < 0)
		return rc;
	r->s.summary = NULL;
	r->e = (struct sl_entry){ .path = r->dec[0] };
	r->entries_left--;
	return SL_BREC_DROP;
}

static int entry_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno;
	bool null;
	if (nf != 6)
		return BAD("manifest line %" PRIu64 ": an entry has 5 fields", ln);
	if (r->entries_left == 0)
		return BAD("manifest line %" PRIu64 ": more entries than source '%s' declares", ln, r->s.name);
	r->delta_due = false;
	int rc = take_path(r, f[1], cause);
	if (rc < 0)
		return rc;
	if (!sl_digest_valid_sha256(f[2]) || !parse_u64(f[3], SL_MAX_ARTIFACT_BYTES, &r->e.size))
		return BAD("manifest line %" PRIu64 ": bad digest or size", ln);
	if (!decode(f[4], r->dec[1], 64, false, &null) || r->dec[1][0] == '\0')
		return BAD("manifest line %" PRIu64 ": bad role", ln);
	/* The meta goes where the summary went: a source's summary is only valid until its first entry. */
	if (!decode(f[5], r->dec[2], SL_MAX_BUNDLE_LINE, true, &null))
		return BAD("manifest line %" PRIu64 ": bad meta encoding", ln);
	r->s.summary = NULL;
	memcpy(r->last_sha, f[2], SL_SHA256_HEX);
	r->e.path = r->dec[0];
	r->e.sha256 = r->last_sha;
	r->e.role = r->dec[1];
	r->e.meta_json = null ? NULL : r->dec[2];
	r->entries_left--;
	r->entry_bytes += r->e.size;
	if (r->entries_left == 0 && !r->in_delta && r->entry_bytes != r->s.total_bytes)
		return BAD("manifest line %" PRIu64 ": entries of '%s' add up to %" PRIu64 " bytes, not %" PRIu64, ln,
			   r->s.name, r->entry_bytes, r->s.total_bytes);
	return SL_BREC_ENTRY;
}

static int object_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno, vol;
	if (nf != 4 || !sl_digest_valid_sha256(f[1]) || !parse_u64(f[2], SL_MAX_ARTIFACT_BYTES, &r->o.size) ||
	    !parse_u64(f[3], SL_MAX_BUNDLE_VOLUMES, &vol) || vol == 0)
		return BAD("manifest line %" PRIu64 ": bad object", ln);
	if (r->n_objects > 0 && strcmp(f[1], r->o.sha256) <= 0)
		return BAD("manifest line %" PRIu64 ": object out of order or repeated", ln);
	if (vol < r->last_volume || vol > r->last_volume + 1 || (r->n_objects == 0 && vol != 1))
		return BAD("manifest line %" PRIu64 ": volumes must be numbered 1, 2, ... in object order", ln);
	if (r->object_bytes > MAX_SEQUENCE - r->o.size)
		return sl_cause(cause, -SL_E_TOOBIG, "manifest line %" PRIu64 ": objects too large", ln);
	memcpy(r->o.sha256, f[1], SL_SHA256_HEX);
	r->o.volume = (unsigned)vol;
	r->last_volume = (unsigned)vol;
	r->n_objects++;
	r->object_bytes += r->o.size;
	return SL_BREC_OBJECT;
}

static bool valid_token(const char *s)
{
	for (const char *c = s; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return false;
	return s[0] != '\0';
}

static int build_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno;
	struct sl_bundle_build *b = &r->b;
	bool null;
	if (r->h.format != SL_BUNDLE_FORMAT_DELTA)
		return BAD("manifest line %" PRIu64 ": a build record in a format 1 bundle", ln);
	if (r->n_builds >= SL_MAX_BUNDLE_BUILDS)
		return sl_cause(cause, -SL_E_TOOBIG, "manifest line %" PRIu64 ": more than %u builds", ln,
				(unsigned)SL_MAX_BUNDLE_BUILDS);
	if (nf != 7 || !sl_digest_valid_sha256(f[1]) || !parse_u64(f[2], SL_MAX_ARTIFACT_BYTES, &b->size) ||
	    !sl_digest_valid_sha256(f[4]))
		return BAD("manifest line %" PRIu64 ": bad build", ln);
	b->op = 0;
	for (int k = SL_BUILD_PATCH; k <= SL_BUILD_PACK; k++)
		if (strcmp(f[3], op_names[k]) == 0)
			b->op = (enum sl_bundle_op)k;
	bool want2 = b->op == SL_BUILD_PATCH, want_token = b->op == SL_BUILD_PACK;
	if (b->op == 0 || (want2 ? !sl_digest_valid_sha256(f[5]) : strcmp(f[5], "-") != 0))
		return BAD("manifest line %" PRIu64 ": bad build operation or inputs", ln);
	if (!decode(f[6], r->dec[1], SL_MAX_BUNDLE_TOKEN, true, &null) || null == want_token ||
	    (want_token && !valid_token(r->dec[1])))
		return BAD("manifest line %" PRIu64 ": bad build token", ln);
	/* A compressed index and its plain form are indices: a signed line cannot make the inside compress
	 * or decompress more than one may hold. */
	if (b->op != SL_BUILD_PATCH && b->size > SL_MAX_INDEX_BYTES)
		return sl_cause(cause, -SL_E_TOOBIG, "manifest line %" PRIu64 ": a %s build larger than %llu bytes", ln,
				f[3], (unsigned long long)SL_MAX_INDEX_BYTES);
	memcpy(b->target, f[1], SL_SHA256_HEX);
	memcpy(b->in1, f[4], SL_SHA256_HEX);
	snprintf(b->in2, sizeof b->in2, "%s", want2 ? f[5] : "");
	snprintf(b->token, sizeof b->token, "%s", want_token ? r->dec[1] : "");
	r->n_builds++;
	return SL_BREC_BUILD;
}

static int end_line(struct sl_bundle_reader *r, char **f, int nf, char **cause)
{
	uint64_t ln = r->lineno, vols;
	struct sl_bundle_end *e = &r->end;
	int want = r->h.format == SL_BUNDLE_FORMAT_DELTA ? 6 : 5;
	e->n_builds = 0;
	if (nf != want || !parse_u64(f[1], SL_MAX_SOURCES, &e->n_sources) ||
	    !parse_u64(f[2], MAX_SEQUENCE, &e->n_objects) || !parse_u64(f[3], MAX_SEQUENCE, &e->object_bytes) ||
	    !parse_u64(f[4], SL_MAX_BUNDLE_VOLUMES, &vols) || vols == 0 ||
	    (want == 6 && !parse_u64(f[5], SL_MAX_BUNDLE_BUILDS, &e->n_builds)))
		return BAD("manifest line %" PRIu64 ": bad end", ln);
	e->volumes = (unsigned)vols;
	if (e->n_builds != r->n_builds)
		return BAD("manifest line %" PRIu64 ": end counts %" PRIu64 " builds, the records %" PRIu64, ln,
			   e->n_builds, r->n_builds);
	if (e->n_sources != r->n_sources || e->n_objects != r->n_objects || e->object_bytes != r->object_bytes)
		return BAD("manifest line %" PRIu64 ": end counts (%" PRIu64 " sources, %" PRIu64 " objects, %" PRIu64
			   " bytes) do not match the records", ln, e->n_sources, e->n_objects, e->object_bytes);
	if (vols < r->last_volume || (r->n_objects > 0 && vols != r->last_volume) || (r->n_objects == 0 && vols != 1))
		return BAD("manifest line %" PRIu64 ": %u volumes, but objects name volume %u", ln, e->volumes,
			   r->last_volume);
	r->phase = PH_ENDED;
	return SL_BREC_END;
}

int sl_bundle_next(struct sl_bundle_reader *r, char **cause)
{
	for (;;) {
		if (r->phase == PH_ENDED || r->phase == PH_DONE) {
			size_t len;
			int rc = next_line(r, &len, cause);
			if (rc < 0)
				return rc;
			if (rc > 0)
				return BAD("manifest line %" PRIu64 ": text after 'end'", r->lineno);
			r->phase = PH_DONE;
			return SL_BREC_EOF;
		}
		size_t len;
		int rc = next_line(r, &len, cause);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return BAD("manifest ends at line %" PRIu64 " without 'end' (truncated?)", r->lineno);
		char *f[MAX_FIELDS + 1] = { 0 };
		int nf = split(r->line, f);
		if (nf < 0)
			return BAD("manifest line %" PRIu64 ": too many fields", r->lineno);
		if (r->phase == PH_START) {
			rc = header_line(r, f, nf, cause);
			if (rc != 0)
				return rc;
			continue;
		}
		bool entries_due = r->n_sources > 0 && r->entries_left > 0;
		if (strcmp(f[0], "delta-of") == 0 && r->phase == PH_SOURCES && r->delta_due)
			return delta_line(r, f, nf, cause);
		r->delta_due = false;
		if (strcmp(f[0], "entry") == 0 && r->phase == PH_SOURCES)
			return entry_line(r, f, nf, cause);
		if (strcmp(f[0], "drop") == 0 && r->phase == PH_SOURCES && r->in_delta)
			return drop_line(r, f, nf, cause);
		if (entries_due)
			return BAD("manifest line %" PRIu64 ": source '%s' has %" PRIu64 " entries left", r->lineno,
				   r->s.name, r->entries_left);
		if (strcmp(f[0], "source") == 0 && r->phase <= PH_SOURCES) {
			r->phase = PH_SOURCES;
			return source_line(r, f, nf, cause);
		}
		if (strcmp(f[0], "object") == 0 && r->phase <= PH_OBJECTS) {
			r->phase = PH_OBJECTS;
			return object_line(r, f, nf, cause);
		}
		if (strcmp(f[0], "build") == 0 && r->phase <= PH_BUILDS) {
			r->phase = PH_BUILDS;
			return build_line(r, f, nf, cause);
		}
		if (strcmp(f[0], "end") == 0)
			return end_line(r, f, nf, cause);
		return BAD("manifest line %" PRIu64 ": unexpected record '%.32s'", r->lineno, f[0]);
	}
}

const struct sl_bundle_header *sl_bundle_header(const struct sl_bundle_reader *r)
{
	return &r->h;
}

const struct sl_bundle_source *sl_bundle_source(const struct sl_bundle_reader *r)
{
	return &r->s;
}

const struct sl_entry *sl_bundle_entry(const struct sl_bundle_reader *r)
{
	return &r->e;
}

const struct sl_bundle_object *sl_bundle_object(const struct sl_bundle_reader *r)
{
	return &r->o;
}

const struct sl_bundle_delta *sl_bundle_delta(const struct sl_bundle_reader *r)
{
	return &r->d;
}

const struct sl_bundle_build *sl_bundle_build(const struct sl_bundle_reader *r)
{
	return &r->b;
}

const struct sl_bundle_end *sl_bundle_end(const struct sl_bundle_reader *r)
{
	return &r->end;
}

int sl_bundle_manifest_check(const void *data, size_t len, struct sl_bundle_header *h, struct sl_bundle_end *e,
			     char **cause)
{
	if (len > SL_MAX_BUNDLE_MANIFEST)
		return sl_cause(cause, -SL_E_TOOBIG, "manifest larger than %u bytes", (unsigned)SL_MAX_BUNDLE_MANIFEST);
	struct sl_bundle_reader *r = sl_bundle_reader_mem(data, len);
	if (r == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int rc;
	while ((rc = sl_bundle_next(r, cause)) > 0)
		;
	if (rc == 0 && h != NULL)
		*h = r->h;
	if (rc == 0 && e != NULL)
		*e = r->end;
	sl_bundle_reader_free(r);
	return rc;
}

/* ---- tar members ---- */

int sl_bundle_member_parse(const char *name, char sha_out[SL_SHA256_HEX], const char **why)
{
	static const struct {
		const char *name;
		int kind;
	} fixed[] = {
		{ "MANIFEST", SL_MEMBER_MANIFEST },
		{ "MANIFEST.sig", SL_MEMBER_SIGNATURE },
		{ "VOLUME", SL_MEMBER_VOLUME },
		{ "END", SL_MEMBER_END },
	};
	*why = NULL;
	if (name == NULL || name[0] == '\0') {
		*why = "empty member name";
		return -SL_E_BADNAME;
	}
	if (name[0] == '/') {
		*why = "absolute member name";
		return -SL_E_BADNAME;
	}
	for (const char *p = name; (p = strstr(p, "..")) != NULL; p++) {
		if ((p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) {
			*why = "member name with '..'";
			return -SL_E_BADNAME;
		}
	}
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strcmp(name, fixed[i].name) == 0)
			return fixed[i].kind;
	if (strncmp(name, "objects/", 8) == 0 && sl_digest_valid_sha256(name + 8)) {
		memcpy(sha_out, name + 8, SL_SHA256_HEX);
		return SL_MEMBER_OBJECT;
	}
	*why = "member a bundle never contains";
	return -SL_E_BADNAME;
}

/* Space-separated decimal fields of a one-line member, exactly n of them, then "\n". */
static bool small_fields(const char *text, size_t len, uint64_t *v, int n)
{
	char buf[128];
	if (len == 0 || len >= sizeof buf || text[len - 1] != '\n')
		return false;
	memcpy(buf, text, len - 1);
	buf[len - 1] = '\0';
	char *save = NULL, *tok = strtok_r(buf, " ", &save);
	for (int i = 0; i < n; i++, tok = strtok_r(NULL, " ", &save))
		if (tok == NULL || !parse_u64(tok, MAX_SEQUENCE, &v[i]))
			return false;
	return tok == NULL;
}

int sl_bundle_volume_parse(const char *text, size_t len, uint64_t *seq, unsigned *k, unsigned *n)
{
	uint64_t v[3];
	if (!small_fields(text, len, v, 3) || v[1] == 0 || v[2] == 0 || v[1] > v[2] || v[2] > SL_MAX_BUNDLE_VOLUMES)
		return -SL_E_PARSE;
	*seq = v[0];
	*k = (unsigned)v[1];
	*n = (unsigned)v[2];
	return 0;
}

int sl_bundle_end_parse(const char *text, size_t len, unsigned *k, uint64_t *n_objects)
{
	uint64_t v[2];
	if (!small_fields(text, len, v, 2) || v[0] == 0 || v[0] > SL_MAX_BUNDLE_VOLUMES)
		return -SL_E_PARSE;
	*k = (unsigned)v[0];
	*n_objects = v[1];
	return 0;
}
