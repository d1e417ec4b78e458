/*
 * keystore.c - CA keys at rest and in the signer process: key types,
 * generation, the encrypted key files, and the two backends the signer
 * process loads keys from (encrypted PKCS#8 files, or a PKCS#11 token
 * through libp11).  Only the signer process calls keystore_*.
 */
#include "signerInt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <libp11.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "../common/limits.h"
#include "../common/util.h"

/* PBKDF2 iterations protecting CA keys at rest: OWASP 2023's figure for
 * SHA-256, 600,000, unless a test build that is never installed lowered it
 * (meson option key_kdf_iterations; the fuzz build uses 1,000, so that the
 * signer_frames harness spends its time in the protocol, not in PBKDF2).
 * Reading a key takes the count its file records, whatever this says. */
#ifndef OPENAMS_KEY_KDF_ITER
#define OPENAMS_KEY_KDF_ITER 600000
#endif
#define KEY_KDF_ITER OPENAMS_KEY_KDF_ITER

const char *const signer_key_file[SIGNER__MAX] = {"root.key", "issuing.key", "ocsp.key",
    "tsa.key"};
const char *const signer_key_label[SIGNER__MAX] = {"openams-root", "openams-issuing",
    "openams-ocsp", "openams-tsa"};

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

/* PKCS#8 PEM of pkey encrypted under passphrase, appended to out. */
static oa_err seal_pem(EVP_PKEY *pkey, const char *passphrase, oa_buf *out)
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
	    (mem = BIO_new(BIO_s_secmem())) == NULL || !PEM_write_bio_PKCS8(mem, enc)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "encrypting the new key");
		goto out;
	}
	n = BIO_get_mem_data(mem, &data);
	rc = oa_buf_append(out, data, (size_t)n);
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(enc);
	BIO_free(mem);
	return rc;
}

oa_err keystore_seal(keystore *ks, EVP_PKEY *pkey, oa_buf *out)
{
	if (ks->pkcs11 || ks->secret == NULL)
		return oa_fail(OA_ERR_STATE, "signer: the CA passphrase is no longer held (every key"
		                             " is unlocked): a new key needs a freshly started signer");
	return seal_pem(pkey, ks->secret, out);
}

oa_err signer_write_key(const char *path, EVP_PKEY *pkey, const char *passphrase)
{
	oa_buf pem = {0};
	oa_err rc;

	if ((rc = seal_pem(pkey, passphrase, &pem)) == OA_OK)
		rc = oa_write_file_atomic(path, pem.data, pem.len, 0600);
	oa_buf_free(&pem);
	return rc;
}

oa_err signer_algorithm_of(const EVP_PKEY *pub, const uint8_t **der, size_t *len, int *nid)
{
	const char *t = signer_key_type_of(pub);

	if (t == NULL)
		return oa_fail(OA_ERR_CRYPTO, "CA key of an unsupported type");
	if (strcmp(t, "ec-p256") == 0) {
		*der = alg_ecdsa_sha256;
		*len = sizeof alg_ecdsa_sha256;
		*nid = NID_ecdsa_with_SHA256;
	} else if (strcmp(t, "ec-p384") == 0) {
		*der = alg_ecdsa_sha384;
		*len = sizeof alg_ecdsa_sha384;
		*nid = NID_ecdsa_with_SHA384;
	} else {
		*der = alg_rsa_sha256;
		*len = sizeof alg_rsa_sha256;
		*nid = NID_sha256WithRSAEncryption;
	}
	return OA_OK;
}

const EVP_MD *signer_digest_for(const EVP_PKEY *pkey)
{
	const char *t = signer_key_type_of(pkey);

	if (t != NULL && strcmp(t, "ec-p384") == 0)
		return EVP_sha384();
	return EVP_sha256();
}

/* Asks the operator on the controlling terminal, without echo. */
static oa_err prompt_secret(const char *what, char **out)
{
	struct termios old, quiet;
	char buf[OA_MAX_PASSPHRASE_BYTES + 2];
	FILE *tty = fopen("/dev/tty", "r+");
	size_t n;

	if (tty == NULL)
		return oa_fail(OA_ERR_CONFIG, "%s: `prompt` needs a terminal (none is attached)", what);
	/* Unbuffered: no stdio buffer keeps the typed line after fclose. */
	setvbuf(tty, NULL, _IONBF, 0);
	/* Echo off first: TCSAFLUSH drops what was typed before the prompt. */
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	fprintf(tty, "openams signer: %s: ", what);
	fflush(tty);
	if (fgets(buf, sizeof buf, tty) == NULL)
		buf[0] = 0;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strcspn(buf, "\r\n");
	buf[n] = 0;
	if (n == 0) {
		oa_wipe(buf, sizeof buf);
		return oa_fail(OA_ERR_CONFIG, "%s: nothing was typed", what);
	}
	*out = strdup(buf);
	oa_wipe(buf, sizeof buf);
	return *out ? OA_OK : oa_fail(OA_ERR_NOMEM, "out of memory");
}

/* Reads a secret (passphrase or PIN) from a file, the terminal ("prompt")
 * or an environment variable. */
static oa_err read_secret(const char *file, const char *env, char **out)
{
	char *data;
	size_t n;
	const char *v;
	oa_err rc;

	*out = NULL;
	if (file != NULL && strcmp(file, "prompt") == 0)
		return prompt_secret(strcmp(env, "OPENAMS_PKCS11_PIN") == 0 ? "token PIN"
		                                                            : "CA key passphrase",
		    out);
	if (file == NULL || !*file) {
		if ((v = getenv(env)) == NULL || !*v)
			return oa_fail(OA_ERR_CONFIG, "no secret: set $%s or name a file in the configuration",
			    env);
		if ((*out = strdup(v)) == NULL)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		return OA_OK;
	}
	/* Straight into one buffer: oa_read_file's stdio buffer and stack chunk
	 * would keep copies of the passphrase after it is wiped here. */
	if ((rc = oa_read_secret_file(file, OA_MAX_PASSPHRASE_BYTES, &data, &n)))
		return rc;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		data[--n] = 0;
	if (n == 0 || memchr(data, 0, n) != NULL) {
		oa_wipe(data, n);
		free(data);
		return oa_fail(OA_ERR_CONFIG, "%s: empty or binary secret file", file);
	}
	*out = data;
	return OA_OK;
}

static oa_err open_pkcs11(keystore *ks, const signer_opts *o)
{
	PKCS11_SLOT *slot = NULL;

	if (o->pkcs11_module == NULL || o->pkcs11_token == NULL)
		return oa_fail(OA_ERR_CONFIG, "the pkcs11 backend needs signer.pkcs11_module and"
		                              " signer.pkcs11_token");
	if ((ks->p11 = PKCS11_CTX_new()) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (PKCS11_CTX_load(ks->p11, o->pkcs11_module) != 0)
		return oa_fail_ssl(OA_ERR_CONFIG, "%s: cannot load the PKCS#11 module", o->pkcs11_module);
	if (PKCS11_enumerate_slots(ks->p11, &ks->slots, &ks->nslots) != 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "PKCS#11: cannot list slots");
	for (unsigned i = 0; i < ks->nslots; i++)
		if (ks->slots[i].token && ks->slots[i].token->label &&
		    strcmp(ks->slots[i].token->label, o->pkcs11_token) == 0)
			slot = &ks->slots[i];
	if (slot == NULL)
		return oa_fail(OA_ERR_CONFIG, "PKCS#11: no token labelled '%s'", o->pkcs11_token);
	ks->slot = slot;
	return OA_OK;
}

oa_err keystore_open(keystore *ks, const signer_opts *o)
{
	oa_err rc;

	memset(ks, 0, sizeof *ks);
	ks->pkcs11 = o->backend && strcmp(o->backend, "pkcs11") == 0;
	if (ks->pkcs11) {
		if ((rc = read_secret(o->pkcs11_pin_file, "OPENAMS_PKCS11_PIN", &ks->secret)) ||
		    (rc = open_pkcs11(ks, o)))
			return rc;
		if (PKCS11_open_session(ks->slot, 0) != 0 || PKCS11_login(ks->slot, 0, ks->secret) != 0)
			return oa_fail_ssl(OA_ERR_CRYPTO, "PKCS#11: login to token '%s' failed",
			    o->pkcs11_token);
		oa_free_secret(ks->secret);
		ks->secret = NULL;
		return OA_OK;
	}
	/* File backend: read the (encrypted) key files now, while the files are
	 * readable; decrypt each on its first use. */
	for (int k = 0; k < SIGNER__MAX; k++) {
		char path[OA_MAX_PATH];
		char sub[64];
		snprintf(sub, sizeof sub, "keys/%s", signer_key_file[k]);
		if ((rc = oa_path_join(path, sizeof path, o->dir, sub)))
			return rc;
		/* service keys (the TSA's) are optional: an instance may have none;
		 * the root's too: an issuing CA under an external root has none */
		if ((k >= SIGNER_CA_KEYS || k == SIGNER_ROOT) && access(path, F_OK) != 0)
			continue;
		if ((rc = oa_read_file(path, 64 * 1024, &ks->pem[k], &ks->pemlen[k])))
			return rc;
	}
	if ((rc = read_secret(o->passphrase_file, "OPENAMS_CA_PASSPHRASE", &ks->secret)))
		return rc;
	mlock(ks->secret, strlen(ks->secret) + 1);
	return OA_OK;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *p = u;
	int n = (int)strlen(p);

	(void)rwflag;
	if (n > size)
		return -1;
	memcpy(buf, p, (size_t)n);
	return n;
}

/* 1 when every key file read has been decrypted. */
static int keystore_all_unlocked(const keystore *ks)
{
	for (int k = 0; k < SIGNER__MAX; k++)
		if (ks->pem[k] != NULL)
			return 0;
	return 1;
}

oa_err keystore_get(keystore *ks, signer_key k, EVP_PKEY **out)
{
	if ((unsigned)k >= SIGNER__MAX)
		return oa_fail(OA_ERR_INVALID, "unknown signing key %d", (int)k);
	if (ks->key[k] != NULL) {
		*out = ks->key[k];
		return OA_OK;
	}
	if (ks->pkcs11) {
		PKCS11_KEY *keys;
		unsigned n;
		if (PKCS11_enumerate_keys(ks->slot->token, &keys, &n) != 0)
			return oa_fail_ssl(OA_ERR_CRYPTO, "PKCS#11: cannot list keys");
		for (unsigned i = 0; i < n; i++)
			if (keys[i].label && strcmp(keys[i].label, signer_key_label[k]) == 0 &&
			    keys[i].isPrivate)
				ks->key[k] = PKCS11_get_private_key(&keys[i]);
		if (ks->key[k] == NULL)
			return oa_fail(OA_ERR_CRYPTO, "PKCS#11: no private key labelled %s",
			    signer_key_label[k]);
	} else {
		BIO *b;
		if (ks->pem[k] == NULL && (k >= SIGNER_CA_KEYS || k == SIGNER_ROOT))
			return oa_fail(OA_ERR_STATE, "this instance has no %s (DIR/keys/%s)",
			    k == SIGNER_TSA ? "time-stamping key" : "such key", signer_key_file[k]);
		b = BIO_new_mem_buf(ks->pem[k], (int)ks->pemlen[k]);
		if (b == NULL || ks->secret == NULL)
			return oa_fail(OA_ERR_CRYPTO, "key %s is not available", signer_key_file[k]);
		ks->key[k] = PEM_read_bio_PrivateKey(b, NULL, pass_cb, ks->secret);
		BIO_free(b);
		if (ks->key[k] == NULL)
			return oa_fail_ssl(OA_ERR_CRYPTO,
			    "%s: cannot decrypt the CA key (wrong passphrase or damaged file)",
			    signer_key_file[k]);
		oa_wipe(ks->pem[k], ks->pemlen[k]);
		free(ks->pem[k]);
		ks->pem[k] = NULL;
		/* Every key decrypted: the passphrase is no longer needed. */
		if (keystore_all_unlocked(ks)) {
			oa_free_secret(ks->secret);
			ks->secret = NULL;
		}
	}
	*out = ks->key[k];
	return OA_OK;
}

void keystore_close(keystore *ks)
{
	for (int k = 0; k < SIGNER__MAX; k++) {
		EVP_PKEY_free(ks->key[k]);
		if (ks->pem[k]) {
			oa_wipe(ks->pem[k], ks->pemlen[k]);
			free(ks->pem[k]);
		}
	}
	oa_free_secret(ks->secret);
	if (ks->p11) {
		if (ks->slots)
			PKCS11_release_all_slots(ks->p11, ks->slots, ks->nslots);
		PKCS11_CTX_unload(ks->p11);
		PKCS11_CTX_free(ks->p11);
	}
	memset(ks, 0, sizeof *ks);
}
