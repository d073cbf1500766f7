/* config_rpm: the source keys of `type = rpm` (core/format.c's rpm row points here), and the rules between
 * them that a key table cannot say. */
#include <stddef.h>

#include "core/cfgcheck.h"
#include "core/config_int.h"

#define SRC(f) SL_CFG_SRC(f)

static const char *const publish_names[] = { "resign", "verbatim", NULL };
static const char *const repo_signed_names[] = { "no", "yes", NULL };

static const struct key_def rpm_keys[] = {
	{ SEC_SOURCE, "keyring", 1, K_FILE, SRC(keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "signed_by", 0, K_CSLIST, SRC(fingerprints), 0, 0, 0, NULL, sl_cfgcheck_fingerprint, NULL },
	{ SEC_SOURCE, "architectures", 0, K_LIST, SRC(architectures), 0, 0, 0, "x86_64 noarch",
	  sl_cfgcheck_rpm_arch, NULL },
	{ SEC_SOURCE, "packages", 0, K_LIST, SRC(packages), 0, 0, 0, NULL, sl_cfgcheck_rpm_package, NULL },
	{ SEC_SOURCE, "package_keyring", 0, K_FILE, SRC(package_keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "repo_signed", 0, K_BOOL, SRC(repo_signed), 0, 0, 0, "yes", NULL, repo_signed_names },
	/* No table default: it depends on `packages` (rpm_defaults). */
	{ SEC_SOURCE, "publish", 0, K_ENUM, SRC(publish), 0, 0, 0, NULL, NULL, publish_names },
};

static const char *const rpm_requires[] = { "url", NULL };

/* A package selection needs regenerated metadata, so it resigns unless told otherwise; a whole repository
 * is served as the upstream signed it. */
static void rpm_defaults(const struct section *sec, struct sl_source *src)
{
	if (sl_cfg_find_entry(sec, "publish") == NULL)
		src->publish = src->packages.n > 0 ? SL_PUBLISH_RESIGN : SL_PUBLISH_VERBATIM;
}

/* Verbatim serves the upstream's signed repomd.xml, which lists every package of the repository: with a
 * package selection it would promise packages that are not shipped. */
static void rpm_check(struct cfgp *p, const struct section *sec, const struct sl_source *src)
{
	const struct entry *pub = sl_cfg_find_entry(sec, "publish"), *pkgs = sl_cfg_find_entry(sec, "packages");
	if (src->publish == SL_PUBLISH_VERBATIM && pub != NULL && pkgs != NULL && src->packages.n > 0)
		fail(p, pub->line, "publish = verbatim cannot be combined with packages = (line %d): the upstream's "
		     "signed repomd.xml lists every package, also those not shipped; remove 'publish' (resign is the "
		     "default with packages)", pkgs->line);
}

const struct sl_cfg_keys sl_cfg_keys_rpm = {
	.v = rpm_keys,
	.n = sizeof rpm_keys / sizeof rpm_keys[0],
	.requires = rpm_requires,
	.check = rpm_check,
	.defaults = rpm_defaults,
};
