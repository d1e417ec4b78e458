/*
 * signer.c - see signer.h.
 */
#include "signer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "../common/limits.h"
#include "../common/util.h"

/* PBKDF2 iterations protecting CA keys at rest (OWASP 2023 figure for SHA-256). */
#define KEY_KDF_ITER 600000

static const char *const key_file[SIGNER__MAX] = {"root.key", "issuing.key", "ocsp.key"};

struct signer {
	char keydir[OA_MAX_PATH];
	char *passphrase;
	EVP_PKEY *key[SIGNER__MAX];
};

/* DER AlgorithmIdentifiers (RFC 5758 3.2: ECDSA has no parameters; RFC 4055:
 * RSA PKCS#1 v1.5 has NULL parameters). */
static const uint8_t alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t alg_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t alg_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48,
    0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

int signer_key_type_valid(const char *name)
{
	static const char *const names[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072",
	    "rsa-4096"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

const char *signer_key_type_of(const EVP_PKEY *pkey)
{
	char group[64];
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
		        sizeof group, &glen))
			return NULL;
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			return "ec-p256";
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			return "ec-p384";
		return NULL;
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pkey)) {
		case 2048:
			return "rsa-2048";
		case 3072:
			return "rsa-3072";
		case 4096:
			return "rsa-4096";
		default:
			return NULL;
		}
	default:
		return NULL;
	}
}

oa_err signer_generate(const char *key_type, EVP_PKEY **out)
{
	EVP_PKEY *k = NULL;

	*out = NULL;
	if (strcmp(key_type, "ec-p256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(key_type, "ec-p384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(key_type, "rsa-2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(key_type, "rsa-3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(key_type, "rsa-4096") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	else
		return oa_fail(OA_ERR_INVALID, "unknown key type '%s'", key_type);
	if (k == NULL)
		return oa_fail_ssl(OA_ERR_CRYPTO, "generating a %s key", key_type);
	*out = k;
	return OA_OK;
}

oa_err signer_write_key(const char *path, EVP_PKEY *pkey, const char *passphrase)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_SIG *enc = NULL;
	BIO *mem = NULL;
	char *data;
	long n;
	oa_err rc = OA_OK;

	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (enc = PKCS8_encrypt(-1, EVP_aes_256_cbc(), passphrase, (int)strlen(passphrase),
	         NULL, 0, KEY_KDF_ITER, p8)) == NULL ||
	    (mem = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PKCS8(mem, enc)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "encrypting key for %s", path);
		goto out;
	}
	n = BIO_get_mem_data(mem, &data);
	rc = oa_write_file_atomic(path, data, (size_t)n, 0600);
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(enc);
	BIO_free(mem);
	return rc;
}

oa_err signer_open(const char *keydir, const char *passphrase, signer **out)
{
	signer *s;

	*out = NULL;
	if (strlen(passphrase) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail(OA_ERR_LIMIT, "CA passphrase longer than %d bytes",
		    OA_MAX_PASSPHRASE_BYTES);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (strlen(keydir) >= sizeof s->keydir) {
		free(s);
		return oa_fail(OA_ERR_LIMIT, "key directory path too long");
	}
	strcpy(s->keydir, keydir);
	if ((s->passphrase = strdup(passphrase)) == NULL) {
		free(s);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	*out = s;
	return OA_OK;
}

void signer_free(signer *s)
{
	if (s == NULL)
		return;
	oa_free_secret(s->passphrase);
	for (int i = 0; i < SIGNER__MAX; i++)
		EVP_PKEY_free(s->key[i]);
	free(s);
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *p = u;
	int n = (int)strlen(p);

	if (n > size)
		return -1;
	memcpy(buf, p, (size_t)n);
	return n;
}

static oa_err load_key(signer *s, signer_key k, EVP_PKEY **out)
{
	char path[OA_MAX_PATH];
	FILE *f;
	EVP_PKEY *pkey;
	oa_err rc;

	if ((unsigned)k >= SIGNER__MAX)
		return oa_fail(OA_ERR_INVALID, "unknown signing key %d", (int)k);
	if (s->key[k] != NULL) {
		*out = s->key[k];
		return OA_OK;
	}
	if ((rc = oa_path_join(path, sizeof path, s->keydir, key_file[k])))
		return rc;
	if ((f = fopen(path, "r")) == NULL)
		return oa_fail(errno == ENOENT ? OA_ERR_NOTFOUND : OA_ERR_IO, "%s: %s", path,
		    strerror(errno));
	pkey = PEM_read_PrivateKey(f, NULL, pass_cb, s->passphrase);
	fclose(f);
	if (pkey == NULL)
		return oa_fail_ssl(OA_ERR_CRYPTO,
		    "%s: cannot decrypt the CA key (wrong passphrase or damaged file)", path);
	s->key[k] = pkey;
	*out = pkey;
	return OA_OK;
}

static const EVP_MD *digest_for(EVP_PKEY *pkey)
{
	const char *t = signer_key_type_of(pkey);

	if (t != NULL && strcmp(t, "ec-p384") == 0)
		return EVP_sha384();
	return EVP_sha256();
}

oa_err signer_sign_cert(signer *s, signer_key k, X509 *x)
{
	EVP_PKEY *pkey;
	oa_err rc;

	if ((rc = load_key(s, k, &pkey)))
		return rc;
	if (X509_sign(x, pkey, digest_for(pkey)) <= 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "signing a certificate");
	return OA_OK;
}

oa_err signer_algorithm(signer *s, signer_key k, const uint8_t **der, size_t *len)
{
	EVP_PKEY *pkey;
	const char *t;
	oa_err rc;

	if ((rc = load_key(s, k, &pkey)))
		return rc;
	t = signer_key_type_of(pkey);
	if (t == NULL)
		return oa_fail(OA_ERR_CRYPTO, "CA key of an unsupported type");
	if (strcmp(t, "ec-p256") == 0) {
		*der = alg_ecdsa_sha256;
		*len = sizeof alg_ecdsa_sha256;
	} else if (strcmp(t, "ec-p384") == 0) {
		*der = alg_ecdsa_sha384;
		*len = sizeof alg_ecdsa_sha384;
	} else {
		*der = alg_rsa_sha256;
		*len = sizeof alg_rsa_sha256;
	}
	return OA_OK;
}

oa_err signer_sign_tbs(signer *s, signer_key k, const uint8_t *tbs, size_t n,
    uint8_t **sig, size_t *siglen)
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *md = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	oa_err rc;

	*sig = NULL;
	*siglen = 0;
	if ((rc = load_key(s, k, &pkey)))
		return rc;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, digest_for(pkey), NULL, pkey) <= 0 ||
	    EVP_DigestSign(md, NULL, &len, tbs, n) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing");
		goto out;
	}
	if ((buf = malloc(len)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(md, buf, &len, tbs, n) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing");
		free(buf);
		goto out;
	}
	*sig = buf;
	*siglen = len;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

oa_err signer_sign_ocsp(signer *s, OCSP_BASICRESP *bs, X509 *responder_cert)
{
	EVP_PKEY *pkey;
	oa_err rc;

	if ((rc = load_key(s, SIGNER_OCSP, &pkey)))
		return rc;
	/* RFC 5019 2.2.3: responderID byKey; the responder certificate is
	 * included so that clients can check the delegation (RFC 6960 4.2.2.2). */
	if (!OCSP_basic_sign(bs, responder_cert, pkey, digest_for(pkey), NULL,
	        OCSP_RESPID_KEY))
		return oa_fail_ssl(OA_ERR_CRYPTO, "signing an OCSP response");
	return OA_OK;
}

oa_err signer_check_pair(signer *s, signer_key k, X509 *cert)
{
	EVP_PKEY *pkey;
	oa_err rc;

	if ((rc = load_key(s, k, &pkey)))
		return rc;
	if (X509_check_private_key(cert, pkey) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "%s does not match its certificate", key_file[k]);
	return OA_OK;
}
