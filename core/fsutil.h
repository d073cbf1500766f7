/* fsutil: small filesystem helpers with the crash-safety rules of the house: write to a temporary name,
 * fsync, rename, fsync the directory. All return 0 or -errno / -SL_E_*. */
#ifndef SL_FSUTIL_H
#define SL_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* mkdir -p with `mode` for every directory created. */
int sl_fs_mkdirs(const char *path, mode_t mode);
/* Atomically replace `path` with `len` bytes (temp in the same directory, fsync, rename, fsync dir). */
int sl_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file of at most `cap` bytes (-SL_E_TOOBIG beyond). *data is heap, NUL-terminated. */
int sl_fs_read_file(const char *path, size_t cap, char **data, size_t *len);
/* write(2) all of len bytes, retrying short writes and EINTR. 0 or -errno. */
int sl_fs_write_all(int fd, const void *data, size_t len);
/* pwrite(2) all of len bytes at offset off (the file position is not moved). 0 or -errno. */
int sl_fs_pwrite_all(int fd, const void *data, size_t len, uint64_t off);
/* pread(2) until n bytes or the end of the file, from offset off (the file position is not moved),
 * retrying EINTR: the count read (short only at the end), or -errno. */
ssize_t sl_fs_pread_full(int fd, void *buf, size_t n, uint64_t off);
/* An unnamed read-write temporary file in dirfd, mode 0600: O_TMPFILE, or a random name unlinked at once
 * where the filesystem refuses that. fd (the caller's) or -errno. */
int sl_fs_tmpfile(int dirfd);
/* fsync a directory so a rename in it is durable. */
int sl_fs_fsync_dir(const char *dir);
/* Remove a tree (no symlink following). Missing path is success. */
int sl_fs_rmtree(const char *path);

#endif
