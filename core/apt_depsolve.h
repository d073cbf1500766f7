/* apt_depsolve: which packages a partial APT mirror must carry so that apt on a client can install the
 * configured packages with no other source. libsolv (DISTTYPE_DEB) holds the indices and answers "who
 * provides this dependency"; the closure rule is ours, deliberately a superset of what apt would pick:
 *  - start from every version, in any added index, of each named package, in every configured
 *    architecture and "all" (a purely virtual name starts from its providers);
 *  - follow Depends and Pre-Depends (not Recommends or Suggests) transitively;
 *  - an alternatives group "a | b" takes the first alternative that has any candidate, as apt does;
 *  - a dependency on a real package takes every version satisfying the constraint; only when no real
 *    package satisfies it are the providers of the virtual name taken (all of them);
 *  - architectures follow Debian multiarch: a candidate must be of the depender's architecture or
 *    "all", unless it is Multi-Arch: foreign (any configured architecture), or Multi-Arch: allowed and
 *    the dependency says ":any"; an "all" package's dependencies may be met in any configured arch.
 * Indices of several suites of one source (bookworm, bookworm-updates) are added under their own repo
 * names and the closure is computed over all of them, so a newer version pulls in its own dependencies.
 * Indices are streamed into libsolv through core/apt_prune (only the fields the closure reads, and with
 * sl_apt_solver_prune only the stanzas it can reach); sluice never holds one in memory.
 *
 * Ownership: sl_apt_solver_new -> sl_apt_solver_free (NULL is a no-op). Causes are heap strings. */
#ifndef SL_APT_DEPSOLVE_H
#define SL_APT_DEPSOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/blob.h"

struct sl_apt_solver;

/* archs: the configured architectures ("amd64", ...; "all" is implied). NULL + cause on bad input. */
struct sl_apt_solver *sl_apt_solver_new(const char *const *archs, size_t narchs, char **cause);
/* Optional, before any index is added: read the indices (fds, from their current offsets; the caller gives
 * them again to add_index, rewound) and keep for libsolv only the stanzas the closure of `names` can reach
 * by name: every alternative, every provider, every version and architecture of a reached name, so the
 * closure is the same as without pruning; libsolv then holds hundreds of stanzas instead of an archive.
 * The lean stanzas read here are kept in unlinked temp files in tmp_dirfd, so add_index need not
 * decompress again (tmp_dirfd < 0, or a failed temp file: it does).
 * 0, or -SL_E_ARCHIVE / -SL_E_TOOBIG / -SL_E_STATE / -ENOMEM with *cause. */
int sl_apt_solver_prune(struct sl_apt_solver *s, const int *fds, size_t nfds, const char *const *names, size_t n,
			int tmp_dirfd, char **cause);
/* Add a Packages index (any compression) read from fd, which stays the caller's. repo_name groups
 * indices (the suite); it may be used for several indices. Must come before sl_apt_solver_closure.
 * 0, or -SL_E_ARCHIVE / -SL_E_TOOBIG / -SL_E_STATE / -ENOMEM with *cause; a failed index adds nothing. */
int sl_apt_solver_add_index(struct sl_apt_solver *s, const char *repo_name, int fd, char **cause);
/* Compute the closure of `names` (replacing any earlier one). Names no index knows, as package or as
 * virtual name, are -SL_E_NOTFOUND with a cause listing them. */
int sl_apt_solver_closure(struct sl_apt_solver *s, const char *const *names, size_t n, char **cause);
/* Is this exact package (as read from repo_name's index) in the closure? */
bool sl_apt_solver_selected(const struct sl_apt_solver *s, const char *repo_name, struct sl_blob package,
			    struct sl_blob version, struct sl_blob arch);
/* Number of package versions in the closure (over all repos). */
size_t sl_apt_solver_count(const struct sl_apt_solver *s);
void sl_apt_solver_free(struct sl_apt_solver *s);

#endif
