/* publish_tree: build one generation directory from store objects and generated files, for every
 * publisher (APT, ClamAV, OCI). */
#include "admin/publish_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/publish.h"
#include "core/catalog.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/path.h"
#include "core/store.h"

struct sl_tree {
	const struct sl_publish_ctx *ctx;
	char *root;
	int dirfd;
	char lastdir[SL_MAX_PATH];   /* the last directory created: entries come sorted, so most share it */
	char *cause;                 /* heap; NULL when the last call succeeded */
};

static int fail(struct sl_tree *t, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct sl_tree *t, int err, const char *fmt, ...)
{
	free(t->cause);
	t->cause = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&t->cause, fmt, ap) < 0)
		t->cause = NULL;
	va_end(ap);
	return err;
}

static void clear(struct sl_tree *t)
{
	free(t->cause);
	t->cause = NULL;
}

struct sl_tree *sl_tree_new(const struct sl_publish_ctx *ctx, const char *dir, char **cause)
{
	struct sl_tree *t = calloc(1, sizeof *t);
	if (t == NULL || (t->root = strdup(dir)) == NULL) {
		free(t);
		if (cause != NULL)
			*cause = strdup("out of memory");
		return NULL;
	}
	t->ctx = ctx;
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->dirfd < 0) {
		int e = errno;
		if (cause != NULL && asprintf(cause, "%s: %s", dir, strerror(e)) < 0)
			*cause = NULL;
		free(t->root);
		free(t);
		return NULL;
	}
	return t;
}

void sl_tree_free(struct sl_tree *t)
{
	if (t == NULL)
		return;
	close(t->dirfd);
	free(t->root);
	free(t->cause);
	free(t);
}

int sl_tree_dirfd(const struct sl_tree *t)
{
	return t->dirfd;
}

const char *sl_tree_root(const struct sl_tree *t)
{
	return t->root;
}

const char *sl_tree_cause(const struct sl_tree *t)
{
	return t->cause != NULL ? t->cause : "";
}

static int check_rel(struct sl_tree *t, const char *rel)
{
	if (rel == NULL || sl_path_check_relative(rel, strlen(rel)) < 0)
		return fail(t, -SL_E_BADNAME, "\"%s\" is not a safe relative path", rel != NULL ? rel : "(null)");
	return 0;
}

static int mkdir_one(struct sl_tree *t, const char *rel)
{
	if (mkdirat(t->dirfd, rel, 0755) == 0) {
		/* Served runs as another user: do not let the admin's umask hide the tree from it. */
		if (fchmodat(t->dirfd, rel, 0755, 0) < 0)
			return -errno;
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

/* Create the directories leading to `rel`, skipping those shared with the last one created. */
static int ensure_parent(struct sl_tree *t, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	if (slash == NULL)
		return 0;
	size_t dlen = (size_t)(slash - rel), llen = strlen(t->lastdir);
	if (dlen >= sizeof t->lastdir)
		return fail(t, -SL_E_TOOBIG, "%s: path too long", rel);
	if (dlen == llen && memcmp(rel, t->lastdir, dlen) == 0)
		return 0;
	size_t common = 0;
	for (size_t i = 0; i <= dlen && i <= llen; i++) {
		bool end_a = i == dlen || rel[i] == '/';
		bool end_b = i == llen || t->lastdir[i] == '/';
		if (end_a && end_b)
			common = i;
		if (i == dlen || i == llen || rel[i] != t->lastdir[i])
			break;
	}
	char part[SL_MAX_PATH];
	memcpy(part, rel, dlen);
	part[dlen] = '\0';
	for (size_t i = common + (common > 0); i <= dlen; i++) {
		if (i != dlen && part[i] != '/')
			continue;
		part[i] = '\0';
		int r = mkdir_one(t, part);
		if (i != dlen)
			part[i] = '/';
		if (r < 0) {
			t->lastdir[0] = '\0';
			return fail(t, r, "%s/%s: cannot create directory: %s", t->root, part, sl_strerror(r));
		}
	}
	memcpy(t->lastdir, rel, dlen);
	t->lastdir[dlen] = '\0';
	return 0;
}

int sl_tree_mkparents(struct sl_tree *t, const char *rel)
{
	clear(t);
	int r = check_rel(t, rel);
	return r < 0 ? r : ensure_parent(t, rel);
}

static int link_failed(struct sl_tree *t, int err, const char *path, const char *obj)
{
	switch (err) {
	case ENOENT:
		return fail(t, -SL_E_NOTFOUND, "%s: store object %s is missing", path, obj);
	case EEXIST:
		return fail(t, -SL_E_EXISTS, "%s: listed twice in the snapshot or clashes with a generated file",
			    path);
	case EXDEV:
		return fail(t, -EXDEV, "%s: the store (%s) and %s are on different filesystems; hard links need one",
			    path, obj, t->root);
	case EPERM:
		return fail(t, -EPERM, "%s: linking %s not permitted (fs.protected_hardlinks: the publishing user "
			    "must own the store objects or have read-write access)", path, obj);
	default:
		return fail(t, -err, "%s: cannot link %s: %s", path, obj, strerror(err));
	}
}

int sl_tree_link(struct sl_tree *t, const char *rel, const char *sha256, uint64_t size)
{
	clear(t);
	int r = check_rel(t, rel);
	if (r < 0)
		return r;
	char obj[SL_MAX_PATH];
	r = sl_store_object_path(t->ctx->store, sha256 != NULL ? sha256 : "", obj, sizeof obj);
	if (r < 0)
		return fail(t, r, "%s: invalid store digest \"%s\"", rel, sha256 != NULL ? sha256 : "(null)");
	r = ensure_parent(t, rel);
	if (r < 0)
		return r;
	if (linkat(AT_FDCWD, obj, t->dirfd, rel, 0) < 0)
		return link_failed(t, errno, rel, obj);
	struct stat st;
	if (fstatat(t->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		return fail(t, -e, "%s/%s: %s", t->root, rel, strerror(e));
	}
	if ((uint64_t)st.st_size != size)
		return fail(t, -SL_E_SIZE, "%s: store object %s has %lld bytes, the snapshot says %" PRIu64, rel,
			    sha256, (long long)st.st_size, size);
	return 0;
}

int sl_tree_alias(struct sl_tree *t, const char *existing, const char *rel)
{
	clear(t);
	int r = check_rel(t, existing);
	if (r == 0)
		r = check_rel(t, rel);
	if (r == 0)
		r = ensure_parent(t, rel);
	if (r < 0)
		return r;
	if (linkat(t->dirfd, existing, t->dirfd, rel, 0) == 0)
		return 0;
	if (errno != EEXIST)
		return link_failed(t, errno, rel, existing);
	struct stat a, c;
	if (fstatat(t->dirfd, existing, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstatat(t->dirfd, rel, &c, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == c.st_dev && a.st_ino == c.st_ino)
		return 0;
	return link_failed(t, EEXIST, rel, existing);
}

int sl_tree_write(struct sl_tree *t, const char *rel, const void *data, size_t len)
{
	clear(t);
	int r = check_rel(t, rel);
	if (r == 0)
		r = ensure_parent(t, rel);
	if (r < 0)
		return r;
	int fd = openat(t->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int err = errno;
		return fail(t, err == EEXIST ? -SL_E_EXISTS : -err, "%s/%s: cannot create: %s", t->root, rel,
			    err == EEXIST ? "a snapshot entry has this path" : strerror(err));
	}
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0)
		r = sl_fs_write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return fail(t, r, "%s/%s: write: %s", t->root, rel, sl_strerror(r));
	return 0;
}

struct link_all {
	struct sl_tree *t;
	int64_t snap;
	char **cause;
};

static int link_entry(void *arg, const struct sl_entry *e)
{
	struct link_all *la = arg;
	int r = sl_tree_link(la->t, e->path, e->sha256, e->size);
	if (r < 0 && la->cause != NULL && *la->cause == NULL &&
	    asprintf(la->cause, "snapshot %lld: %s", (long long)la->snap, sl_tree_cause(la->t)) < 0)
		*la->cause = NULL;
	return r;
}

int sl_publish_tree_link_all(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause)
{
	struct sl_tree *t = sl_tree_new(ctx, dir, cause);
	if (t == NULL)
		return -EIO;
	struct link_all la = { .t = t, .snap = snap_id, .cause = cause };
	int r = sl_catalog_snapshot_entries(ctx->cat, snap_id, link_entry, &la);
	if (r < 0 && cause != NULL && *cause == NULL &&
	    asprintf(cause, "snapshot %lld: reading entries: %s", (long long)snap_id, sl_strerror(r)) < 0)
		*cause = NULL;
	sl_tree_free(t);
	return r;
}
