/* fsutil: filesystem helpers with the house crash-safety rules (temp name, fsync, rename, fsync dir) and a
 * tree removal that never leaves the tree it was given, whatever symlinks it finds. */
#include "core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/limits.h"

int sl_fs_mkdirs(const char *path, mode_t mode)
{
	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	size_t len = strlen(path);
	if (len >= SL_MAX_PATH)
		return -SL_E_TOOBIG;
	char buf[SL_MAX_PATH];
	memcpy(buf, path, len + 1);
	/* Create each prefix in turn; start after a leading '/' so "/" itself is never mkdir'ed. */
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;   /* "a//b" or a trailing '/' */
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0) {
			int e = errno;
			struct stat st;
			/* EEXIST is fine only for a directory (or a symlink to one: the admin's choice);
			 * EACCES on an existing parent (e.g. "/") is fine too when it already exists. */
			if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
				return e == EEXIST ? -ENOTDIR : -e;
		}
		buf[i] = saved;
	}
	return 0;
}

/* write(2) (off < 0) or pwrite(2) at off until all of len is written, retrying EINTR. */
static int write_loop(int fd, const void *data, size_t len, int64_t off)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int sl_fs_write_all(int fd, const void *data, size_t len)
{
	return write_loop(fd, data, len, -1);
}

int sl_fs_pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
	if (off > INT64_MAX)
		return -EINVAL;
	return write_loop(fd, data, len, (int64_t)off);
}

ssize_t sl_fs_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int sl_fs_tmpfile(int dirfd)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	for (int i = 0; i < 16; i++) {
		uint64_t rnd = 0;
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
			rnd = (uint64_t)getpid() << 20 ^ (uint64_t)i;
		char name[64];
		snprintf(name, sizeof name, ".tmp.%016" PRIx64, rnd);
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			unlinkat(dirfd, name, 0);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Directory part of path into buf ("." when there is none). */
static int dir_of(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return snprintf(buf, cap, ".") < (int)cap ? 0 : -SL_E_TOOBIG;
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -SL_E_TOOBIG;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

int sl_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	if (path == NULL || path[0] == '\0' || (data == NULL && len > 0))
		return -EINVAL;
	char dir[SL_MAX_PATH];
	char tmp[SL_MAX_PATH];
	int rc = dir_of(path, dir, sizeof dir);
	if (rc != 0)
		return rc;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (base[0] == '\0')
		return -EISDIR;
	/* The temp lives in the target's directory so rename() is atomic (same filesystem); the leading dot
	 * keeps it out of directory listings that are served. */
	int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp.XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -SL_E_TOOBIG;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* fchmod, not the umask: the caller's mode is what readers (served, apt) need. */
	if (fchmod(fd, mode) != 0)
		rc = -errno;
	if (rc == 0)
		rc = sl_fs_write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return sl_fs_fsync_dir(dir);
}

int sl_fs_read_file(const char *path, size_t cap, char **data, size_t *len)
{
	*data = NULL;
	if (len != NULL)
		*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > cap) {
		close(fd);
		return -SL_E_TOOBIG;
	}
	/* st_size is a hint only (the file may grow, /proc files report 0): read until EOF, never past cap.
	 * The buffer always keeps one byte for the NUL, so it never exceeds cap + 1. */
	if (cap > SIZE_MAX - 1)
		cap = SIZE_MAX - 1;
	size_t alloc = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 0;
	if (alloc < 4096)
		alloc = 4096;
	if (alloc > cap + 1)
		alloc = cap + 1;
	char *buf = malloc(alloc);
	size_t used = 0;
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (used == alloc - 1) {
			if (used == cap) {
				/* Full at exactly cap: one more byte means the file is too big. */
				char probe;
				ssize_t p = read(fd, &probe, 1);
				if (p < 0 && errno == EINTR)
					continue;
				if (p < 0)
					rc = -errno;
				else if (p > 0)
					rc = -SL_E_TOOBIG;
				break;
			}
			size_t na = alloc > (cap + 1) / 2 ? cap + 1 : alloc * 2;
			char *nb = realloc(buf, na);
			if (nb == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			alloc = na;
		}
		ssize_t r = read(fd, buf + used, alloc - 1 - used);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[used] = '\0';
	*data = buf;
	if (len != NULL)
		*len = used;
	return 0;
}

int sl_fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	/* Some filesystems cannot fsync a directory (EINVAL); there is nothing more to make durable. */
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

/* Empty the directory open as dfd (consumed), depth levels below the top. */
static int rmtree_fd(int dfd, unsigned depth)
{
	if (depth > SL_MAX_RMTREE_DEPTH) {
		close(dfd);
		return -SL_E_TOOBIG;
	}
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		int e = errno;
		close(dfd);
		return -e;
	}
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0 && rc == 0)
				rc = -errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT && rc == 0)
				rc = -errno;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			/* O_NOFOLLOW: if the entry was swapped for a symlink since fstatat, open fails instead of
			 * descending into whatever it points at. */
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (rc == 0)
					rc = -errno;
				continue;
			}
			int r = rmtree_fd(sub, depth + 1);
			if (r != 0 && rc == 0)
				rc = r;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT && rc == 0)
				rc = -errno;
		} else if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT && rc == 0) {
			/* Symlinks land here: the link goes, its target stays. */
			rc = -errno;
		}
	}
	closedir(d);
	return rc;
}

int sl_fs_rmtree(const char *path)
{
	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int rc = rmtree_fd(dfd, 0);
	if (rc != 0)
		return rc;
	if (rmdir(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}
