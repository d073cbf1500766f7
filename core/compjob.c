/* compjob: one thread per job reads the object, compresses it and writes the result through a store
 * writer. */
#include "core/compjob.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/store.h"
#include "core/thread.h"

#define COMPJOB_CHUNK (256u << 10)   /* bytes read from the object per call */
#define SL_COMPJOB_NICE 10           /* the job thread's nice value (see job_main) */

struct sl_compjob {
	struct sl_store *st;
	char in[SL_SHA256_HEX];
	enum sl_comp comp;
	uint64_t max_size;
	bool threaded;
	pthread_t thread;
	/* results, written by the job before it ends */
	int rc;
	char *cause;
	char out[SL_SHA256_HEX];
	uint64_t size;
};

static int to_writer(void *arg, const void *data, size_t len)
{
	return sl_store_writer_write(arg, data, len);
}

static void run(struct sl_compjob *j)
{
	struct sl_store_expect ex = { .sha256 = NULL, .size = -1, .max_size = j->max_size };
	int fd = -1;
	uint8_t *buf = NULL;
	struct sl_comp_writer *cw = NULL;
	struct sl_store_writer *w = sl_store_writer_new(j->st, &ex, SL_STORE_DEFER_SYNC, &j->cause);
	int rc = w != NULL ? sl_store_open_object(j->st, j->in, &fd, NULL) : -EIO;
	if (rc == 0) {
		buf = malloc(COMPJOB_CHUNK);
		cw = sl_comp_writer_new(j->comp, to_writer, w, &j->cause);
		rc = buf == NULL ? -ENOMEM : cw == NULL ? -SL_E_ARCHIVE : 0;
	}
	while (rc == 0) {
		ssize_t n = read(fd, buf, COMPJOB_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : sl_comp_writer_finish(cw);
			break;
		}
		rc = sl_comp_writer_write(cw, buf, (size_t)n);
	}
	sl_comp_writer_free(cw);
	free(buf);
	if (fd >= 0)
		close(fd);
	if (rc == 0) {
		j->size = sl_store_writer_size(w);
		rc = sl_store_writer_commit(w, j->out);
	} else {
		sl_store_writer_abort(w, false);
	}
	if (rc != 0 && j->cause == NULL)
		sl_cause(&j->cause, 0, "%s: %s", j->comp == SL_COMP_XZ ? "xz" : "gzip", sl_strerror(rc));
	j->rc = rc;
}

static void *job_main(void *arg)
{
	/* Background work: the thread gives way to the ones a caller is waiting on (a sync's downloads). Nice,
	 * not SCHED_IDLE: under other load the job still progresses, and an unprivileged thread could not
	 * take a higher priority back once someone waits for it. Best effort. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), SL_COMPJOB_NICE);
	run(arg);
	return NULL;
}

struct sl_compjob *sl_compjob_start(struct sl_store *st, const char *sha256, enum sl_comp c, uint64_t max_size,
				    char **cause)
{
	if (st == NULL || sha256 == NULL || !sl_digest_valid_sha256(sha256) ||
	    (c != SL_COMP_GZIP && c != SL_COMP_XZ)) {
		sl_cause(cause, 0, "invalid compression job");
		return NULL;
	}
	struct sl_compjob *j = calloc(1, sizeof *j);
	if (j == NULL) {
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	j->st = st;
	memcpy(j->in, sha256, SL_SHA256_HEX);
	j->comp = c;
	j->max_size = max_size;
	j->threaded = sl_thread_start(&j->thread, job_main, j) == 0;   /* signals stay with the caller */
	if (!j->threaded)
		run(j);
	return j;
}

int sl_compjob_finish(struct sl_compjob *j, char sha256_out[SL_SHA256_HEX], uint64_t *size_out, char **cause)
{
	if (j == NULL)
		return -EINVAL;
	if (j->threaded)
		pthread_join(j->thread, NULL);
	int rc = j->rc;
	if (rc == 0) {
		if (sha256_out != NULL)
			memcpy(sha256_out, j->out, SL_SHA256_HEX);
		if (size_out != NULL)
			*size_out = j->size;
	}
	if (cause != NULL && *cause == NULL) {
		*cause = j->cause;
		j->cause = NULL;
	}
	free(j->cause);
	free(j);
	return rc;
}
