/* format: the one list of content kinds sluice knows (apt, clamav, oci; later rpm). Each entry carries
 * what core needs to know about a kind: its name (the `type =` in config and the served route), the
 * defaults a source of that kind gets, and which source keys it accepts. Stages keep their own operation
 * tables (syncd's syncers, admin's publishers, served's routes) keyed by these entries; nowhere else
 * switches on a format. The entries are static and never freed. */
#ifndef SL_FORMAT_H
#define SL_FORMAT_H

#include <stdint.h>

/* Bits for sl_format.keys: which per-kind config keys a source of this kind may set. */
enum sl_format_key {
	SL_FK_APT = 1u << 0,
	SL_FK_CLAMAV = 1u << 1,
	SL_FK_OCI = 1u << 2,
};

struct sl_format {
	const char *name;          /* "apt": config `type`, served route /apt/<source>/ */
	const char *description;   /* one line, for `sluice sources` and the status page */
	unsigned keys;             /* SL_FK_* bit of the per-kind keys this kind accepts */
	int default_auto_approve;  /* 1: snapshots publish as soon as they verify, unless configured */
	int64_t default_every_ms;  /* sync interval unless configured */
	unsigned default_keep;     /* snapshots kept per source unless configured */
	const char *rollback_note; /* told to the administrator on rollback, or NULL */
};

/* NULL-terminated list of every format. */
extern const struct sl_format *const sl_formats[];

/* Look up by name; NULL when unknown. */
const struct sl_format *sl_format_find(const char *name);

#endif
