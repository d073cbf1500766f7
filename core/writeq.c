/* writeq: a fixed pool of buffers, a FIFO of filled ones, and threads that consume and pwrite() them (one
 * thread per file at a time, in order; different files in parallel) and keep a few temp files open ahead. */
#include "core/writeq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/thread.h"

struct sl_writeq_buf {
	struct sl_writeq_buf *next;
	struct sl_writeq_file *wf;
	uint64_t off;
	size_t len;
	bool last;                           /* queued by flush: start the file's write-back after it */
	uint8_t data[SL_WRITEQ_BUF_BYTES];
};

struct sl_writeq {
	pthread_mutex_t mu;
	pthread_cond_t work;                 /* to the threads: a buffer was queued or a file freed, or stop */
	pthread_cond_t done;                 /* to producers: a buffer is free again, a file's pending fell */
	struct sl_writeq_buf *free_list;
	struct sl_writeq_buf *head, *tail;   /* queued, oldest first */
	unsigned inflight;                   /* buffers queued or being written */
	unsigned running;                    /* threads not waiting for work */
	bool stop;
	int spare_dir;                       /* directory of the spare temp files, -1 until asked (borrowed) */
	unsigned spare_mode;                 /* and their mode */
	bool spare_failed;                   /* O_TMPFILE refused there: stop trying */
	bool spare_busy;                     /* a thread is opening one */
	unsigned nspares;
	int spares[SL_WRITEQ_SPARES];        /* O_TMPFILE inodes opened ahead in spare_dir */
	pthread_t threads[SL_WRITEQ_THREADS];
	unsigned nthreads;
	struct sl_writeq_buf *bufs[SL_WRITEQ_BUFS];
};

static bool want_spare(const struct sl_writeq *q)
{
	return q->spare_dir >= 0 && !q->spare_failed && !q->stop && q->nspares < SL_WRITEQ_SPARES;
}

/* Open one spare temp file. Called with the lock held; drops it around the open. */
static void make_spare(struct sl_writeq *q)
{
	int dir = q->spare_dir;
	mode_t mode = q->spare_mode;
	pthread_mutex_unlock(&q->mu);
	int fd = openat(dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	pthread_mutex_lock(&q->mu);
	if (fd < 0)
		q->spare_failed = true;   /* the producer's own open reports the reason */
	else if (q->nspares < SL_WRITEQ_SPARES)
		q->spares[q->nspares++] = fd;
	else
		close(fd);
}

/* Call wf's finish with the lock dropped, then mark it finished. Called with the lock held. */
static void run_finish(struct sl_writeq *q, struct sl_writeq_file *wf)
{
	int err = wf->err;
	pthread_mutex_unlock(&q->mu);
	wf->finish(wf->finish_arg, err);
	pthread_mutex_lock(&q->mu);
	/* Also read without the lock (sl_writeq_file_busy): released after everything finish wrote. */
	__atomic_store_n(&wf->finished, true, __ATOMIC_RELEASE);
}

/* The oldest queued buffer of a file no other thread is working on (a file's buffers are consumed in
 * order, one at a time, so its consume callback sees its bytes in order). Unlinked from the queue. */
static struct sl_writeq_buf *pick(struct sl_writeq *q)
{
	struct sl_writeq_buf *prev = NULL;
	for (struct sl_writeq_buf *b = q->head; b != NULL; prev = b, b = b->next) {
		if (b->wf->active)
			continue;
		if (prev != NULL)
			prev->next = b->next;
		else
			q->head = b->next;
		if (q->tail == b)
			q->tail = prev;
		return b;
	}
	return NULL;
}

/* A producer queued work. A thread that is not waiting looks at the queue again (under the lock) before it
 * waits, so another is woken only when none runs or the queue outgrows the running ones: a fetch of
 * thousands of small files otherwise pays a futex wake-up and two context switches per file. Called with
 * the lock held. */
static void wake(struct sl_writeq *q)
{
	if (q->running == 0 || q->inflight > 2 * q->running)
		pthread_cond_signal(&q->work);
}

static void *writer_main(void *arg)
{
	struct sl_writeq *q = arg;
	/* A producer fetching thousands of small files wakes a thread per file; on a machine whose cores are all
	 * busy (the downloads are), each wake-up otherwise switched the producer out for the writer at once: at
	 * 60,000 files that made the download phase 7-19 % longer. The writes wait a little instead. */
	(void)sl_thread_batch();
	pthread_mutex_lock(&q->mu);
	q->running++;
	for (;;) {
		/* Spares come first, made by one thread at a time: the producer opens one per download and
		 * would otherwise allocate the inode itself. */
		if (want_spare(q) && !q->spare_busy) {
			q->spare_busy = true;
			make_spare(q);
			q->spare_busy = false;
			continue;
		}
		struct sl_writeq_buf *b = pick(q);
		if (b == NULL) {
			if (q->stop && q->head == NULL)
				break;
			q->running--;
			pthread_cond_wait(&q->work, &q->mu);
			q->running++;
			continue;
		}
		struct sl_writeq_file *wf = b->wf;
		wf->active = true;
		pthread_mutex_unlock(&q->mu);
		int rc = wf->consume != NULL ? wf->consume(wf->consume_arg, b->data, b->len) : 0;
		if (rc == 0)
			rc = sl_fs_pwrite_all(wf->fd, b->data, b->len, b->off);
		/* The file is complete: start its write-back now (asynchronous), so that a later sync of the
		 * store finds little left to write. Not for a small one: thousands of those are written back
		 * cheaper together by the store's one syncfs than one I/O (and, in a VM, one exit) each. */
		if (rc == 0 && b->last && wf->writeback && b->off + b->len > SL_WRITEQ_DIRECT_MAX)
			(void)sync_file_range(wf->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&q->mu);
		if (rc != 0 && wf->err == 0)
			wf->err = rc;
		wf->pending--;
		q->inflight--;
		b->wf = NULL;
		b->next = q->free_list;
		q->free_list = b;
		if (wf->pending == 0 && wf->fill == NULL && wf->finishing && !wf->finished)
			run_finish(q, wf);   /* still active: nobody else touches the file meanwhile */
		wf->active = false;
		pthread_cond_broadcast(&q->done);
		if (q->head != NULL)
			pthread_cond_signal(&q->work);   /* a buffer of this file may have been waiting for us */
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Free what new set up, once no thread runs. */
static void destroy(struct sl_writeq *q)
{
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	for (size_t i = 0; i < SL_WRITEQ_BUFS; i++)
		free(q->bufs[i]);
	free(q);
}

struct sl_writeq *sl_writeq_new(char **cause)
{
	struct sl_writeq *q = calloc(1, sizeof *q);
	if (q == NULL) {
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < SL_WRITEQ_BUFS; i++) {
		q->bufs[i] = malloc(sizeof *q->bufs[i]);
		if (q->bufs[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(q->bufs[j]);
			free(q);
			sl_cause(cause, 0, "out of memory");
			return NULL;
		}
		q->bufs[i]->next = q->free_list;
		q->free_list = q->bufs[i];
	}
	q->spare_dir = -1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	/* Every signal stays with the producer (SIGTERM finishes the write). */
	int rc = 0;
	for (unsigned i = 0; i < SL_WRITEQ_THREADS && rc == 0; i++) {
		rc = sl_thread_start(&q->threads[i], writer_main, q);
		if (rc == 0)
			q->nthreads++;
	}
	if (q->nthreads > 0)
		return q;   /* fewer threads than asked still work */
	sl_cause(cause, 0, "cannot start a store write thread: %s", strerror(-rc));
	destroy(q);
	return NULL;
}

void sl_writeq_free(struct sl_writeq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	for (unsigned i = 0; i < q->nspares; i++)
		close(q->spares[i]);   /* unnamed: the inodes go with them */
	destroy(q);
}

int sl_writeq_tmpfile(struct sl_writeq *q, int dirfd, unsigned mode)
{
	pthread_mutex_lock(&q->mu);
	if (q->spare_dir < 0) {
		q->spare_dir = dirfd;
		q->spare_mode = mode;
		pthread_cond_signal(&q->work);
	}
	int fd = -1;
	if (dirfd == q->spare_dir && mode == q->spare_mode && q->nspares > 0) {
		fd = q->spares[--q->nspares];
		/* Make another. Above half full, whichever thread wakes next for a buffer refills first: one
		 * wake-up per download instead of two. */
		if (q->nspares < SL_WRITEQ_SPARES / 2)
			wake(q);
	}
	pthread_mutex_unlock(&q->mu);
	if (fd < 0)
		fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, (mode_t)mode);
	return fd >= 0 ? fd : -errno;
}

void sl_writeq_file_init(struct sl_writeq_file *wf, int fd, uint64_t off,
			 int (*consume)(void *arg, const void *data, size_t len), void *arg)
{
	*wf = (struct sl_writeq_file){ .fd = fd, .off = off, .consume = consume, .consume_arg = arg };
}

/* Queue the file's filled buffer. Called with the lock held. */
static void submit_locked(struct sl_writeq *q, struct sl_writeq_file *wf)
{
	struct sl_writeq_buf *b = wf->fill;
	wf->fill = NULL;
	b->next = NULL;
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	wf->pending++;
	q->inflight++;
	wake(q);
}

/* No buffer is free and none will come back (every one is some file's partial fill): write these bytes on
 * the caller's thread, after the file's own queued ones, so its consumer still sees them in order. Called
 * with the lock held; drops it around the write. */
static int write_direct(struct sl_writeq *q, struct sl_writeq_file *wf, const uint8_t *p, size_t len)
{
	while (wf->pending > 0)
		pthread_cond_wait(&q->done, &q->mu);
	if (wf->err != 0)
		return wf->err;
	pthread_mutex_unlock(&q->mu);
	int rc = wf->consume != NULL ? wf->consume(wf->consume_arg, p, len) : 0;
	if (rc == 0)
		rc = sl_fs_pwrite_all(wf->fd, p, len, wf->off);
	pthread_mutex_lock(&q->mu);
	wf->off += len;
	if (rc != 0 && wf->err == 0)
		wf->err = rc;
	return wf->err;
}

int sl_writeq_append(struct sl_writeq *q, struct sl_writeq_file *wf, const void *data, size_t len)
{
	const uint8_t *p = data;
	pthread_mutex_lock(&q->mu);
	int err = wf->err;
	while (err == 0 && len > 0) {
		if (wf->fill == NULL) {
			while (q->free_list == NULL && q->inflight > 0)
				pthread_cond_wait(&q->done, &q->mu);
			if (q->free_list == NULL) {
				err = write_direct(q, wf, p, len);
				break;
			}
			struct sl_writeq_buf *b = q->free_list;
			q->free_list = b->next;
			b->wf = wf;
			b->off = wf->off;
			b->len = 0;
			b->last = false;
			wf->fill = b;
		}
		/* Only this producer touches its fill until it is queued: copy without the lock. */
		struct sl_writeq_buf *b = wf->fill;
		pthread_mutex_unlock(&q->mu);
		size_t n = sizeof b->data - b->len;
		if (n > len)
			n = len;
		memcpy(b->data + b->len, p, n);
		b->len += n;
		wf->off += n;
		p += n;
		len -= n;
		pthread_mutex_lock(&q->mu);
		if (b->len == sizeof b->data)
			submit_locked(q, wf);
		err = wf->err;
	}
	pthread_mutex_unlock(&q->mu);
	return err;
}

/* A whole small file in its first buffer: consume and write it on the producer's thread. For a 1 KiB .deb the
 * hand-over (two futex wake-ups, a thread switch each way, and a settle poll on the producer's side) costs far
 * more than the pwrite; and no write-back hint either: thousands of small files are written back cheaper
 * together by the store's one syncfs than one I/O each. Called with the lock held; drops it. */
static void flush_direct(struct sl_writeq *q, struct sl_writeq_file *wf)
{
	struct sl_writeq_buf *b = wf->fill;
	pthread_mutex_unlock(&q->mu);
	int rc = wf->consume != NULL ? wf->consume(wf->consume_arg, b->data, b->len) : 0;
	if (rc == 0)
		rc = sl_fs_pwrite_all(wf->fd, b->data, b->len, b->off);
	pthread_mutex_lock(&q->mu);
	if (rc != 0 && wf->err == 0)
		wf->err = rc;
	wf->fill = NULL;
	b->wf = NULL;
	b->next = q->free_list;
	q->free_list = b;
	pthread_cond_broadcast(&q->done);
}

void sl_writeq_file_flush(struct sl_writeq *q, struct sl_writeq_file *wf)
{
	pthread_mutex_lock(&q->mu);
	if (wf->fill != NULL && wf->fill->len > 0 && wf->pending == 0 &&
	    wf->fill->off + wf->fill->len <= SL_WRITEQ_DIRECT_MAX && wf->err == 0) {
		flush_direct(q, wf);
	} else if (wf->fill != NULL && wf->fill->len > 0) {
		wf->fill->last = true;
		submit_locked(q, wf);
	} else if (wf->fill != NULL) {
		wf->fill->wf = NULL;
		wf->fill->next = q->free_list;
		q->free_list = wf->fill;
		wf->fill = NULL;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
}

int sl_writeq_file_drain(struct sl_writeq *q, struct sl_writeq_file *wf)
{
	sl_writeq_file_flush(q, wf);
	pthread_mutex_lock(&q->mu);
	while (wf->pending > 0 || (wf->finishing && !wf->finished))
		pthread_cond_wait(&q->done, &q->mu);
	int err = wf->err;
	pthread_mutex_unlock(&q->mu);
	return err;
}

bool sl_writeq_file_busy(struct sl_writeq *q, const struct sl_writeq_file *wf)
{
	/* Finishing (set by this producer): nothing is left but the finish, whose end is one flag. A fetch loop
	 * asks this of every settling download on each turn; taking the lock for it contends with the
	 * threads. */
	if (wf->finishing)
		return !__atomic_load_n(&wf->finished, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&q->mu);
	bool busy = wf->pending > 0 || wf->fill != NULL || (wf->finishing && !wf->finished);
	pthread_mutex_unlock(&q->mu);
	return busy;
}

void sl_writeq_file_finish(struct sl_writeq *q, struct sl_writeq_file *wf, void (*finish)(void *arg, int err),
			   void *arg)
{
	pthread_mutex_lock(&q->mu);
	if (wf->finishing) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	wf->finish = finish;
	wf->finish_arg = arg;
	wf->finishing = true;
	if (wf->fill != NULL && wf->fill->len > 0) {
		wf->fill->last = true;
		submit_locked(q, wf);   /* the thread that writes it finishes the file */
	} else {
		if (wf->fill != NULL) {
			wf->fill->wf = NULL;
			wf->fill->next = q->free_list;
			q->free_list = wf->fill;
			wf->fill = NULL;
		}
		/* Nothing gathered: the thread on the last queued buffer finishes, or we do now. */
		if (wf->pending == 0 && !wf->active)
			run_finish(q, wf);
		pthread_cond_broadcast(&q->done);   /* a buffer may have come free */
	}
	pthread_mutex_unlock(&q->mu);
}
