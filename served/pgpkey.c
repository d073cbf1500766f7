/* pgpkey: OpenPGP armor and packet framing, just enough for primary key fingerprints. */
#include "served/pgpkey.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"

#define ARMOR_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define ARMOR_END "-----END PGP PUBLIC KEY BLOCK-----"
#define TAG_PUBLIC_KEY 6

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl != NULL ? nl : end;
}

/* Decode the armored body that starts after ARMOR_BEGIN at p: armor headers up to the first empty line,
 * then base64 lines until the checksum line ("=XXXX") or the END line. Returns the bytes written to out. */
static size_t dearmor(const char *p, const char *end, uint8_t *out, size_t cap)
{
	bool in_body = false;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	while (p < end) {
		const char *e = line_end(p, end);
		size_t len = (size_t)(e - p);
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!in_body) {
			/* Armor headers ("Key: value") end at an empty line; a writer that starts with base64
			 * right away is accepted too. */
			bool header = len > 0 && memchr(p, ':', len) != NULL;
			in_body = !header;
			if (header || len == 0) {
				p = e + 1;
				continue;
			}
		}
		if (len >= 5 && memcmp(p, "-----", 5) == 0)
			break;
		if (len > 0 && p[0] == '=')
			break;   /* CRC-24 line: the data ended */
		for (size_t i = 0; i < len; i++) {
			int v = b64_value((unsigned char)p[i]);
			if (v < 0)
				continue;   /* padding and stray bytes */
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (n < cap)
					out[n++] = (uint8_t)(acc >> bits);
			}
		}
		p = e + 1;
	}
	return n;
}

static void to_hex(const char *lower, char *out)
{
	size_t i = 0;
	for (; lower[i] != '\0' && i + 1 < SL_PGPKEY_FPR_MAX; i++)
		out[i] = (lower[i] >= 'a' && lower[i] <= 'f') ? (char)(lower[i] - 'a' + 'A') : lower[i];
	out[i] = '\0';
}

static bool fingerprint(const uint8_t *body, size_t len, char out[SL_PGPKEY_FPR_MAX])
{
	if (len < 1)
		return false;
	uint8_t version = body[0];
	uint8_t prefix[5];
	size_t plen;
	unsigned alg;
	if (version == 4) {
		if (len > 0xffff)
			return false;
		prefix[0] = 0x99;
		prefix[1] = (uint8_t)(len >> 8);
		prefix[2] = (uint8_t)len;
		plen = 3;
		alg = SL_HASH_SHA1;
	} else if (version == 5 || version == 6) {
		prefix[0] = version == 5 ? 0x9a : 0x9b;
		prefix[1] = (uint8_t)(len >> 24);
		prefix[2] = (uint8_t)(len >> 16);
		prefix[3] = (uint8_t)(len >> 8);
		prefix[4] = (uint8_t)len;
		plen = 5;
		alg = SL_HASH_SHA256;
	} else {
		return false;
	}
	struct sl_hasher *h = sl_hasher_new(alg);
	if (h == NULL)
		return false;
	char sha1[41] = "", sha256[SL_SHA256_HEX] = "";
	bool ok = sl_hasher_update(h, prefix, plen) == 0 && sl_hasher_update(h, body, len) == 0 &&
		  sl_hasher_final(h, NULL, alg == SL_HASH_SHA1 ? sha1 : NULL, alg == SL_HASH_SHA256 ? sha256 : NULL,
				  NULL) == 0;
	sl_hasher_free(h);
	if (ok)
		to_hex(alg == SL_HASH_SHA1 ? sha1 : sha256, out);
	return ok && out[0] != '\0';
}

/* Walk the packets of one decoded block; returns the new count. */
static int walk_packets(const uint8_t *b, size_t n, char fprs[][SL_PGPKEY_FPR_MAX], int count, int max)
{
	size_t i = 0;
	while (i < n && count < max) {
		uint8_t h = b[i++];
		if (!(h & 0x80))
			break;
		unsigned tag;
		uint64_t len;
		if (h & 0x40) {   /* new format */
			tag = h & 0x3f;
			if (i >= n)
				break;
			uint8_t o = b[i++];
			if (o < 192) {
				len = o;
			} else if (o < 224) {
				if (i >= n)
					break;
				len = ((uint64_t)(o - 192) << 8) + b[i++] + 192;
			} else if (o == 255) {
				if (n - i < 4)
					break;
				len = ((uint64_t)b[i] << 24) | ((uint64_t)b[i + 1] << 16) | ((uint64_t)b[i + 2] << 8) | b[i + 3];
				i += 4;
			} else {
				break;   /* partial lengths never frame key material */
			}
		} else {          /* old format */
			tag = (h >> 2) & 0x0f;
			unsigned lt = h & 3;
			size_t nb = lt == 0 ? 1 : lt == 1 ? 2 : lt == 2 ? 4 : 0;
			if (nb == 0 || n - i < nb)
				break;
			len = 0;
			for (size_t k = 0; k < nb; k++)
				len = (len << 8) | b[i + k];
			i += nb;
		}
		if (len > n - i)
			break;
		if (tag == TAG_PUBLIC_KEY && fingerprint(b + i, (size_t)len, fprs[count]))
			count++;
		i += (size_t)len;
	}
	return count;
}

int sl_pgpkey_fingerprints(const char *text, size_t len, char fprs[][SL_PGPKEY_FPR_MAX], int max)
{
	const char *p = text, *end = text + len;
	uint8_t *buf = malloc(len);   /* base64 never decodes to more bytes than it has characters */
	if (buf == NULL)
		return -ENOMEM;
	int count = 0;
	while (count < max && p < end) {
		const char *begin = memmem(p, (size_t)(end - p), ARMOR_BEGIN, strlen(ARMOR_BEGIN));
		if (begin == NULL)
			break;
		p = line_end(begin, end);
		if (p < end)
			p++;
		size_t rest = p < end ? (size_t)(end - p) : 0;
		const char *stop = rest > 0 ? memmem(p, rest, ARMOR_END, strlen(ARMOR_END)) : NULL;
		const char *block_end = stop != NULL ? stop : end;
		size_t n = dearmor(p, block_end, buf, len);
		count = walk_packets(buf, n, fprs, count, max);
		p = block_end;
		if (stop != NULL)
			p += strlen(ARMOR_END);
	}
	free(buf);
	return count;
}
