/* recompress: candidate settings for xz (liblzma) and gzip (zlib), the strict token parser, and the
 * streaming compressors that both find (output compared with the original as it is produced) and run
 * (output to the caller's sink) use, so what was found is exactly what runs. See recompress.h. */
#include "core/recompress.h"

#include <errno.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"

#define IO_BUF      (64u << 10)   /* bytes per read of the plain file and per compressor output call */
#define MISMATCH    1             /* compare sink: the candidate's output differs (positive: never an error code) */
#define XZ_DICT_MIN 4096          /* bytes: LZMA_DICT_SIZE_MIN */

enum kind { KIND_XZ, KIND_GZIP };

struct recipe {
	enum kind kind;
	unsigned level;          /* xz preset 0-9, gzip level 1-9 */
	unsigned extreme;        /* xz: LZMA_PRESET_EXTREME */
	lzma_check check;        /* xz */
	uint32_t dict;           /* xz: dictionary bytes */
	unsigned memlevel;       /* gzip */
	uint8_t hdr[SL_MAX_RECOMPRESS_GZIP_HEADER];   /* gzip: the member header, verbatim */
	size_t hdr_len;
	unsigned tail;           /* one empty stream (xz) or member (gzip) after the data */
};

static const struct {
	const char *name;
	lzma_check check;
} xz_checks[] = {
	{ "none", LZMA_CHECK_NONE },
	{ "crc32", LZMA_CHECK_CRC32 },
	{ "crc64", LZMA_CHECK_CRC64 },
	{ "sha256", LZMA_CHECK_SHA256 },
};

/* Most likely first: xz's default, sluice's own writer, xz -9, the fixtures' xz -3. */
static const unsigned xz_order[] = { 6, 0, 9, 3, 1, 2, 4, 5, 7, 8 };
/* zlib's default (libarchive, apt, Python), sluice's own writer (SL_COMP_GZIP_LEVEL), -9, then the rest. */
static const unsigned gz_order[] = { 6, 4, 9, 1, 2, 3, 5, 7, 8 };

/* ---- tokens ---- */

/* Length of the gzip member header at p (at most n bytes), or 0 when it is not one or is longer. */
static size_t gz_header_len(const uint8_t *p, size_t n)
{
	if (n < 10 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || (p[3] & 0xE0) != 0)
		return 0;
	uint8_t flg = p[3];
	size_t i = 10;
	if (flg & 4) {   /* FEXTRA */
		if (n - i < 2)
			return 0;
		size_t xlen = (size_t)p[i] | (size_t)p[i + 1] << 8;
		i += 2;
		if (n - i < xlen)
			return 0;
		i += xlen;
	}
	for (uint8_t bit = 8; bit <= 16; bit <<= 1) {   /* FNAME, then FCOMMENT: NUL-terminated */
		if ((flg & bit) == 0)
			continue;
		const uint8_t *z = memchr(p + i, 0, n - i);
		if (z == NULL)
			return 0;
		i = (size_t)(z - p) + 1;
	}
	if (flg & 2) {   /* FHCRC */
		if (n - i < 2)
			return 0;
		i += 2;
	}
	return i;
}

/* The canonical token; its length, or 0 when it does not fit cap. */
static size_t recipe_format(const struct recipe *r, char *out, size_t cap)
{
	int n;
	if (r->kind == KIND_XZ) {
		const char *check = "?";
		for (size_t i = 0; i < sizeof xz_checks / sizeof xz_checks[0]; i++)
			if (xz_checks[i].check == r->check)
				check = xz_checks[i].name;
		n = snprintf(out, cap, "xz %u e%u %s d%lu z%u", r->level, r->extreme, check, (unsigned long)r->dict,
			     r->tail);
	} else {
		char hex[2 * SL_MAX_RECOMPRESS_GZIP_HEADER + 1];
		for (size_t i = 0; i < r->hdr_len; i++)
			snprintf(hex + 2 * i, 3, "%02X", r->hdr[i]);
		hex[2 * r->hdr_len] = '\0';
		n = snprintf(out, cap, "gzip %u m%u H%s z%u", r->level, r->memlevel, hex, r->tail);
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A decimal without sign or leading zeros, at most max; -1 when not. */
static int64_t parse_num(const char *s, uint64_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v <= max ? (int64_t)v : -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A field that is prefix (or nothing when prefix is 0) then a decimal in [min, max]: true and *out. */
static bool field_num(const char *f, char prefix, uint64_t min, uint64_t max, uint64_t *out)
{
	if (prefix != 0 && *f++ != prefix)
		return false;
	int64_t v = parse_num(f, max);
	if (v < 0 || (uint64_t)v < min)
		return false;
	*out = (uint64_t)v;
	return true;
}

static int parse_xz(char **f, struct recipe *r)
{
	uint64_t level, extreme, dict;
	if (!field_num(f[1], 0, 0, 9, &level) || !field_num(f[2], 'e', 0, 1, &extreme) ||
	    !field_num(f[4], 'd', XZ_DICT_MIN, SL_MAX_RECOMPRESS_XZ_DICT, &dict))
		return -1;
	size_t i = 0;
	while (i < sizeof xz_checks / sizeof xz_checks[0] && strcmp(f[3], xz_checks[i].name) != 0)
		i++;
	if (i == sizeof xz_checks / sizeof xz_checks[0])
		return -1;
	r->kind = KIND_XZ;
	r->level = (unsigned)level;
	r->extreme = (unsigned)extreme;
	r->check = xz_checks[i].check;
	r->dict = (uint32_t)dict;
	return 0;
}

static int parse_gzip(char **f, struct recipe *r)
{
	uint64_t level, memlevel;
	if (!field_num(f[1], 0, 1, 9, &level) || !field_num(f[2], 'm', 1, 9, &memlevel))
		return -1;
	const char *h = f[3];
	size_t hl = strlen(h);
	if (h[0] != 'H' || hl % 2 != 1 || (hl - 1) / 2 > SL_MAX_RECOMPRESS_GZIP_HEADER)
		return -1;
	r->hdr_len = (hl - 1) / 2;
	for (size_t k = 0; k < r->hdr_len; k++) {
		int a = hexval(h[1 + 2 * k]), b = hexval(h[2 + 2 * k]);
		if (a < 0 || b < 0)
			return -1;
		r->hdr[k] = (uint8_t)(a << 4 | b);
	}
	/* gz_header_len() says 0 for "not a header": an empty one must not pass as exactly 0 bytes long. */
	if (r->hdr_len == 0 || gz_header_len(r->hdr, r->hdr_len) != r->hdr_len)
		return -1;
	r->kind = KIND_GZIP;
	r->level = (unsigned)level;
	r->memlevel = (unsigned)memlevel;
	return 0;
}

static int parse_fields(char **f, size_t nf, struct recipe *r)
{
	int rc = -1;
	if (strcmp(f[0], "xz") == 0 && nf == 6)
		rc = parse_xz(f, r);
	else if (strcmp(f[0], "gzip") == 0 && nf == 5)
		rc = parse_gzip(f, r);
	uint64_t tail;
	if (rc != 0 || !field_num(f[nf - 1], 'z', 0, 1, &tail))
		return -1;
	r->tail = (unsigned)tail;
	return 0;
}

/* Parse a token strictly: known fields only, in range, and canonical (re-formatting gives it back). */
static int recipe_parse(const char *token, struct recipe *r, char **cause)
{
	char buf[SL_MAX_RECOMPRESS_TOKEN], again[SL_MAX_RECOMPRESS_TOKEN];
	size_t len = strnlen(token, sizeof buf);
	if (len == sizeof buf)
		return sl_cause(cause, -SL_E_PARSE, "recompression token longer than %u bytes",
				SL_MAX_RECOMPRESS_TOKEN - 1);
	for (size_t i = 0; i < len; i++)
		if (token[i] < 0x20 || token[i] > 0x7e)
			return sl_cause(cause, -SL_E_PARSE, "recompression token: byte %zu is not printable ASCII", i);
	memcpy(buf, token, len + 1);
	char *f[8];
	size_t nf = 0;
	char *s = buf;
	for (;;) {
		if (nf == sizeof f / sizeof f[0])
			return sl_cause(cause, -SL_E_PARSE, "recompression token \"%s\": too many fields", token);
		f[nf++] = s;
		char *sp = strchr(s, ' ');
		if (sp == NULL)
			break;
		*sp = '\0';
		s = sp + 1;
	}
	memset(r, 0, sizeof(*r));
	if (parse_fields(f, nf, r) != 0 || recipe_format(r, again, sizeof again) == 0 || strcmp(again, token) != 0)
		return sl_cause(cause, -SL_E_PARSE, "recompression token \"%s\": not a known recipe", token);
	return 0;
}

/* ---- compressors ---- */

struct emit {
	sl_delta_sink sink;
	void *arg;
	uint64_t out, max;
	uint8_t *in, *buf;   /* IO_BUF each: plain bytes read, compressed bytes produced */
};

static int emit_put(struct emit *e, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (n > e->max - e->out)
		return -SL_E_TOOBIG;
	e->out += n;
	return e->sink(e->arg, p, n);
}

/* One xz stream of the first limit bytes of plain_fd (of nothing when plain_fd < 0). */
static int xz_stream(const struct recipe *r, int plain_fd, uint64_t limit, struct emit *e)
{
	lzma_options_lzma opt;
	if (lzma_lzma_preset(&opt, r->level | (r->extreme ? LZMA_PRESET_EXTREME : 0)))
		return -SL_E_ARCHIVE;
	opt.dict_size = r->dict;
	lzma_filter filters[2] = { { .id = LZMA_FILTER_LZMA2, .options = &opt }, { .id = LZMA_VLI_UNKNOWN } };
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret = lzma_stream_encoder(&s, filters, r->check);
	if (ret != LZMA_OK)
		return ret == LZMA_MEM_ERROR ? -ENOMEM : -SL_E_ARCHIVE;
	bool eof = plain_fd < 0;
	uint64_t off = 0;
	int rc = 0;
	while (rc == 0) {
		if (s.avail_in == 0 && !eof) {
			size_t want = limit - off < IO_BUF ? (size_t)(limit - off) : IO_BUF;
			ssize_t n = sl_fs_pread_full(plain_fd, e->in, want, off);
			if (n < 0) {
				rc = (int)n;
				break;
			}
			eof = (size_t)n < IO_BUF || off + (uint64_t)n == limit;
			off += (uint64_t)n;
			s.next_in = e->in;
			s.avail_in = (size_t)n;
		}
		s.next_out = e->buf;
		s.avail_out = IO_BUF;
		ret = lzma_code(&s, eof ? LZMA_FINISH : LZMA_RUN);
		if (ret != LZMA_OK && ret != LZMA_STREAM_END) {
			rc = ret == LZMA_MEM_ERROR ? -ENOMEM : -SL_E_ARCHIVE;
			break;
		}
		rc = emit_put(e, e->buf, IO_BUF - s.avail_out);
		if (ret == LZMA_STREAM_END)
			break;
	}
	lzma_end(&s);
	return rc;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One gzip member of plain_fd's bytes (of nothing when plain_fd < 0): the header verbatim, raw deflate,
 * CRC32 and size modulo 2^32. */
static int gz_member(const struct recipe *r, int plain_fd, struct emit *e)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	int zr = deflateInit2(&z, (int)r->level, Z_DEFLATED, -15, (int)r->memlevel, Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : -SL_E_ARCHIVE;
	int rc = emit_put(e, r->hdr, r->hdr_len);
	bool eof = plain_fd < 0;
	uint64_t off = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	while (rc == 0) {
		if (z.avail_in == 0 && !eof) {
			ssize_t n = sl_fs_pread_full(plain_fd, e->in, IO_BUF, off);
			if (n < 0) {
				rc = (int)n;
				break;
			}
			eof = (size_t)n < IO_BUF;
			off += (uint64_t)n;
			crc = crc32(crc, e->in, (uInt)n);
			z.next_in = e->in;
			z.avail_in = (uInt)n;
		}
		z.next_out = e->buf;
		z.avail_out = IO_BUF;
		zr = deflate(&z, eof ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_ERROR) {
			rc = -SL_E_ARCHIVE;
			break;
		}
		rc = emit_put(e, e->buf, IO_BUF - z.avail_out);
		if (zr == Z_STREAM_END)
			break;
	}
	deflateEnd(&z);
	if (rc == 0) {
		uint8_t trailer[8];
		le32(trailer, (uint32_t)crc);
		le32(trailer + 4, (uint32_t)off);
		rc = emit_put(e, trailer, sizeof trailer);
	}
	return rc;
}

/* The data part of a recipe (tail = 0) or its empty tail (tail = 1). */
static int produce(const struct recipe *r, int plain_fd, bool tail, struct emit *e)
{
	if (r->kind == KIND_XZ)
		return xz_stream(r, tail ? -1 : plain_fd, UINT64_MAX, e);
	return gz_member(r, tail ? -1 : plain_fd, e);
}

int sl_recompress_run(const char *token, int plain_fd, uint64_t max_out, sl_delta_sink sink, void *arg, char **cause)
{
	struct recipe r;
	int rc = recipe_parse(token, &r, cause);
	if (rc < 0)
		return rc;
	struct emit e = { .sink = sink, .arg = arg, .max = max_out };
	e.in = malloc(IO_BUF);
	e.buf = malloc(IO_BUF);
	rc = -ENOMEM;
	if (e.in != NULL && e.buf != NULL) {
		rc = produce(&r, plain_fd, false, &e);
		if (rc == 0 && r.tail)
			rc = produce(&r, plain_fd, true, &e);
	}
	if (rc == -SL_E_TOOBIG)
		sl_cause(cause, rc, "recompressing (%s) would exceed %llu bytes", token, (unsigned long long)max_out);
	else if (rc < 0)
		sl_cause(cause, rc, "cannot recompress (%s): %s", token, sl_strerror(rc));
	free(e.in);
	free(e.buf);
	return rc;
}

/* ---- finding a recipe ---- */

struct cmp {
	int fd;
	uint64_t size, off;
	uint8_t *buf;   /* IO_BUF: the original's bytes at off */
};

static int cmp_sink(void *arg, const void *data, size_t len)
{
	struct cmp *c = arg;
	if (len > c->size - c->off || len > IO_BUF)
		return MISMATCH;
	ssize_t n = sl_fs_pread_full(c->fd, c->buf, len, c->off);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len || memcmp(c->buf, data, len) != 0)
		return MISMATCH;
	c->off += len;
	return 0;
}

/* Screening an xz candidate on a prefix of the input. LZMA's choices at a position depend on the input up
 * to ~ 4.4 KiB further (optimum parser's 4096 positions plus nice_len), and the range coder holds back a
 * few bytes, so a stream of the first SCREEN_INPUT bytes agrees with the full one's first LZMA2 chunk
 * except in its last compressed bytes: compare all but SCREEN_MARGIN of them. A wrong candidate then costs
 * SCREEN_INPUT of compression instead of the input of a whole first chunk (up to 2 MiB); a screen that
 * cannot decide (stored chunks, little output) keeps the candidate for the full comparison. A margin too
 * small could only make a reproducible file NOTFOUND (carried whole), never a wrong token. */
#define SCREEN_INPUT  (256u << 10)   /* bytes of plain input compressed per screened candidate */
#define SCREEN_MARGIN (8u << 10)     /* bytes at the end of the screened chunk left uncompared */
#define SCREEN_KEEP   (64u << 10)    /* bytes of output kept: one LZMA2 chunk is at most 64 KiB compressed */
#define XZ_HEADERS    24             /* stream header and the 12-byte block header */

struct capture {
	uint8_t *p;
	size_t len;   /* bytes kept, at most XZ_HEADERS + 6 + SCREEN_KEEP */
};

static int capture_sink(void *arg, const void *data, size_t len)
{
	struct capture *c = arg;
	size_t room = XZ_HEADERS + 6 + SCREEN_KEEP - c->len;
	size_t k = len < room ? len : room;
	memcpy(c->p + c->len, data, k);
	c->len += k;
	return 0;
}

/* MISMATCH when r's output certainly differs from the original's prefix orig[0, olen), 0 when it may not. */
static int xz_screen(const struct recipe *r, int plain_fd, const uint8_t *orig, size_t olen, struct emit *e,
		     uint8_t *scratch)
{
	struct capture cap = { .p = scratch };
	struct emit se = { .sink = capture_sink, .arg = &cap, .max = UINT64_MAX, .in = e->in, .buf = e->buf };
	int rc = xz_stream(r, plain_fd, SCREEN_INPUT, &se);
	if (rc != 0)
		return rc;
	const uint8_t *o = cap.p;
	if (cap.len < XZ_HEADERS + 6 || olen < XZ_HEADERS + 6)
		return 0;
	if (memcmp(o, orig, XZ_HEADERS) != 0)
		return MISMATCH;
	/* LZMA2 chunks with a dictionary reset carry 5 header bytes after the control byte, props last. */
	if (o[XZ_HEADERS] < 0xE0 || orig[XZ_HEADERS] < 0xE0)
		return 0;
	if (o[XZ_HEADERS + 5] != orig[XZ_HEADERS + 5])
		return MISMATCH;
	size_t co = ((size_t)o[XZ_HEADERS + 3] << 8 | o[XZ_HEADERS + 4]) + 1;
	size_t cp = ((size_t)orig[XZ_HEADERS + 3] << 8 | orig[XZ_HEADERS + 4]) + 1;
	size_t l = co < cp ? co : cp;
	if (cap.len - (XZ_HEADERS + 6) < l)
		l = cap.len - (XZ_HEADERS + 6);
	if (olen - (XZ_HEADERS + 6) < l)
		l = olen - (XZ_HEADERS + 6);
	if (l <= SCREEN_MARGIN)
		return 0;
	return memcmp(o + XZ_HEADERS + 6, orig + XZ_HEADERS + 6, l - SCREEN_MARGIN) != 0 ? MISMATCH : 0;
}

/* Presets that differ only in the dictionary (6-9; most extreme ones) make the same bytes once the
 * dictionary is the header's: true when an earlier candidate in the order had r's settings. */
static bool xz_seen(const struct recipe *r, const lzma_options_lzma *tried, size_t ntried)
{
	lzma_options_lzma o;
	if (lzma_lzma_preset(&o, r->level | (r->extreme ? LZMA_PRESET_EXTREME : 0)))
		return true;
	for (size_t i = 0; i < ntried; i++)
		if (tried[i].mode == o.mode && tried[i].nice_len == o.nice_len && tried[i].mf == o.mf &&
		    tried[i].depth == o.depth && tried[i].lc == o.lc && tried[i].lp == o.lp && tried[i].pb == o.pb)
			return true;
	return false;
}

/* 0 when r (with its tail decided here) reproduces the original, MISMATCH when not, negative on error. */
static int try_recipe(struct recipe *r, int plain_fd, struct cmp *c, struct emit *e)
{
	c->off = 0;
	e->out = 0;
	int rc = produce(r, plain_fd, false, e);
	if (rc != 0)
		return rc == -SL_E_TOOBIG ? MISMATCH : rc;
	r->tail = 0;
	if (c->off == c->size)
		return 0;
	rc = produce(r, plain_fd, true, e);
	if (rc != 0)
		return rc == -SL_E_TOOBIG ? MISMATCH : rc;
	r->tail = 1;
	return c->off == c->size ? 0 : MISMATCH;
}

/* Fill the candidates' common part from the original's headers: 1 when it looks reproducible, 0 not. */
static int read_headers(const uint8_t *h, size_t n, struct recipe *r)
{
	static const uint8_t xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
	memset(r, 0, sizeof(*r));
	if (n >= 24 && memcmp(h, xz_magic, 6) == 0) {
		/* Stream flags: check type; block header: 12 bytes, one filter (LZMA2, id 0x21, one property
		 * byte), no sizes (the single-threaded encoder's). */
		if (h[6] != 0)
			return 0;
		size_t i;
		for (i = 0; i < sizeof xz_checks / sizeof xz_checks[0]; i++)
			if ((unsigned)xz_checks[i].check == h[7])
				break;
		if (i == sizeof xz_checks / sizeof xz_checks[0])
			return 0;
		r->kind = KIND_XZ;
		r->check = xz_checks[i].check;
		r->dict = 8u << 20;   /* an empty stream has no block, so no dictionary: any preset's gives the same bytes */
		if (h[12] == 0x00)
			return 1;
		if (h[12] != 0x02 || h[13] != 0x00 || h[14] != 0x21 || h[15] != 0x01 || h[16] > 40)
			return 0;
		uint64_t dict = h[16] == 40 ? UINT32_MAX : (uint64_t)(2 | (h[16] & 1)) << (h[16] / 2 + 11);
		if (dict > SL_MAX_RECOMPRESS_XZ_DICT)
			return 0;
		r->dict = (uint32_t)dict;
		return 1;
	}
	size_t hl = gz_header_len(h, n);
	if (hl == 0)
		return 0;
	r->kind = KIND_GZIP;
	memcpy(r->hdr, h, hl);
	r->hdr_len = hl;
	r->memlevel = 8;
	return 1;
}

/* Every distinct xz candidate in order: screened on a prefix, then compared whole. */
static int find_xz(struct recipe *r, int plain_fd, struct cmp *c, struct emit *e)
{
	lzma_options_lzma tried[20];
	size_t ntried = 0;
	size_t olen = XZ_HEADERS + 6 + SCREEN_KEEP;
	uint8_t *orig = malloc(olen), *scratch = malloc(olen);
	int rc = -ENOMEM;
	if (orig == NULL || scratch == NULL)
		goto out;
	ssize_t n = sl_fs_pread_full(c->fd, orig, olen, 0);
	rc = n < 0 ? (int)n : MISMATCH;
	for (unsigned x = 0; x < 2 && rc == MISMATCH; x++) {
		for (size_t i = 0; i < sizeof xz_order / sizeof xz_order[0] && rc == MISMATCH; i++) {
			r->level = xz_order[i];
			r->extreme = x;
			if (xz_seen(r, tried, ntried))
				continue;
			lzma_lzma_preset(&tried[ntried++], r->level | (x ? LZMA_PRESET_EXTREME : 0));
			rc = xz_screen(r, plain_fd, orig, (size_t)n, e, scratch);
			if (rc == 0)
				rc = try_recipe(r, plain_fd, c, e);
		}
	}
out:
	free(orig);
	free(scratch);
	return rc;
}

int sl_recompress_find(int packed_fd, int plain_fd, char *token, size_t cap, char **cause)
{
	struct stat st;
	if (fstat(packed_fd, &st) != 0) {
		int err = -errno;
		return sl_cause(cause, err, "cannot stat the compressed file: %s", sl_strerror(err));
	}
	uint8_t h[SL_MAX_RECOMPRESS_GZIP_HEADER];
	ssize_t n = sl_fs_pread_full(packed_fd, h, sizeof h, 0);
	if (n < 0)
		return sl_cause(cause, (int)n, "cannot read the compressed file: %s", sl_strerror((int)n));
	struct recipe r;
	if (!read_headers(h, (size_t)n, &r))
		return sl_cause(cause, -SL_E_NOTFOUND, "not a single-block xz stream or a gzip member this can redo");
	struct cmp c = { .fd = packed_fd, .size = (uint64_t)st.st_size };
	struct emit e = { .sink = cmp_sink, .arg = &c, .max = UINT64_MAX };
	c.buf = malloc(IO_BUF);
	e.in = malloc(IO_BUF);
	e.buf = malloc(IO_BUF);
	int rc = -ENOMEM;
	if (c.buf == NULL || e.in == NULL || e.buf == NULL)
		goto out;
	rc = MISMATCH;
	if (r.kind == KIND_XZ)
		rc = find_xz(&r, plain_fd, &c, &e);
	for (size_t i = 0; r.kind == KIND_GZIP && i < sizeof gz_order / sizeof gz_order[0] && rc == MISMATCH; i++) {
		r.level = gz_order[i];
		rc = try_recipe(&r, plain_fd, &c, &e);
	}
	if (rc == MISMATCH) {
		rc = sl_cause(cause, -SL_E_NOTFOUND, "no %s setting tried reproduces the file",
			      r.kind == KIND_XZ ? "xz" : "gzip");
	} else if (rc == 0) {
		char buf[SL_MAX_RECOMPRESS_TOKEN];
		size_t len = recipe_format(&r, buf, sizeof buf);
		if (len == 0 || len >= cap)
			rc = sl_cause(cause, -SL_E_TOOBIG, "recompression token of %zu bytes does not fit %zu", len, cap);
		else
			memcpy(token, buf, len + 1);
	}
out:
	if (rc < 0)
		sl_cause(cause, rc, "cannot search recompression settings: %s", sl_strerror(rc));
	free(c.buf);
	free(e.in);
	free(e.buf);
	return rc;
}
