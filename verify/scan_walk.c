/* scan_walk: the scanner child's work — libclamav's engine, and the walk into archives ClamAV cannot read
 * itself (ar, zstd), member by member, each extracted to an anonymous temporary file and scanned as a file.
 * Runs only in the child started by scan.c. Output, one line per finding: "F\tKIND\tMEMBER\tDETAIL\n",
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
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"

struct sl_scan_engine {
	struct cl_engine *cl;
	struct sl_scan_limits lim;
};

struct walk {
	struct sl_scan_engine *e;
	int out;
	uint64_t scanned;          /* bytes scanned of this artifact so far */
	bool over_scansize;        /* the rest of the artifact is skipped (reported once) */
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

struct sl_scan_engine *sl_scan_engine_load(const char *db_dir, const struct sl_scan_limits *lim, unsigned *sigs,
					   char **cause)
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
	cl_engine_set_num(e->cl, CL_ENGINE_MAX_FILESIZE, (long long)lim->max_filesize);
	cl_engine_set_num(e->cl, CL_ENGINE_MAX_SCANSIZE, (long long)lim->max_scansize);
	cl_engine_set_num(e->cl, CL_ENGINE_MAX_RECURSION, (long long)lim->max_recursion);
	*sigs = 0;
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
	if (e != NULL)
		e->lim = *lim;
	return e;
}

static void scan_plain(struct walk *w, int fd, const char *member)
{
	if (w->e->cl == NULL)
		return;   /* a dry engine: the walk only */
	struct cl_scan_options opts = { .parse = ~0u, .general = CL_SCAN_GENERAL_ALLMATCHES };
	const char *virname = NULL;
	unsigned long scanned = 0;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		emit(w, "scan-error", member, strerror(errno));
		return;
	}
	cl_error_t rc = cl_scandesc(fd, member, &virname, &scanned, w->e->cl, &opts);
	if (rc == CL_VIRUS)
		emit(w, "malware", member, virname != NULL ? virname : "(unnamed signature)");
	else if (rc != CL_CLEAN)
		emit(w, "scan-error", member, cl_strerror(rc));
}

static void scan_fd(struct walk *w, int fd, const char *member, unsigned depth);

/* Copy the current entry's data to an anonymous temporary file; -1 when it does not fit or cannot be read
 * (reported). */
static int extract(struct walk *w, struct archive *a, const char *name)
{
	char tmp[] = "/tmp/sluice-scan-XXXXXX";
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
			char d[96];
			snprintf(d, sizeof d, "member larger than max_filesize (%llu bytes): not scanned",
				 (unsigned long long)w->e->lim.max_filesize);
			emit(w, "limit", name, d);
			close(fd);
			return -1;
		}
		if (write(fd, buf, (size_t)got) != got) {
			emit(w, "scan-error", name, strerror(errno));
			close(fd);
			return -1;
		}
	}
	w->scanned += n;
	return fd;
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

/* 1 when fd held an archive (walked), 0 when it is not one. */
static int walk_archive(struct walk *w, int fd, const char *member, unsigned depth)
{
	struct archive *a = archive_read_new();
	if (a == NULL)
		return 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	struct archive_entry *ent;
	if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
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
		int mfd = extract(w, a, path);
		if (mfd < 0)
			continue;
		scan_fd(w, mfd, path, depth + 1);
		close(mfd);
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK && !w->over_scansize)
		emit(w, "unreadable", member, archive_error_string(a) ? archive_error_string(a) : "archive read error");
	archive_read_free(a);
	return 1;
}

static void scan_fd(struct walk *w, int fd, const char *member, unsigned depth)
{
	if (depth > w->e->lim.max_recursion) {
		emit(w, "limit", member, "archives nested deeper than max_recursion: not scanned");
		return;
	}
	if (walk_archive(w, fd, member, depth))
		return;
	scan_plain(w, fd, member);
}

void sl_scan_engine_scan(struct sl_scan_engine *e, int fd, int out)
{
	struct walk w = { .e = e, .out = out };
	scan_fd(&w, fd, "", 0);
}
