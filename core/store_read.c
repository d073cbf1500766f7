/* store_read: the read side of the store — whether an object is there, its path or an open descriptor,
 * its bytes read back with the digest re-checked, a full re-hash (sl_store_check), enumeration and
 * removal. Objects are reached through the objects/ fd opened by sl_store_open(). */
#include "core/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store_int.h"

static bool stat_object(struct sl_store *st, const char *sha256, struct stat *sb)
{
	char rel[3 + SL_SHA256_HEX];
	if (st == NULL || !sl_digest_valid_sha256(sha256))
		return false;
	sl_store_object_rel(sha256, rel);
	return fstatat(st->objects_fd, rel, sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb->st_mode);
}

bool sl_store_has(struct sl_store *st, const char *sha256)
{
	struct stat sb;
	return stat_object(st, sha256, &sb);
}

bool sl_store_has_size(struct sl_store *st, const char *sha256, uint64_t size)
{
	struct stat sb;
	return stat_object(st, sha256, &sb) && (uint64_t)sb.st_size == size;
}

/* Which fan-out directories are missing now: 256 lookups, once per handle (the first caller's thread). */
static void scan_fans(struct sl_store *st)
{
	for (int i = 0; i < 256; i++) {
		char fan[3] = { "0123456789abcdef"[i >> 4], "0123456789abcdef"[i & 15], '\0' };
		struct stat sb;
		st->fan_absent[i] = fstatat(st->objects_fd, fan, &sb, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
	}
	__atomic_store_n(&st->fans_scanned, true, __ATOMIC_RELEASE);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c - 'a' + 10;   /* a validated lowercase digest */
}

bool sl_store_may_skip(struct sl_store *st, const char *sha256, uint64_t size)
{
	if (st == NULL || !sl_digest_valid_sha256(sha256))
		return false;
	if (!__atomic_load_n(&st->fans_scanned, __ATOMIC_ACQUIRE))
		scan_fans(st);
	/* A first sync into an empty store asks this 60,000 times: each miss is otherwise a lookup in a
	 * growing directory that the kernel has no negative entry for. */
	if (st->fan_absent[hexval(sha256[0]) << 4 | hexval(sha256[1])])
		return false;
	return sl_store_has_size(st, sha256, size);
}

int sl_store_object_path(const struct sl_store *st, const char *sha256, char *buf, size_t cap)
{
	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	if (st == NULL || !sl_digest_valid_sha256(sha256))
		return -SL_E_BADNAME;
	if (buf == NULL)
		return -SL_E_TOOBIG;
	int n = snprintf(buf, cap, "%s/objects/%.2s/%s", st->root, sha256, sha256);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return -SL_E_TOOBIG;
	}
	return 0;
}

int sl_store_open_object(struct sl_store *st, const char *sha256, int *fd_out, uint64_t *size_out)
{
	char rel[3 + SL_SHA256_HEX];
	int rc;
	*fd_out = -1;
	if (st == NULL || !sl_digest_valid_sha256(sha256))
		return -SL_E_BADNAME;
	sl_store_object_rel(sha256, rel);
	int fd = openat(st->objects_fd, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -SL_E_NOTFOUND : -errno;
	struct stat sb;
	rc = fstat(fd, &sb) == 0 ? 0 : -errno;
	if (rc == 0 && !S_ISREG(sb.st_mode))
		rc = -SL_E_STATE;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	if (size_out != NULL)
		*size_out = (uint64_t)sb.st_size;
	*fd_out = fd;
	return 0;
}

/* Hash fd from its start to EOF, at most limit bytes (more is -SL_E_TOOBIG). If keep is non-NULL the
 * bytes are also stored there (sized by the caller). */
static int hash_fd(int fd, uint64_t limit, uint8_t *keep, char hex[SL_SHA256_HEX], uint64_t *total)
{
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	uint8_t *buf = keep ? NULL : malloc(SL_STORE_IO_CHUNK);
	if (h == NULL || (keep == NULL && buf == NULL)) {
		sl_hasher_free(h);
		free(buf);
		return -ENOMEM;
	}
	uint64_t off = 0;
	int rc = 0;
	for (;;) {
		uint8_t *dst = keep ? keep + off : buf;
		size_t want = SL_STORE_IO_CHUNK;
		if (keep != NULL && limit - off < want)
			want = (size_t)(limit - off) + 1;   /* one extra byte detects a file that grew */
		ssize_t n = pread(fd, dst, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		if ((uint64_t)n > limit - off) {
			rc = -SL_E_TOOBIG;
			break;
		}
		rc = sl_hasher_update(h, dst, (size_t)n);
		if (rc != 0)
			break;
		off += (uint64_t)n;
	}
	if (rc == 0)
		rc = sl_hasher_final(h, NULL, NULL, hex, NULL);
	sl_hasher_free(h);
	free(buf);
	*total = off;
	return rc;
}

int sl_store_read(struct sl_store *st, const char *sha256, size_t cap, uint8_t **data, size_t *len)
{
	int fd;
	uint64_t size;
	*data = NULL;
	if (len != NULL)
		*len = 0;
	int rc = sl_store_open_object(st, sha256, &fd, &size);
	if (rc != 0)
		return rc;
	if (size > cap) {
		close(fd);
		return -SL_E_TOOBIG;
	}
	/* +2: the NUL, and the byte that shows a file grown since fstat. */
	uint8_t *buf = malloc((size_t)size + 2);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	char got[SL_SHA256_HEX];
	uint64_t total = 0;
	rc = hash_fd(fd, size, buf, got, &total);
	close(fd);
	if (rc == 0 && total != size)
		rc = -SL_E_SIZE;
	/* Objects are immutable; bytes that no longer match their name are corruption, not data. */
	if (rc == 0 && strcmp(got, sha256) != 0)
		rc = -SL_E_DIGEST;
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[total] = '\0';
	*data = buf;
	if (len != NULL)
		*len = (size_t)total;
	return 0;
}

int sl_store_check(struct sl_store *st, const char *sha256, uint64_t *size_out)
{
	int fd;
	uint64_t size;
	int rc = sl_store_open_object(st, sha256, &fd, &size);
	if (rc != 0)
		return rc;
	char got[SL_SHA256_HEX];
	uint64_t total = 0;
	rc = hash_fd(fd, SL_MAX_ARTIFACT_BYTES, NULL, got, &total);
	close(fd);
	if (rc == 0 && strcmp(got, sha256) != 0)
		rc = -SL_E_DIGEST;
	if (rc == 0 && size_out != NULL)
		*size_out = total;
	return rc;
}

int sl_store_remove(struct sl_store *st, const char *sha256)
{
	char rel[3 + SL_SHA256_HEX];
	if (st == NULL || !sl_digest_valid_sha256(sha256))
		return -SL_E_BADNAME;
	sl_store_object_rel(sha256, rel);
	if (unlinkat(st->objects_fd, rel, 0) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The next entry of d other than "." and "..": 1 with *de set, 0 at the end, or -errno. */
static int next_entry(DIR *d, struct dirent **de)
{
	for (;;) {
		errno = 0;
		*de = readdir(d);
		if (*de == NULL)
			return errno ? -errno : 0;
		if (strcmp((*de)->d_name, ".") != 0 && strcmp((*de)->d_name, "..") != 0)
			return 1;
	}
}

static bool is_fan_name(const char *n)
{
	return strlen(n) == 2 && strspn(n, "0123456789abcdef") == 2;
}

/* Visit one fan-out directory. */
static int foreach_fan(struct sl_store *st, int fan_fd, const char *fan,
		       int (*cb)(void *arg, const char *sha256, const char *path), void *arg)
{
	DIR *d = fdopendir(fan_fd);
	if (d == NULL) {
		int e = errno;
		close(fan_fd);
		return -e;
	}
	int rc = 0;
	char path[SL_MAX_PATH];
	struct dirent *de;
	while (rc == 0) {
		int n = next_entry(d, &de);
		if (n <= 0) {
			rc = n;
			break;
		}
		struct stat sb;
		bool ok = sl_digest_valid_sha256(de->d_name) && strncmp(de->d_name, fan, 2) == 0 &&
			  fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode);
		snprintf(path, sizeof path, "%s/objects/%s/%s", st->root, fan, de->d_name);
		rc = cb(arg, ok ? de->d_name : NULL, path);
	}
	closedir(d);
	return rc;
}

int sl_store_foreach(struct sl_store *st, int (*cb)(void *arg, const char *sha256, const char *path),
		     void *arg)
{
	if (st == NULL || cb == NULL)
		return -EINVAL;
	int fd = openat(st->objects_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	int rc = 0;
	char path[SL_MAX_PATH];
	while (rc == 0) {
		struct dirent *de;
		int n = next_entry(d, &de);
		if (n <= 0) {
			rc = n;
			break;
		}
		struct stat sb;
		if (is_fan_name(de->d_name) && fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode)) {
			int fan_fd = sl_store_open_subdir(dirfd(d), de->d_name);
			rc = fan_fd < 0 ? fan_fd : foreach_fan(st, fan_fd, de->d_name, cb, arg);
			continue;
		}
		snprintf(path, sizeof path, "%s/objects/%s", st->root, de->d_name);
		rc = cb(arg, NULL, path);
	}
	closedir(d);
	return rc;
}
