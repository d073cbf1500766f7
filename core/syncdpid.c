/* syncdpid: read STATE/run/syncd.pid and check the process it names, without taking the daemon's lock. */
#include "core/syncdpid.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/limits.h"

#define SYNCD_COMM "sluice-syncd"   /* the daemon's /proc/PID/comm (its executable's name, < 16 bytes) */

static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return 0;
}

enum sl_syncdpid_state sl_syncdpid_check(const char *state_dir, pid_t *pid_out)
{
	char path[SL_MAX_PATH], buf[64];
	if (pid_out != NULL)
		*pid_out = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/run/syncd.pid", state_dir) >= sizeof path)
		return SL_SYNCD_UNKNOWN;
	int rc = read_small(path, buf, sizeof buf);
	if (rc == -ENOENT)
		return SL_SYNCD_NOT_RUNNING;   /* never started with this state directory */
	if (rc < 0)
		return SL_SYNCD_UNKNOWN;
	char *end = NULL;
	long pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 1 || (*end != '\n' && *end != '\0'))
		return SL_SYNCD_NOT_RUNNING;   /* emptied or never written: no daemon holds it */
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return SL_SYNCD_NOT_RUNNING;
	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	rc = read_small(path, buf, sizeof buf);
	if (rc == -ENOENT)
		return SL_SYNCD_NOT_RUNNING;   /* exited meanwhile */
	if (rc < 0)
		return SL_SYNCD_UNKNOWN;
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, SYNCD_COMM) != 0)
		return SL_SYNCD_NOT_RUNNING;   /* the pid was reused by another program */
	if (pid_out != NULL)
		*pid_out = (pid_t)pid;
	return SL_SYNCD_RUNNING;
}
