/* apt_prune: what libsolv is fed for a dependency closure over APT Packages indices (core/apt_depsolve).
 *
 * Lean stanzas: only the fields the closure reads (Package, Version, Architecture, Multi-Arch, Depends,
 * Pre-Depends, Provides) pass; repo_deb would otherwise keep every description, checksum and file name
 * of a 64k-package index in its pool (tens of MB).
 * Pruning by name: one first pass over every index builds a name-level graph (package -> the names its
 * Depends and Pre-Depends mention, provided name -> its providers) and marks what `names` reach; the
 * second pass hands libsolv only the stanzas of reached names. Every alternative, provider, version and
 * architecture of a reached name stays, so the closure is the same as without pruning. The first pass
 * keeps each index's lean stanzas in an unlinked temp file, so the second needs no decompressor.
 *
 * Ownership: sl_apt_prune_build -> sl_apt_prune_free (NULL is a no-op); sl_apt_prune_open ->
 * sl_apt_prune_close. Causes are heap strings. */
#ifndef SL_APT_PRUNE_H
#define SL_APT_PRUNE_H

#include <stddef.h>
#include <stdio.h>

struct sl_apt_prune;
struct sl_apt_prune_stream;

/* The first pass: read the indices (fds, any compression, from their current offsets; they stay the
 * caller's) and mark what `names` reach. Lean copies go to unlinked temp files in tmp_dirfd (< 0: none;
 * a failed temp file only costs a second decompression). 0 and *out, or -SL_E_ARCHIVE / -SL_E_TOOBIG /
 * -ENOMEM with *cause. */
int sl_apt_prune_build(const int *fds, size_t nfds, const char *const *names, size_t n, int tmp_dirfd,
		       struct sl_apt_prune **out, char **cause);
void sl_apt_prune_free(struct sl_apt_prune *p);

/* The second pass over index fd (rewound by the caller): a stream of its lean stanzas, only those of
 * reached names when p is not NULL, from the first pass's copy when there is one (used up: each index is
 * opened once). 0 and *out, or -SL_E_ARCHIVE / -ENOMEM with *cause. */
int sl_apt_prune_open(struct sl_apt_prune *p, int fd, struct sl_apt_prune_stream **out, char **cause);
/* What to read (libsolv's repo_add_debpackages), valid until sl_apt_prune_close. */
FILE *sl_apt_prune_file(struct sl_apt_prune_stream *z);
/* Close the stream: 0, or the error that ended it early (a decompression error, -SL_E_ARCHIVE; a stanza
 * over SL_MAX_DEB822_PARA, -SL_E_TOOBIG), with *cause: what was read then is incomplete. */
int sl_apt_prune_close(struct sl_apt_prune_stream *z, char **cause);

#endif
