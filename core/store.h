/* store: the content-addressed object store under STATE/store. Objects are named by their SHA-256 and
 * written only through a streaming writer that hashes on the fly and commits (fdatasync + link into
 * place, mode 0444) only if digest and size match what was expected, so a partial or wrong object is never
 * visible. Writing the same object twice (or concurrently) is safe: the first complete link wins, both
 * succeed. In-progress bytes live in an O_TMPFILE inode where the filesystem allows it, so a killed
 * writer leaves nothing behind; otherwise in a named temp in tmp/.
 *
 * Layout: STATE/store/objects/ab/abcdef...   (ab = first two hex digits)
 *         STATE/store/tmp/                   (in-progress writes, removed at open if stale)
 *         STATE/store/partial/<sha256>.part  (resumable downloads, see SL_STORE_RESUMABLE)
 * Every digest is checked with sl_digest_valid_sha256() before a path is built.
 *
 * Ownership: sl_store_open() -> sl_store_free(). A writer from sl_store_writer_new() is consumed by
 * exactly one of sl_store_writer_commit() or sl_store_writer_abort(). A store handle is not modified
 * after open and may be shared by threads; a writer is used by one thread at a time.
 * Failure: int functions return 0 / -errno / -SL_E_*; the store logs only what it handles itself (stale
 * temps swept, a discarded partial, a torn object replaced): callers log their failures. */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"

struct sl_store;
struct sl_store_writer;
struct sl_writeq;

struct sl_store_expect {
	const char *sha256;   /* expected lowercase hex, or NULL: accept any (locally generated data) */
	int64_t size;         /* expected size, or -1 when unknown */
	uint64_t max_size;    /* hard cap (0: SL_MAX_ARTIFACT_BYTES); exceeding it fails the write */
};

/* Keep the bytes of an aborted write in partial/ so a later writer with the same expected sha256 can
 * continue (HTTP Range). Requires expect.sha256. A partial longer than expect.size or the cap is discarded;
 * one with a wrong prefix makes the resumed commit fail with -SL_E_DIGEST (and is deleted). While one
 * writer holds a partial (flock), a concurrent writer of the same digest silently writes a plain temp
 * (offset 0) instead. Partials nobody resumed for 7 days are removed at open. */
#define SL_STORE_RESUMABLE 1u
/* Skip the per-object fdatasync and directory fsyncs at commit (a sync of thousands of objects is
 * otherwise dominated by them). Durability trade-off: the object is visible at once, but until
 * sl_store_sync() returns, a power loss or kernel crash can leave it under its name with missing or
 * zeroed content, or lose it. A process crash (SIGKILL) loses nothing: the page cache survives.
 * Callers therefore must call sl_store_sync() and check its result before recording anything that
 * relies on these objects (a snapshot as verified); after a system crash an unverified snapshot's
 * objects must be re-checked (sl_store_check), since sl_store_has() only tests the name. A later commit
 * of the same digest replaces an object whose size is wrong (the usual shape of such a tear). */
#define SL_STORE_DEFER_SYNC 2u
/* Use a named temp in tmp/ even where O_TMPFILE works. For tests of the fallback path, and for
 * filesystems whose O_TMPFILE is broken; a crash then leaves a file in tmp/ until the day-old sweep. */
#define SL_STORE_NAMED_TEMP 4u

/* Open (creating directories as needed) the store under state_dir. NULL + *cause on failure. */
struct sl_store *sl_store_open(const char *state_dir, char **cause);
void sl_store_free(struct sl_store *st);
const char *sl_store_root(const struct sl_store *st);
/* Flush everything written to the store's filesystem (syncfs). Call once after committing with
 * SL_STORE_DEFER_SYNC and before relying on those objects. 0 or -errno (e.g. -EIO of a failed write-back). */
int sl_store_sync(struct sl_store *st);

/* Start writing an object. NULL + *cause on failure (bad expected digest, I/O). With SL_STORE_RESUMABLE
 * and an existing partial file, the writer starts after the bytes already there, which are re-hashed;
 * sl_store_writer_offset() says how many. */
struct sl_store_writer *sl_store_writer_new(struct sl_store *st, const struct sl_store_expect *expect,
					    unsigned flags, char **cause);
/* The same, with write-behind: the bytes are written by q's background thread (core/writeq.h) and the temp
 * file comes from its spares; hashing and the size checks stay with the caller, so a refused byte is
 * never queued. Commit and abort first wait for the queued writes (a failed one fails the commit and
 * drops a resumable partial). q (may be NULL: plain writer) must outlive the writer. */
struct sl_store_writer *sl_store_writer_new_behind(struct sl_store *st, const struct sl_store_expect *expect,
						   unsigned flags, struct sl_writeq *q, char **cause);
/* Hand a write-behind writer's gathered bytes to the queue now, without waiting (all bytes are in). */
void sl_store_writer_flush(struct sl_store_writer *w);
/* True while a write-behind writer still has bytes gathered or queued: its commit would wait for them. */
bool sl_store_writer_busy(struct sl_store_writer *w);
uint64_t sl_store_writer_offset(const struct sl_store_writer *w);
/* Bytes written so far (including a resumed prefix). */
uint64_t sl_store_writer_size(const struct sl_store_writer *w);
/* Append bytes. -SL_E_TOOBIG when past the expected size or the cap (nothing of that call is written);
 * the writer must then be aborted (commit also fails with the same code). */
int sl_store_writer_write(struct sl_store_writer *w, const void *data, size_t len);
/* Check size and digest, fsync, rename into place; the writer is freed in every case. On success the
 * digest is copied to digest_out (may be NULL). -SL_E_DIGEST / -SL_E_SIZE leave nothing behind. */
int sl_store_writer_commit(struct sl_store_writer *w, char digest_out[SL_SHA256_HEX]);
/* Write-behind writers: every byte is in; run the commit's checks and its naming of the object (and the
 * closing of the temp) on the queue's thread after the last write, while the caller goes on.
 * sl_store_writer_busy() is true until that is done; sl_store_writer_commit() then returns its outcome
 * (and must still be called, or abort, which keeps an object the commit already named). Nothing may be
 * written after this. A writer without a queue: no-op (its commit does the work). */
void sl_store_writer_commit_behind(struct sl_store_writer *w);
/* Discard (keeping a resumable partial when keep_partial and the writer was resumable). NULL: no-op. */
void sl_store_writer_abort(struct sl_store_writer *w, bool keep_partial);

/* Whole buffer in one call (expect may be NULL). */
int sl_store_put(struct sl_store *st, const void *data, size_t len, const struct sl_store_expect *expect,
		 char digest_out[SL_SHA256_HEX]);
/* True when the object exists (the digest is validated first; invalid = false). */
bool sl_store_has(struct sl_store *st, const char *sha256);
/* The same, and the object has exactly `size` bytes: what a syncer asks before skipping a download. The size
 * check is cheap and catches objects torn by a power loss before sl_store_sync() (see above); a later
 * commit of the same object repairs them. */
bool sl_store_has_size(struct sl_store *st, const char *sha256, uint64_t size);
/* For a syncer deciding whether to download: sl_store_has_size(), except that an object whose fan-out
 * directory was missing at this handle's first call is reported absent without a lookup (one written
 * since, by this process or another, is then fetched again, and its commit dedupes). Never for a verdict
 * (the verifier asks sl_store_has_size()). Call it from one thread per handle. */
bool sl_store_may_skip(struct sl_store *st, const char *sha256, uint64_t size);
/* Path of an object into buf. -SL_E_BADNAME for an invalid digest, -SL_E_TOOBIG if buf is short. */
int sl_store_object_path(const struct sl_store *st, const char *sha256, char *buf, size_t cap);
/* Open an object read-only; *fd_out owned by the caller. -SL_E_NOTFOUND when absent. */
int sl_store_open_object(struct sl_store *st, const char *sha256, int *fd_out, uint64_t *size_out);
/* Read a whole object of at most cap bytes into a heap buffer (NUL-terminated for convenience). The bytes
 * are re-hashed on the way: -SL_E_DIGEST if the object on disk was corrupted, -SL_E_TOOBIG above cap. */
int sl_store_read(struct sl_store *st, const char *sha256, size_t cap, uint8_t **data, size_t *len);
/* Re-hash an object from disk: 0 if intact, -SL_E_DIGEST if its bytes no longer match its name. */
int sl_store_check(struct sl_store *st, const char *sha256, uint64_t *size_out);
/* Remove an object (gc). Missing is success. */
int sl_store_remove(struct sl_store *st, const char *sha256);
/* Visit every object name (valid digests only; stray files are reported to cb with sha256 == NULL and
 * their path). Stops early when cb returns non-zero, and returns that value. Both strings are valid only
 * during the callback; cb may remove the object it is given. Order is unspecified. */
int sl_store_foreach(struct sl_store *st, int (*cb)(void *arg, const char *sha256, const char *path),
		     void *arg);

#endif
