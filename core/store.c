/* store: content-addressed objects under STATE/store. Bytes reach objects/ only through a writer that
 * hashed them on the way in and checked size and digest; every name is a validated digest, and every
 * directory is reached through an fd opened at sl_store_open() so a renamed or symlinked state directory
 * cannot redirect writes half-way through. */
#include "core/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store_int.h"
#include "core/writeq.h"

#define STORE_TMP_STALE_SEC     (24 * 3600)     /* seconds: a tmp/ file this old belongs to a dead writer */
#define STORE_PARTIAL_STALE_SEC (7 * 24 * 3600) /* seconds: a partial nobody resumed for a week is dropped */
#define STORE_LOCK_RETRIES      8               /* tries to lock a partial that others keep replacing */
#define STORE_TEMP_RETRIES      16              /* tries to find an unused temp name */
#define STORE_ROOT_MAX          (SL_MAX_PATH - 512) /* bytes: leaves room for "/objects/ab/<255-byte name>" */
#define STORE_DIR_MODE          0755            /* objects/: served and publish read through hard links */
#define STORE_PRIVATE_MODE      0700            /* tmp/, partial/: unverified bytes are nobody's business */
#define STORE_OBJECT_MODE       0444            /* objects are immutable; publish hard-links them */
#define STORE_NAME_MAX          80              /* bytes of a tmp/ or partial/ name ("<64 hex>.part") */

#define STORE_KNOWN_FLAGS (SL_STORE_RESUMABLE | SL_STORE_DEFER_SYNC | SL_STORE_NAMED_TEMP)

enum writer_kind {
	WRITER_TMPFILE,    /* anonymous O_TMPFILE in tmp/: a crash leaves nothing */
	WRITER_NAMED,      /* tmp/<name>: swept at open once stale */
	WRITER_PARTIAL,    /* partial/<sha256>.part, flock'ed while we write */
};

struct sl_store_writer {
	struct sl_store *st;
	struct sl_hasher *h;
	int fd;
	enum writer_kind kind;
	char name[STORE_NAME_MAX];
	char expect_sha[SL_SHA256_HEX];   /* "" when any content is accepted */
	int64_t expect_size;
	uint64_t cap;
	uint64_t size;
	uint64_t offset;
	unsigned flags;
	int err;                          /* sticky: once a write failed, commit fails with it */
	struct sl_writeq *q;              /* write-behind (sl_store_writer_behind), or NULL */
	struct sl_writeq_file wf;
	/* sl_store_writer_commit_behind(): the queue's thread committed (and closed) the file; the outcome */
	bool behind;
	int behind_rc;
	char behind_digest[SL_SHA256_HEX];
};


/* Remove regular files older than max_age from the directory open as dfd. Partials are removed only when
 * no writer holds their lock. Failures are logged, never fatal: the store works with litter in it. */
static void sweep_dir(struct sl_store *st, int dfd, const char *sub, time_t max_age, bool locked_files)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		sl_log_warn(NULL, "cannot list %s/%s: %s", st->root, sub, strerror(errno));
		return;
	}
	time_t now = time(NULL);
	unsigned removed = 0;
	for (;;) {
		struct dirent *de = readdir(d);
		if (de == NULL)
			break;
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (now - sb.st_mtime < max_age)
			continue;
		int lfd = -1;
		if (locked_files) {
			lfd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) != 0) {
				if (lfd >= 0)
					close(lfd);
				continue;
			}
		}
		if (unlinkat(dfd, de->d_name, 0) == 0)
			removed++;
		if (lfd >= 0)
			close(lfd);
	}
	closedir(d);
	if (removed > 0)
		sl_log_info(NULL, "removed %u stale file(s) from %s/%s", removed, st->root, sub);
}

/* The process umask, read without changing it (umask(2) would, for a moment, for every thread); 0777
 * when unknown, which keeps the explicit chmod. */
static mode_t umask_now(void)
{
	FILE *fp = fopen("/proc/self/status", "re");
	unsigned mask = 0777;
	char line[128];
	while (fp != NULL && fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "Umask: %o", &mask) == 1)
			break;
	if (fp != NULL)
		fclose(fp);
	return (mode_t)mask;
}

struct sl_store *sl_store_open(const char *state_dir, char **cause)
{
	static const struct {
		const char *name;
		mode_t mode;
	} subs[] = { { "objects", STORE_DIR_MODE }, { "tmp", STORE_PRIVATE_MODE },
		     { "partial", STORE_PRIVATE_MODE } };
	if (cause != NULL)
		*cause = NULL;
	if (state_dir == NULL || state_dir[0] == '\0') {
		sl_cause(cause, 0, "no state directory given");
		return NULL;
	}
	if (strlen(state_dir) + strlen("/store") >= STORE_ROOT_MAX) {
		sl_cause(cause, 0, "state directory path is too long (%zu bytes)", strlen(state_dir));
		return NULL;
	}
	struct sl_store *st = calloc(1, sizeof *st);
	if (st == NULL || asprintf(&st->root, "%s/store", state_dir) < 0) {
		free(st);
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	st->root_fd = st->objects_fd = st->tmp_fd = st->partial_fd = -1;
	for (size_t i = 0; i < 256; i++)
		st->fan_fd[i] = -1;
	/* An O_TMPFILE inode can only be given a name through /proc/self/fd (AT_EMPTY_PATH needs
	 * CAP_DAC_READ_SEARCH), so without /proc the named temp is the only option. */
	st->tmpfile = access("/proc/self/fd", X_OK) == 0;
	st->tmpfile_final = (umask_now() & STORE_OBJECT_MODE) == 0;
	int *fds[] = { &st->objects_fd, &st->tmp_fd, &st->partial_fd };
	int rc = sl_fs_mkdirs(st->root, STORE_DIR_MODE);
	if (rc == 0) {
		st->root_fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = st->root_fd < 0 ? -errno : 0;
	}
	for (size_t i = 0; rc == 0 && i < sizeof subs / sizeof subs[0]; i++) {
		if (mkdirat(st->root_fd, subs[i].name, subs[i].mode) != 0 && errno != EEXIST)
			rc = -errno;
		if (rc == 0) {
			*fds[i] = sl_store_open_subdir(st->root_fd, subs[i].name);
			rc = *fds[i] < 0 ? *fds[i] : 0;
		}
		if (rc != 0)
			sl_cause(cause, 0, "cannot open %s/%s: %s", st->root, subs[i].name, sl_strerror(rc));
	}
	if (rc != 0) {
		if (cause != NULL && *cause == NULL)
			sl_cause(cause, 0, "cannot create %s: %s", st->root, sl_strerror(rc));
		sl_store_free(st);
		return NULL;
	}
	sweep_dir(st, st->tmp_fd, "tmp", STORE_TMP_STALE_SEC, false);
	sweep_dir(st, st->partial_fd, "partial", STORE_PARTIAL_STALE_SEC, true);
	return st;
}

void sl_store_free(struct sl_store *st)
{
	if (st == NULL)
		return;
	int fds[] = { st->root_fd, st->objects_fd, st->tmp_fd, st->partial_fd };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (size_t i = 0; i < 256; i++)
		if (st->fan_fd[i] >= 0)
			close(st->fan_fd[i]);
	free(st->root);
	free(st);
}

const char *sl_store_root(const struct sl_store *st)
{
	return st->root;
}

int sl_store_sync(struct sl_store *st)
{
	if (st == NULL)
		return -EINVAL;
	return syncfs(st->root_fd) == 0 ? 0 : -errno;
}

/* ---- writers ---------------------------------------------------------------------------------------- */

static int open_temp(struct sl_store_writer *w)
{
	struct sl_store *st = w->st;
	if (!(w->flags & SL_STORE_NAMED_TEMP) && st->tmpfile) {
		/* Unnamed, so nobody else can open it: it is born with the object's final mode (when the umask
		 * lets it), and the commit needs no chmod. */
		mode_t mode = st->tmpfile_final ? STORE_OBJECT_MODE : 0600;
		int fd = w->q != NULL ? sl_writeq_tmpfile(w->q, st->tmp_fd, mode)
				      : openat(st->tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		if (fd >= 0) {
			w->fd = fd;
			w->kind = WRITER_TMPFILE;
			return 0;
		}
		int err = w->q != NULL ? -fd : errno;
		/* No O_TMPFILE on this filesystem: one failed call per writer, then the named temp. */
		if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL)
			return -err;
	}
	for (int i = 0; i < STORE_TEMP_RETRIES; i++) {
		uint64_t rnd;
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
			rnd = (uint64_t)time(NULL) ^ ((uint64_t)i << 48) ^ (uint64_t)(uintptr_t)w;
		snprintf(w->name, sizeof w->name, "w.%ld.%016" PRIx64, (long)getpid(), rnd);
		int fd = openat(st->tmp_fd, w->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			w->fd = fd;
			w->kind = WRITER_NAMED;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	w->name[0] = '\0';
	return -EEXIST;
}

/* Hash the bytes already in the partial and position the writer after them. A partial that cannot be
 * the expected object's prefix (too long) or cannot be read is started over, not trusted. */
static int resume_prefix(struct sl_store_writer *w, uint64_t have)
{
	uint64_t limit = w->cap;
	if (w->expect_size >= 0 && (uint64_t)w->expect_size < limit)
		limit = (uint64_t)w->expect_size;
	if (have > limit) {
		sl_log_info(NULL, "discarding %s/partial/%s: %" PRIu64 " bytes is more than the %" PRIu64
			    " expected", w->st->root, w->name, have, limit);
		have = 0;
	}
	uint8_t *buf = have > 0 ? malloc(SL_STORE_IO_CHUNK) : NULL;
	if (have > 0 && buf == NULL)
		return -ENOMEM;
	uint64_t off = 0;
	while (off < have) {
		size_t want = have - off < SL_STORE_IO_CHUNK ? (size_t)(have - off) : SL_STORE_IO_CHUNK;
		ssize_t n = pread(w->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sl_log_warn(NULL, "discarding %s/partial/%s: unreadable after %" PRIu64 " bytes",
				    w->st->root, w->name, off);
			break;
		}
		int rc = sl_hasher_update(w->h, buf, (size_t)n);
		if (rc != 0) {
			free(buf);
			return rc;
		}
		off += (uint64_t)n;
	}
	free(buf);
	if (off < have) {
		/* Start over: the hasher has seen bytes we are about to drop. */
		sl_hasher_free(w->h);
		w->h = sl_hasher_new(SL_HASH_SHA256);
		if (w->h == NULL)
			return -ENOMEM;
		off = 0;
	}
	if (ftruncate(w->fd, (off_t)off) != 0 || lseek(w->fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	w->size = w->offset = off;
	return 0;
}

/* Take partial/<sha>.part. 1: ours (resumed); 0: another writer holds it, use a temp; <0: error. */
static int open_partial(struct sl_store_writer *w)
{
	struct sl_store *st = w->st;
	snprintf(w->name, sizeof w->name, "%s.part", w->expect_sha);
	for (int i = 0; i < STORE_LOCK_RETRIES; i++) {
		int fd = openat(st->partial_fd, w->name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		/* EACCES: a crash between commit's fchmod(0444) and unlink left it read-only. */
		if (fd < 0 && errno == EACCES && unlinkat(st->partial_fd, w->name, 0) == 0)
			continue;
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			int e = errno;
			close(fd);
			return e == EWOULDBLOCK ? 0 : -e;
		}
		/* The holder we raced with may have committed (unlinked) the file between our open and our
		 * lock: only the inode still named <sha>.part is the partial. */
		struct stat a, b;
		if (fstat(fd, &a) != 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (fstatat(st->partial_fd, w->name, &b, AT_SYMLINK_NOFOLLOW) != 0 || a.st_ino != b.st_ino ||
		    a.st_dev != b.st_dev) {
			close(fd);
			continue;
		}
		if (!S_ISREG(a.st_mode)) {
			close(fd);
			return 0;
		}
		w->fd = fd;
		w->kind = WRITER_PARTIAL;
		int rc = resume_prefix(w, (uint64_t)a.st_size);
		return rc < 0 ? rc : 1;
	}
	return 0;
}

/* Wait for the bytes still queued for the write-behind thread; its first failure becomes the writer's. */
static int writer_drain(struct sl_store_writer *w)
{
	if (w->q != NULL) {
		int rc = sl_writeq_file_drain(w->q, &w->wf);
		w->q = NULL;
		if (rc != 0 && w->err == 0)
			w->err = rc;
	}
	return w->err;
}

/* Unlink the temp or partial the writer owns (unless a partial is kept) and close it. */
static void writer_close_files(struct sl_store_writer *w, bool keep_partial)
{
	if (w->fd >= 0) {
		if (w->kind == WRITER_PARTIAL && keep_partial) {
			/* Drop bytes of a failed write that the hasher never saw, so the prefix matches. A
			 * partial that a crash tore is caught by the digest check of the resumed commit. */
			if (ftruncate(w->fd, (off_t)w->size) != 0 || fdatasync(w->fd) != 0)
				unlinkat(w->st->partial_fd, w->name, 0);
		} else if (w->kind == WRITER_PARTIAL) {
			unlinkat(w->st->partial_fd, w->name, 0);
		} else if (w->kind == WRITER_NAMED) {
			unlinkat(w->st->tmp_fd, w->name, 0);
		}
		/* Closing after unlinking keeps the flock until the name is gone. */
		close(w->fd);
		w->fd = -1;
	}
}

/* Unlink what the writer owns (unless a partial is kept), close and free. */
static void writer_destroy(struct sl_store_writer *w, bool keep_partial)
{
	/* A partial is kept only if every byte the hasher saw reached the file. */
	if (writer_drain(w) != 0)
		keep_partial = false;
	writer_close_files(w, keep_partial);   /* after a commit behind: already done */
	sl_hasher_free(w->h);
	free(w);
}

static int writer_create(struct sl_store *st, const struct sl_store_expect *expect, unsigned flags,
			 struct sl_writeq *q, struct sl_store_writer **out, char **cause)
{
	static const struct sl_store_expect none = { NULL, -1, 0 };
	*out = NULL;
	if (st == NULL)
		return -EINVAL;
	if (expect == NULL)
		expect = &none;
	if (flags & ~STORE_KNOWN_FLAGS) {
		sl_cause(cause, 0, "unknown store writer flags 0x%x", flags);
		return -EINVAL;
	}
	/* The digest is untrusted (it came from upstream metadata): never echo it into a log line. */
	if (expect->sha256 != NULL && !sl_digest_valid_sha256(expect->sha256)) {
		sl_cause(cause, 0, "invalid expected SHA-256 digest");
		return -SL_E_BADNAME;
	}
	if (expect->size < -1) {
		sl_cause(cause, 0, "invalid expected size %" PRId64, expect->size);
		return -EINVAL;
	}
	uint64_t cap = expect->max_size ? expect->max_size : SL_MAX_ARTIFACT_BYTES;
	if (expect->size >= 0 && (uint64_t)expect->size > cap) {
		sl_cause(cause, 0, "expected size %" PRId64 " exceeds the cap of %" PRIu64 " bytes", expect->size,
			  cap);
		return -SL_E_TOOBIG;
	}
	if ((flags & SL_STORE_RESUMABLE) && expect->sha256 == NULL) {
		sl_cause(cause, 0, "a resumable write needs an expected digest");
		return -EINVAL;
	}
	struct sl_store_writer *w = calloc(1, sizeof *w);
	if (w != NULL)
		w->h = sl_hasher_new(SL_HASH_SHA256);
	if (w == NULL || w->h == NULL) {
		free(w);
		sl_cause(cause, 0, "out of memory");
		return -ENOMEM;
	}
	w->st = st;
	w->fd = -1;
	w->q = q;
	w->flags = flags;
	w->cap = cap;
	w->expect_size = expect->size;
	if (expect->sha256 != NULL)
		memcpy(w->expect_sha, expect->sha256, SL_SHA256_HEX);
	int rc = (flags & SL_STORE_RESUMABLE) ? open_partial(w) : 0;
	if (rc == 0) {
		w->name[0] = '\0';
		rc = open_temp(w);
	}
	if (rc < 0) {
		sl_cause(cause, 0, "cannot create a temporary file in %s/%s: %s", st->root,
			  (flags & SL_STORE_RESUMABLE) ? "partial" : "tmp", sl_strerror(rc));
		writer_destroy(w, false);
		return rc;
	}
	if (q != NULL) {
		sl_writeq_file_init(&w->wf, w->fd, w->size, sl_hasher_sink, w->h);   /* hashed on the queue's thread */
		/* Without a per-object fdatasync, write-back would wait for sl_store_sync(): start it early. */
		w->wf.writeback = (flags & SL_STORE_DEFER_SYNC) != 0;
	}
	*out = w;
	return 0;
}

struct sl_store_writer *sl_store_writer_new(struct sl_store *st, const struct sl_store_expect *expect,
					    unsigned flags, char **cause)
{
	return sl_store_writer_new_behind(st, expect, flags, NULL, cause);
}

struct sl_store_writer *sl_store_writer_new_behind(struct sl_store *st, const struct sl_store_expect *expect,
						   unsigned flags, struct sl_writeq *q, char **cause)
{
	struct sl_store_writer *w;
	if (cause != NULL)
		*cause = NULL;
	int rc = writer_create(st, expect, flags, q, &w, cause);
	if (rc != 0 && cause != NULL && *cause == NULL)
		sl_cause(cause, 0, "cannot start a store write: %s", sl_strerror(rc));
	return w;
}

void sl_store_writer_flush(struct sl_store_writer *w)
{
	if (w != NULL && w->q != NULL)
		sl_writeq_file_flush(w->q, &w->wf);
}

bool sl_store_writer_busy(struct sl_store_writer *w)
{
	return w != NULL && w->q != NULL && sl_writeq_file_busy(w->q, &w->wf);
}

uint64_t sl_store_writer_offset(const struct sl_store_writer *w)
{
	return w ? w->offset : 0;
}

uint64_t sl_store_writer_size(const struct sl_store_writer *w)
{
	return w ? w->size : 0;
}

int sl_store_writer_write(struct sl_store_writer *w, const void *data, size_t len)
{
	if (w == NULL)
		return -EINVAL;
	if (w->err != 0)
		return w->err;
	if (len == 0)
		return 0;
	uint64_t limit = w->cap;
	if (w->expect_size >= 0 && (uint64_t)w->expect_size < limit)
		limit = (uint64_t)w->expect_size;
	/* Refuse before writing: an upstream that sends more than it declared is cut off here, and the
	 * partial keeps only bytes that can still be the expected object. */
	if (len > limit - w->size) {
		w->err = -SL_E_TOOBIG;
		return w->err;
	}
	int rc;
	if (w->q != NULL) {
		rc = sl_writeq_append(w->q, &w->wf, data, len);   /* hashed by the queue (sl_hasher_sink) */
	} else {
		rc = sl_fs_write_all(w->fd, data, len);
		if (rc == 0)
			rc = sl_hasher_update(w->h, data, len);
	}
	if (rc != 0) {
		w->err = rc;
		return rc;
	}
	w->size += len;
	return 0;
}

/* Give the writer's inode the name dirfd/name. -EEXIST when that name is taken. */
static int link_to(struct sl_store_writer *w, int dirfd, const char *name)
{
	int rc;
	if (w->kind == WRITER_TMPFILE) {
		int *how = &w->st->link_empty;
		if (__atomic_load_n(how, __ATOMIC_RELAXED) >= 0) {
			rc = linkat(w->fd, "", dirfd, name, AT_EMPTY_PATH);
			if (rc == 0 || (errno != ENOENT && errno != EPERM && errno != EINVAL)) {
				if (rc == 0)
					__atomic_store_n(how, 1, __ATOMIC_RELAXED);
				return rc == 0 ? 0 : -errno;
			}
			/* ENOENT (no CAP_DAC_READ_SEARCH), EPERM, EINVAL: not here; /proc from now on. An
			 * ENOENT can also mean dirfd was removed, which the /proc attempt reports as well. */
			if (__atomic_load_n(how, __ATOMIC_RELAXED) == 0)
				__atomic_store_n(how, -1, __ATOMIC_RELAXED);
		}
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", w->fd);
		rc = linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
	} else {
		int from = w->kind == WRITER_NAMED ? w->st->tmp_fd : w->st->partial_fd;
		rc = linkat(from, w->name, dirfd, name, 0);
	}
	return rc == 0 ? 0 : -errno;
}

/* An object whose size differs from a verified write of the same digest was torn by a crash before
 * sl_store_sync() (DEFER_SYNC). Replace it atomically through a temp name in tmp/. */
static int replace_torn(struct sl_store_writer *w, int fan_fd, const char *hex)
{
	char tmpname[STORE_NAME_MAX];
	uint64_t rnd = 0;
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
		rnd = (uint64_t)time(NULL);
	snprintf(tmpname, sizeof tmpname, "r.%ld.%016" PRIx64, (long)getpid(), rnd);
	int rc = link_to(w, w->st->tmp_fd, tmpname);
	if (rc != 0)
		return rc;
	if (renameat(w->st->tmp_fd, tmpname, fan_fd, hex) != 0) {
		rc = -errno;
		unlinkat(w->st->tmp_fd, tmpname, 0);
	}
	return rc;
}

/* Same digest already there: dedupe, or a concurrent writer won. Unless the one there is shorter, which
 * only a crash before sl_store_sync() produces. */
static int link_exists(struct sl_store_writer *w, int fan_fd, const char *fan, const char *hex)
{
	struct stat sb;
	int rc = fstatat(fan_fd, hex, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
	if (rc == 0 && !S_ISREG(sb.st_mode))
		rc = -SL_E_STATE;
	if (rc == 0 && (uint64_t)sb.st_size != w->size) {
		sl_log_warn(NULL, "%s/objects/%s/%s has %jd bytes instead of %" PRIu64
			    ": replacing it (crash before the store was synced?)",
			    w->st->root, fan, hex, (intmax_t)sb.st_size, w->size);
		rc = replace_torn(w, fan_fd, hex);
	}
	return rc;
}

static int hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10;   /* a validated lowercase digest */
}

/* objects/<ab>, created if needed, from the cache (see store_int.h): a borrowed fd, or -errno. */
static int fan_cached(struct sl_store *st, const char *hex)
{
	int *slot = &st->fan_fd[hexdigit(hex[0]) << 4 | hexdigit(hex[1])];
	int fd = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	char fan[3] = { hex[0], hex[1], '\0' };
	if (mkdirat(st->objects_fd, fan, STORE_DIR_MODE) != 0 && errno != EEXIST)
		return -errno;
	fd = sl_store_open_subdir(st->objects_fd, fan);
	if (fd < 0)
		return fd;
	int expected = -1;
	if (!__atomic_compare_exchange_n(slot, &expected, fd, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

/* DEFER_SYNC: nothing to fsync, so the fan-out directory's fd comes from the cache: a new object costs a
 * chmod and a link (a 60,000-file sync otherwise spends a stat, a mkdir, an open and a close more on each). An
 * existing name is judged by link_exists() as in publish(). */
static int publish_deferred(struct sl_store_writer *w, const char *hex)
{
	char fan[3] = { hex[0], hex[1], '\0' };
	int fan_fd = fan_cached(w->st, hex);
	if (fan_fd < 0)
		return fan_fd;
	if (!(w->kind == WRITER_TMPFILE && w->st->tmpfile_final) && fchmod(w->fd, STORE_OBJECT_MODE) != 0)
		return -errno;
	int rc = link_to(w, fan_fd, hex);
	return rc == -EEXIST ? link_exists(w, fan_fd, fan, hex) : rc;
}

static int publish(struct sl_store_writer *w, const char *hex)
{
	struct sl_store *st = w->st;
	if (w->flags & SL_STORE_DEFER_SYNC)
		return publish_deferred(w, hex);
	char fan[3] = { hex[0], hex[1], '\0' };
	char rel[3 + SL_SHA256_HEX];
	struct stat sb;
	sl_store_object_rel(hex, rel);
	/* Already there with the right size (a re-download): skip the fdatasync and the link. */
	if (fstatat(st->objects_fd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size == w->size)
		return 0;
	if (fdatasync(w->fd) != 0)
		return -errno;
	if (!(w->kind == WRITER_TMPFILE && st->tmpfile_final) && fchmod(w->fd, STORE_OBJECT_MODE) != 0)
		return -errno;
	bool new_fan = mkdirat(st->objects_fd, fan, STORE_DIR_MODE) == 0;
	if (!new_fan && errno != EEXIST)
		return -errno;
	if (new_fan && fsync(st->objects_fd) != 0)
		return -errno;
	int fan_fd = sl_store_open_subdir(st->objects_fd, fan);
	if (fan_fd < 0)
		return fan_fd;
	int rc = link_to(w, fan_fd, hex);
	if (rc == -EEXIST)
		rc = link_exists(w, fan_fd, fan, hex);
	if (rc == 0 && fsync(fan_fd) != 0)
		rc = -errno;
	close(fan_fd);
	return rc;
}

/* Every byte is written (rc: the first failure, or 0): check size and digest, name the object. */
static int commit_checked(struct sl_store_writer *w, int rc, char got[SL_SHA256_HEX])
{
	if (rc == 0 && w->expect_size >= 0 && w->size != (uint64_t)w->expect_size)
		rc = -SL_E_SIZE;
	if (rc == 0)
		rc = sl_hasher_final(w->h, NULL, NULL, got, NULL);
	if (rc == 0 && w->expect_sha[0] != '\0' && strcmp(got, w->expect_sha) != 0)
		rc = -SL_E_DIGEST;
	if (rc == 0)
		rc = publish(w, got);
	return rc;
}

/* On the queue's thread, after the last write (sl_store_writer_commit_behind). The producer reads the
 * outcome only once the queue says the file is finished. */
static void commit_finish(void *arg, int err)
{
	struct sl_store_writer *w = arg;
	w->behind_rc = commit_checked(w, err != 0 ? err : w->err, w->behind_digest);
	/* Success or not, the temp (or partial) goes: a wrong partial must not be resumed again. */
	writer_close_files(w, false);
}

void sl_store_writer_commit_behind(struct sl_store_writer *w)
{
	if (w == NULL || w->q == NULL || w->behind)
		return;
	w->behind = true;
	sl_writeq_file_finish(w->q, &w->wf, commit_finish, w);
}

int sl_store_writer_commit(struct sl_store_writer *w, char digest_out[SL_SHA256_HEX])
{
	char got[SL_SHA256_HEX];
	if (digest_out != NULL)
		digest_out[0] = '\0';
	if (w == NULL)
		return -EINVAL;
	int rc;
	if (w->behind) {
		writer_drain(w);   /* waits for commit_finish(), whose outcome covers a failed write */
		rc = w->behind_rc;
		memcpy(got, w->behind_digest, SL_SHA256_HEX);
	} else {
		rc = commit_checked(w, writer_drain(w), got);
	}
	if (rc == 0 && digest_out != NULL)
		memcpy(digest_out, got, SL_SHA256_HEX);
	/* Success or not, the temp (or partial) goes: a wrong partial must not be resumed again. */
	writer_destroy(w, false);
	return rc;
}

void sl_store_writer_abort(struct sl_store_writer *w, bool keep_partial)
{
	if (w != NULL)
		writer_destroy(w, keep_partial);
}

int sl_store_put(struct sl_store *st, const void *data, size_t len, const struct sl_store_expect *expect,
		 char digest_out[SL_SHA256_HEX])
{
	struct sl_store_writer *w;
	if (digest_out != NULL)
		digest_out[0] = '\0';
	int rc = writer_create(st, expect, 0, NULL, &w, NULL);
	if (rc != 0)
		return rc;
	rc = sl_store_writer_write(w, data, len);
	if (rc != 0) {
		sl_store_writer_abort(w, false);
		return rc;
	}
	return sl_store_writer_commit(w, digest_out);
}
