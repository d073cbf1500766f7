/* format: the one list of content kinds sluice knows (apt, clamav, oci). Each kind is one row, a
 * `struct sl_format_ops`: its name (the `type =` in config and the served route), the defaults a source of
 * that kind gets, its own source keys (core/config_<kind>.c), its client set-up text
 * (core/clients_<kind>.c), and the operations every stage needs — sync (syncd/), verify (verify/, run by
 * verify/settle.c), publish and diff (admin/), serve and the status-page snippet (served/). Stages reach
 * per-format code only through a source's row (`src->format->publish`), never by testing a name; adding a
 * kind is one row here plus that kind's own files in each stage.
 *
 * Linking: the stage tables are weak references. A program gets the operations of the stage libraries
 * it links whole (CMake's sl_link_stages()), and NULL for the others: sluice-served links neither libcurl
 * nor the syncers, so its rows have sync == NULL; core itself never calls through a stage pointer.
 * The rows are static and never freed. */
#ifndef SL_FORMAT_H
#define SL_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

struct sl_cfg_keys;    /* core/config_int.h */
struct sl_clients_gen; /* core/clients.h */
struct sl_syncer;      /* syncd/sync.h */
struct sl_verifier;    /* verify/verifier.h */
struct sl_publisher;   /* admin/publish.h */
struct sl_differ;      /* admin/diff.h */
struct sl_route;       /* served/request.h */
struct sl_advisor;     /* verify/advise.h */

struct sl_format_ops {
	const char *name;          /* "apt": config `type`, served route /apt/<source>/ */
	const char *description;   /* one line, for `sluice sources` and the status page */
	const struct sl_cfg_keys *config; /* its own source keys and their rules (core/config_<name>.c) */
	int default_auto_approve;  /* 1: snapshots publish as soon as they verify, unless configured */
	int64_t default_every_ms;  /* sync interval unless configured */
	unsigned default_keep;     /* snapshots kept per source unless configured */
	const char *rollback_note; /* told to the administrator on rollback, or NULL */
	const char *const *scan_roles; /* snapshot entry roles the malware scan gate scans (NULL: none) */
	bool scan_databases;       /* its published tree is a set of signature databases [scan] can load */
	/* Client set-up text for `sluice clients` and the status page (core/clients_<name>.c); NULL: none. */
	const struct sl_clients_gen *clients;
	/* Stage operations; NULL where this program does not link the stage (see above). */
	const struct sl_syncer *sync;
	const struct sl_verifier *verify;
	const struct sl_publisher *publish;
	const struct sl_differ *diff;
	const struct sl_route *serve;
	const struct sl_advisor *advise;   /* advisories on arrival (verify/advise.h), or NULL */
};

/* NULL-terminated list of every format. */
extern const struct sl_format_ops *const sl_formats[];

/* Look up by name (the config's `type =`); NULL when unknown. */
const struct sl_format_ops *sl_format_find(const char *name);

#endif
