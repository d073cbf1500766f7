/* delta: a binary patch that turns an older version of a file into a newer one, so a transfer bundle can
 * carry a changed index (APT Packages/Sources, RPM primary.xml) as the few stanzas that changed instead of
 * the whole file. Built for text indices of tens of MB, correct for any bytes.
 *
 * How: the old file is cut into content-defined chunks (a chunk ends after a blank line, at a newline where
 * a rolling hash hits a mask, where the rolling hash hits a rarer mask whatever the byte, or at
 * SL_DELTA_CHUNK_MAX bytes), whose 64-bit hashes are indexed (at most SL_MAX_DELTA_CHUNKS; later chunks of
 * the old file are simply not matched). The new file is cut the same way; each chunk found in the old file
 * (hash equal AND bytes equal, compared with pread, so a collision never makes a wrong patch) is a COPY,
 * adjacent copies merge, everything else is an ADD carrying the bytes. Both sides stream: memory is a few
 * buffers of SL_DELTA_CHUNK_MAX plus the chunk table (16 bytes per slot), whatever the file sizes.
 *
 * Patch format (version 1), all integers unsigned LEB128 varints (7 bits per byte, low group first, at most
 * 10 bytes, no value above 2^64-1):
 *   "SLDELTA1\n"                      magic and version, 9 bytes
 *   then ops, each one tag byte:
 *   0x01 COPY  offset length          length (>= 1) bytes of the base from offset (offset + length <= base size)
 *   0x02 ADD   length bytes[length]   length (>= 1) literal bytes
 *   0x00 END   total                  total output size; must equal the bytes produced; must be the last byte
 * Any other tag, a zero length, a copy outside the base, a truncated op, a missing END or bytes after it is
 * -SL_E_PARSE with a cause naming the byte offset in the patch.
 *
 * Ownership: fds stay the caller's and are never closed. Inputs are read with pread from offset 0 (the
 * caller's offsets are left alone); sl_delta_make writes the patch sequentially at patch_fd's current offset.
 * Causes are heap strings the caller frees. */
#ifndef SL_DELTA_H
#define SL_DELTA_H

#include <stddef.h>
#include <stdint.h>

/* sink: called with output chunks (at most SL_DELTA_CHUNK_MAX bytes each); a non-zero return stops and is
 * returned as is. */
typedef int (*sl_delta_sink)(void *arg, const void *data, size_t len);

#define SL_DELTA_MAGIC "SLDELTA1\n"
#define SL_DELTA_MAGIC_LEN 9

/* Write to patch_fd a patch that turns old_fd's bytes into new_fd's. 0 on success; -SL_E_TOOBIG as soon as
 * the patch would exceed max_patch bytes (the caller then carries the whole object instead; patch_fd's
 * content is then undefined); -errno for I/O; -ENOMEM. */
int sl_delta_make(int old_fd, int new_fd, int patch_fd, uint64_t max_patch, char **cause);

/* Apply patch_fd (untrusted bytes) to base_fd, streaming the result to sink. 0 when complete; -SL_E_TOOBIG
 * past max_out output bytes; -SL_E_PARSE for a malformed or truncated patch or a copy outside the base;
 * -errno for I/O; the sink's non-zero return as is. The sink may have seen part of the output before a
 * failure: the caller checks the result's digest anyway. */
int sl_delta_apply(int base_fd, int patch_fd, uint64_t max_out, sl_delta_sink sink, void *arg, char **cause);

#endif
