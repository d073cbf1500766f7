/* scan: the malware scan of artifacts with the ClamAV signatures sluice itself mirrors. The engine runs in
 * child processes (sl_scanner_start): one child loads the databases of a published ClamAV tree once, then
 * forks the workers (one per online CPU unless told), which share the loaded engine's pages copy-on-write;
 * each worker scans the files it is handed one at a time. The children hold no key and can open no socket
 * (seccomp: socket(2) fails; no new privileges); they only read the files named to them and write
 * temporary files in a private directory of their own (on tmpfs when /dev/shm is there), removed at stop.
 * A crash of a worker fails the scan of the artifact it held (a blocking "scan-error"), never the caller;
 * the other workers carry on, and when none is left every later artifact is a scan error.
 *
 * Archives are opened, since ClamAV reads neither .deb (ar) nor zstd: a .deb's control and data tars (gz,
 * xz, zstd), an OCI layer's tar (gz, zstd), an RPM's payload, recursively up to max_recursion, each member
 * scanned as a file (from memory up to mem_member bytes, else through a temporary file); anything else is
 * scanned whole. Findings, per artifact:
 *   malware     a signature matched (detail: the signature name; member: where)
 *   limit       a member larger than max_filesize, an artifact beyond max_scansize, nesting deeper than
 *               max_recursion: not scanned, so not cleared
 *   unreadable  an archive that cannot be read to its end
 *   scan-error  libclamav failed, or the scanner died
 * Every one of them blocks approval: what could not be scanned is not clean.
 *
 * Ownership: sl_scanner_start() -> sl_scanner_stop(). Failure: NULL + cause when the engine cannot load
 * (no database, unreadable, zero signatures); sl_scanner_scan() returns 0 when the scan ran (findings via
 * cb), -SL_E_VERIFY when the worker is gone. Scans may overlap: sl_scanner_submit() hands a file to an idle
 * worker, sl_scanner_wait() returns the next one done; the findings of each go to the cb given with it. */
#ifndef SL_SCAN_H
#define SL_SCAN_H

#include <stdint.h>

struct sl_scanner;

struct sl_scan_limits {
	uint64_t max_filesize;     /* bytes of one member (ClamAV's default 100 MiB) */
	uint64_t max_scansize;     /* bytes scanned per artifact (400 MiB) */
	unsigned max_recursion;    /* archive nesting (17) */
	uint64_t mem_member;       /* bytes of a member scanned from memory; 0: SL_SCAN_MEM_MEMBER */
	unsigned workers;          /* scanning children; 0: one per online CPU (at most SL_SCAN_MAX_WORKERS) */
};

typedef void sl_scan_finding_fn(void *arg, const char *kind, const char *member, const char *detail);

struct sl_scanner *sl_scanner_start(const char *db_dir, const struct sl_scan_limits *lim, char **cause);
/* sl_scanner_start in steps: spawn forks the loader, which closes every inherited descriptor and waits;
 * go has it load the engine and fork the workers (a sync calls it when a snapshot begins, so the load
 * overlaps the downloads); ready waits for the workers (0, or -SL_E_VERIFY with cause when none started;
 * it sends go first if needed). Stopping a spawned scanner that never got go costs no load. */
struct sl_scanner *sl_scanner_spawn(const char *db_dir, const struct sl_scan_limits *lim, char **cause);
void sl_scanner_go(struct sl_scanner *s);
int sl_scanner_ready(struct sl_scanner *s, char **cause);
/* libclamav's version and the number of signatures loaded. */
const char *sl_scanner_engine(const struct sl_scanner *s);
unsigned sl_scanner_signatures(const struct sl_scanner *s);
/* Seconds cl_load + cl_engine_compile took in the loader. */
double sl_scanner_load_seconds(const struct sl_scanner *s);
/* Scan one file and wait for it (no other scan may be in flight). */
int sl_scanner_scan(struct sl_scanner *s, const char *path, sl_scan_finding_fn *cb, void *arg);
/* Workers alive, and of them idle (able to take a file now). */
unsigned sl_scanner_workers(const struct sl_scanner *s);
unsigned sl_scanner_idle(const struct sl_scanner *s);
/* Hand `path` to an idle worker: 0, -EBUSY when none is idle, -SL_E_VERIFY when no worker is left. Its
 * findings go to cb(arg, ...) while sl_scanner_wait() runs. */
int sl_scanner_submit(struct sl_scanner *s, const char *path, sl_scan_finding_fn *cb, void *arg);
/* Wait until one submitted scan ends: 0 and *arg = its arg when it ran to its end; -SL_E_VERIFY and *arg
 * when its worker died during it (that scan failed); -ENOENT when nothing is in flight. */
int sl_scanner_wait(struct sl_scanner *s, void **arg);
/* The pid of worker i (tests: a crash in the middle of a run), -1 when gone. */
int sl_scanner_worker_pid(const struct sl_scanner *s, unsigned i);
void sl_scanner_stop(struct sl_scanner *s);

/* The child's side (scan_walk.c): scan one open file, writing finding lines to `out`. */
struct sl_scan_engine;
/* tmpdir: where libclamav and the walk write temporary files (NULL: /tmp). */
struct sl_scan_engine *sl_scan_engine_load(const char *db_dir, const struct sl_scan_limits *lim, const char *tmpdir,
					   unsigned *sigs, char **cause);
void sl_scan_engine_scan(struct sl_scan_engine *e, int fd, int out);
void sl_scan_engine_free(struct sl_scan_engine *e);
/* An engine without signatures: it walks archives and applies the limits exactly as a loaded one, and
 * matches nothing (for the walk's fuzz target). */
struct sl_scan_engine *sl_scan_engine_dry(const struct sl_scan_limits *lim);

#endif
