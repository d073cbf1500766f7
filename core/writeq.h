/* writeq: write-behind for store writers. Background threads perform the positional writes (pwrite) that
 * producers queue, so a single-threaded producer (the fetch engine's event loop, which receives and
 * hashes) overlaps with the kernel's copy of those bytes into the page cache, which is the largest single
 * cost of a sync on one core; it also opens temp files ahead (sl_writeq_tmpfile). Appended bytes are gathered per file in one of a fixed number of
 * buffers (SL_WRITEQ_BUFS x SL_WRITEQ_BUF_BYTES, core/limits.h), queued when full (or at flush/drain), and
 * written with one pwrite each (curl hands over ~16 KiB at a time): memory is capped, and a producer that is
 * faster than the writes waits. When every buffer is some file's partial fill (more files open than
 * buffers), a file's bytes are written on the producer's thread instead, so nobody waits forever.
 *
 * Ownership: sl_writeq_new() -> sl_writeq_free() (which first waits for everything queued). A
 * struct sl_writeq_file is embedded by its user (the store writer), set up with sl_writeq_file_init(), and
 * must be drained with sl_writeq_file_drain() before its fd is closed, truncated or linked, or the struct
 * freed. Each file has one producer thread; any number of files share a queue.
 * Failure: a failed background write is remembered in its file (the first -errno) and returned by the next
 * sl_writeq_append() and by sl_writeq_file_drain(); nothing is logged here. The background threads block
 * every signal, so signal handling stays with the producer's thread. */
#ifndef SL_WRITEQ_H
#define SL_WRITEQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_writeq;
struct sl_writeq_buf;

/* One file's state; fields are private to writeq.c (embedded so a writer needs no extra allocation). */
struct sl_writeq_file {
	int fd;
	uint64_t off;                 /* file offset of the next appended byte (producer only) */
	struct sl_writeq_buf *fill;   /* partly filled buffer, not queued yet (producer only) */
	int (*consume)(void *arg, const void *data, size_t len);
	void *consume_arg;
	bool active;                  /* a thread is on one of its buffers (under the queue's lock) */
	bool writeback;               /* set after init: start write-back once flushed (sync_file_range) */
	unsigned pending;             /* buffers queued or being written (under the queue's lock) */
	int err;                      /* first failed write, -errno (under the queue's lock) */
	void (*finish)(void *arg, int err);   /* sl_writeq_file_finish(): run once after the last write */
	void *finish_arg;
	bool finishing, finished;     /* finish asked for / has returned (under the queue's lock) */
};

/* Start the background thread. NULL + *cause when it cannot be started (the caller then writes itself). */
struct sl_writeq *sl_writeq_new(char **cause);
/* Wait for every queued write, stop the thread, free. NULL: no-op. Files must have been drained. */
void sl_writeq_free(struct sl_writeq *q);

/* An unnamed temp file (O_TMPFILE | O_RDWR, with `mode`) in dirfd for the caller to own: one the thread
 * opened ahead when there is one, so that inode allocation (costly on ext4 after many deletions) leaves the
 * producer's thread too. A queue keeps spares for the first dirfd and mode it is asked for; that directory
 * must stay open while the queue lives; other directories or modes are served by a plain open. fd or -errno
 * (EOPNOTSUPP, EISDIR, EINVAL: no O_TMPFILE there). */
int sl_writeq_tmpfile(struct sl_writeq *q, int dirfd, unsigned mode);

/* Bytes appended to wf go to fd at offset off, off + len, ... consume (may be NULL) is given every byte in
 * append order, on a queue thread, just before it is written (the store writer hashes there, off the
 * producer's thread); a non-zero return is the file's error and the bytes are not written. A file's buffers
 * are handled one at a time, in order; different files' in parallel. */
void sl_writeq_file_init(struct sl_writeq_file *wf, int fd, uint64_t off,
			 int (*consume)(void *arg, const void *data, size_t len), void *arg);
/* Queue len bytes (copied; data may be reused on return). 0, or the file's first failed write. */
int sl_writeq_append(struct sl_writeq *q, struct sl_writeq_file *wf, const void *data, size_t len);
/* Queue what wf has gathered without waiting (a finished download's last bytes). A file that ends within
 * SL_WRITEQ_DIRECT_MAX bytes and has nothing queued is instead consumed and written right here, on the
 * caller's thread, without a write-back hint (small files are left to the next syncfs, written back together). */
void sl_writeq_file_flush(struct sl_writeq *q, struct sl_writeq_file *wf);
/* True while some of wf's bytes are still queued or being written (drain would wait). */
bool sl_writeq_file_busy(struct sl_writeq *q, const struct sl_writeq_file *wf);
/* Queue what wf has gathered and wait until every byte of wf is written, and its finish (if asked for)
 * has returned. 0 or the first failed write. */
int sl_writeq_file_drain(struct sl_writeq *q, struct sl_writeq_file *wf);
/* Every byte is in: queue what wf has gathered, and once its last byte is written call finish(arg, err) (err:
 * the file's first failed write, or 0), on the queue thread that wrote it, or right here when nothing is
 * left to write. The producer goes on meanwhile: sl_writeq_file_busy() stays true until finish has
 * returned. What a store commit costs (the digest check, naming the file, closing it) thereby leaves the
 * producer's thread. Nothing may be appended afterwards; at most once per file. */
void sl_writeq_file_finish(struct sl_writeq *q, struct sl_writeq_file *wf, void (*finish)(void *arg, int err),
			   void *arg);

#endif
