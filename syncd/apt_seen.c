/* apt_seen: open addressing over 16-byte path digests; an all-zero slot is empty. */
#include "syncd/apt_seen.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"

#define SEEN_KEY 16            /* bytes of SHA-256 kept per path: collisions are out of reach at 2^-64 */
#define SEEN_MIN_CAP 1024      /* slots in the first array */

struct sl_apt_seen {
	uint8_t (*slot)[SEEN_KEY];
	size_t cap, n;             /* cap is a power of two, kept at least twice n */
};

struct sl_apt_seen *sl_apt_seen_new(void)
{
	return calloc(1, sizeof(struct sl_apt_seen));
}

void sl_apt_seen_free(struct sl_apt_seen *s)
{
	if (s == NULL)
		return;
	free(s->slot);
	free(s);
}

static size_t find(uint8_t (*slot)[SEEN_KEY], size_t cap, const uint8_t key[SEEN_KEY])
{
	uint64_t h;
	memcpy(&h, key + 8, sizeof h);
	size_t j = (size_t)h & (cap - 1);
	static const uint8_t empty[SEEN_KEY];
	while (memcmp(slot[j], empty, SEEN_KEY) != 0 && memcmp(slot[j], key, SEEN_KEY) != 0)
		j = (j + 1) & (cap - 1);
	return j;
}

static int grow(struct sl_apt_seen *s)
{
	size_t ncap = s->cap ? s->cap * 2 : SEEN_MIN_CAP;
	uint8_t(*nslot)[SEEN_KEY] = calloc(ncap, SEEN_KEY);
	if (nslot == NULL)
		return -ENOMEM;
	static const uint8_t empty[SEEN_KEY];
	for (size_t i = 0; i < s->cap; i++)
		if (memcmp(s->slot[i], empty, SEEN_KEY) != 0)
			memcpy(nslot[find(nslot, ncap, s->slot[i])], s->slot[i], SEEN_KEY);
	free(s->slot);
	s->slot = nslot;
	s->cap = ncap;
	return 0;
}

int sl_apt_seen_add(struct sl_apt_seen *s, const char *path)
{
	uint8_t md[EVP_MAX_MD_SIZE], key[SEEN_KEY];
	unsigned int mdlen = 0;
	if (EVP_Digest(path, strlen(path), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < SEEN_KEY)
		return -ENOMEM;
	memcpy(key, md, SEEN_KEY);
	key[0] |= 1;   /* never all zero: that marks an empty slot */
	if ((s->n + 1) * 2 > s->cap) {
		if (s->n >= SL_APT_MAX_POOL)
			return -SL_E_TOOBIG;
		int rc = grow(s);
		if (rc < 0)
			return rc;
	}
	size_t j = find(s->slot, s->cap, key);
	if (memcmp(s->slot[j], key, SEEN_KEY) == 0)
		return 0;
	memcpy(s->slot[j], key, SEEN_KEY);
	s->n++;
	return 1;
}

size_t sl_apt_seen_count(const struct sl_apt_seen *s)
{
	return s->n;
}
