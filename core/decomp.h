/* decomp: streaming decompression and compression of repository indices with libarchive, so a 100 MB
 * Packages file is never held in memory. Reading auto-detects gzip, xz, lzma, bzip2, zstd, lz4 or plain
 * bytes; only libarchive's in-process decoders are enabled (never an external helper program run on
 * untrusted input). Output is capped by the caller's max_out: more is -SL_E_TOOBIG, whatever the
 * compressed size (decompression bombs stop at the cap). Corrupt or truncated input is -SL_E_ARCHIVE.
 * libarchive does not check gzip's CRC32 trailer (xz, bzip2, zstd checks are verified): compressed
 * indices must be checked against their Release SHA256 before being decompressed, as syncd does.
 * Writing produces gzip with no file name and a zero mtime (byte-for-byte reproducible) or xz (CRC64,
 * a fast preset) that `xz -t`, apt and dpkg accept.
 *
 * Ownership: readers and writers are _new/_free; the fd stays the caller's (never closed here).
 * Causes are heap strings the caller frees. */
#ifndef SL_DECOMP_H
#define SL_DECOMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SL_DECOMP_BLOCK (64u << 10)   /* bytes read from the fd per call */
/* zlib -4 for the .gz sluice makes: 0.7 s of CPU for a Debian-main-sized Packages instead of 1.7 s at -6,
 * output ~13% larger (apt fetches the .xz); a sync makes it beside its downloads. */
#define SL_COMP_GZIP_LEVEL 4
#define SL_COMP_XZ_PRESET 0           /* xz -0: encoder needs 4.7 MB (vs 17 MB at -2, the bulk of a sync's peak RSS), twice as fast, output 8% larger */

/* Decompress everything readable from fd into sink (called with chunks of at most SL_DECOMP_BLOCK, on the
 * caller's thread). A compressed stream is decoded on a thread of its own meanwhile (a few blocks ahead),
 * so a sink that parses overlaps with the decoder. 0 at the end of the stream; -SL_E_TOOBIG past max_out;
 * -SL_E_ARCHIVE for corrupt input; a non-zero return from sink stops and is returned as is. */
int sl_decomp_fd(int fd, uint64_t max_out, int (*sink)(void *arg, const void *data, size_t len), void *arg);
/* Same, with an optional heap cause (libarchive's message) for failures other than the sink's. */
int sl_decomp_fd_cause(int fd, uint64_t max_out, int (*sink)(void *arg, const void *data, size_t len),
		       void *arg, char **cause);

/* Pull interface for consumers that want to read (libsolv through fopencookie). */
struct sl_decomp_reader;
struct sl_decomp_reader *sl_decomp_reader_new(int fd, uint64_t max_out, char **cause);
/* Up to cap decompressed bytes: count (> 0), 0 at the end, or a negative code as sl_decomp_fd. After an
 * error, every further call returns the same error. */
ssize_t sl_decomp_reader_read(struct sl_decomp_reader *r, void *buf, size_t cap);
/* Text of the last error ("" if none); valid until the next call or free. */
const char *sl_decomp_reader_error(const struct sl_decomp_reader *r);
void sl_decomp_reader_free(struct sl_decomp_reader *r);

enum sl_comp { SL_COMP_NONE, SL_COMP_GZIP, SL_COMP_XZ };

/* Streaming compressor: compressed bytes go to sink as they are produced. */
struct sl_comp_writer;
struct sl_comp_writer *sl_comp_writer_new(enum sl_comp c, int (*sink)(void *arg, const void *data, size_t len),
					  void *arg, char **cause);
/* 0, -SL_E_ARCHIVE, -ENOMEM, or the sink's non-zero return (then the writer is unusable). */
int sl_comp_writer_write(struct sl_comp_writer *w, const void *data, size_t len);
/* Flush the trailer to sink; call once, then only _free. Same returns as _write. */
int sl_comp_writer_finish(struct sl_comp_writer *w);
void sl_comp_writer_free(struct sl_comp_writer *w);

#endif
