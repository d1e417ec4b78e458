/*
 * signer.h - the only code that ever holds a CA private key, running in a
 * process of its own.
 *
 * Processes: signer_open() starts the signer process over a socketpair.
 * When the caller is the `openams` binary it re-executes itself as
 * `openams __signer` (a fresh image: nothing of the web process's memory);
 * library users (tests, benchmarks) fork and run the same loop.  The signer
 * reads the CA key files, then, when started as root, moves into a network
 * namespace of its own and switches to the unprivileged `signer.user`; it
 * always sets no-new-privileges, makes itself non-dumpable and installs a
 * seccomp allowlist before it reads its first request.
 *
 * Protocol (frames on a stream socket, all integers big-endian):
 *   request  = u32 length | u8 op | payload           (length counts op+payload)
 *   response = u32 length | u8 status | payload       (status 0 = ok, else an oa_err;
 *                                                      payload = result or message)
 * The operations are a closed set (signer_op); anything at or past
 * SIGNER_OP__MAX, a frame shorter than one byte or longer than
 * SIGNER_MAX_FRAME is refused.  The signer re-checks what it signs instead
 * of trusting the caller: a certificate is parsed and linted again against
 * its profile and must name the issuing CA; a CRL's TBSCertList must parse
 * and name the key's CA as issuer; an OCSP response must answer only for the
 * issuing CA's certificates.  Those checks come from the CA module
 * (signer_checks), which knows profiles.
 *
 * If the signer dies, the operation in flight fails with OA_ERR_CRYPTO and
 * the next operation starts a new signer.  Callers sign inside their write
 * transaction, so a failure rolls back and nothing half-done is stored.
 *
 * Must never: log or return key material; keep a passphrase after the keys
 * are unlocked (it is wiped).
 */
#ifndef OA_SIGNER_H
#define OA_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "../common/err.h"

typedef enum signer_key {
	SIGNER_ROOT,
	SIGNER_ISSUING,
	SIGNER_OCSP,
	SIGNER_TSA,      /* the time-stamping authority: optional (DIR/keys/tsa.key) */
	SIGNER__MAX
} signer_key;

/* The CA keys every instance has (root, issuing, OCSP); SIGNER_TSA and
 * later service keys may be absent. */
#define SIGNER_CA_KEYS 3

typedef enum signer_op {
	SIGNER_OP_HELLO = 1,      /* -> "openams-signer 1" */
	SIGNER_OP_SIGN_CERT = 2,  /* u8 profile length, profile, unsigned cert DER -> signed DER */
	SIGNER_OP_SIGN_CRL = 3,   /* u8 key, TBSCertList DER -> signature */
	SIGNER_OP_SIGN_OCSP = 4,  /* OCSPRequest + times + a status per CertID -> signed
	                           * BasicOCSPResponse DER (the signer builds it) */
	SIGNER_OP_CHECK_PAIR = 5, /* u8 key -> ok when the key matches its certificate */
	SIGNER_OP_RENEW_OCSP = 6, /* i64 notBefore, i64 notAfter -> u32 n, new responder
	                           * certificate DER (n bytes), its key as encrypted PEM */
	SIGNER_OP_SIGN_TST = 7,   /* u32 policy length, policy OID (dotted), TimeStampReq DER ->
	                           * TimeStampResp DER (RFC 3161; the signer builds it with the
	                           * TSA key, its own clock and a random serial) */
	SIGNER_OP__MAX
} signer_op;

/* Largest frame either way: a CRL of a few million entries. */
#define SIGNER_MAX_FRAME (256u * 1024 * 1024)

/* Checks the signer runs before it signs (see the header comment). */
typedef struct signer_checks {
	oa_err (*cert)(void *ctx, X509 *x, const char *profile);
	oa_err (*crl)(void *ctx, signer_key k, const uint8_t *tbs, size_t n);
	oa_err (*ocsp)(void *ctx, OCSP_CERTID *id); /* each CertID must be the issuing CA's */
	void *ctx;
} signer_checks;

typedef struct signer_opts {
	const char *dir;             /* data directory: keys in DIR/keys */
	const char *backend;         /* "file" or "pkcs11" */
	const char *passphrase_file; /* file backend: absolute path, or NULL: $OPENAMS_CA_PASSPHRASE */
	const char *pkcs11_module;   /* pkcs11 backend: the module (.so) */
	const char *pkcs11_token;    /* token label */
	const char *pkcs11_pin_file; /* absolute path, or NULL: $OPENAMS_PKCS11_PIN */
	const char *user;            /* run as this user when started as root */
	X509 *certs[SIGNER__MAX];    /* the CA certificates (borrowed, copied) */
	signer_checks checks;
	int in_process;              /* 1: no separate process (benchmarks only) */
	char *const *exec_argv;      /* re-exec this (argv[0] must be the openams binary), or NULL */
} signer_opts;

typedef struct signer signer;

/* Key type names accepted everywhere: "ec-p256", "ec-p384", "rsa-2048",
 * "rsa-3072", "rsa-4096".  Returns 1 if name is one of them. */
int signer_key_type_valid(const char *name);
/* Describes a key as one of those names; NULL for anything else. */
const char *signer_key_type_of(const EVP_PKEY *pkey);
/* Generates a fresh key pair of the named type; the caller frees it. */
oa_err signer_generate(const char *key_type, EVP_PKEY **out);
/* Writes pkey to path (mode 0600), PKCS#8 encrypted under passphrase
 * (PBES2: PBKDF2-HMAC-SHA256 600,000 iterations, AES-256-CBC). */
oa_err signer_write_key(const char *path, EVP_PKEY *pkey, const char *passphrase);
/* The signature algorithm a CA key signs with, from its certificate's public
 * key: DER AlgorithmIdentifier (static) and the NID. */
oa_err signer_algorithm_of(const EVP_PKEY *pub, const uint8_t **der, size_t *len, int *nid);

/* Generates the three CA key pairs (labels openams-root, openams-issuing,
 * openams-ocsp) inside a PKCS#11 token, non-extractable. */
oa_err signer_p11_generate(const char *module, const char *token, const char *pin,
    const char *key_type);
/* For `openams init` only: the token's CA keys as EVP_PKEYs (signing happens
 * in the token), kept usable until signer_p11_unload(handle). */
oa_err signer_p11_load(const char *module, const char *token, const char *pin,
    EVP_PKEY *keys[SIGNER__MAX], void **handle);
void signer_p11_unload(void *handle);

/*
 * The signer launcher (launcher.c), for a server that starts as root and
 * then drops to an unprivileged user: signer_launcher_start() forks it (call
 * it before any thread exists, while still root); from then on every signer
 * that would re-execute the openams binary is started by the launcher
 * instead, as `openams __signer --dir DIR` with DIR as given here, and
 * switches to signer.user as it always does.  The launcher ends when this
 * process does.  Library users that fork a signer never use it.
 */
oa_err signer_launcher_start(const char *dir);
/* 1 once the launcher is running. */
int signer_launcher_active(void);
/* Asks the launcher for a new signer: *fd, its socket (close-on-exec), and
 * its PID (a process of the launcher's, not this one's). */
oa_err signer_launcher_spawn(int *fd, pid_t *pid);

/* Starts the signer (process).  The caller frees it with signer_free(). */
oa_err signer_open(const signer_opts *o, signer **out);
/* Stops the signer process and frees; accepts NULL. */
void signer_free(signer *s);
/* Stops the signer process (after the operation in flight, if any) and
 * takes these certificates (copied; NULL for an absent key) for the next
 * one, which the next operation starts: a signer shared by several CA
 * handles picks up a renewed OCSP responder this way.  OA_ERR_STATE for an
 * in-process signer. */
oa_err signer_restart(signer *s, X509 *const certs[SIGNER__MAX]);
/* The signer process id (0 in-process or not running). */
pid_t signer_pid(const signer *s);

/* Signs certificate x (linted by the caller) with the issuing key: the
 * signer lints it again against profile.  *der (malloc'd) is the signed
 * certificate. */
oa_err signer_sign_cert(signer *s, X509 *x, const char *profile, uint8_t **der, size_t *len);
/* Signs raw TBSCertList bytes with key k; *sig is malloc'd. */
oa_err signer_sign_crl(signer *s, signer_key k, const uint8_t *tbs, size_t n, uint8_t **sig,
    size_t *siglen);
/* One CertID's answer, in the order of the request's CertIDs. */
typedef struct signer_ocsp_item {
	int status;          /* V_OCSP_CERTSTATUS_GOOD, _REVOKED or _UNKNOWN */
	int64_t revoked_at;  /* revoked: the revocation time */
	int reason;          /* revoked: the CRLReason, or -1 for none */
} signer_ocsp_item;

/* Builds and signs the BasicOCSPResponse answering req (DER OCSPRequest)
 * with the responder key: one SingleResponse per CertID with items[i],
 * thisUpdate/nextUpdate as given, the nonce echoed, responderID byKey and
 * the responder certificate included.  *der (its DER, *der_len bytes, one
 * whole DER SEQUENCE) is the caller's to free; it is not decoded here. */
oa_err signer_sign_ocsp(signer *s, const uint8_t *req, size_t req_len,
    const signer_ocsp_item *items, size_t n, int64_t this_update, int64_t next_update,
    uint8_t **der, size_t *der_len);
/* Checks that key k is the private half of its certificate. */
oa_err signer_check_pair(signer *s, signer_key k);

/*
 * Renews the delegated OCSP responder: the signer makes a new key pair of
 * the current responder key's type, and the issuing key signs a copy of the
 * current responder certificate (same subject, issuer and extensions:
 * digitalSignature, id-kp-OCSPSigning, id-pkix-ocsp-nocheck) with a fresh
 * serial, the new key, its key identifier and [not_before, not_after] (inside
 * the issuing CA's validity, at most 1095 days).  *cert (DER) and *key_pem
 * (the new private key as PKCS#8 encrypted under the CA passphrase, for
 * DIR/keys/ocsp.key) are malloc'd.  The file backend needs a signer that has
 * not yet unlocked every key (it still holds the passphrase): start one for
 * this.  With a PKCS#11 token the token's responder key is certified again
 * (no new key; *key_pem is NULL, *key_len 0).  The signer itself keeps
 * signing with the old responder: start a new one to use the new.
 */
oa_err signer_renew_ocsp(signer *s, int64_t not_before, int64_t not_after, uint8_t **cert,
    size_t *cert_len, uint8_t **key_pem, size_t *key_len);

/*
 * Answers an RFC 3161 TimeStampReq (DER) with a TimeStampResp (DER, *resp
 * malloc'd) signed by the TSA key: status granted with a token (TSTInfo:
 * policy, the request's message imprint and nonce, a random 128-bit serial,
 * genTime from the signer's clock with one second's accuracy; ESS
 * signing-certificate-v2; the TSA certificate included when the request
 * asks), or rejection with the reason (badAlg: digests other than SHA-256,
 * SHA-384, SHA-512; unacceptedPolicy; unacceptedExtension; badDataFormat)
 * built by OpenSSL's TS responder.  OA_ERR_STATE if the instance has no TSA
 * key or certificate.
 */
oa_err signer_sign_tst(signer *s, const char *policy, const uint8_t *req, size_t req_len,
    uint8_t **resp, size_t *resp_len);

/* Sends one raw frame payload (op + bytes) and reads the answer: for tests
 * of the protocol.  *status is the answer's status byte. */
oa_err signer_raw(signer *s, const uint8_t *msg, size_t n, int *status, uint8_t **reply,
    size_t *reply_len);

/* The signer process's main loop on fd (used by `openams __signer` and the
 * forked child).  Never returns: it ends the process with _exit(). */
int signer_child_main(int fd, const signer_opts *o) __attribute__((noreturn));

#endif
