/* rpm_updateinfo: stream updateinfo.xml (the advisories of an RPM repository) one <update> at a time through
 * rpm_xml's DTD-free reader: id, type, severity, the CVE references and the packages it ships (NEVRA).
 * Used for `sluice diff` (which advisories a change brings) and publish = resign (pruning).
 *
 * Ownership: the advisory passed to the callback is borrowed for the call.
 * Failure: -SL_E_PARSE (malformed, DOCTYPE/entity, an update without id), -SL_E_TOOBIG (a field past
 * SL_MAX_RPM_FIELD, more than SL_MAX_RPM_ADVISORY_PKGS packages or SL_MAX_RPM_ADVISORY_CVES CVEs in one
 * advisory, nesting), the read callback's code, or the callback's non-zero return; *cause says where. */
#ifndef SL_RPM_UPDATEINFO_H
#define SL_RPM_UPDATEINFO_H

#include <stddef.h>
#include <sys/types.h>


struct sl_rpm_advisory {
	char id[128], type[64], severity[64];
	char **cves;                 /* "CVE-2026-0001" */
	size_t ncves;
	char **pkgs;                 /* "name-epoch:version-release.arch" (epoch "0" when absent) */
	size_t npkgs;
	int line;
};

int sl_rpm_updateinfo_parse(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg,
			    int (*cb)(void *arg, const struct sl_rpm_advisory *a), void *cb_arg, char **cause);

#endif
