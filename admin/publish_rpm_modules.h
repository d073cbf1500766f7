/* publish_rpm_modules: modules.yaml (the `modules` record: a YAML stream of modulemd v2 streams,
 * modulemd-defaults, modulemd-obsoletes and translations) rewritten for the packages a resigned RPM
 * repository ships, through libmodulemd (what createrepo_c and dnf use; no YAML is parsed here).
 *
 * A module stream stays when any of its `data.artifacts.rpms` (NEVRA, "name-epoch:version-release.arch")
 * ships, with its artifact list pruned to the shipped ones; every other stream is dropped. A module's
 * defaults stay while the stream they name as default stays (else the document is dropped, so dnf never
 * enables a stream that is absent); its obsoletes and its kept streams' translations stay while any of
 * its streams does. The upstream's verified bytes are read whole (capped, core/limits.h).
 *
 * Failure: -SL_E_PARSE (libmodulemd refused a document: the cause names it), -SL_E_TOOBIG past the cap,
 * -SL_E_ARCHIVE (createrepo_c's compression I/O), -ENOMEM. */
#ifndef SL_PUBLISH_RPM_MODULES_H
#define SL_PUBLISH_RPM_MODULES_H

#include "admin/publish_rpm_comps.h"

/* in: any compression createrepo_c detects; out: written with `compression` (a cr_CompressionType), and
 * only when a stream stays (count->kept > 0); nevras: "name-epoch:version-release.arch" of every shipped
 * package. */
int sl_rpm_modules_prune(const char *in, const char *out, int compression, const struct sl_strset *nevras,
			 struct sl_rpm_prune_count *count, char **cause);

#endif
