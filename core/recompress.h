/* recompress: reproduce a compressed index byte for byte from its decompressed content, so a transfer
 * bundle can carry a changed Packages.xz as a small delta of the plain Packages plus a short token instead
 * of the whole compressed file. sl_recompress_find() searches the settings the usual writers use;
 * sl_recompress_run() repeats them on the inside. The caller always checks the result against the
 * object's SHA-256 from the signed manifest: a token is a recipe, never trusted to be right.
 *
 * What is reproduced (anything else is -SL_E_NOTFOUND, and the caller carries the object whole):
 *  - xz: one stream with one block (no sizes in the block header: xz's single-threaded mode, liblzma's
 *    easy/stream encoders, libarchive, apt), filter LZMA2 alone, presets 0-9 with or without
 *    LZMA_PRESET_EXTREME, the check and the dictionary size taken from the stream and block headers,
 *    optionally followed by one empty stream (apt-ftparchive writes one). Not: multi-threaded xz
 *    (xz -T0: sizes in block headers, several blocks), BCJ/delta filters, stream padding, custom
 *    match-finder settings (xz --lzma2=nice=...).
 *  - gzip: one member deflated by zlib at levels 1-9 (memLevel 8: libarchive, apt, Python, zlib's gz*),
 *    with the original's header bytes kept verbatim and the CRC32/ISIZE trailer recomputed, optionally
 *    followed by one empty member with the same header (apt-ftparchive writes one). GNU gzip's own
 *    deflate differs from zlib's (block splitting), so `gzip -9n` output is reproduced only for small
 *    inputs where both choose the same blocks.
 *
 * Token syntax (printable ASCII, fields separated by one space, canonical: exactly one spelling per
 * recipe, so parsing and re-formatting give the same string; at most SL_MAX_RECOMPRESS_TOKEN - 1 bytes):
 *   xz <preset 0-9> e<0|1 extreme> <none|crc32|crc64|sha256> d<dictionary bytes, decimal> z<0|1 empty stream after>
 *     e.g. "xz 6 e0 crc64 d8388608 z0"   (dictionary 4096 .. SL_MAX_RECOMPRESS_XZ_DICT)
 *   gzip <level 1-9> m<memLevel 1-9> H<header bytes, uppercase hex> z<0|1 empty member after>
 *     e.g. "gzip 6 m8 H1F8B0800000000000003 z0"   (header 10 .. SL_MAX_RECOMPRESS_GZIP_HEADER bytes)
 *
 * Ownership: fds stay the caller's, read with pread from offset 0. Causes are heap strings the caller
 * frees. Memory: one encoder at a time; xz's is ~ 11x its dictionary (74 MiB at 8 MiB, xz -6). */
#ifndef SL_RECOMPRESS_H
#define SL_RECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/delta.h"

/* Find a token with which compressing plain_fd's bytes reproduces packed_fd's bytes exactly. 0 and token
 * filled (NUL-terminated); -SL_E_NOTFOUND when no candidate reproduces it; -SL_E_TOOBIG when cap is too
 * small for the token; -errno for I/O. A wrong candidate stops at its first output byte that differs. */
int sl_recompress_find(int packed_fd, int plain_fd, char *token, size_t cap, char **cause);

/* Compress plain_fd per token (untrusted: parsed strictly, anything unknown or non-canonical is
 * -SL_E_PARSE), streaming to sink; -SL_E_TOOBIG past max_out output bytes; -SL_E_ARCHIVE when the
 * compressor fails; -errno for I/O; the sink's non-zero return as is. */
int sl_recompress_run(const char *token, int plain_fd, uint64_t max_out, sl_delta_sink sink, void *arg, char **cause);

#endif
