/* rpm_depsolve: which packages a partial RPM mirror (`packages =`) must carry so that dnf on a client can
 * install the configured packages from it. libsolv (DISTTYPE_RPM, repo_add_rpmmd) holds primary.xml and
 * answers "who provides this dependency" — names, versioned provides, sonames, file dependencies (primary's
 * file lists) and rich dependencies; the closure rule is ours, deliberately a superset of what dnf picks:
 *  - start from every version, of a configured architecture, of each named package (a name no package has
 *    starts from every provider of it);
 *  - follow Requires (and Requires(pre/post)) transitively, not weak dependencies (Recommends, Suggests:
 *    dnf installs without them when they are absent);
 *  - a dependency takes every provider of a configured architecture (every version that satisfies it);
 *    one nobody in the repository provides (rpmlib(), a package from another repository) is skipped.
 * primary is streamed into libsolv through core/decomp (capped, as the verifier caps it); sluice never holds
 * it in memory itself. Only call this on a primary that core/rpm_primary parsed: libsolv's own XML reader is
 * not the defensive one.
 *
 * Ownership: sl_rpm_solver_new -> sl_rpm_solver_free (NULL is a no-op). Causes are heap strings. */
#ifndef SL_RPM_DEPSOLVE_H
#define SL_RPM_DEPSOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_rpm_solver;

struct sl_rpm_solver *sl_rpm_solver_new(const char *const *archs, size_t narchs, char **cause);
/* Add primary.xml (any compression) read from fd (the caller's), decompressing at most max_out bytes.
 * 0, or -SL_E_ARCHIVE / -SL_E_TOOBIG / -SL_E_PARSE / -ENOMEM with *cause. */
int sl_rpm_solver_add_primary(struct sl_rpm_solver *s, int fd, uint64_t max_out, char **cause);
/* Compute the closure of `names`. Names nothing provides are -SL_E_NOTFOUND with a cause listing them. */
int sl_rpm_solver_closure(struct sl_rpm_solver *s, const char *const *names, size_t n, char **cause);
/* Is this exact package (primary's NEVRA; epoch "" = "0") in the closure? */
bool sl_rpm_solver_selected(const struct sl_rpm_solver *s, const char *name, const char *epoch, const char *ver,
			    const char *rel, const char *arch);
size_t sl_rpm_solver_count(const struct sl_rpm_solver *s);
void sl_rpm_solver_free(struct sl_rpm_solver *s);

#endif
