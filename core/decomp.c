/* decomp: libarchive's "raw" format with compression filters, for reading and writing single
 * compressed streams (Packages.xz, Packages.gz) without holding them in memory. */
#include "core/decomp.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/thread.h"

struct sl_decomp_reader {
	struct archive *a;
	uint64_t max_out, total;
	int err;
	bool eof;
	char why[256];
};


static const char *arch_msg(struct archive *a)
{
	const char *m = archive_error_string(a);
	return m ? m : "truncated or corrupt compressed data";
}

static int reader_fail(struct sl_decomp_reader *r, int err, const char *what)
{
	r->err = err;
	snprintf(r->why, sizeof r->why, "%s", what);
	return err;
}

/* Every decoder must be built in: ARCHIVE_WARN means libarchive would fork an external program. */
static int enable_filters(struct archive *a, char **cause)
{
	static const struct {
		const char *name;
		int (*fn)(struct archive *);
	} filters[] = {
		{ "gzip", archive_read_support_filter_gzip },
		{ "xz", archive_read_support_filter_xz },
		{ "lzma", archive_read_support_filter_lzma },
		{ "bzip2", archive_read_support_filter_bzip2 },
		{ "zstd", archive_read_support_filter_zstd },
		{ "lz4", archive_read_support_filter_lz4 },
	};
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (filters[i].fn(a) != ARCHIVE_OK) {
			sl_cause(cause, 0, "libarchive has no built-in %s decoder", filters[i].name);
			return -SL_E_UNSUPPORTED;
		}
	if (archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(a) != ARCHIVE_OK) {
		sl_cause(cause, 0, "libarchive: %s", arch_msg(a));
		return -SL_E_UNSUPPORTED;
	}
	return 0;
}

struct sl_decomp_reader *sl_decomp_reader_new(int fd, uint64_t max_out, char **cause)
{
	struct sl_decomp_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	r->max_out = max_out;
	r->a = archive_read_new();
	if (r->a == NULL) {
		free(r);
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	if (enable_filters(r->a, cause) != 0)
		goto fail;
	if (archive_read_open_fd(r->a, fd, SL_DECOMP_BLOCK) != ARCHIVE_OK) {
		sl_cause(cause, 0, "cannot open compressed stream: %s", arch_msg(r->a));
		goto fail;
	}
	struct archive_entry *e;
	int rc = archive_read_next_header(r->a, &e);
	if (rc == ARCHIVE_EOF) {
		r->eof = true;  /* empty input */
	} else if (rc != ARCHIVE_OK) {
		sl_cause(cause, 0, "cannot read compressed stream: %s", arch_msg(r->a));
		goto fail;
	}
	r->why[0] = '\0';
	return r;
fail:
	archive_read_free(r->a);
	free(r);
	return NULL;
}

ssize_t sl_decomp_reader_read(struct sl_decomp_reader *r, void *buf, size_t cap)
{
	if (r->err != 0)
		return r->err;
	if (r->eof || cap == 0)
		return 0;
	la_ssize_t n = archive_read_data(r->a, buf, cap);
	if (n < 0)
		return reader_fail(r, -SL_E_ARCHIVE, arch_msg(r->a));
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	if ((uint64_t)n > r->max_out - r->total)
		return reader_fail(r, -SL_E_TOOBIG, "decompressed data exceeds its size limit");
	r->total += (uint64_t)n;
	return n;
}

const char *sl_decomp_reader_error(const struct sl_decomp_reader *r)
{
	return r->why;
}

void sl_decomp_reader_free(struct sl_decomp_reader *r)
{
	if (r == NULL)
		return;
	archive_read_free(r->a);
	free(r);
}

/* The caller's loop: read a block, hand it to sink. */
static int pump_here(struct sl_decomp_reader *r, int (*sink)(void *arg, const void *data, size_t len), void *arg,
		     char **cause)
{
	uint8_t *buf = malloc(SL_DECOMP_BLOCK);
	if (buf == NULL) {
		sl_cause(cause, 0, "out of memory");
		return -ENOMEM;
	}
	int rc = 0;
	for (;;) {
		ssize_t n = sl_decomp_reader_read(r, buf, SL_DECOMP_BLOCK);
		if (n < 0) {
			rc = (int)n;
			sl_cause(cause, 0, "%s", sl_decomp_reader_error(r));
			break;
		}
		if (n == 0)
			break;
		rc = sink(arg, buf, (size_t)n);
		if (rc != 0)
			break;
	}
	free(buf);
	return rc;
}

/* ---- decoding on a thread of its own: the sink (a parser) works on one block while the next is decoded.
 * A ring of DECOMP_RING blocks; the decoder fills them in order, the caller empties them in order. */

#define DECOMP_RING 4

struct ring {
	struct sl_decomp_reader *r;
	pthread_mutex_t mu;
	pthread_cond_t filled, emptied;
	uint8_t *buf[DECOMP_RING];
	ssize_t len[DECOMP_RING];    /* > 0 bytes, 0 end, < 0 error; valid once full[i] */
	bool full[DECOMP_RING];
	bool stop;                   /* the caller gave up (its sink failed): the decoder stops */
};

static void *decode_main(void *arg)
{
	struct ring *g = arg;
	for (unsigned i = 0;; i = (i + 1) % DECOMP_RING) {
		pthread_mutex_lock(&g->mu);
		while (g->full[i] && !g->stop)
			pthread_cond_wait(&g->emptied, &g->mu);
		bool stop = g->stop;
		pthread_mutex_unlock(&g->mu);
		if (stop)
			return NULL;
		ssize_t n = sl_decomp_reader_read(g->r, g->buf[i], SL_DECOMP_BLOCK);
		pthread_mutex_lock(&g->mu);
		g->len[i] = n;
		g->full[i] = true;
		pthread_cond_signal(&g->filled);
		pthread_mutex_unlock(&g->mu);
		if (n <= 0)
			return NULL;
	}
}

/* As pump_here; *ran false when no thread could be started (nothing was read: the caller reads itself). */
static int pump_threaded(struct sl_decomp_reader *r, int (*sink)(void *arg, const void *data, size_t len),
			 void *arg, char **cause, bool *ran)
{
	struct ring g = { .r = r };
	*ran = false;
	uint8_t *mem = malloc((size_t)DECOMP_RING * SL_DECOMP_BLOCK);
	if (mem == NULL)
		return 0;
	for (unsigned i = 0; i < DECOMP_RING; i++)
		g.buf[i] = mem + (size_t)i * SL_DECOMP_BLOCK;
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.filled, NULL);
	pthread_cond_init(&g.emptied, NULL);
	pthread_t t;
	bool started = sl_thread_start(&t, decode_main, &g) == 0;
	*ran = started;
	int rc = 0;
	for (unsigned i = 0; started; i = (i + 1) % DECOMP_RING) {
		pthread_mutex_lock(&g.mu);
		while (!g.full[i])
			pthread_cond_wait(&g.filled, &g.mu);
		ssize_t n = g.len[i];
		pthread_mutex_unlock(&g.mu);
		if (n < 0) {
			rc = (int)n;
			sl_cause(cause, 0, "%s", sl_decomp_reader_error(r));   /* the decoder has ended */
		} else if (n > 0) {
			rc = sink(arg, g.buf[i], (size_t)n);
		}
		pthread_mutex_lock(&g.mu);
		g.full[i] = false;
		g.stop = n <= 0 || rc != 0;
		pthread_cond_signal(&g.emptied);
		pthread_mutex_unlock(&g.mu);
		if (n <= 0 || rc != 0)
			break;
	}
	if (started)
		pthread_join(t, NULL);
	pthread_cond_destroy(&g.emptied);
	pthread_cond_destroy(&g.filled);
	pthread_mutex_destroy(&g.mu);
	free(mem);
	return rc;
}

int sl_decomp_fd_cause(int fd, uint64_t max_out, int (*sink)(void *arg, const void *data, size_t len),
		       void *arg, char **cause)
{
	struct sl_decomp_reader *r = sl_decomp_reader_new(fd, max_out, cause);
	if (r == NULL)
		return -SL_E_ARCHIVE;
	/* Plain input is only copied: a thread would cost more than it saves. */
	int rc = 0;
	bool ran = false;
	if (!r->eof && archive_filter_count(r->a) > 1 && archive_filter_code(r->a, 0) != ARCHIVE_FILTER_NONE)
		rc = pump_threaded(r, sink, arg, cause, &ran);
	if (!ran)
		rc = pump_here(r, sink, arg, cause);
	sl_decomp_reader_free(r);
	return rc;
}

int sl_decomp_fd(int fd, uint64_t max_out, int (*sink)(void *arg, const void *data, size_t len), void *arg)
{
	return sl_decomp_fd_cause(fd, max_out, sink, arg, NULL);
}

struct sl_comp_writer {
	struct archive *a;     /* NULL for SL_COMP_NONE: bytes go straight to sink */
	int (*sink)(void *arg, const void *data, size_t len);
	void *arg;
	int err;               /* sticky: the sink's return or a libarchive failure */
	bool finished;
};

static la_ssize_t writer_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	struct sl_comp_writer *w = client;
	if (w->err != 0)
		return -1;
	int rc = w->sink(w->arg, buf, len);
	if (rc != 0) {
		w->err = rc;
		archive_set_error(a, EIO, "output refused");
		return -1;
	}
	return (la_ssize_t)len;
}

static int writer_setup(struct sl_comp_writer *w, enum sl_comp c, char **cause)
{
	struct archive *a = w->a;
	int rc;
	if (c == SL_COMP_GZIP) {
		rc = archive_write_add_filter_gzip(a);
		/* "!timestamp": zero mtime, so the same input always gives the same bytes. */
		if (rc == ARCHIVE_OK)
			rc = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
		char level[16];
		snprintf(level, sizeof level, "%d", SL_COMP_GZIP_LEVEL);
		if (rc == ARCHIVE_OK)
			rc = archive_write_set_filter_option(a, "gzip", "compression-level", level);
	} else {
		char level[16];
		snprintf(level, sizeof level, "%d", SL_COMP_XZ_PRESET);
		rc = archive_write_add_filter_xz(a);
		if (rc == ARCHIVE_OK)
			rc = archive_write_set_filter_option(a, "xz", "compression-level", level);
	}
	if (rc == ARCHIVE_OK)
		rc = archive_write_set_format_raw(a);
	/* No blocking or padding: the stream must end exactly where the compressor does. */
	if (rc == ARCHIVE_OK)
		rc = archive_write_set_bytes_per_block(a, 0);
	if (rc == ARCHIVE_OK)
		rc = archive_write_set_bytes_in_last_block(a, 1);
	if (rc == ARCHIVE_OK)
		rc = archive_write_open2(a, w, NULL, writer_cb, NULL, NULL);
	struct archive_entry *e = NULL;
	if (rc == ARCHIVE_OK) {
		e = archive_entry_new();
		if (e == NULL) {
			sl_cause(cause, 0, "out of memory");
			return -ENOMEM;
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_pathname(e, "data");
		rc = archive_write_header(a, e);
		archive_entry_free(e);
	}
	if (rc != ARCHIVE_OK) {
		sl_cause(cause, 0, "cannot set up %s compression: %s", c == SL_COMP_GZIP ? "gzip" : "xz", arch_msg(a));
		return -SL_E_ARCHIVE;
	}
	return 0;
}

struct sl_comp_writer *sl_comp_writer_new(enum sl_comp c, int (*sink)(void *arg, const void *data, size_t len),
					  void *arg, char **cause)
{
	if (c != SL_COMP_NONE && c != SL_COMP_GZIP && c != SL_COMP_XZ) {
		sl_cause(cause, 0, "unknown compression %d", (int)c);
		return NULL;
	}
	struct sl_comp_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	w->sink = sink;
	w->arg = arg;
	if (c == SL_COMP_NONE)
		return w;
	w->a = archive_write_new();
	if (w->a == NULL || writer_setup(w, c, cause) != 0) {
		if (w->a != NULL)
			archive_write_free(w->a);
		free(w);
		return NULL;
	}
	return w;
}

int sl_comp_writer_write(struct sl_comp_writer *w, const void *data, size_t len)
{
	if (w->err != 0)
		return w->err;
	if (w->finished)
		return w->err = -SL_E_STATE;
	if (w->a == NULL) {
		int rc = len ? w->sink(w->arg, data, len) : 0;
		if (rc != 0)
			w->err = rc;
		return rc;
	}
	const uint8_t *p = data;
	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);
		if (n <= 0) {
			if (w->err == 0)
				w->err = -SL_E_ARCHIVE;
			return w->err;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sl_comp_writer_finish(struct sl_comp_writer *w)
{
	if (w->err != 0)
		return w->err;
	if (w->finished)
		return -SL_E_STATE;
	w->finished = true;
	if (w->a != NULL && archive_write_close(w->a) != ARCHIVE_OK && w->err == 0)
		w->err = -SL_E_ARCHIVE;
	return w->err;
}

void sl_comp_writer_free(struct sl_comp_writer *w)
{
	if (w == NULL)
		return;
	if (w->err == 0 && !w->finished)
		w->err = -SL_E_INTERRUPTED;  /* the close inside archive_write_free must not reach the sink */
	if (w->a != NULL)
		archive_write_free(w->a);
	free(w);
}
