/* format: the one list of content kinds. Add a kind here and in each stage's table. */
#include "core/format.h"

#include <string.h>

#define HOUR_MS (3600 * 1000LL)

static const struct sl_format sl_format_apt = {
	.name = "apt",
	.description = "APT repository (Debian, Ubuntu)",
	.keys = SL_FK_APT,
	.default_auto_approve = 0,
	.default_every_ms = 6 * HOUR_MS,
	.default_keep = 10,
};

static const struct sl_format sl_format_clamav = {
	.name = "clamav",
	.description = "ClamAV signature databases (CVD/CDIFF)",
	.keys = SL_FK_CLAMAV,
	.default_auto_approve = 1,   /* signatures change every few hours; see the ClamAV issue */
	.default_every_ms = 2 * HOUR_MS,
	.default_keep = 30,
	.rollback_note = "freshclam never downgrades a database: clients that already have a newer version keep "
			 "it; only hosts below the rolled-back version receive it",
};

static const struct sl_format sl_format_oci = {
	.name = "oci",
	.description = "Container images (OCI / Docker registry)",
	.keys = SL_FK_OCI,
	.default_auto_approve = 0,
	.default_every_ms = 24 * HOUR_MS,
	.default_keep = 10,
};

const struct sl_format *const sl_formats[] = {
	&sl_format_apt,
	&sl_format_clamav,
	&sl_format_oci,
	NULL,
};

const struct sl_format *sl_format_find(const char *name)
{
	for (unsigned i = 0; sl_formats[i] != NULL; i++)
		if (strcmp(sl_formats[i]->name, name) == 0)
			return sl_formats[i];
	return NULL;
}
