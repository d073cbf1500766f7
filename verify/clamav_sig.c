/* clamav_sig: ClamAV's signature schemes (CVD MD5 signatures, CDIFF PSS-style SHA-256 signatures). */
#include "verify/clamav_sig.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cvd.h"
#include "core/error.h"

/* ClamAV's production keys, as published in libclamav/dsig.c (CVD), the cdiff code (PSS) and readdb.c (.info). */
static const char cvd_n_dec[] =
	"118640995551645342603070001658453189751527774412027743746599405743243142607464144767361060640655844749"
	"760788890022283424922762488917565551002467771109669598189410434699034532232228621591089508178591428456"
	"220796841621637175567590476666928698770143328137383952820383197532047771780196576957695822641224262693"
	"037";
static const char cvd_e_dec[] = "100001027";
static const char pss_n_dec[] =
	"147839058740774670902622285165579175702545996383762035320319892141055528472696874897719757921234421858"
	"172876949519498009087915275420171156005013033947786185358648452357000415900563182301024496122174585490"
	"160893133065913885907907965158196541023207257123008223563487240112326548375032417361779077841987008344"
	"406811247270605400357546996581058950500965762267530085968816988281856524249019216687583265784620032479"
	"064709820922981067896572119054889862810783463614695244848295595608862271980919954984406766396398304635"
	"932113860550653602884223940539981344586237125406832940349538184124583621981178119900060219898441807210"
	"10947";
static const char pss_e_dec[] = "100002053";
static const char info_n_dec[] =
	"110888949830485454736595561066271949239289417917950476205916586974135810433227159121724968065253810558"
	"809645206184002243333205346602992339837553417406795028668299096799557343913926683783612215242053966310"
	"901051516412708572770803107343209516537005089417174191687239425078907029047027075874516216910507543078"
	"503833998653464872037984641785373922114027864813598244611972311028954150937703942166663244845939357624"
	"084685168266331921408266679234948220458053478099328484548458869717064243605586678627758760720594377033"
	"653802091016977385775154769350854694552799941131459779940846183284821510131423933733163375199772447327"
	"47977";
static const char info_e_dec[] = "100002049";

#define PSS_LEN 256                       /* bytes of the PSS block: 2048-bit key */
#define HASH_LEN 32                       /* SHA-256 */
#define SALT_LEN 32
#define DB_LEN (PSS_LEN - HASH_LEN - 1)   /* masked data block before the hash and the 0xbc trailer */
#define MIN_CUSTOM_BITS 2048              /* the CDIFF scheme needs a 256-byte block */

struct key {
	BIGNUM *n, *e;
	char fpr[SL_SHA256_HEX];
};

struct sl_clamav_keys {
	struct key cvd, pss, info;
	bool custom;                      /* one PEM key for both uses */
};

static int key_finish(struct key *k)
{
	int len = BN_num_bytes(k->n);
	uint8_t *buf = malloc((size_t)len);
	if (buf == NULL)
		return -ENOMEM;
	BN_bn2bin(k->n, buf);
	sl_digest_sha256(buf, (size_t)len, k->fpr);
	free(buf);
	return 0;
}

static int key_from_dec(struct key *k, const char *n, const char *e)
{
	if (BN_dec2bn(&k->n, n) == 0 || BN_dec2bn(&k->e, e) == 0)
		return -ENOMEM;
	return key_finish(k);
}

static void key_release(struct key *k)
{
	BN_free(k->n);
	BN_free(k->e);
}

static struct sl_clamav_keys *from_pem(struct sl_clamav_keys *k, const char *path, char **cause)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (cause != NULL && asprintf(cause, "%s: %s", path, strerror(errno)) < 0)
			*cause = NULL;
		return NULL;
	}
	EVP_PKEY *pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	const char *why = NULL;
	if (pk == NULL)
		why = "not a PEM public key";
	else if (!EVP_PKEY_is_a(pk, "RSA"))
		why = "not an RSA key";
	else if (EVP_PKEY_get_bits(pk) < MIN_CUSTOM_BITS)
		why = "RSA key shorter than 2048 bits (ClamAV's CDIFF signatures need 2048)";
	else if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &k->cvd.n) != 1 ||
		 EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &k->cvd.e) != 1)
		why = "cannot read the RSA modulus and exponent";
	EVP_PKEY_free(pk);
	if (why == NULL) {
		k->pss.n = BN_dup(k->cvd.n);
		k->pss.e = BN_dup(k->cvd.e);
		k->info.n = BN_dup(k->cvd.n);
		k->info.e = BN_dup(k->cvd.e);
		if (k->pss.n == NULL || k->pss.e == NULL || k->info.n == NULL || k->info.e == NULL ||
		    key_finish(&k->cvd) < 0 || key_finish(&k->pss) < 0 || key_finish(&k->info) < 0)
			why = "out of memory";
	}
	if (why != NULL) {
		if (cause != NULL && asprintf(cause, "%s: %s", path, why) < 0)
			*cause = NULL;
		return NULL;
	}
	k->custom = true;
	return k;
}

struct sl_clamav_keys *sl_clamav_keys_new(const char *pem_path, char **cause)
{
	struct sl_clamav_keys *k = calloc(1, sizeof *k);
	if (k == NULL) {
		if (cause != NULL)
			*cause = strdup("out of memory");
		return NULL;
	}
	if (pem_path != NULL) {
		if (from_pem(k, pem_path, cause) == NULL) {
			sl_clamav_keys_free(k);
			return NULL;
		}
		return k;
	}
	if (key_from_dec(&k->cvd, cvd_n_dec, cvd_e_dec) < 0 || key_from_dec(&k->pss, pss_n_dec, pss_e_dec) < 0 ||
	    key_from_dec(&k->info, info_n_dec, info_e_dec) < 0) {
		sl_clamav_keys_free(k);
		if (cause != NULL)
			*cause = strdup("out of memory");
		return NULL;
	}
	return k;
}

void sl_clamav_keys_free(struct sl_clamav_keys *k)
{
	if (k == NULL)
		return;
	key_release(&k->cvd);
	key_release(&k->pss);
	key_release(&k->info);
	free(k);
}

static const struct key *pick(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use)
{
	return use == SL_CLAMAV_KEY_CDIFF ? &k->pss : use == SL_CLAMAV_KEY_INFO ? &k->info : &k->cvd;
}

const char *sl_clamav_keys_fpr(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use)
{
	return pick(k, use)->fpr;
}

static int digit(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return 26 + c - 'A';
	if (c >= '0' && c <= '9')
		return 52 + c - '0';
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sl_clamav_sig_decode(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use, const char *sig, size_t len,
			 uint8_t *out, size_t outlen)
{
	const struct key *key = pick(k, use);
	if (len == 0 || len > SL_CVD_DSIG_MAX || outlen == 0 || outlen > PSS_LEN)
		return -SL_E_SIGNATURE;
	BIGNUM *s = BN_new(), *m = BN_new();
	BN_CTX *bc = BN_CTX_new();
	uint8_t *tmp = NULL;
	int r = (s == NULL || m == NULL || bc == NULL) ? -ENOMEM : 0;
	/* The first character is the least significant digit: accumulate from the last one down. */
	for (size_t i = len; i-- > 0 && r == 0;) {
		int d = digit((unsigned char)sig[i]);
		if (d < 0 || BN_lshift(s, s, 6) != 1 || BN_add_word(s, (BN_ULONG)d) != 1)
			r = d < 0 ? -SL_E_SIGNATURE : -ENOMEM;
	}
	if (r == 0 && BN_cmp(s, key->n) >= 0)
		r = -SL_E_SIGNATURE;   /* ClamAV would reduce it; no honest signer produces one */
	if (r == 0 && BN_mod_exp(m, s, key->e, key->n, bc) != 1)
		r = -ENOMEM;
	if (r == 0) {
		/* The low outlen bytes of m, big-endian: pad to the modulus size, keep the tail. */
		int nb = BN_num_bytes(key->n);
		size_t width = (size_t)nb > outlen ? (size_t)nb : outlen;
		tmp = calloc(1, width);
		if (tmp == NULL || BN_bn2binpad(m, tmp, (int)width) < 0)
			r = -ENOMEM;
		else
			memcpy(out, tmp + width - outlen, outlen);
	}
	free(tmp);
	BN_CTX_free(bc);
	BN_free(s);
	BN_free(m);
	return r;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return 10 + c - 'a';
	return -1;
}

int sl_clamav_verify_md5(const struct sl_clamav_keys *k, const char *md5_hex, const char *dsig, size_t len)
{
	uint8_t want[16], got[16];
	if (strlen(md5_hex) != 32)
		return -SL_E_SIGNATURE;
	for (int i = 0; i < 16; i++) {
		int hi = unhex(md5_hex[2 * i]), lo = unhex(md5_hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -SL_E_SIGNATURE;
		want[i] = (uint8_t)(hi << 4 | lo);
	}
	int r = sl_clamav_sig_decode(k, SL_CLAMAV_KEY_CVD, dsig, len, got, sizeof got);
	if (r < 0)
		return r == -ENOMEM ? r : -SL_E_SIGNATURE;
	return memcmp(want, got, sizeof want) == 0 ? 0 : -SL_E_SIGNATURE;
}

static int sha256_parts(const void *a, size_t alen, const void *b, size_t blen, const void *c, size_t clen,
			uint8_t out[HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
		 EVP_DigestUpdate(ctx, c, clen) == 1 && EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}

int sl_clamav_verify_sha256(const struct sl_clamav_keys *k, enum sl_clamav_keyuse use, const uint8_t sha256[32],
			    const char *dsig, size_t len)
{
	uint8_t em[PSS_LEN];
	int r = sl_clamav_sig_decode(k, use, dsig, len, em, sizeof em);
	if (r < 0)
		return r == -ENOMEM ? r : -SL_E_SIGNATURE;
	if (em[PSS_LEN - 1] != 0xbc)
		return -SL_E_SIGNATURE;
	const uint8_t *h = em + DB_LEN;
	/* MGF1 with SHA-256 over the hash unmasks the data block. */
	uint8_t db[DB_LEN];
	for (unsigned ctr = 0; ctr * HASH_LEN < DB_LEN; ctr++) {
		uint8_t c[4] = { (uint8_t)(ctr >> 24), (uint8_t)(ctr >> 16), (uint8_t)(ctr >> 8), (uint8_t)ctr };
		uint8_t blk[HASH_LEN];
		r = sha256_parts(h, HASH_LEN, c, sizeof c, "", 0, blk);
		if (r < 0)
			return r;
		size_t off = (size_t)ctr * HASH_LEN, n = DB_LEN - off < HASH_LEN ? DB_LEN - off : HASH_LEN;
		for (size_t i = 0; i < n; i++)
			db[off + i] = em[off + i] ^ blk[i];
	}
	db[0] &= 0x7f;
	/* Zero padding, 0x01, then exactly SALT_LEN bytes of salt. */
	size_t one = DB_LEN - SALT_LEN - 1;
	for (size_t i = 0; i < one; i++)
		if (db[i] != 0)
			return -SL_E_SIGNATURE;
	if (db[one] != 0x01)
		return -SL_E_SIGNATURE;
	static const uint8_t zeros[8] = { 0 };
	uint8_t hh[HASH_LEN];
	r = sha256_parts(zeros, sizeof zeros, sha256, HASH_LEN, db + one + 1, SALT_LEN, hh);
	if (r < 0)
		return r;
	return memcmp(hh, h, HASH_LEN) == 0 ? 0 : -SL_E_SIGNATURE;
}
