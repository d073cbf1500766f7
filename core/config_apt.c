/* config_apt: the source keys of `type = apt` (core/format.c's apt row points here), and the one rule
 * between them that a key table cannot say. */
#include <stddef.h>

#include "core/cfgcheck.h"
#include "core/config_int.h"

#define SRC(f) SL_CFG_SRC(f)

static const char *const publish_names[] = { "resign", "verbatim", NULL };

static const struct key_def apt_keys[] = {
	{ SEC_SOURCE, "suites", 1, K_LIST, SRC(suites), 0, 0, 0, NULL, sl_cfgcheck_suite, NULL },
	{ SEC_SOURCE, "components", 0, K_LIST, SRC(components), 0, 0, 0, "main", sl_cfgcheck_suite, NULL },
	{ SEC_SOURCE, "architectures", 0, K_LIST, SRC(architectures), 0, 0, 0, "amd64", sl_cfgcheck_arch, NULL },
	{ SEC_SOURCE, "packages", 0, K_LIST, SRC(packages), 0, 0, 0, NULL, sl_cfgcheck_package, NULL },
	{ SEC_SOURCE, "keyring", 1, K_FILE, SRC(keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "signed_by", 0, K_CSLIST, SRC(fingerprints), 0, 0, 0, NULL, sl_cfgcheck_fingerprint, NULL },
	{ SEC_SOURCE, "publish", 0, K_ENUM, SRC(publish), 0, 0, 0, "resign", NULL, publish_names },
	{ SEC_SOURCE, "max_future", 0, K_DURATION, SRC(max_future_ms), 0, 0, 0, "1d", NULL, NULL },
};

static const char *const apt_requires[] = { "url", NULL };

/* Verbatim serves the upstream's own signed indices, which list every package: a package selection
 * cannot apply to them. */
static void apt_check(struct cfgp *p, const struct section *sec, const struct sl_source *src)
{
	const struct entry *pub = sl_cfg_find_entry(sec, "publish"), *pkgs = sl_cfg_find_entry(sec, "packages");
	if (src->publish == SL_PUBLISH_VERBATIM && src->packages.n > 0)
		fail(p, pub != NULL ? pub->line : sec->line, "publish = verbatim serves the upstream's complete "
		     "signed indices; it cannot be combined with packages (line %d)",
		     pkgs != NULL ? pkgs->line : sec->line);
}

const struct sl_cfg_keys sl_cfg_keys_apt = {
	.v = apt_keys,
	.n = sizeof apt_keys / sizeof apt_keys[0],
	.requires = apt_requires,
	.check = apt_check,
};
