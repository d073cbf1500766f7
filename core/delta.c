/* delta: content-defined chunk matching between two versions of a file (sl_delta_make) and the defensive
 * reader of the resulting patch (sl_delta_apply). Format and guarantees are in delta.h. */
#include "core/delta.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"

#define CHUNK_MIN   64                          /* bytes: no cut before this, so the rolling hash (a 64-byte window) depends on content only */
#define LINE_MASK   (0xFull << 60)              /* at a newline, 1 in 16 lines ends a chunk: XML indices have no blank lines */
#define BYTE_MASK   (0x1FFFull << 51)           /* anywhere, 1 in 8192 bytes ends a chunk: binary data has few newlines */
#define TABLE_START 4096                        /* slots of a fresh chunk table; doubles at half load */
#define POS_LEN_BITS 17                         /* a slot packs offset << 17 | length: lengths up to SL_DELTA_CHUNK_MAX */
#define VARINT_MAX  10                          /* bytes of a 64-bit LEB128 varint */
#define IO_BUF      SL_DELTA_CHUNK_MAX          /* bytes per read and per write */

enum { TAG_END = 0, TAG_COPY = 1, TAG_ADD = 2 };

_Static_assert(SL_DELTA_CHUNK_MAX < (1u << POS_LEN_BITS), "chunk lengths must fit a slot");

/* ---- content-defined chunking ---- */

struct chunker {
	int fd;
	const uint64_t *gear;
	uint8_t *buf;        /* 2 * SL_DELTA_CHUNK_MAX: a whole chunk is always contiguous in it */
	size_t start, end;   /* bytes not yet cut: buf[start, end) */
	uint64_t buf_off;    /* file offset of buf[0] */
	bool eof;
};

/* splitmix64: a fixed pseudo-random byte → word table for the rolling hash. Both sides of a delta must
 * cut alike, so the table never changes (it is not part of the format: only the maker uses it). */
static void gear_init(uint64_t gear[256])
{
	uint64_t x = 0x736c756963650a01ull;
	for (int i = 0; i < 256; i++) {
		x += 0x9E3779B97F4A7C15ull;
		uint64_t z = x;
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		gear[i] = z ^ (z >> 31);
	}
}

/* Length of the chunk that starts at s, among lim bytes. Cuts after a blank line (one APT stanza per
 * chunk), at a newline where the rolling hash's top bits are zero, or anywhere at a rarer pattern. The
 * hash uses the top bits because after the shifts they depend on the last 64 bytes, the low ones on a few. */
static size_t cut(const uint8_t *s, size_t lim, const uint64_t *gear)
{
	if (lim <= CHUNK_MIN)
		return lim;
	uint64_t h = 0;
	size_t i;
	for (i = 0; i < CHUNK_MIN; i++)
		h = (h << 1) + gear[s[i]];
	for (; i < lim; i++) {
		uint8_t b = s[i];
		h = (h << 1) + gear[b];
		if (b == '\n' && (s[i - 1] == '\n' || (h & LINE_MASK) == 0))
			return i + 1;
		if ((h & BYTE_MASK) == 0)
			return i + 1;
	}
	return lim;
}

/* Next chunk: 1 with *p (valid until the next call), *len and its file offset *off; 0 at the end; -errno. */
static int chunk_next(struct chunker *c, const uint8_t **p, size_t *len, uint64_t *off)
{
	if (c->end - c->start < SL_DELTA_CHUNK_MAX && !c->eof) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->buf_off += c->start;
		c->end -= c->start;
		c->start = 0;
		ssize_t n = sl_fs_pread_full(c->fd, c->buf + c->end, 2 * SL_DELTA_CHUNK_MAX - c->end,
					     c->buf_off + c->end);
		if (n < 0)
			return (int)n;
		if ((size_t)n < 2 * SL_DELTA_CHUNK_MAX - c->end)
			c->eof = true;
		c->end += (size_t)n;
	}
	size_t avail = c->end - c->start;
	if (avail == 0)
		return 0;
	size_t n = cut(c->buf + c->start, avail < SL_DELTA_CHUNK_MAX ? avail : SL_DELTA_CHUNK_MAX, c->gear);
	*p = c->buf + c->start;
	*len = n;
	*off = c->buf_off + c->start;
	c->start += n;
	return 1;
}

/* ---- chunk table: open addressing, 64-bit hash → (offset, length) ---- */

struct slot {
	uint64_t h;
	uint64_t pos;   /* offset << POS_LEN_BITS | length; 0 = empty (lengths are >= 1) */
};

struct table {
	struct slot *s;
	size_t cap;     /* power of two */
	size_t count;
};

static uint64_t chunk_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ (w * 0xC2B2AE3D27D4EB4Full)) * 0xFF51AFD7ED558CCDull;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ (w * 0xC2B2AE3D27D4EB4Full)) * 0xFF51AFD7ED558CCDull;
	h ^= h >> 32;
	h *= 0xC4CEB9FE1A85EC53ull;
	return h ^ (h >> 33);
}

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : TABLE_START;
	struct slot *s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->s[i].pos == 0)
			continue;
		size_t j = (size_t)t->s[i].h & (cap - 1);
		while (s[j].pos != 0)
			j = (j + 1) & (cap - 1);
		s[j] = t->s[i];
	}
	free(t->s);
	t->s = s;
	t->cap = cap;
	return 0;
}

/* Index one chunk of the old file. A repeated hash keeps the first chunk (copies extend contiguously
 * before the table is asked, so duplicates lose little). */
static int table_add(struct table *t, uint64_t h, uint64_t off, size_t len)
{
	if ((t->count + 1) * 2 > t->cap) {
		int rc = table_grow(t);
		if (rc < 0)
			return rc;
	}
	size_t j = (size_t)h & (t->cap - 1);
	while (t->s[j].pos != 0) {
		if (t->s[j].h == h)
			return 0;
		j = (j + 1) & (t->cap - 1);
	}
	t->s[j].h = h;
	t->s[j].pos = off << POS_LEN_BITS | (uint64_t)len;
	t->count++;
	return 0;
}

/* Offset of an indexed chunk with this hash and length, or -1. */
static int64_t table_find(const struct table *t, uint64_t h, size_t len)
{
	if (t->cap == 0)
		return -1;
	size_t j = (size_t)h & (t->cap - 1);
	for (; t->s[j].pos != 0; j = (j + 1) & (t->cap - 1)) {
		if (t->s[j].h == h && (t->s[j].pos & ((1u << POS_LEN_BITS) - 1)) == len)
			return (int64_t)(t->s[j].pos >> POS_LEN_BITS);
	}
	return -1;
}

/* ---- making a patch ---- */

struct maker {
	int old_fd, new_fd, patch_fd;
	uint64_t max_patch;
	uint64_t written;        /* patch bytes so far, buffered ones included */
	uint8_t *out;            /* IO_BUF bytes not yet written */
	size_t out_len;
	uint8_t *scratch;        /* IO_BUF: old bytes to compare, new bytes to add */
	int pend;                /* TAG_COPY, TAG_ADD or -1: the op being extended */
	uint64_t pend_off;       /* old offset (COPY) or new offset (ADD) */
	uint64_t pend_len;
};

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static int out_put(struct maker *m, const void *data, size_t len)
{
	if (len > m->max_patch - m->written || m->written > m->max_patch)
		return -SL_E_TOOBIG;
	m->written += len;
	const uint8_t *p = data;
	while (len > 0) {
		size_t k = IO_BUF - m->out_len < len ? IO_BUF - m->out_len : len;
		memcpy(m->out + m->out_len, p, k);
		m->out_len += k;
		p += k;
		len -= k;
		if (m->out_len == IO_BUF) {
			int rc = sl_fs_write_all(m->patch_fd, m->out, m->out_len);
			if (rc < 0)
				return rc;
			m->out_len = 0;
		}
	}
	return 0;
}

static int out_op(struct maker *m, int tag, uint64_t a, uint64_t b, int nargs)
{
	uint8_t hdr[1 + 2 * VARINT_MAX];
	size_t n = 0;
	hdr[n++] = (uint8_t)tag;
	n += varint_put(hdr + n, a);
	if (nargs == 2)
		n += varint_put(hdr + n, b);
	return out_put(m, hdr, n);
}

/* Patch bytes the pending op will take. */
static uint64_t pend_cost(const struct maker *m)
{
	if (m->pend == TAG_COPY)
		return 1 + varint_len(m->pend_off) + varint_len(m->pend_len);
	if (m->pend == TAG_ADD)
		return 1 + varint_len(m->pend_len) + m->pend_len;
	return 0;
}

static int pend_flush(struct maker *m)
{
	int rc = 0;
	if (m->pend == TAG_COPY) {
		rc = out_op(m, TAG_COPY, m->pend_off, m->pend_len, 2);
	} else if (m->pend == TAG_ADD) {
		rc = out_op(m, TAG_ADD, m->pend_len, 0, 1);
		for (uint64_t done = 0; rc == 0 && done < m->pend_len;) {
			size_t k = m->pend_len - done < IO_BUF ? (size_t)(m->pend_len - done) : IO_BUF;
			ssize_t n = sl_fs_pread_full(m->new_fd, m->scratch, k, m->pend_off + done);
			if (n < 0)
				rc = (int)n;
			else if ((size_t)n != k)
				rc = -EIO;   /* the new file shrank while it was read */
			else
				rc = out_put(m, m->scratch, k);
			done += k;
		}
	}
	m->pend = -1;
	return rc;
}

/* 1 when the old file holds exactly p[0, len) at off, 0 when not, -errno. */
static int old_has(struct maker *m, uint64_t off, const uint8_t *p, size_t len)
{
	ssize_t n = sl_fs_pread_full(m->old_fd, m->scratch, len, off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len && memcmp(m->scratch, p, len) == 0;
}

/* Index the old file's chunks, up to SL_MAX_DELTA_CHUNKS. */
static int index_old(struct chunker *c, struct table *t)
{
	const uint8_t *p;
	size_t len;
	uint64_t off;
	while (t->count < SL_MAX_DELTA_CHUNKS) {
		int rc = chunk_next(c, &p, &len, &off);
		if (rc <= 0)
			return rc;
		rc = table_add(t, chunk_hash(p, len), off, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Walk the new file chunk by chunk: extend the current copy, start a copy found in the table, or add. */
static int walk_new(struct maker *m, struct chunker *c, const struct table *t)
{
	const uint8_t *p;
	size_t len;
	uint64_t off, total = 0;
	int rc;
	for (;;) {
		rc = chunk_next(c, &p, &len, &off);
		if (rc <= 0)
			break;
		total += len;
		rc = 0;
		if (m->pend == TAG_COPY)
			rc = old_has(m, m->pend_off + m->pend_len, p, len);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			m->pend_len += len;
		} else {
			int64_t at = table_find(t, chunk_hash(p, len), len);
			int hit = at >= 0 ? old_has(m, (uint64_t)at, p, len) : 0;
			if (hit < 0)
				return hit;
			if (hit == 1 || m->pend == TAG_COPY) {
				rc = pend_flush(m);
				if (rc < 0)
					return rc;
			}
			if (hit == 1) {
				m->pend = TAG_COPY;
				m->pend_off = (uint64_t)at;
				m->pend_len = len;
			} else if (m->pend == TAG_ADD) {
				m->pend_len += len;
			} else {
				m->pend = TAG_ADD;
				m->pend_off = off;
				m->pend_len = len;
			}
		}
		/* The END op takes at least this much: stop as soon as the patch cannot fit. */
		uint64_t need = pend_cost(m) + 1 + varint_len(total);
		if (m->written > m->max_patch || need > m->max_patch - m->written)
			return -SL_E_TOOBIG;
	}
	if (rc < 0)
		return rc;
	rc = pend_flush(m);
	if (rc == 0)
		rc = out_op(m, TAG_END, total, 0, 1);
	if (rc == 0 && m->out_len > 0)
		rc = sl_fs_write_all(m->patch_fd, m->out, m->out_len);
	return rc;
}

int sl_delta_make(int old_fd, int new_fd, int patch_fd, uint64_t max_patch, char **cause)
{
	uint64_t gear[256];
	gear_init(gear);
	struct maker m = { .old_fd = old_fd, .new_fd = new_fd, .patch_fd = patch_fd, .max_patch = max_patch, .pend = -1 };
	struct chunker oc = { .fd = old_fd, .gear = gear }, nc = { .fd = new_fd, .gear = gear };
	struct table t = { 0 };
	int rc = -ENOMEM;
	m.out = malloc(IO_BUF);
	m.scratch = malloc(IO_BUF);
	oc.buf = malloc(2 * SL_DELTA_CHUNK_MAX);
	if (m.out == NULL || m.scratch == NULL || oc.buf == NULL)
		goto out;
	rc = index_old(&oc, &t);
	free(oc.buf);
	oc.buf = NULL;
	if (rc < 0) {
		sl_cause(cause, rc, "cannot read the old file: %s", sl_strerror(rc));
		goto out;
	}
	rc = -ENOMEM;
	nc.buf = malloc(2 * SL_DELTA_CHUNK_MAX);
	if (nc.buf == NULL)
		goto out;
	rc = out_put(&m, SL_DELTA_MAGIC, SL_DELTA_MAGIC_LEN);
	if (rc == 0)
		rc = walk_new(&m, &nc, &t);
	if (rc == -SL_E_TOOBIG)
		sl_cause(cause, rc, "the patch would exceed %llu bytes", (unsigned long long)max_patch);
out:
	if (rc < 0 && rc != -SL_E_TOOBIG)
		sl_cause(cause, rc, "cannot make a delta: %s", sl_strerror(rc));
	free(t.s);
	free(oc.buf);
	free(nc.buf);
	free(m.out);
	free(m.scratch);
	return rc;
}

/* ---- applying a patch ---- */

struct patch_in {
	int fd;
	uint8_t *buf;
	size_t pos, len;
	uint64_t buf_off;   /* patch offset of buf[0] */
	bool eof;
};

/* Make at least one byte available: 1, 0 at the end of the patch, -errno. */
static int pin_fill(struct patch_in *in)
{
	if (in->pos < in->len)
		return 1;
	if (in->eof)
		return 0;
	in->buf_off += in->len;
	in->pos = in->len = 0;
	ssize_t n = sl_fs_pread_full(in->fd, in->buf, IO_BUF, in->buf_off);
	if (n < 0)
		return (int)n;
	if ((size_t)n < IO_BUF)
		in->eof = true;
	in->len = (size_t)n;
	return n > 0;
}

static uint64_t pin_at(const struct patch_in *in)
{
	return in->buf_off + in->pos;
}

static int truncated(char **cause, const struct patch_in *in, const char *what)
{
	return sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: truncated %s",
			(unsigned long long)pin_at(in), what);
}

static int pin_varint(struct patch_in *in, uint64_t *v, const char *what, char **cause)
{
	uint64_t at = pin_at(in);
	*v = 0;
	for (int i = 0; i < VARINT_MAX; i++) {
		int rc = pin_fill(in);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return truncated(cause, in, what);
		uint8_t b = in->buf[in->pos++];
		if (i == VARINT_MAX - 1 && b > 1)
			return sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: %s overflows 64 bits",
					(unsigned long long)at, what);
		*v |= (uint64_t)(b & 0x7F) << (7 * i);
		if ((b & 0x80) == 0)
			return 0;
	}
	return sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: %s overflows 64 bits", (unsigned long long)at, what);
}

struct applier {
	int base_fd;
	uint64_t base_size;
	uint64_t max_out, out;
	sl_delta_sink sink;
	void *arg;
	uint8_t *buf;   /* IO_BUF: base bytes being copied */
};

static int room(struct applier *a, uint64_t len, uint64_t at, char **cause)
{
	if (len == 0)
		return sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: op of zero length", (unsigned long long)at);
	if (len > a->max_out - a->out)
		return sl_cause(cause, -SL_E_TOOBIG, "delta patch byte %llu: output would exceed %llu bytes",
				(unsigned long long)at, (unsigned long long)a->max_out);
	return 0;
}

static int apply_copy(struct applier *a, struct patch_in *in, uint64_t at, char **cause)
{
	uint64_t off, len;
	int rc = pin_varint(in, &off, "copy offset", cause);
	if (rc == 0)
		rc = pin_varint(in, &len, "copy length", cause);
	if (rc == 0 && (off > a->base_size || len > a->base_size - off))
		rc = sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: copy of %llu bytes at %llu is outside the "
			      "base (%llu bytes)", (unsigned long long)at, (unsigned long long)len,
			      (unsigned long long)off, (unsigned long long)a->base_size);
	if (rc == 0)
		rc = room(a, len, at, cause);
	for (uint64_t done = 0; rc == 0 && done < len;) {
		size_t k = len - done < IO_BUF ? (size_t)(len - done) : IO_BUF;
		ssize_t n = sl_fs_pread_full(a->base_fd, a->buf, k, off + done);
		if (n < 0)
			return sl_cause(cause, (int)n, "cannot read the delta base: %s", sl_strerror((int)n));
		if ((size_t)n != k)
			return sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: the base ended inside a copy",
					(unsigned long long)at);
		rc = a->sink(a->arg, a->buf, k);
		done += k;
		a->out += k;
	}
	return rc;
}

static int apply_add(struct applier *a, struct patch_in *in, uint64_t at, char **cause)
{
	uint64_t len;
	int rc = pin_varint(in, &len, "add length", cause);
	if (rc == 0)
		rc = room(a, len, at, cause);
	while (rc == 0 && len > 0) {
		rc = pin_fill(in);
		if (rc == 0)
			return truncated(cause, in, "add data");
		if (rc < 0)
			break;
		size_t k = in->len - in->pos < len ? in->len - in->pos : (size_t)len;
		rc = a->sink(a->arg, in->buf + in->pos, k);
		in->pos += k;
		len -= k;
		a->out += k;
	}
	return rc;
}

int sl_delta_apply(int base_fd, int patch_fd, uint64_t max_out, sl_delta_sink sink, void *arg, char **cause)
{
	struct stat st;
	if (fstat(base_fd, &st) != 0) {
		int err = -errno;
		return sl_cause(cause, err, "cannot stat the delta base: %s", sl_strerror(err));
	}
	struct patch_in in = { .fd = patch_fd };
	struct applier a = { .base_fd = base_fd, .base_size = (uint64_t)st.st_size, .max_out = max_out,
			     .sink = sink, .arg = arg };
	int rc = -ENOMEM;
	in.buf = malloc(IO_BUF);
	a.buf = malloc(IO_BUF);
	if (in.buf == NULL || a.buf == NULL)
		goto out;
	/* The magic: IO_BUF holds it whole after the first fill unless the patch is shorter. */
	rc = pin_fill(&in);
	if (rc < 0)
		goto out;
	if (in.len < SL_DELTA_MAGIC_LEN || memcmp(in.buf, SL_DELTA_MAGIC, SL_DELTA_MAGIC_LEN) != 0) {
		rc = sl_cause(cause, -SL_E_PARSE, "delta patch byte 0: not a delta patch (no SLDELTA1 magic)");
		goto out;
	}
	in.pos = SL_DELTA_MAGIC_LEN;
	for (;;) {
		uint64_t at = pin_at(&in);
		rc = pin_fill(&in);
		if (rc == 0)
			rc = truncated(cause, &in, "patch: no END op");
		if (rc < 0)
			break;
		uint8_t tag = in.buf[in.pos++];
		if (tag == TAG_COPY) {
			rc = apply_copy(&a, &in, at, cause);
		} else if (tag == TAG_ADD) {
			rc = apply_add(&a, &in, at, cause);
		} else if (tag == TAG_END) {
			uint64_t total;
			rc = pin_varint(&in, &total, "END total", cause);
			if (rc == 0 && total != a.out)
				rc = sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: END says %llu bytes, the "
					      "patch produced %llu", (unsigned long long)at, (unsigned long long)total,
					      (unsigned long long)a.out);
			if (rc == 0)
				rc = pin_fill(&in);
			if (rc > 0)
				rc = sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: bytes after the END op",
					      (unsigned long long)pin_at(&in));
			break;
		} else {
			rc = sl_cause(cause, -SL_E_PARSE, "delta patch byte %llu: unknown op 0x%02x",
				      (unsigned long long)at, tag);
		}
		if (rc != 0)
			break;
	}
out:
	if (rc < 0 && rc != -ENOMEM)
		sl_cause(cause, rc, "cannot apply the delta patch: %s", sl_strerror(rc));
	free(in.buf);
	free(a.buf);
	return rc;
}
