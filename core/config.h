/* config: sluice's one INI configuration file (libinih), parsed once and validated completely.
 * Sections: [sluice], [syncd], [served], [publish], and one [source NAME] per upstream. Every key is
 * documented in schemas/sluice.conf.5.md. Any problem (unknown key or section, bad size/duration/window,
 * missing keyring file, duplicate source, key not valid for the source's type, missing required key) makes
 * the load fail; nothing is half-applied. The cause lists every problem found, one "FILE:LINE: message"
 * per line in line order (a misspelt key says which it resembles); a missing key points at its section's
 * header. Every path in the result is absolute: relative
 * ones are resolved against the config file's directory (the working directory for sl_config_parse), and
 * files that must exist (keyring, cvd_key, password_file, signed_by, cosign_key, ca_file, tls_*) were
 * readable regular files at load time.
 *
 * Ownership: sl_config_load()/sl_config_parse() return a heap config freed with sl_config_free(). All
 * strings and lists inside belong to it. Sources point to static sl_format entries. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/format.h"

struct sl_strlist {
	char **v;     /* n strings, each non-empty, no duplicates */
	size_t n;
};

enum sl_publish_mode {
	SL_PUBLISH_RESIGN,    /* apt: regenerate indices and sign with sluice's key (default) */
	SL_PUBLISH_VERBATIM,  /* apt: serve the upstream's signed files byte-identical */
};

struct sl_source {
	char *name;                       /* [source NAME]: [a-z0-9][a-z0-9._-]{0,63} */
	const struct sl_format_ops *format;   /* from `type =` (required) */
	char *file;                       /* where it was defined, for messages */
	int line;

	/* Every type */
	char *url;                        /* upstream base URL, http(s) only (apt, clamav: required) */
	int64_t every_ms;                 /* sync interval (default: format's) */
	int64_t jitter_ms;                /* random extra delay, [0, jitter] (default 0) */
	int window_start_min;             /* `window = HH:MM-HH:MM`, minutes after local midnight; -1: none */
	int window_end_min;
	int64_t timeout_ms;               /* a whole run's deadline (default 1h) */
	bool auto_approve;                /* `approve = manual|auto` (default: format's) */
	int64_t approve_within_ms;        /* warn when pending longer; 0: never */
	unsigned keep;                    /* snapshots kept (default: format's) */
	uint64_t bandwidth_bps;           /* per-source cap in bytes/s; 0: only the global cap */
	int64_t request_interval_ms;      /* minimum gap between requests to one host; -1: the global value */
	unsigned max_connections;         /* per host for this source; 0: the global value */
	char *proxy;                      /* NULL: the global value or the environment */
	bool from_bundle;                 /* `from = bundle`: fed only by `sluice import`, never fetched */

	/* apt */
	struct sl_strlist suites;         /* required */
	struct sl_strlist components;     /* default: main */
	struct sl_strlist architectures;  /* default: amd64; "all" is always implied */
	struct sl_strlist packages;       /* empty: every package; else these with their dependency closure */
	char *keyring;                    /* required; must exist and be readable */
	struct sl_strlist fingerprints;   /* `signed_by =`: allowed primary key fingerprints; empty: any in keyring */
	enum sl_publish_mode publish;     /* `publish = resign|verbatim` */
	int64_t max_future_ms;            /* Release Date may be at most this far ahead (default 1d) */

	/* rpm (also url, architectures, packages, keyring, signed_by, publish) */
	char *package_keyring;            /* keys for package signatures; NULL: keyring */
	bool repo_signed;                 /* `repo_signed = yes|no`: repomd.xml.asc required (default yes) */

	/* clamav */
	struct sl_strlist databases;      /* default: main daily bytecode */
	unsigned cdiffs;                  /* incremental updates kept (default 30) */
	char *dns;                        /* TXT record with current versions; NULL: HTTP Range probing */
	char *cvd_key;                    /* PEM public key replacing ClamAV's built-in one (tests) */

	/* oci */
	char *registry;                   /* https://registry.example (required for oci) */
	struct sl_strlist images;         /* required: repo:tag, repo@sha256:..., repo:pattern* */
	struct sl_strlist platforms;      /* empty: every platform */
	char *username;
	char *password_file;
	char *signed_by;                  /* GPG keyring for simple-signing signatures */
	char *cosign_key;                 /* PEM public key for cosign signatures */
};

struct sl_config {
	char *path;                       /* absolute path of the file loaded; for sl_config_parse the
					   * `name` given ("<string>" if NULL) */

	/* [sluice] */
	char *state_dir;                  /* required */
	char *log_level;                  /* error|warn|info|debug (default info) */

	/* [syncd] */
	unsigned max_parallel_sources;    /* default 2 */
	uint64_t bandwidth_bps;           /* global cap, bytes/s; 0: unlimited */
	unsigned max_connections;         /* total (default 16) */
	unsigned max_connections_per_host;/* default 4 */
	int64_t request_interval_ms;      /* default 0 */
	int64_t low_speed_time_ms;        /* abort a transfer below low_speed_bps for this long (default 30s) */
	uint64_t low_speed_bps;           /* default 1024 */
	int64_t transfer_timeout_ms;      /* per transfer deadline (default 1h) */
	int64_t verify_every_ms;          /* re-check published snapshots' chains this often; 0: never (default) */
	unsigned retries;                 /* transient-error retries per transfer (default 4) */
	char *proxy;                      /* NULL: environment (http_proxy, https_proxy, no_proxy) */
	char *ca_file;                    /* NULL: system CA store */
	char *user;                       /* drop privileges to this user when started as root */

	/* [served] */
	char *listen;                     /* host:port (default 127.0.0.1:8080); [v6]:port accepted */
	unsigned threads;                 /* default: number of CPUs */
	unsigned served_max_connections;  /* default 1024 */
	unsigned max_connections_per_ip;  /* default 64 */
	int64_t connection_timeout_ms;    /* default 30s */
	int64_t header_timeout_ms;        /* a request's head must arrive within this (default 10s) */
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;              /* require client certificates signed by this CA */
	struct sl_strlist allow;          /* CIDRs; empty: everyone */
	char *access_log;                 /* path, "syslog", or NULL (off) */
	char *served_user;
	uint64_t map_budget;              /* bytes of large files mapped at once (default 24M; 0: sendfile only) */

	/* [publish] */
	char *gnupg_home;                 /* sluice's signing key home (default STATE/keys) */
	int64_t grace_ms;                 /* old generations kept after a switch (default 1h) */

	/* [scan]: the malware scan gate (verify/findings.h) */
	char *scan_source;                /* a ClamAV source of this sluice whose published databases scan; NULL: off */
	uint64_t scan_max_filesize;       /* ClamAV's defaults: 100M */
	uint64_t scan_max_scansize;       /* 400M */
	unsigned scan_max_recursion;      /* 17 */

	/* [alert]: where events go (core/alert.h); delivered by sluice-syncd */
	char *alert_webhook;              /* HTTP POST of a JSON document with "text"; NULL: none */
	char *alert_smtp;                 /* smtp://host[:port]; NULL: no mail */
	char *alert_mail_from;
	struct sl_strlist alert_mail_to;
	unsigned alert_failures;          /* a source failing this many runs in a row is an alert (default 3) */
	/* [import], [export]: transfer bundles across the air gap */
	char *import_keyring;             /* exporters' public keys; NULL: `sluice import` refuses */
	struct sl_strlist import_signers; /* `signed_by`: allowed exporter fingerprints; empty: any in keyring */
	int64_t import_max_age_ms;        /* refuse bundles created longer ago; 0: only their valid-until */
	int64_t export_valid_for_ms;      /* valid-until = created + this (default 30d) */
	char *export_ack_keyring;         /* the inside's public key, to check `export --ack` files */
	bool export_rebuild_compressed;   /* deltas may have the inside recompress a changed index (default yes) */

	struct sl_source *sources;
	size_t nsources;
};

/* Load and validate a file. NULL on failure with *cause (heap, caller frees) = "FILE:LINE: message". */
struct sl_config *sl_config_load(const char *path, char **cause);
/* Same from memory (`text` need not be NUL-terminated); `name` stands for the file in messages. */
struct sl_config *sl_config_parse(const char *text, size_t len, const char *name, char **cause);
void sl_config_free(struct sl_config *cfg);

/* Borrowed pointer into cfg; NULL if there is no such source. */
const struct sl_source *sl_config_source(const struct sl_config *cfg, const char *name);

/* Valid source names: [a-z0-9][a-z0-9._-]{0,63}. */
bool sl_config_valid_name(const char *name);

#endif
