/*
 * signerInt.h - private to the signer module.
 */
#ifndef OA_SIGNERINT_H
#define OA_SIGNERINT_H

#include <libp11.h>

#include "../common/util.h"
#include "signer.h"

/* How often an idle signer checks that the process that started it is still
 * alive (milliseconds). */
#define SIGNER_PARENT_CHECK_MS 1000

extern const char *const signer_key_file[SIGNER__MAX];
extern const char *const signer_key_label[SIGNER__MAX];

typedef struct keystore {
	int pkcs11;
	uint8_t *pem[SIGNER__MAX];   /* file backend: encrypted PEM, until decrypted */
	size_t pemlen[SIGNER__MAX];
	char *secret;                /* passphrase, until every key is decrypted */
	EVP_PKEY *key[SIGNER__MAX];
	PKCS11_CTX *p11;
	PKCS11_SLOT *slots, *slot;
	unsigned nslots;
} keystore;

oa_err keystore_open(keystore *ks, const signer_opts *o);
oa_err keystore_get(keystore *ks, signer_key k, EVP_PKEY **out);
void keystore_close(keystore *ks);
/* PKCS#8 PEM of pkey encrypted under the passphrase the keystore still
 * holds (file backend, before every key is unlocked), appended to out. */
oa_err keystore_seal(keystore *ks, EVP_PKEY *pkey, oa_buf *out);
const EVP_MD *signer_digest_for(const EVP_PKEY *pkey);

/* The signer's state inside its process (or in-process for benchmarks). */
typedef struct signer_core {
	keystore ks;
	X509 *certs[SIGNER__MAX];
	signer_checks checks;
} signer_core;

oa_err signer_core_open(signer_core *core, const signer_opts *o);
void signer_core_close(signer_core *core);
/* Handles one request (op + payload); the reply goes to out (result, or
 * the error message).  Returns the status. */
oa_err signer_handle(signer_core *core, const uint8_t *msg, size_t n, oa_buf *out);

/* Framing on a stream socket. */
oa_err signer_send(int fd, uint8_t first, const uint8_t *p, size_t n);
oa_err signer_send2(int fd, uint8_t first, const uint8_t *a, size_t an, const uint8_t *b,
    size_t bn);
/* Reads one frame; *msg (malloc'd) holds its n bytes.  OA_ERR_IO on EOF. */
oa_err signer_recv(int fd, uint8_t **msg, size_t *n);

#endif
