/* strset: open-addressing string set. */
#include "core/strset.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sl_strset {
	char **slot;
	size_t cap, n;     /* cap is a power of two, kept at least twice n */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

struct sl_strset *sl_strset_new(void)
{
	return calloc(1, sizeof(struct sl_strset));
}

void sl_strset_free(struct sl_strset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

static size_t find(char *const *slot, size_t cap, const char *str)
{
	size_t j = (size_t)fnv1a(str) & (cap - 1);
	while (slot[j] != NULL && strcmp(slot[j], str) != 0)
		j = (j + 1) & (cap - 1);
	return j;
}

static int grow(struct sl_strset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024;
	char **nslot = calloc(ncap, sizeof *nslot);
	if (nslot == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i] != NULL)
			nslot[find(nslot, ncap, s->slot[i])] = s->slot[i];
	free(s->slot);
	s->slot = nslot;
	s->cap = ncap;
	return 0;
}

int sl_strset_add(struct sl_strset *s, const char *str)
{
	if ((s->n + 1) * 2 > s->cap) {
		int rc = grow(s);
		if (rc < 0)
			return rc;
	}
	size_t j = find(s->slot, s->cap, str);
	if (s->slot[j] != NULL)
		return 0;
	s->slot[j] = strdup(str);
	if (s->slot[j] == NULL)
		return -ENOMEM;
	s->n++;
	return 1;
}

bool sl_strset_has(const struct sl_strset *s, const char *str)
{
	return s->cap != 0 && s->slot[find(s->slot, s->cap, str)] != NULL;
}

size_t sl_strset_count(const struct sl_strset *s)
{
	return s->n;
}
