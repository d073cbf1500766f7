/* config_oci: the source keys of `type = oci` (core/format.c's oci row points here). */
#include <stddef.h>

#include "core/cfgcheck.h"
#include "core/config_int.h"

#define SRC(f) SL_CFG_SRC(f)

static const struct key_def oci_keys[] = {
	{ SEC_SOURCE, "registry", 1, K_URL, SRC(registry), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "images", 1, K_LIST, SRC(images), 0, 0, 0, NULL, sl_cfgcheck_image, NULL },
	{ SEC_SOURCE, "platforms", 0, K_LIST, SRC(platforms), 0, 0, 0, NULL, sl_cfgcheck_platform, NULL },
	{ SEC_SOURCE, "username", 0, K_WORD, SRC(username), 0, 0, 0, NULL, sl_cfgcheck_username, NULL },
	{ SEC_SOURCE, "password_file", 0, K_FILE, SRC(password_file), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "signed_by", 0, K_FILE, SRC(signed_by), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "cosign_key", 0, K_FILE, SRC(cosign_key), 0, 0, 0, NULL, NULL, NULL },
};

const struct sl_cfg_keys sl_cfg_keys_oci = {
	.v = oci_keys,
	.n = sizeof oci_keys / sizeof oci_keys[0],
};
