/* config_clamav: the source keys of `type = clamav` (core/format.c's clamav row points here). */
#include <stddef.h>

#include "core/cfgcheck.h"
#include "core/config_int.h"

#define SRC(f) SL_CFG_SRC(f)

static const struct key_def clamav_keys[] = {
	{ SEC_SOURCE, "databases", 0, K_LIST, SRC(databases), 0, 0, 0, "main daily bytecode", sl_cfgcheck_database,
	  NULL },
	{ SEC_SOURCE, "cdiffs", 0, K_UINT, SRC(cdiffs), 0, 0, 1000, "30", NULL, NULL },
	{ SEC_SOURCE, "dns", 0, K_WORD, SRC(dns), 0, 0, 0, NULL, sl_cfgcheck_host, NULL },
	{ SEC_SOURCE, "cvd_key", 0, K_FILE, SRC(cvd_key), 0, 0, 0, NULL, NULL, NULL },
};

static const char *const clamav_requires[] = { "url", NULL };

const struct sl_cfg_keys sl_cfg_keys_clamav = {
	.v = clamav_keys,
	.n = sizeof clamav_keys / sizeof clamav_keys[0],
	.requires = clamav_requires,
};
