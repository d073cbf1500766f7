/* scan_walk: the scanner child's work — libclamav's engine, and the walk into archives ClamAV cannot read
 * itself (ar, zstd), member by member, each scanned as a file of its own. Members up to the in-memory cap are
 * read into memory and scanned there (cl_fmap_open_memory): a temporary file per member cost more than the
 * scan of most members (create, write, and on a disk mounted with discard, a synchronous discard on delete).
 * Larger members go through a temporary file in the engine's temporary directory, as before.
 * libarchive is tried only on bytes whose magic it could bid on (ar, tar, cpio, or a compression it
 * unwraps): every other member goes straight to libclamav, which still applies all its own parsers.
 * Runs only in the children started by scan.c. Output, one line per finding: "F\tKIND\tMEMBER\tDETAIL\n",
 * with '%', tab, newline and other control bytes of hostile member names %XX-escaped. */
#include "verify/scan.h"

#include <archive.h>
#include <archive_entry.h>
#include <clamav.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"

struct sl_scan_engine {
	struct cl_engine *cl;
	struct sl_scan_limits lim;
	char tmpdir[SL_MAX_PATH];     /* our own large members; libclamav's temporary files go there too */
};

struct walk {
	struct sl_scan_engine *e;
	int out;
	uint64_t scanned;          /* bytes scanned of this artifact so far */
	uint64_t in_memory;        /* bytes of members held in memory by the levels above (nested archives) */
	bool over_scansize;        /* the rest of the artifact is skipped (reported once) */
};

/* Bytes to scan: in memory (fd < 0), or an open file (a member over the in-memory cap). */
struct src {
	const uint8_t *p;
	size_t len;
	int fd;
};

static void put_escaped(char *buf, size_t cap, size_t *used, const char *s)
{
	for (; s != NULL && *s && *used + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '%')
			*used += (size_t)snprintf(buf + *used, cap - *used, "%%%02X", c);
		else
			buf[(*used)++] = (char)c;
	}
}

static void emit(struct walk *w, const char *kind, const char *member, const char *detail)
{
	char line[2 * SL_MAX_REL_PATH + 512];
	size_t used = (size_t)snprintf(line, sizeof line, "F\t%s\t", kind);
	put_escaped(line, sizeof line, &used, member != NULL && member[0] ? member : "-");
	line[used++] = '\t';
	put_escaped(line, sizeof line, &used, detail);
	line[used++] = '\n';
	/* A short write means the parent is gone; the child ends with it. */
	if (write(w->out, line, used) != (ssize_t)used)
		_exit(3);
}

struct sl_scan_engine *sl_scan_engine_load(const char *db_dir, const struct sl_scan_limits *lim, const char *tmpdir,
					   unsigned *sigs, char **cause)
{
	cl_error_t rc = cl_init(CL_INIT_DEFAULT);
	if (rc != CL_SUCCESS) {
		sl_cause(cause, -SL_E_VERIFY, "libclamav: %s", cl_strerror(rc));
		return NULL;
	}
	struct sl_scan_engine *e = calloc(1, sizeof *e);
	if (e == NULL || (e->cl = cl_engine_new()) == NULL) {
		free(e);
		sl_cause(cause, -ENOMEM, "libclamav: out of memory");
		return NULL;
	}
	e->lim = *lim;
	snprintf(e->tmpdir, sizeof e->tmpdir, "%s", tmpdir != NULL && tmpdir[0] ? tmpdir : "/tmp");
	cl_engine_set_num(e->cl, CL_ENGINE_MAX_FILESIZE, (long long)lim->max_filesize);
	cl_engine_set_num(e->cl, CL_ENGINE_MAX_SCANSIZE, (long long)lim->max_scansize);
	cl_engine_set_num(e->cl, CL_ENGINE_MAX_RECURSION, (long long)lim->max_recursion);
	rc = cl_engine_set_str(e->cl, CL_ENGINE_TMPDIR, e->tmpdir);
	*sigs = 0;
	if (rc == CL_SUCCESS)
		rc = cl_load(db_dir, e->cl, sigs, CL_DB_STDOPT);
	if (rc == CL_SUCCESS && *sigs == 0)
		rc = CL_EMALFDB;
	if (rc == CL_SUCCESS)
		rc = cl_engine_compile(e->cl);
	if (rc != CL_SUCCESS) {
		sl_cause(cause, -SL_E_VERIFY, "ClamAV databases in %s: %s", db_dir,
			 *sigs == 0 && rc == CL_EMALFDB ? "no signatures" : cl_strerror(rc));
		sl_scan_engine_free(e);
		return NULL;
	}
	return e;
}

void sl_scan_engine_free(struct sl_scan_engine *e)
{
	if (e == NULL)
		return;
	if (e->cl != NULL)
		cl_engine_free(e->cl);
	free(e);
}

struct sl_scan_engine *sl_scan_engine_dry(const struct sl_scan_limits *lim)
{
	struct sl_scan_engine *e = calloc(1, sizeof *e);
	if (e != NULL) {
		e->lim = *lim;
		snprintf(e->tmpdir, sizeof e->tmpdir, "/tmp");
	}
	return e;
}

static uint64_t mem_cap(const struct walk *w)
{
	return w->e->lim.mem_member ? w->e->lim.mem_member : SL_SCAN_MEM_MEMBER;
}

static void scan_plain(struct walk *w, const struct src *s, const char *member)
{
	if (w->e->cl == NULL)
		return;   /* a dry engine: the walk only */
	/* Every parser, and every match (ALLMATCHES: a file that matches a cheap signature is still read to
	 * the end, so the first name reported is not chosen by the order of the databases). */
	struct cl_scan_options opts = { .parse = ~0u, .general = CL_SCAN_GENERAL_ALLMATCHES };
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t rc;
	if (s->fd >= 0) {
		if (lseek(s->fd, 0, SEEK_SET) < 0) {
			emit(w, "scan-error", member, strerror(errno));
			return;
		}
		rc = cl_scandesc(s->fd, member, &virname, &scanned, w->e->cl, &opts);
	} else {
		cl_fmap_t *map = cl_fmap_open_memory(s->p, s->len);
		if (map == NULL) {
			emit(w, "scan-error", member, "libclamav: cannot map the member");
			return;
		}
		rc = cl_scanmap_callback(map, member, &virname, &scanned, w->e->cl, &opts, NULL);
		cl_fmap_close(map);
	}
	if (rc == CL_VIRUS)
		emit(w, "malware", member, virname != NULL ? virname : "(unnamed signature)");
	else if (rc != CL_CLEAN)
		emit(w, "scan-error", member, cl_strerror(rc));
}

static bool has(const uint8_t *p, size_t n, const char *magic, size_t mlen)
{
	return n >= mlen && memcmp(p, magic, mlen) == 0;
}

/* A tar header: the checksum libarchive's tar bidder checks (unsigned or signed sum, the field as spaces). */
static bool tar_header(const uint8_t *h, size_t n)
{
	if (n < 512)
		return false;
	if (memcmp(h + 257, "ustar", 5) == 0)
		return true;
	unsigned long want = 0;
	size_t i = 148;
	while (i < 156 && h[i] == ' ')
		i++;
	bool digits = false;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++) {
		want = want * 8 + (unsigned long)(h[i] - '0');
		digits = true;
	}
	if (!digits)
		return false;
	unsigned long usum = 0;
	long ssum = 0;
	for (i = 0; i < 512; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
		usum += c;
		ssum += (signed char)c;
	}
	return usum == want || (unsigned long)ssum == want;
}

/* A raw .lzma stream as libarchive's lzma bidder sees it: properties byte <= 224, a dictionary size of
 * 2^k or 2^k + 2^(k-1) (a superset of what it accepts). */
static bool lzma_header(const uint8_t *p, size_t n)
{
	if (n < 14 || p[0] > 224)
		return false;
	uint32_t dict = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
	for (unsigned k = 0; k < 32; k++)
		if (dict == 1u << k || (k > 0 && dict == (1u << k) + (1u << (k - 1))))
			return true;
	return false;
}

/* libarchive's uudecode bidder: a "begin " line within its first reads. */
static bool uu_begin(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (has(p + i, n - i, "begin ", 6) || has(p + i, n - i, "begin-base64 ", 13))
			return true;
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - p) + 1;
	}
	return false;
}

/* Whether libarchive (formats ar, tar, cpio; every filter) could open these bytes: the magic numbers its
 * bidders accept. false means no libarchive bidder would claim them, so not trying loses nothing. */
static bool may_be_archive(const uint8_t *p, size_t n)
{
	static const struct {
		const char *m;
		size_t len;
	} magic[] = {
		{ "!<arch>\n", 8 }, { "0707", 4 }, { "\x71\xc7", 2 }, { "\xc7\x71", 2 },     /* ar, cpio */
		{ "\x1f\x8b", 2 }, { "\x1f\x9d", 2 }, { "BZh", 3 }, { "\xfd" "7zXZ\0", 6 }, /* gzip, compress, bzip2, xz */
		{ "\x28\xb5\x2f\xfd", 4 }, { "\x04\x22\x4d\x18", 4 },                   /* zstd, lz4 */
		{ "\x02\x21\x4c\x18", 4 }, { "LZIP", 4 }, { "\x89LZO", 4 }, { "LRZI", 4 },   /* lz4 legacy, lzip, lzop, lrzip */
		{ "GRZipII", 7 }, { "\xed\xab\xee\xdb", 4 },                                   /* grzip, RPM */
	};
	for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++)
		if (has(p, n, magic[i].m, magic[i].len))
			return true;
	return lzma_header(p, n) || tar_header(p, n) || uu_begin(p, n < SL_SCAN_MAGIC_PEEK ? n : SL_SCAN_MAGIC_PEEK);
}

static void scan_src(struct walk *w, const struct src *s, const char *member, unsigned depth);

static void too_big(struct walk *w, const char *name)
{
	char d[96];
	snprintf(d, sizeof d, "member larger than max_filesize (%llu bytes): not scanned",
		 (unsigned long long)w->e->lim.max_filesize);
	emit(w, "limit", name, d);
}

/* The current entry's data into memory (size known and under the cap); NULL when it cannot be read
 * (reported). */
static uint8_t *read_mem(struct walk *w, struct archive *a, const char *name, size_t size, size_t *len)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL) {
		emit(w, "scan-error", name, "out of memory");
		return NULL;
	}
	size_t n = 0;
	for (;;) {
		uint8_t extra[1];
		la_ssize_t got = n < size ? archive_read_data(a, buf + n, size - n) : archive_read_data(a, extra, 1);
		if (got == 0)
			break;
		if (got < 0 || n >= size) {
			/* A read error, or more data than the header declared: the entry cannot be trusted. */
			emit(w, "unreadable", name, got < 0 && archive_error_string(a) ? archive_error_string(a)
										 : "member longer than its header says");
			free(buf);
			return NULL;
		}
		n += (size_t)got;
	}
	*len = n;
	return buf;
}

/* Copy the current entry's data to an anonymous temporary file; -1 when it does not fit or cannot be read
 * (reported). */
static int extract(struct walk *w, struct archive *a, const char *name)
{
	char tmp[SL_MAX_PATH + 32];
	snprintf(tmp, sizeof tmp, "%s/member-XXXXXX", w->e->tmpdir);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		emit(w, "scan-error", name, strerror(errno));
		return -1;
	}
	unlink(tmp);
	char buf[64 * 1024];
	uint64_t n = 0;
	for (;;) {
		la_ssize_t got = archive_read_data(a, buf, sizeof buf);
		if (got == 0)
			break;
		if (got < 0) {
			emit(w, "unreadable", name, archive_error_string(a) ? archive_error_string(a) : "read error");
			close(fd);
			return -1;
		}
		n += (uint64_t)got;
		if (n > w->e->lim.max_filesize) {
			too_big(w, name);
			close(fd);
			return -1;
		}
		if (write(fd, buf, (size_t)got) != got) {
			emit(w, "scan-error", name, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* One regular member: in memory when its size is known and under the cap (and the nesting above holds less
 * than SL_SCAN_MEM_HELD), else through a file. */
static void scan_member(struct walk *w, struct archive *a, struct archive_entry *ent, const char *path, unsigned depth)
{
	la_int64_t size = archive_entry_size_is_set(ent) ? archive_entry_size(ent) : -1;
	if (size >= 0 && (uint64_t)size > w->e->lim.max_filesize) {
		too_big(w, path);
		return;
	}
	if (size >= 0 && (uint64_t)size <= mem_cap(w) && w->in_memory + (uint64_t)size <= SL_SCAN_MEM_HELD) {
		struct src s = { .fd = -1 };
		uint8_t *buf = read_mem(w, a, path, (size_t)size, &s.len);
		if (buf == NULL)
			return;
		s.p = buf;
		w->scanned += s.len;
		w->in_memory += s.len;
		scan_src(w, &s, path, depth + 1);
		w->in_memory -= s.len;
		free(buf);
		return;
	}
	struct src s = { .fd = extract(w, a, path) };
	if (s.fd < 0)
		return;
	struct stat st;
	if (fstat(s.fd, &st) == 0)
		w->scanned += (uint64_t)st.st_size;
	scan_src(w, &s, path, depth + 1);
	close(s.fd);
}

/* Member paths read "outer!inner": a data.tar.zst inside a .deb, a file inside it. */
static void join(char *buf, size_t cap, const char *outer, const char *inner)
{
	const char *in = inner;
	while (in[0] == '.' && in[1] == '/')
		in += 2;
	if (outer == NULL || outer[0] == '\0')
		snprintf(buf, cap, "%s", in);
	else
		snprintf(buf, cap, "%s!%s", outer, in);
}

/* 1 when the bytes held an archive (walked), 0 when they are not one. */
static int walk_archive(struct walk *w, const struct src *s, const char *member, unsigned depth)
{
	struct archive *a = archive_read_new();
	if (a == NULL)
		return 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	struct archive_entry *ent;
	int opened = s->fd >= 0 ? (lseek(s->fd, 0, SEEK_SET) < 0 ? ARCHIVE_FATAL : archive_read_open_fd(a, s->fd, 64 * 1024))
				: archive_read_open_memory(a, s->p, s->len);
	if (opened != ARCHIVE_OK || archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		archive_read_free(a);
		return 0;
	}
	int r = ARCHIVE_OK;
	for (; r == ARCHIVE_OK; r = archive_read_next_header(a, &ent)) {
		const char *name = archive_entry_pathname(ent);
		char path[SL_MAX_REL_PATH];
		join(path, sizeof path, member, name != NULL ? name : "?");
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		if (w->scanned > w->e->lim.max_scansize) {
			char d[96];
			snprintf(d, sizeof d, "artifact beyond max_scansize (%llu bytes): the rest not scanned",
				 (unsigned long long)w->e->lim.max_scansize);
			emit(w, "limit", path, d);
			w->over_scansize = true;
			break;
		}
		scan_member(w, a, ent, path, depth);
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK && !w->over_scansize)
		emit(w, "unreadable", member, archive_error_string(a) ? archive_error_string(a) : "archive read error");
	archive_read_free(a);
	return 1;
}

static bool src_may_be_archive(const struct src *s)
{
	if (s->fd < 0)
		return may_be_archive(s->p, s->len);
	uint8_t *head = malloc(SL_SCAN_MAGIC_PEEK);
	if (head == NULL)
		return true;   /* cannot tell: let libarchive try */
	ssize_t n = pread(s->fd, head, SL_SCAN_MAGIC_PEEK, 0);
	bool may = n < 0 || may_be_archive(head, (size_t)n);
	free(head);
	return may;
}

static void scan_src(struct walk *w, const struct src *s, const char *member, unsigned depth)
{
	if (depth > w->e->lim.max_recursion) {
		emit(w, "limit", member, "archives nested deeper than max_recursion: not scanned");
		return;
	}
	if (src_may_be_archive(s) && walk_archive(w, s, member, depth))
		return;
	scan_plain(w, s, member);
}

void sl_scan_engine_scan(struct sl_scan_engine *e, int fd, int out)
{
	struct walk w = { .e = e, .out = out };
	struct stat st;
	/* The artifact itself is mapped: its pages come from the page cache, whatever its size. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			struct src s = { .p = p, .len = (size_t)st.st_size, .fd = -1 };
			scan_src(&w, &s, "", 0);
			munmap(p, (size_t)st.st_size);
			return;
		}
	}
	struct src s = { .fd = fd };
	scan_src(&w, &s, "", 0);
}
