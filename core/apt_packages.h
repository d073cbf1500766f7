/* apt_packages: one APT Packages stanza as borrowed views, validated before anything uses it as a name
 * or a path: Package [a-z0-9][a-z0-9+.-]+, Version by dpkg's rules (core/debver.h), Architecture
 * [a-z0-9-]+, Size decimal, SHA256 64 lowercase hex, Filename a safe relative path under "pool/"
 * (sl_path_check_relative; absolute, "..", or outside pool/ is -SL_E_BADNAME), Multi-Arch one of
 * same|foreign|allowed|no when present. A missing required field is -SL_E_PARSE.
 * sl_apt_packages_foreach_fd streams a whole index (any compression) through core/decomp and
 * core/deb822, in memory bounded by one stanza.
 *
 * Ownership: every blob in struct sl_apt_pkg points into the paragraph it came from and is valid only
 * as long as that paragraph (the callback's duration). Causes are heap strings the caller frees. */
#ifndef SL_APT_PACKAGES_H
#define SL_APT_PACKAGES_H

#include <stdint.h>

#include "core/blob.h"
#include "core/deb822.h"

struct sl_apt_pkg {
	struct sl_blob package, version, architecture, filename, sha256;       /* required */
	struct sl_blob depends, pre_depends, provides, multi_arch, source, section, priority;  /* may be empty */
	uint64_t size;
};

/* 0, -SL_E_PARSE (missing or malformed field) or -SL_E_BADNAME (hostile Filename or name), with *cause
 * ("line N: package 'x': ..."). */
int sl_apt_pkg_from_para(const struct sl_deb822_para *p, struct sl_apt_pkg *out, char **cause);

/* Decompress the index at fd (at most max_out bytes) and call cb for each valid stanza. Any invalid
 * stanza stops the walk with its error (an index is accepted whole or not at all); cb's non-zero return
 * stops it and is returned. More than SL_MAX_PACKAGES stanzas is -SL_E_TOOBIG. */
int sl_apt_packages_foreach_fd(int fd, uint64_t max_out,
			       int (*cb)(void *arg, const struct sl_apt_pkg *pkg, const struct sl_deb822_para *para),
			       void *arg, char **cause);

#endif
