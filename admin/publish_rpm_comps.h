/* publish_rpm_comps: a comps file (the `group` / `group_gz` / `group_xz` records: package groups, categories,
 * environments) rewritten for the packages a resigned RPM repository ships. A <packagereq> naming a package
 * that does not ship is dropped; a <group> left with no <packagereq> is dropped; a <groupid> of a dropped
 * group is dropped from every <category> and <environment> (their <grouplist> and <optionlist>). Everything
 * else (names, translations, langpacks) is copied.
 *
 * Two streaming passes of libxml2's xmlTextReader over the (decompressed) input, never the whole document
 * in memory: the first decides which groups stay, the second writes. The input is the upstream's verified
 * bytes, still parsed defensively: network off, no entity substitution, no DTD loading; a <!DOCTYPE> with
 * an internal subset, any entity declaration or entity reference is refused (real comps files carry only
 * `<!DOCTYPE comps PUBLIC ... "comps.dtd">`, which is dropped from the output); nesting, kept text and
 * the decompressed size are capped (core/limits.h).
 *
 * Failure: -SL_E_PARSE (malformed or refused XML, the cause names the line), -SL_E_TOOBIG past a cap,
 * -SL_E_ARCHIVE (createrepo_c's compression I/O), -ENOMEM; the output file may then be partial (the caller
 * builds into a directory it discards on failure). */
#ifndef SL_PUBLISH_RPM_COMPS_H
#define SL_PUBLISH_RPM_COMPS_H

#include <stddef.h>

struct sl_strset;

struct sl_rpm_prune_count {
	size_t kept, dropped;     /* groups (comps) or module streams (modules.yaml) */
};

/* in: any compression createrepo_c detects; out: written with `compression` (a cr_CompressionType);
 * names: the package names that ship. count->kept == 0: no group ships (the caller drops the record). */
int sl_rpm_comps_prune(const char *in, const char *out, int compression, const struct sl_strset *names,
		       struct sl_rpm_prune_count *count, char **cause);

#endif
