/* publish_tree: the generation-building helpers every publisher shares. A tree is one generation directory
 * being built (see publish.h): store objects are hard linked into it at repository-relative paths, after
 * the path is checked (sl_path_check_relative) and the linked file's size is compared with the snapshot's;
 * generated files (indices, Release, signatures) are written beside them, mode 0644, never replacing
 * anything. Parent directories are created on demand (0755, whatever the umask: served runs as another
 * user).
 *
 * Ownership: sl_tree_new() -> sl_tree_free() (NULL is a no-op); the tree borrows ctx and copies dir.
 * Failure: int functions return 0 or a negative code and keep a description naming the path (store object,
 * entry, directory) for sl_tree_cause(), valid until the next call on the tree. Nothing is logged here:
 * the publisher hands the cause to its caller. */
#ifndef SL_PUBLISH_TREE_H
#define SL_PUBLISH_TREE_H

#include <stddef.h>
#include <stdint.h>

struct sl_publish_ctx;
struct sl_tree;

/* Open `dir` (an existing directory, normally empty). NULL + *cause (heap) on failure. */
struct sl_tree *sl_tree_new(const struct sl_publish_ctx *ctx, const char *dir, char **cause);
/* Hard link store object `sha256` at `rel`, which must have exactly `size` bytes.
 * -SL_E_BADNAME (path or digest), -SL_E_NOTFOUND (object missing), -SL_E_EXISTS (path taken),
 * -SL_E_SIZE, -EXDEV / -EPERM (store and tree cannot share inodes), -errno. */
int sl_tree_link(struct sl_tree *t, const char *rel, const char *sha256, uint64_t size);
/* Create the new file `rel` with `len` bytes (-SL_E_EXISTS when the path is taken). */
int sl_tree_write(struct sl_tree *t, const char *rel, const void *data, size_t len);
/* Hard link the file already at `existing` (in the tree) at `rel` too; success when `rel` already is that
 * very file (the same content listed twice, as APT's by-hash names). */
int sl_tree_alias(struct sl_tree *t, const char *existing, const char *rel);
/* Create the directories leading to `rel` (not `rel` itself). */
int sl_tree_mkparents(struct sl_tree *t, const char *rel);
/* The tree's directory, as an fd owned by the tree (for openat on what was linked), and its path. */
int sl_tree_dirfd(const struct sl_tree *t);
const char *sl_tree_root(const struct sl_tree *t);
/* Why the last failing call failed ("" when none did). */
const char *sl_tree_cause(const struct sl_tree *t);
void sl_tree_free(struct sl_tree *t);

/* A build op that links every entry of the snapshot at its path (ClamAV, OCI): whatever the roles, the
 * snapshot's paths are the served paths. 0, or a negative code with *cause (heap). */
int sl_publish_tree_link_all(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause);

#endif
