/* cvd: strict parsers for ClamAV's CVD header and CDIFF container, and the CVD body check (MD5 + tar). */
#include "core/cvd.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/path.h"

#define READ_CHUNK (64u << 10)   /* bytes per read while hashing a CVD body */
#define CDIFF_MAGIC "ClamAV-Diff:"
#define CVD_MAGIC "ClamAV-VDB:"

static int bad(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t cap, const char *fmt, ...)
{
	if (why != NULL && cap > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return -SL_E_PARSE;
}

bool sl_cvd_sigchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool sl_cvd_valid_dbname(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= SL_CVD_DBNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

/* Decimal without sign or leading zeros (but "0"), at most `max`. */
static bool parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool printable_field(const char *s, size_t n, bool spaces)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == ':' || (!spaces && c == ' '))
			return false;
	}
	return true;
}

int sl_cvd_parse_header(const uint8_t *p, size_t len, struct sl_cvd_header *out, char *why, size_t whycap)
{
	memset(out, 0, sizeof *out);
	if (len < SL_CVD_HEADER)
		return bad(why, whycap, "header truncated: %zu of %u bytes", len, (unsigned)SL_CVD_HEADER);
	const char *h = (const char *)p;
	if (memcmp(h, CVD_MAGIC, strlen(CVD_MAGIC)) != 0)
		return bad(why, whycap, "not a CVD: no \"ClamAV-VDB:\" magic");
	/* The text ends where the padding (spaces, as sigtool writes, or NULs) starts and runs to byte 512. */
	size_t end = SL_CVD_HEADER;
	while (end > 0 && (h[end - 1] == ' ' || h[end - 1] == '\0'))
		end--;
	const char *f[9];
	size_t fl[9], nf = 0, start = 0;
	for (size_t i = 0; i <= end; i++) {
		if (i < end && h[i] == '\0')
			return bad(why, whycap, "NUL byte inside the header text at offset %zu", i);
		if (i == end || h[i] == ':') {
			if (nf == 9)
				return bad(why, whycap, "more than 9 colon-separated fields");
			f[nf] = h + start;
			fl[nf] = i - start;
			nf++;
			start = i + 1;
		}
	}
	if (nf != 9)
		return bad(why, whycap, "%zu colon-separated fields, expected 9", nf);
	uint64_t v;
	if (fl[1] == 0 || fl[1] >= SL_CVD_FIELD_MAX || !printable_field(f[1], fl[1], true))
		return bad(why, whycap, "bad build time field");
	memcpy(out->time, f[1], fl[1]);
	if (!parse_uint(f[2], fl[2], UINT32_MAX, &v) || v == 0)
		return bad(why, whycap, "bad version \"%.*s\"", (int)(fl[2] < 32 ? fl[2] : 32), f[2]);
	out->version = (uint32_t)v;
	if (!parse_uint(f[3], fl[3], UINT32_MAX, &v))
		return bad(why, whycap, "bad signature count \"%.*s\"", (int)(fl[3] < 32 ? fl[3] : 32), f[3]);
	out->sigs = (uint32_t)v;
	if (!parse_uint(f[4], fl[4], UINT32_MAX, &v))
		return bad(why, whycap, "bad functionality level \"%.*s\"", (int)(fl[4] < 32 ? fl[4] : 32), f[4]);
	out->flevel = (uint32_t)v;
	if (fl[5] != 32)
		return bad(why, whycap, "MD5 field has %zu characters, expected 32", fl[5]);
	for (size_t i = 0; i < 32; i++) {
		char c = f[5][i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return bad(why, whycap, "MD5 field is not lowercase hex");
	}
	memcpy(out->md5, f[5], 32);
	if (fl[6] == 0 || fl[6] > SL_CVD_DSIG_MAX)
		return bad(why, whycap, "digital signature field has %zu characters (1..%u)", fl[6],
			   (unsigned)SL_CVD_DSIG_MAX);
	for (size_t i = 0; i < fl[6]; i++)
		if (!sl_cvd_sigchar((unsigned char)f[6][i]))
			return bad(why, whycap, "digital signature has a character outside ClamAV's alphabet");
	memcpy(out->dsig, f[6], fl[6]);
	if (fl[7] == 0 || fl[7] >= SL_CVD_FIELD_MAX || !printable_field(f[7], fl[7], false))
		return bad(why, whycap, "bad builder field");
	memcpy(out->builder, f[7], fl[7]);
	if (!parse_uint(f[8], fl[8], INT64_MAX, &v))
		return bad(why, whycap, "bad build time stamp \"%.*s\"", (int)(fl[8] < 32 ? fl[8] : 32), f[8]);
	out->stime = (int64_t)v;
	return 0;
}

void sl_cvd_display_time(const struct sl_cvd_header *h, char *buf, size_t cap)
{
	/* ClamAV writes "HH-MM" because ':' separates fields; sigtool shows it back as "HH:MM". */
	snprintf(buf, cap, "%s", h->time);
	size_t n = strlen(buf);
	for (size_t i = 2; i + 2 < n; i++)
		if (buf[i] == '-' && buf[i - 1] >= '0' && buf[i - 1] <= '9' && buf[i - 2] >= '0' && buf[i - 2] <= '9' &&
		    buf[i + 1] >= '0' && buf[i + 1] <= '9' && buf[i + 2] >= '0' && buf[i + 2] <= '9' &&
		    (i < 3 || buf[i - 3] == ' ')) {
			buf[i] = ':';
			break;
		}
}

int sl_cdiff_parse(const uint8_t *p, size_t len, struct sl_cdiff *out, char *why, size_t whycap)
{
	memset(out, 0, sizeof *out);
	size_t ml = strlen(CDIFF_MAGIC);
	if (len < ml || memcmp(p, CDIFF_MAGIC, ml) != 0)
		return bad(why, whycap, "not a CDIFF: no \"ClamAV-Diff:\" magic");
	size_t i = ml, s = i;
	while (i < len && i - s < 12 && p[i] != ':')
		i++;
	uint64_t v;
	if (i >= len || p[i] != ':' || !parse_uint((const char *)p + s, i - s, UINT32_MAX, &v) || v == 0)
		return bad(why, whycap, "bad version field");
	out->version = (uint32_t)v;
	s = ++i;
	while (i < len && i - s < 20 && p[i] != ':')
		i++;
	if (i >= len || p[i] != ':' || !parse_uint((const char *)p + s, i - s, SL_MAX_CVD_UNPACKED, &v) || v == 0)
		return bad(why, whycap, "bad script length field");
	out->script_len = v;
	out->data_off = ++i;
	/* The signature follows the last ':' and consists of signature characters only. */
	size_t j = len;
	while (j > out->data_off && sl_cvd_sigchar(p[j - 1]) && len - j <= SL_CVD_DSIG_MAX)
		j--;
	if (j == len || j <= out->data_off || p[j - 1] != ':' || len - j > SL_CVD_DSIG_MAX)
		return bad(why, whycap, "no digital signature after the data (\":<signature>\" at the end)");
	out->dsig = (const char *)p + j;
	out->dsig_len = len - j;
	out->signed_len = j - 1;
	out->data_len = out->signed_len - out->data_off;
	if (out->data_len < 18 || p[out->data_off] != 0x1f || p[out->data_off + 1] != 0x8b)
		return bad(why, whycap, "the update script is not a gzip stream");
	return 0;
}

int sl_cvd_dns_version(const char *txt, size_t len, const char *db, uint32_t *version, int64_t *record_time)
{
	static const struct {
		const char *db;
		unsigned field;
	} fields[] = { { "main", 1 }, { "daily", 2 }, { "safebrowsing", 6 }, { "bytecode", 7 } };
	unsigned want = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(db, fields[i].db) == 0)
			want = fields[i].field;
	if (want == 0)
		return -SL_E_NOTFOUND;
	const char *f[16];
	size_t fl[16], nf = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (txt[i] == '\0' || (unsigned char)txt[i] < 0x20))
			return -SL_E_PARSE;
		if (i == len || txt[i] == ':') {
			if (nf == 16)
				return -SL_E_PARSE;
			f[nf] = txt + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	uint64_t v, t;
	if (nf <= want || nf <= 3 || !parse_uint(f[3], fl[3], INT64_MAX, &t))
		return -SL_E_PARSE;
	if (!parse_uint(f[want], fl[want], UINT32_MAX, &v) || v == 0)
		return -SL_E_PARSE;
	*version = (uint32_t)v;
	*record_time = (int64_t)t;
	return 0;
}

/* ---- body checks ---- */


static int body_md5(int fd, char md5[33], char **cause)
{
	if (lseek(fd, SL_CVD_HEADER, SEEK_SET) < 0)
		return sl_cause(cause, -errno, "seek: %s", strerror(errno));
	struct sl_hasher *h = sl_hasher_new(SL_HASH_MD5);
	uint8_t *buf = malloc(READ_CHUNK);
	int r = (h == NULL || buf == NULL) ? -ENOMEM : 0;
	while (r == 0) {
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = sl_cause(cause, -errno, "read: %s", strerror(errno));
		if (n <= 0)
			break;
		r = sl_hasher_update(h, buf, (size_t)n);
	}
	char big[129];
	if (r == 0)
		r = sl_hasher_final(h, big, NULL, NULL, NULL);
	if (r == 0)
		memcpy(md5, big, 33);
	free(buf);
	sl_hasher_free(h);
	return r;
}

static int check_entry(struct archive_entry *e, char **cause)
{
	const char *name = archive_entry_pathname(e);
	if (name == NULL)
		return sl_cause(cause, -SL_E_ARCHIVE, "tar entry without a name");
	if (archive_entry_filetype(e) != AE_IFREG)
		return sl_cause(cause, -SL_E_ARCHIVE, "tar entry \"%.64s\" is not a regular file", name);
	/* ClamAV's databases are flat: one safe file name per entry, no directories. */
	size_t n = strlen(name);
	if (n == 0 || n > 255 || strchr(name, '/') != NULL || sl_path_check_relative(name, n) < 0)
		return sl_cause(cause, -SL_E_ARCHIVE, "tar entry name \"%.64s\" is not a plain file name", name);
	if (archive_entry_size(e) < 0)
		return sl_cause(cause, -SL_E_ARCHIVE, "tar entry \"%.64s\" has no size", name);
	return 0;
}

static bool is_info(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".info") == 0;
}

/* Read one member through, hashing it, so truncation and corrupt compression surface here, not in the
 * client; keep the .info member's text. */
static int read_member(struct archive *a, struct archive_entry *e, uint8_t *buf, struct sl_cvd_body *out,
		       char **cause)
{
	if (out->entries % 16 == 0) {
		struct sl_cvd_file *v = realloc(out->files, (size_t)(out->entries + 16) * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		out->files = v;
	}
	struct sl_cvd_file *f = &out->files[out->entries];
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", archive_entry_pathname(e));
	for (uint64_t i = 0; i < out->entries; i++)
		if (strcmp(out->files[i].name, f->name) == 0)
			return sl_cause(cause, -SL_E_ARCHIVE, "tar member \"%s\" appears twice", f->name);
	bool info = is_info(f->name);
	if (info && out->info != NULL)
		return sl_cause(cause, -SL_E_ARCHIVE, "more than one .info member");
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	if (h == NULL)
		return -ENOMEM;
	out->entries++;
	int r = 0;
	size_t icap = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, READ_CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			r = sl_cause(cause, -SL_E_ARCHIVE, "body data (%s): %s", f->name, archive_error_string(a));
			break;
		}
		f->size += (uint64_t)n;
		out->bytes += (uint64_t)n;
		if (out->bytes > SL_MAX_CVD_UNPACKED) {
			r = sl_cause(cause, -SL_E_TOOBIG, "body unpacks to more than %llu bytes",
				      (unsigned long long)SL_MAX_CVD_UNPACKED);
			break;
		}
		r = sl_hasher_update(h, buf, (size_t)n);
		if (r < 0)
			break;
		if (info) {
			if (out->info_len + (size_t)n > SL_MAX_CVD_INFO) {
				r = sl_cause(cause, -SL_E_TOOBIG, "%s larger than %u bytes", f->name,
					      (unsigned)SL_MAX_CVD_INFO);
				break;
			}
			if (out->info_len + (size_t)n + 1 > icap) {
				icap = out->info_len + (size_t)n + 1 + READ_CHUNK;
				char *p = realloc(out->info, icap);
				if (p == NULL) {
					r = -ENOMEM;
					break;
				}
				out->info = p;
			}
			memcpy(out->info + out->info_len, buf, (size_t)n);
			out->info_len += (size_t)n;
			out->info[out->info_len] = '\0';
		}
	}
	if (r == 0)
		r = sl_hasher_final(h, NULL, NULL, f->sha256, NULL);
	sl_hasher_free(h);
	return r;
}

void sl_cvd_body_release(struct sl_cvd_body *b)
{
	if (b == NULL)
		return;
	free(b->files);
	free(b->info);
	b->files = NULL;
	b->info = NULL;
}

static struct sl_cvd_file *body_file(struct sl_cvd_body *b, const char *name, size_t len)
{
	for (uint64_t i = 0; i < b->entries; i++)
		if (strlen(b->files[i].name) == len && memcmp(b->files[i].name, name, len) == 0)
			return &b->files[i];
	return NULL;
}

/* The .info's first line against the CVD header: every field but the MD5 and dsig ("X"). */
static int info_header(const struct sl_cvd_header *h, const char *line, size_t len, char **cause)
{
	char want[SL_CVD_HEADER + 1];
	int n = snprintf(want, sizeof want, "ClamAV-VDB:%s:%u:%u:%u:X:X:%s:%lld", h->time, h->version, h->sigs,
			 h->flevel, h->builder, (long long)h->stime);
	if (n < 0 || (size_t)n != len || memcmp(want, line, len) != 0)
		return sl_cause(cause, -SL_E_VERIFY, "the header does not match the signed .info's (\"%.*s\")",
				 (int)(len < 200 ? len : 200), line);
	return 0;
}

int sl_cvd_check_info(const struct sl_cvd_header *h, struct sl_cvd_body *b, size_t *signed_len,
		      const char **dsig, size_t *dsig_len, char **cause)
{
	if (b->info == NULL)
		return sl_cause(cause, -SL_E_VERIFY, "no .info member: the content is not bound to the header");
	const char *p = b->info, *end = b->info + b->info_len;
	bool first = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (first) {
			int r = info_header(h, p, len, cause);
			if (r < 0)
				return r;
			first = false;
		} else if (len >= 5 && memcmp(p, "DSIG:", 5) == 0) {
			*signed_len = (size_t)(p - b->info);
			*dsig = p + 5;
			*dsig_len = len - 5;
			for (const char *q = p + len; q < end; q++)
				if (*q != '\n' && *q != '\r')
					return sl_cause(cause, -SL_E_VERIFY, ".info has data after its DSIG line");
			/* Every member but COPYING and the .info is listed. */
			for (uint64_t i = 0; i < b->entries; i++) {
				const char *nm = b->files[i].name;
				if (!b->files[i].listed && strcmp(nm, "COPYING") != 0 && !is_info(nm))
					return sl_cause(cause, -SL_E_VERIFY, "%s is not listed in the .info", nm);
			}
			return 0;
		} else {
			const char *c1 = memchr(p, ':', len), *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
			uint64_t size;
			if (c1 == NULL || c2 == NULL || !parse_uint(c1 + 1, (size_t)(c2 - c1 - 1), UINT64_MAX >> 1, &size) ||
			    !sl_digest_valid_sha256_n(c2 + 1, len - (size_t)(c2 + 1 - p)))
				return sl_cause(cause, -SL_E_VERIFY, ".info line \"%.*s\" is not name:size:sha256",
						 (int)(len < 100 ? len : 100), p);
			struct sl_cvd_file *f = body_file(b, p, (size_t)(c1 - p));
			if (f == NULL)
				return sl_cause(cause, -SL_E_VERIFY, ".info lists %.*s, which the body lacks",
						 (int)(c1 - p < 100 ? c1 - p : 100), p);
			if (f->size != size || memcmp(f->sha256, c2 + 1, 64) != 0)
				return sl_cause(cause, -SL_E_VERIFY, "%s: size or SHA-256 differs from the .info's",
						 f->name);
			if (f->listed)
				return sl_cause(cause, -SL_E_VERIFY, "%s is listed twice in the .info", f->name);
			f->listed = true;
		}
		p += (nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p));
	}
	return sl_cause(cause, -SL_E_VERIFY, ".info has no DSIG line");
}

static int body_tar(int fd, struct sl_cvd_body *out, char **cause)
{
	if (lseek(fd, SL_CVD_HEADER, SEEK_SET) < 0)
		return sl_cause(cause, -errno, "seek: %s", strerror(errno));
	struct archive *a = archive_read_new();
	if (a == NULL)
		return -ENOMEM;
	/* Only in-process gzip and the tar formats: never an external program on untrusted bytes. */
	int r = 0;
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, SL_DECOMP_BLOCK) != ARCHIVE_OK)
		r = sl_cause(cause, -SL_E_ARCHIVE, "body is not a tar archive: %s", archive_error_string(a));
	uint8_t *buf = r == 0 ? malloc(READ_CHUNK) : NULL;
	if (r == 0 && buf == NULL)
		r = -ENOMEM;
	while (r == 0) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK) {
			r = sl_cause(cause, -SL_E_ARCHIVE, "body is not a valid tar.gz: %s", archive_error_string(a));
			break;
		}
		r = check_entry(e, cause);
		if (r < 0)
			break;
		if (out->entries >= SL_MAX_CVD_ENTRIES) {
			r = sl_cause(cause, -SL_E_TOOBIG, "more than %u files in the body", (unsigned)SL_MAX_CVD_ENTRIES);
			break;
		}
		r = read_member(a, e, buf, out, cause);
	}
	if (r == 0 && out->entries == 0)
		r = sl_cause(cause, -SL_E_ARCHIVE, "body is an empty archive");
	free(buf);
	archive_read_free(a);
	return r;
}

int sl_cvd_check_body(int fd, const struct sl_cvd_header *h, struct sl_cvd_body *out, char **cause)
{
	memset(out, 0, sizeof *out);
	char md5[33];
	int r = body_md5(fd, md5, cause);
	if (r < 0)
		return r;
	if (strcmp(md5, h->md5) != 0)
		return sl_cause(cause, -SL_E_DIGEST, "MD5 of the body is %s, the header says %s", md5, h->md5);
	return body_tar(fd, out, cause);
}

struct count_sink {
	uint64_t n;
};

static int count_bytes(void *arg, const void *data, size_t len)
{
	(void)data;
	((struct count_sink *)arg)->n += len;
	return 0;
}

int sl_cdiff_check_script(const uint8_t *p, const struct sl_cdiff *d, char **cause)
{
	int fd = memfd_create("cdiff", MFD_CLOEXEC);
	if (fd < 0)
		return sl_cause(cause, -errno, "memfd: %s", strerror(errno));
	int r = sl_fs_write_all(fd, p + d->data_off, d->data_len);
	if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	struct count_sink cs = { 0 };
	char *why = NULL;
	if (r == 0) {
		r = sl_decomp_fd_cause(fd, d->script_len, count_bytes, &cs, &why);
		if (r == -SL_E_TOOBIG)
			r = sl_cause(cause, r, "update script longer than the %llu bytes announced",
				      (unsigned long long)d->script_len);
		else if (r < 0)
			r = sl_cause(cause, r, "update script: %s", why != NULL ? why : sl_strerror(r));
	}
	if (r == 0 && cs.n != d->script_len)
		r = sl_cause(cause, -SL_E_SIZE, "update script has %llu bytes, the header says %llu",
			      (unsigned long long)cs.n, (unsigned long long)d->script_len);
	free(why);
	close(fd);
	return r;
}
