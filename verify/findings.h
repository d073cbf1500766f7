/* findings: the malware scan gate on arrival. After a snapshot verified, every artifact of it whose role its
 * format marks for scanning (format.h scan_roles: .deb files, image layers) is scanned once with the
 * published databases of [scan] clamav_source (verify/scan.h), unless the verdict cache already holds
 * its verdict for this engine and database set; every finding is recorded on the snapshot. Findings
 * block approval until decided (`sluice accept`), except that an unexpired acceptance of the same finding
 * on the same artifact is inherited (catalog.h).
 *
 * Fail closed: no published ClamAV database, an engine that does not load, a scanner that dies — each is
 * a blocking finding of its own kind ("no-database", "scan-error"), never a pass.
 *
 * Ownership: borrows everything. Failure: 0 when the gate ran to the end (out says what it found) or is
 * off ([scan] unset: out->enabled false); a negative code, with cause, when findings could not be
 * recorded in the catalogue. */
#ifndef SL_FINDINGS_H
#define SL_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>

struct sl_config;
struct sl_source;
struct sl_catalog;
struct sl_store;

struct sl_findings_result {
	bool enabled;
	uint64_t scanned, cached;     /* artifacts scanned now / answered from the verdict cache */
	uint64_t findings;            /* recorded on the snapshot */
	uint64_t malware;             /* of which signature matches */
	unsigned undecided;           /* blocking findings nobody decided (after inherited acceptances) */
};

int sl_findings_scan(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		     struct sl_store *store, int64_t snap_id, struct sl_findings_result *out, char **cause);

/* sl_findings_scan in steps, for a sync: gate_new (before the downloads) picks the published databases and
 * spawns the scanner, which waits; gate_load (when the run makes a snapshot) has it load the engine while
 * the downloads go on; scan_gate (after verification) scans as sl_findings_scan does. gate_new returns
 * NULL when the gate is off for src ([scan] unset, or a format without scanned roles; also on out of
 * memory, and then scan_gate reports nothing: callers that must fail closed use sl_findings_scan). A
 * gate whose databases are missing or whose engine fails records that as a blocking finding in
 * scan_gate, as sl_findings_scan does. Freeing a gate that never loaded costs no engine load. */
struct sl_findings_gate;
struct sl_findings_gate *sl_findings_gate_new(const struct sl_config *cfg, const struct sl_source *src,
					      struct sl_catalog *cat);
void sl_findings_gate_load(struct sl_findings_gate *fg);
int sl_findings_scan_gate(struct sl_findings_gate *fg, const struct sl_config *cfg, const struct sl_source *src,
			  struct sl_catalog *cat, struct sl_store *store, int64_t snap_id, struct sl_findings_result *out,
			  char **cause);
void sl_findings_gate_free(struct sl_findings_gate *fg);

/* The scan queue. A snapshot of a gated source (sl_findings_gated: [scan] set, a format with scanned roles)
 * is cleared for approval only by a scan of it that ran to its end (a scan run in the catalogue): a scan
 * cut short (killed, the catalogue failing) records none, so the snapshot waits again. sluice-syncd's
 * syncs leave the scan to a child of their own after the snapshot is pending (see syncd/jobs.h), so the
 * sync and its locks end before the scan; `sluice sync` scans at once.
 * waiting: 1 when snap_id still waits for its scan, 0 when not (scanned, or not gated), negative on a
 * catalogue error. next_queued: the oldest pending snapshot with an id above after_id that waits: 1 and
 * *src and *snap_id, 0 when none. */
bool sl_findings_gated(const struct sl_config *cfg, const struct sl_source *src);
int sl_findings_waiting(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			int64_t snap_id);
int sl_findings_next_queued(const struct sl_config *cfg, struct sl_catalog *cat, int64_t after_id,
			    const struct sl_source **src, int64_t *snap_id);

/* Advisories on arrival: the source's format advisor (verify/advise.h), if it has one, run for snap_id
 * against the source's published snapshot; each advisory is recorded as a non-blocking finding of kind
 * "advisory" (it never blocks approval). Run once per snapshot, when it arrives. *n: advisories
 * recorded. 0, or a negative code with cause when the catalogue or the store failed. */
int sl_findings_advise(const struct sl_source *src, struct sl_catalog *cat, struct sl_store *store, int64_t snap_id,
		       unsigned *n, char **cause);

#endif
