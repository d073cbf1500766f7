/* scan: the malware scan of artifacts with the ClamAV signatures sluice itself mirrors. The engine runs in
 * a child process (sl_scanner_start): it loads the databases of a published ClamAV tree once, then scans
 * the files it is handed one at a time. The child holds no key and can open no socket (seccomp: socket(2)
 * fails; no new privileges); it only reads the files named to it and writes extracted members to
 * anonymous temporary files. A crash of the child fails the scan of the artifact in hand and every later
 * one (a blocking "scan-error"), never the caller.
 *
 * Archives are opened, since ClamAV reads neither .deb (ar) nor zstd: a .deb's control and data tars (gz,
 * xz, zstd), an OCI layer's tar (gz, zstd), an RPM's payload, recursively up to max_recursion, each member
 * scanned as a file; anything else is scanned whole. Findings, per artifact:
 *   malware     a signature matched (detail: the signature name; member: where)
 *   limit       a member larger than max_filesize, an artifact beyond max_scansize, nesting deeper than
 *               max_recursion: not scanned, so not cleared
 *   unreadable  an archive that cannot be read to its end
 *   scan-error  libclamav failed, or the scanner died
 * Every one of them blocks approval: what could not be scanned is not clean.
 *
 * Ownership: sl_scanner_start() -> sl_scanner_stop(). Failure: NULL + cause when the engine cannot load
 * (no database, unreadable, zero signatures); sl_scanner_scan() returns 0 when the scan ran (findings via
 * cb), -SL_E_VERIFY when the child is gone. */
#ifndef SL_SCAN_H
#define SL_SCAN_H

#include <stdint.h>

struct sl_scanner;

struct sl_scan_limits {
	uint64_t max_filesize;     /* bytes of one member (ClamAV's default 100 MiB) */
	uint64_t max_scansize;     /* bytes scanned per artifact (400 MiB) */
	unsigned max_recursion;    /* archive nesting (17) */
};

struct sl_scanner *sl_scanner_start(const char *db_dir, const struct sl_scan_limits *lim, char **cause);
/* libclamav's version and the number of signatures loaded. */
const char *sl_scanner_engine(const struct sl_scanner *s);
unsigned sl_scanner_signatures(const struct sl_scanner *s);
int sl_scanner_scan(struct sl_scanner *s, const char *path,
		    void (*cb)(void *arg, const char *kind, const char *member, const char *detail), void *arg);
void sl_scanner_stop(struct sl_scanner *s);

/* The child's side (scan_walk.c): scan one open file, writing finding lines to `out`. */
struct sl_scan_engine;
struct sl_scan_engine *sl_scan_engine_load(const char *db_dir, const struct sl_scan_limits *lim, unsigned *sigs,
					   char **cause);
void sl_scan_engine_scan(struct sl_scan_engine *e, int fd, int out);
void sl_scan_engine_free(struct sl_scan_engine *e);
/* An engine without signatures: it walks archives and applies the limits exactly as a loaded one, and
 * matches nothing (for the walk's fuzz target). */
struct sl_scan_engine *sl_scan_engine_dry(const struct sl_scan_limits *lim);

#endif
