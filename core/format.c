/* format: the one list of content kinds, one row per kind (see format.h for the weak references). */
#include "core/format.h"

#include <string.h>

#define HOUR_MS (3600 * 1000LL)
#define SL_WEAK __attribute__((weak))

/* Each kind's source keys (core/config_<kind>.c) and client set-up (core/clients_<kind>.c): core, always
 * linked. */
extern const struct sl_cfg_keys sl_cfg_keys_apt, sl_cfg_keys_clamav, sl_cfg_keys_oci, sl_cfg_keys_rpm;
extern const struct sl_clients_gen sl_clients_apt, sl_clients_clamav;

/* Each kind's stage tables, defined in its own files of each stage. */
extern const struct sl_syncer sl_apt_syncer SL_WEAK, sl_clamav_syncer SL_WEAK, sl_oci_syncer SL_WEAK;
extern const struct sl_syncer sl_rpm_syncer SL_WEAK;
extern const struct sl_verifier sl_apt_verifier SL_WEAK, sl_clamav_verifier SL_WEAK, sl_oci_verifier SL_WEAK;
extern const struct sl_verifier sl_rpm_verifier SL_WEAK;
extern const struct sl_publisher sl_apt_publisher SL_WEAK, sl_clamav_publisher SL_WEAK, sl_oci_publisher SL_WEAK;
extern const struct sl_publisher sl_rpm_publisher SL_WEAK;
extern const struct sl_differ sl_apt_differ SL_WEAK, sl_clamav_differ SL_WEAK, sl_oci_differ SL_WEAK;
extern const struct sl_differ sl_rpm_differ SL_WEAK;
extern const struct sl_route sl_apt_route SL_WEAK, sl_clamav_route SL_WEAK, sl_oci_route SL_WEAK;
extern const struct sl_route sl_rpm_route SL_WEAK;
extern const struct sl_advisor sl_apt_advisor SL_WEAK;
extern const struct sl_advisor sl_rpm_advisor SL_WEAK;

static const char *const apt_scan_roles[] = { "pool", NULL };     /* .deb files */
static const char *const oci_scan_roles[] = { "blob", NULL };     /* layers (and configs, harmlessly) */
static const char *const rpm_scan_roles[] = { "package", NULL };  /* .rpm files: header + cpio payload */

static const struct sl_format_ops sl_format_apt = {
	.name = "apt",
	.description = "APT repository (Debian, Ubuntu)",
	.config = &sl_cfg_keys_apt,
	.clients = &sl_clients_apt,
	.default_auto_approve = 0,
	.default_every_ms = 6 * HOUR_MS,
	.default_keep = 10,
	.scan_roles = apt_scan_roles,
	.sync = &sl_apt_syncer,
	.verify = &sl_apt_verifier,
	.publish = &sl_apt_publisher,
	.diff = &sl_apt_differ,
	.serve = &sl_apt_route,
	.advise = &sl_apt_advisor,
};

static const struct sl_format_ops sl_format_clamav = {
	.name = "clamav",
	.description = "ClamAV signature databases (CVD/CDIFF)",
	.config = &sl_cfg_keys_clamav,
	.clients = &sl_clients_clamav,
	.default_auto_approve = 1,   /* signatures change every few hours; see the ClamAV issue */
	.default_every_ms = 2 * HOUR_MS,
	.default_keep = 30,
	.rollback_note = "freshclam never downgrades a database: clients that already have a newer version keep "
			 "it; only hosts below the rolled-back version receive it",
	.scan_databases = true,
	.sync = &sl_clamav_syncer,
	.verify = &sl_clamav_verifier,
	.publish = &sl_clamav_publisher,
	.diff = &sl_clamav_differ,
	.serve = &sl_clamav_route,
};

static const struct sl_format_ops sl_format_oci = {
	.name = "oci",
	.description = "Container images (OCI / Docker registry)",
	.config = &sl_cfg_keys_oci,
	.default_auto_approve = 0,
	.default_every_ms = 24 * HOUR_MS,
	.default_keep = 10,
	.scan_roles = oci_scan_roles,
	.sync = &sl_oci_syncer,
	.verify = &sl_oci_verifier,
	.publish = &sl_oci_publisher,
	.diff = &sl_oci_differ,
	.serve = &sl_oci_route,
};

static const struct sl_format_ops sl_format_rpm = {
	.name = "rpm",
	.description = "RPM repository (RHEL, Rocky, Alma, Fedora, EPEL)",
	.config = &sl_cfg_keys_rpm,
	.default_auto_approve = 0,
	.default_every_ms = 6 * HOUR_MS,
	.default_keep = 10,
	.scan_roles = rpm_scan_roles,
	.sync = &sl_rpm_syncer,
	.verify = &sl_rpm_verifier,
	.publish = &sl_rpm_publisher,
	.diff = &sl_rpm_differ,
	.advise = &sl_rpm_advisor,
	.serve = &sl_rpm_route,
};

const struct sl_format_ops *const sl_formats[] = {
	&sl_format_apt,
	&sl_format_clamav,
	&sl_format_oci,
	&sl_format_rpm,
	NULL,
};

const struct sl_format_ops *sl_format_find(const char *name)
{
	for (unsigned i = 0; sl_formats[i] != NULL; i++)
		if (strcmp(sl_formats[i]->name, name) == 0)
			return sl_formats[i];
	return NULL;
}
