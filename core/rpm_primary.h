/* rpm_primary: stream primary.xml (the package list of an RPM repository; RHEL AppStream's is hundreds of MB
 * uncompressed) one <package> at a time, through rpm_xml's DTD-free reader, holding only the current
 * package. Only what the chain needs is extracted: NEVRA, the pkgid checksum, the package size and its
 * location (with whether an xml:base was given). Judgements (checksum strength, href safety) are the
 * caller's: an entry keeps what the upstream said.
 *
 * Ownership: the package passed to the callback is borrowed for the call.
 * Failure: -SL_E_PARSE (malformed XML, a DOCTYPE or entity, a package without name/arch/version/checksum/
 * location, not <metadata> at the root), -SL_E_TOOBIG (more than SL_MAX_RPM_PACKAGES, a field past
 * SL_MAX_RPM_FIELD, nesting), the read callback's code, or the callback's non-zero return; *cause says where. */
#ifndef SL_RPM_PRIMARY_H
#define SL_RPM_PRIMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/rpm_repomd.h"

struct sl_rpm_pkg {
	char name[256], arch[64], epoch[32], ver[256], rel[256];
	char sum_type[SL_RPM_SUM_TYPE];        /* <checksum type> */
	char sum[SL_RPM_HEX_MAX];              /* the pkgid, lowercase hex */
	int64_t size;                          /* <size package>; -1 when absent */
	char href[1024];                       /* <location href> */
	bool has_base;                         /* <location xml:base> */
	int line;                              /* of the <package> element, for messages */
};

/* declared: the <metadata packages="N"> count (-1 when absent); may be NULL. */
int sl_rpm_primary_parse(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg,
			 int (*cb)(void *arg, const struct sl_rpm_pkg *p), void *cb_arg, int64_t *declared,
			 char **cause);

/* "name-[epoch:]version-release.arch" into buf (epoch omitted when empty or "0"). */
void sl_rpm_pkg_nevra(const struct sl_rpm_pkg *p, char *buf, size_t cap);

/* Stream a (compressed) metadata file from fd: decompressed with core/decomp (gzip, xz, zstd, bzip2...) up
 * to max_out bytes (-SL_E_TOOBIG beyond: a decompression bomb stops there), the decompressed bytes hashed
 * with `alg` (SL_HASH_SHA256 / SL_HASH_SHA512 from core/digest.h, 0: none) into open_sum (lowercase hex)
 * and counted in *open_size, and parsed as primary.xml when cb is non-NULL (else only read through). */
struct sl_rpm_open {
	uint64_t max_out;
	unsigned alg;
	char open_sum[SL_RPM_HEX_MAX];
	uint64_t open_size;
};
int sl_rpm_primary_parse_fd(int fd, struct sl_rpm_open *o, int (*cb)(void *arg, const struct sl_rpm_pkg *p),
			    void *cb_arg, int64_t *declared, char **cause);
/* The same for any streaming parser of metadata (updateinfo...): parse reads through `read`; bytes it leaves
 * unread are still decompressed and hashed. parse NULL: read through only. */
int sl_rpm_parse_fd(int fd, struct sl_rpm_open *o,
		    int (*parse)(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg, void *arg, char **cause),
		    void *arg, char **cause);

#endif
