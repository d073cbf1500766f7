/* tmpdir: temporary directories for unit tests, removed with sl_fs_rmtree at teardown. */
#include "tests/unit/lib/tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/fsutil.h"

#define TMPDIR_FDS 32   /* descriptors nftw may hold while walking */

char *sl_test_tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	char *path = NULL;
	if (asprintf(&path, "%s/sluice-test.XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		fprintf(stderr, "tmpdir: cannot create %s: %s\n", path, strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

/* Tests chmod directories to provoke errors (and store objects are 0444): give the owner rwx back on
 * every directory so unlinking inside it works when not running as root. */
static int make_writable(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(p, (sb->st_mode & 07777) | S_IRWXU);
	return 0;
}

void sl_test_tmpdir_free(char *path)
{
	if (path == NULL)
		return;
	/* FTW_PHYS: never follow symlinks, so a test's link to / cannot make us chmod the system. */
	nftw(path, make_writable, TMPDIR_FDS, FTW_PHYS);
	int rc = sl_fs_rmtree(path);
	if (rc != 0)
		fprintf(stderr, "tmpdir: cannot remove %s: %s\n", path, sl_strerror(rc));
	free(path);
}

/* One directory per test program: cmocka runs the group in one process, one case at a time. */
static char *group_dir;

int sl_test_tmpdir_group_setup(void **state)
{
	(void)state;
	group_dir = sl_test_tmpdir_new();
	return group_dir != NULL ? 0 : -1;
}

int sl_test_tmpdir_group_teardown(void **state)
{
	(void)state;
	sl_test_tmpdir_free(group_dir);
	group_dir = NULL;
	return 0;
}

const char *sl_test_tmpdir_group(void)
{
	return group_dir;
}
