/* store_int: what core/store.c (open, sweep, writers) and core/store_read.c (lookups, reads, re-checks,
 * enumeration, removal) share. Internal to those two files. */
#ifndef SL_STORE_INT_H
#define SL_STORE_INT_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

#include "core/digest.h"

#define SL_STORE_IO_CHUNK (64u << 10)   /* bytes per read when re-hashing from disk */

struct sl_store {
	char *root;        /* STATE/store */
	int root_fd;
	int objects_fd;
	int tmp_fd;
	int partial_fd;
	bool tmpfile;      /* O_TMPFILE inodes can be named through /proc/self/fd; fixed at open, so a
			    * handle is never written to after sl_store_open() */
	bool tmpfile_final; /* the umask leaves an O_TMPFILE created with the object mode (0444) as is: no
			    * chmod at commit. Fixed at open. */
	/* linkat(fd, "", AT_EMPTY_PATH) names an O_TMPFILE (CAP_DAC_READ_SEARCH, or a kernel that allows it for
	 * the opener) without resolving /proc/self/fd/N: 0 untried, 1 works, -1 refused. Written after open,
	 * by any thread, only ever from 0 (atomics). */
	int link_empty;
	/* objects/<ab> opened (O_NOFOLLOW) on a DEFER_SYNC writer's first commit into it, -1 until then: the one
	 * field written after open, each slot once, by compare-and-swap (threads may race; the loser closes
	 * its fd). The store never removes a fan-out directory, so a cached fd stays the named one. */
	int fan_fd[256];
	/* sl_store_may_skip(): objects/<ab> was missing at the handle's first such call (fans_scanned). Written
	 * once, by that call's thread. */
	bool fans_scanned;
	bool fan_absent[256];
};

/* "ab/abcdef..." for a digest already validated. */
static inline void sl_store_object_rel(const char *hex, char rel[3 + SL_SHA256_HEX])
{
	rel[0] = hex[0];
	rel[1] = hex[1];
	rel[2] = '/';
	memcpy(rel + 3, hex, SL_SHA256_HEX);
}

/* A directory below dfd, never through a symlink: its fd, or -errno. */
static inline int sl_store_open_subdir(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

#endif
