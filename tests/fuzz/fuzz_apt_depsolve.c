/* fuzz_apt_depsolve: arbitrary bytes as a Packages index through the dependency solver's own readers
 * (the field filter, the name-level pruning graph, the stanza filter) and libsolv, pruned and not; the
 * first byte picks the requested names, pruning, and whether pruning may keep lean copies. Bytes reach the solver through a memfd, as indices do from the
 * store. */
#include <stdbool.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/apt_depsolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const sets[][2] = { { "a", "b" }, { "app", "mail-transport-agent" }, { "libc6", "x" } };
	const char *const *names = sets[data[0] % 3];
	bool prune = data[0] & 4;
	data++;
	size--;
	int fd = memfd_create("fuzz-packages", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	static const char *const archs[] = { "amd64", "i386" };
	struct sl_apt_solver *s = sl_apt_solver_new(archs, 2, NULL);
	if (s != NULL) {
		int rc = 0;
		if (prune) {
			/* Bit 3: no temp directory, so add_index decompresses again instead of reading the copy. */
			int dfd = data[-1] & 8 ? -1 : open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			rc = sl_apt_solver_prune(s, &fd, 1, names, 2, dfd, NULL);
			if (dfd >= 0)
				close(dfd);
			if (lseek(fd, 0, SEEK_SET) != 0)
				rc = -1;
		}
		if (rc == 0 && sl_apt_solver_add_index(s, "base", fd, NULL) == 0)
			(void)sl_apt_solver_closure(s, names, 2, NULL);
		sl_apt_solver_free(s);
	}
	close(fd);
	return 0;
}
