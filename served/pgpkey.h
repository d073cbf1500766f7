/* pgpkey: the fingerprints of the primary keys in an ASCII-armored OpenPGP public key file, so the status
 * page can print what an administrator compares before trusting /keys/sluice.asc. served links no GnuPG:
 * this reads only the packet framing and the public-key packets (RFC 9580 §4, §5.5.4: v4 = SHA-1 over
 * 0x99 || len16 || body, v5/v6 = SHA-256 over 0x9a/0x9b || len32 || body). Several keys (the overlap of
 * a key rotation) and several armor blocks are read in order. Bounds-checked throughout: malformed input
 * gives fewer fingerprints (or none), never a crash. Pure function, no logging, no allocation kept. */
#ifndef SL_PGPKEY_H
#define SL_PGPKEY_H

#include <stddef.h>

#define SL_PGPKEY_FPR_MAX 65   /* hex digits of a v6 fingerprint + NUL */

/* Up to `max` uppercase hex fingerprints of the primary keys in `text` (len bytes). Returns how many,
 * or -ENOMEM. */
int sl_pgpkey_fingerprints(const char *text, size_t len, char fprs[][SL_PGPKEY_FPR_MAX], int max);

#endif
