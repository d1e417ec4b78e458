/*
 * ca.h - the certificate authority: hierarchy, profiles, issuing, revoking,
 * CRLs and OCSP.
 *
 * Certificate lifecycle (mirrored by CHECK constraints and triggers in the
 * schema, migration 2):
 *
 *        ca_issue()            ca_revoke()
 *   (none) -------> active ------------------> revoked   (final)
 *                     |                          ^
 *                     | not_after passed         | ca_revoke()
 *                     v                          |
 *                   expired ---------------------+
 *
 *   - A certificate is inserted active, in the same transaction as its audit
 *     record, and only after the pre-issuance lint passed and it was signed.
 *   - "expired" is written lazily (when the policy check meets it); readers
 *     judge expiry by not_after, never by the status column alone.
 *   - revoked is final: no code path, and no UPDATE (trigger), changes it.
 *
 * Transactions: every mutating function here joins the caller's write
 * transaction when one is open on ca_store() (so that the SOP engine can
 * issue inside a step transition), and otherwise opens and commits its own.
 * Nothing is reported done before the commit is durable.
 *
 * Must never: sign before the lint and the policy checks pass, or hold a CA
 * private key itself (that is the signer's job).
 */
#ifndef OA_CA_H
#define OA_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "../common/err.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../conf/conf.h"
#include "../store/store.h"

typedef struct ca ca;

/* RFC 5280 5.3.1 CRLReason values openams uses. */
enum {
	CA_REASON_UNSPECIFIED = 0,
	CA_REASON_KEY_COMPROMISE = 1,
	CA_REASON_AFFILIATION_CHANGED = 3,
	CA_REASON_SUPERSEDED = 4,
	CA_REASON_CESSATION = 5,
};

/* 1 if name is a supported key type (ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096). */
int ca_key_type_valid(const char *name);

/* A fresh key pair of the named type for server-side generation; the caller
 * frees it with EVP_PKEY_free. */
oa_err ca_generate_key(const char *key_type, EVP_PKEY **out);
/* Writes a server-generated private key to path (0600) as PKCS#8 encrypted
 * under passphrase (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC).  The sealed
 * holder-key store of the "Keys" issue replaces this for the portal. */
oa_err ca_write_holder_key(const char *path, EVP_PKEY *key, const char *passphrase);

/* "keyCompromise" etc. to the code; -1 if unknown or not supported. */
int ca_reason_parse(const char *name);
/* The RFC 5280 name of a code ("unspecified" for unknown codes). */
const char *ca_reason_name(int reason);

typedef struct ca_init_opts {
	const char *dir;            /* data directory to create (must not exist or be empty) */
	const char *key_type;       /* NULL: the configuration's ca.key_type */
	const char *passphrase;     /* NULL: generate one into DIR/secrets/ca.pass */
	const char *share;          /* where profiles/ and sop/ are copied from */
	const char *config_file;    /* optional: settings to start from */
	int demo;                   /* a demo instance */
	/* CA keys generated inside a PKCS#11 token instead of key files: */
	const char *pkcs11_module;  /* the module (.so), or NULL */
	const char *pkcs11_token;   /* the token's label */
	const char *pkcs11_pin;     /* the user PIN (only used during init) */
	const char *pkcs11_pin_file;/* where openams reads the PIN later (recorded in the
	                             * configuration), or NULL: $OPENAMS_PKCS11_PIN */
	/* Optional: run on the new instance's directory (complete, the CA
	 * closed) before it is renamed into place: other modules' setup, e.g.
	 * installing SOPs on an inst_open of it; a failure undoes init. */
	oa_err (*prepare)(const char *dir, void *arg);
	void *prepare_arg;
	/* An issuing CA under an external root (a national root): only its key
	 * (and the OCSP and TSA keys) and a PKCS#10 request, DIR/pki/issuing.csr;
	 * no certificate, no CRL until ca_import_issuing(). */
	int external_root;
} ca_init_opts;

/*
 * Creates a data directory: openams.conf, the database, the CA hierarchy
 * (root, issuing CA, delegated OCSP responder) with keys encrypted at rest,
 * the first CRLs, the shipped profiles and SOPs.  Built in a temporary
 * directory and renamed into place, so a failure leaves nothing behind and
 * an existing non-empty directory is refused untouched (OA_ERR_EXISTS).
 */
oa_err ca_init(const ca_init_opts *o);

/*
 * An issuing CA under an external root (extroot.c).  Such an instance has
 * DIR/pki/issuing.csr; until its certificate is imported, opening its CA
 * fails with OA_ERR_STATE and a message starting with CA_PENDING_TAG, so
 * nothing is issued, no OCSP answer or CRL is signed.
 */
#define CA_PENDING_TAG "issuing_ca_pending"
/* 1 when the instance in dir chains to an external root (pki/issuing.csr). */
int ca_root_external(const char *dir);
/* OA_ERR_STATE (CA_PENDING_TAG: what to do) when the instance in dir waits
 * for its issuing CA certificate; OA_OK otherwise. */
oa_err ca_extroot_pending(const char *dir, store *db);

typedef struct ca_import_opts {
	const char *dir;
	const char *cert_file;      /* PEM: the issuing CA certificate (first), maybe more */
	const char *chain_file;     /* PEM: intermediates and the external root, or NULL */
	const char *root_crl_file;  /* the external root's CRL (PEM or DER), or NULL */
	const char *actor;          /* audit actor */
	/* The CA passphrase the operator gave, or NULL: then the file
	 * ca.key_passphrase_file names, else $OPENAMS_CA_PASSPHRASE, else
	 * ask_passphrase (when not NULL) asks for it: a malloc'd string the
	 * import wipes and frees, or a failure with its message set. */
	const char *passphrase;
	oa_err (*ask_passphrase)(char **out);
} ca_import_opts;

typedef struct ca_import_result {
	char serial[41];
	char subject[256], root[256];
	int64_t not_after;
	int intermediates;
} ca_import_result;

/*
 * Installs the issuing CA certificate the external root signed, after
 * checking it: the key of pki/issuing.csr, the subject the request asked
 * for, a CA (basicConstraints CA:TRUE, keyCertSign and cRLSign, a subject
 * key identifier), within its validity, verified by X509_verify_cert up to
 * the self-signed root found in the given certificates (with ca.policies
 * when set: -explicit_policy).  Any refusal changes nothing.  Then writes
 * pki/root.crt, issuing.crt, chain.pem (issuing, intermediates, root), the
 * OCSP responder's and TSA's certificates (pki/ocsp.crt, tsa.crt) signed
 * with the issuing key, records them in the store with audit records in
 * one transaction, and publishes the first CRL.
 */
oa_err ca_import_issuing(const ca_import_opts *o, ca_import_result *out);

/*
 * The CA of the instance in dir on its configuration and store (both
 * borrowed: src/inst/inst.h owns them): CA certificates and profiles
 * (checked at load).  The CA keys are unlocked lazily, on the first signing
 * operation, from the passphrase the configuration names.
 */
oa_err ca_attach(const char *dir, const conf *cfg, store *db, ca **out);
/*
 * The CA alone, for programs that need nothing else (`openams ca ...`, the
 * CA's tests and benchmarks): as ca_attach on a configuration and store of
 * its own, freed with it.  Everything else opens an instance (inst_open).
 */
oa_err ca_open(const char *dir, ca **out);
/* Closes everything; accepts NULL. */
void ca_free(ca *c);

/*
 * Signer processes shared by several CA handles of one process (`openams
 * serve` with signer.processes > 0; docs/ARCHITECTURE.md, Processes).  A
 * handle without them starts a signer of its own on its first signing
 * operation.  A handle given a ca_signers signs through one of its n
 * signers, taken in turn; each signer process starts on the first operation
 * that falls to it and serves one operation at a time.  A renewed OCSP
 * responder restarts each of them at its next use.  Opened on dir (the CA
 * as the signer sees it: configuration, profiles, CA certificates; no
 * database), n at most OA_SIGNER_MAX_PROCESSES.  Free the handles using
 * them first (or at least never use them again), then the set.
 */
typedef struct ca_signers ca_signers;
oa_err ca_signers_new(const char *dir, unsigned n, ca_signers **out);
void ca_signers_free(ca_signers *p);
/* How many signers the set has, and how many processes run now. */
unsigned ca_signers_count(const ca_signers *p);
unsigned ca_signers_running(ca_signers *p);
/* From now on c signs through p (borrowed): before c's first signing
 * operation. */
void ca_use_signers(ca *c, ca_signers *p);

/* Benchmarks only: sign in this process instead of the signer process. */
void ca_set_signer_in_process(ca *c, int in_process);

/* The signer process of `openams __signer --dir DIR` (socket on fd):
 * loads the configuration, profiles and CA certificates (not the
 * database), then serves signing requests.  Returns the exit status. */
int ca_signer_main(const char *dir, int fd);
/* Opens the CA as the signer sees it: no database (for ca_signer_main). */
oa_err ca_open_signer_side(const char *dir, ca **out);

/* The store the CA writes to (borrowed). */
store *ca_store(ca *c);
/* The instance's configuration (borrowed). */
const conf *ca_config(ca *c);
/* The instance's data directory (borrowed). */
const char *ca_dir(ca *c);

/* What to issue.  Unset fields are NULL or 0. */
typedef struct ca_request {
	const char *profile;        /* NULL: "individual" */
	const uint8_t *csr;         /* PKCS#10, PEM or DER; proof of possession checked */
	size_t csr_len;
	EVP_PKEY *key;              /* or: the public key of a server-generated pair */
	const char *cn, *o, *ou, *l, *st; /* subject; each overrides the CSR's value */
	const char *nik;            /* 16 digits; required by the individual profile */
	const char *nip;            /* 18 digits; optional */
	const char *email;          /* subjectAltName rfc822Name; overrides the CSR's */
	int validity_days;          /* 0: the profile's default */
	const char *actor;          /* who asks (audit log); NULL: "system" */
	const char *ref;            /* what asks (a case id); may be NULL */
	const char *holder_nik;     /* who the certificate is for, as their account
	                             * records it: the subject NIK must be this one.
	                             * Required when ref is "case:N" (OA_ERR_POLICY
	                             * otherwise); checked whenever given. */
} ca_request;

typedef struct ca_issued {
	char serial[41];            /* lower-case hex */
	uint8_t *der;               /* the certificate; free() it */
	size_t der_len;
} ca_issued;

/*
 * Issues one certificate: parse and check the request, apply the policy
 * (one active individual certificate per NIK: the refusal names the
 * certificate that blocks it), lint, sign, store with its audit record.
 */
oa_err ca_issue(ca *c, const ca_request *r, ca_issued *out);
/*
 * The default validity of profile (NULL: "individual"), for showing before
 * issuing: *months calendar months (less one second) when the profile counts
 * in months or years, else *days days.  OA_ERR_NOTFOUND for an unknown one.
 */
oa_err ca_profile_validity(const ca *c, const char *profile, int *days, int *months);

/*
 * Issues n certificates with one durable commit (group commit).  Each item
 * succeeds or fails on its own: rcs[i] is its code, and for failures
 * msgs[i] (if not NULL, 256 bytes each) its message.  Returns OA_OK if the
 * batch committed, whatever the items' outcomes.
 */
oa_err ca_issue_batch(ca *c, const ca_request *r, size_t n, ca_issued *out,
    oa_err *rcs, char (*msgs)[256]);

/* Frees an issued certificate's buffer; accepts NULL. */
void ca_issued_free(ca_issued *i);

/*
 * Revokes an active or expired certificate with an RFC 5280 reason, the
 * revocation time now and an optional invalidity date (0: none).  A
 * certificate already revoked is OA_ERR_STATE, naming when and why.
 * Does not regenerate the CRL: call ca_crl_publish() after the commit.
 */
oa_err ca_revoke(ca *c, const char *serial, int reason, int64_t invalidity_date,
    const char *actor);

/*
 * Revokes one of agency org's active certificates (as ca_filter's org
 * selects them: its people's and those issued through its cases) for the
 * agency's registry, in one transaction with a second audit record,
 * "cert.revoke.registry", that carries how (via) and the operator's note
 * (NULL or at most 512 bytes of UTF-8).  A certificate that is not the
 * agency's, or not active, is OA_ERR_NOTFOUND and nothing changes.  then
 * (may be NULL) runs in that transaction after the revocation, with the
 * certificate as revoked (its revoked_at is the revocation's time): what it
 * writes (the holder's e-mail in the outbox) commits with the revocation,
 * and its failure undoes the revocation.  Like ca_revoke, it does not
 * regenerate the CRL.
 */
struct ca_cert_info;
oa_err ca_revoke_in_org(ca *c, const char *org, const char *serial, int reason,
    const char *actor, const char *via, const char *note,
    oa_err (*then)(const struct ca_cert_info *revoked, void *arg), void *arg);

/*
 * Generates the next complete CRL of the issuing CA (or of the root with
 * root != 0), numbers it, signs it, publishes it atomically to
 * DIR/pki/issuing.crl (root.crl) and records it.  *der (optional) receives
 * a copy the caller frees.
 */
oa_err ca_crl_publish(ca *c, int root, uint8_t **der, size_t *der_len);

/*
 * Whether the CRL of the issuing CA (or root) is due: none published yet,
 * the last is older than crl.interval_minutes, or its nextUpdate is less
 * than that interval away.  *due is 1 or 0.
 */
oa_err ca_crl_due(ca *c, int root, int *due);

/*
 * Answers one DER OCSPRequest (RFC 6960, RFC 5019 profile).  Always yields
 * a DER OCSPResponse in *resp (malloc'd): malformed input gets the
 * malformedRequest status, not an error.  The return code is for failures
 * to produce any response at all.
 */
oa_err ca_ocsp_respond(ca *c, const uint8_t *req, size_t req_len, uint8_t **resp,
    size_t *resp_len);

/* What ca_ocsp_answer says of the response it made, so that a cache need
 * not decode it: its responseStatus (0: successful), whether it echoes a
 * nonce, producedAt and the nextUpdate of its SingleResponses. */
typedef struct ca_ocsp_meta {
	int status;
	int nonce;
	int64_t produced, next_update;
} ca_ocsp_meta;

/* ca_ocsp_respond, and *meta (may be NULL) of the response. */
oa_err ca_ocsp_answer(ca *c, const uint8_t *req, size_t req_len, uint8_t **resp,
    size_t *resp_len, ca_ocsp_meta *meta);

typedef struct ca_cert_info {
	char serial[41];
	char profile[32];
	char status[16];            /* active, revoked, expired (expiry by time) */
	char subject[512];
	char cn[130];
	char o[260], ou[260], l[516], st[516]; /* subject attributes, "" if absent */
	char nik[17], nip[19];
	char email[OA_MAX_EMAIL_CHARS + 1];
	char key_type[16];
	int64_t not_before, not_after, issued_at;
	int64_t revoked_at, invalidity_date;  /* 0 when not revoked / none */
	int reason;                 /* -1 when not revoked */
} ca_cert_info;

/* Normalises a serial typed by a person ("01:AB..", "0x01ab") to the stored
 * form; OA_ERR_INVALID if it is not one. out has 41 bytes. */
oa_err ca_serial_normalize(const char *in, char out[41]);

/* Looks one certificate up (OA_ERR_NOTFOUND if none). */
oa_err ca_status(ca *c, const char *serial, ca_cert_info *out);

/* Counts for monitoring: certificates issued (all) and revoked. */
oa_err ca_counts(ca *c, int64_t *issued, int64_t *revoked);
/* The latest CRL of each issuer ("root", "issuing"), by issuer name. */
oa_err ca_crl_latest(ca *c, int (*fn)(const char *issuer, int64_t this_update,
    int64_t next_update, int64_t number, void *arg), void *arg);
/* Its DER (malloc'd, caller frees). */
oa_err ca_cert_der(ca *c, const char *serial, uint8_t **der, size_t *len);

typedef struct ca_filter {
	const char *status;         /* NULL, "active", "revoked" or "expired" */
	const char *nik;            /* NULL or 16 digits */
	int expiring_days;          /* > 0: active and expiring within that many days */
	const char *org;            /* NULL, or an agency: the certificates of its people
	                             * (their NIK) and those issued through its cases */
	const char *serial;         /* NULL or a stored serial (ca_serial_normalize) */
	const char *text;           /* NULL, or 1..64 bytes the common name contains
	                             * (ASCII letters compared without case) */
	int newest_first;           /* 1: newest first (else by issue time, oldest first) */
} ca_filter;

/* Calls fn for each matching certificate, ordered by issue time.  fn
 * returning non-zero stops the walk. */
oa_err ca_list(ca *c, const ca_filter *f, int (*fn)(const ca_cert_info *, void *),
    void *arg);

/* The CA hierarchy's certificates in use (the newest of each role in
 * ca_cert) and when to act on their expiry. */
typedef struct ca_cert_expiry {
	const char *role;           /* "root", "issuing", "ocsp" (static) */
	char serial[41];
	int64_t not_before, not_after;
	/* ocsp: from when it is renewed (ca.ocsp_renew_days, or a quarter of its
	 * lifetime if less, before not_after); root, issuing: from when /healthz
	 * warns (ca.expiry_warning_days before not_after). */
	int64_t renew_at;
} ca_cert_expiry;

/* Calls fn for the root, issuing and OCSP responder certificates in use;
 * fn returning non-zero stops the walk. */
oa_err ca_cert_expiries(ca *c, int (*fn)(const ca_cert_expiry *, void *), void *arg);

typedef struct ca_ocsp_renewal {
	int renewed;                /* 0: not due (and not forced) */
	char old_serial[41], new_serial[41];
	int64_t old_not_after, new_not_after, renew_at;
	int new_key;                /* 0: a PKCS#11 token's key certified again */
} ca_ocsp_renewal;

/*
 * Renews the delegated OCSP responder when due (force: at once): a new key
 * pair made by a freshly started signer (DIR/keys/ocsp.key replaced; with a
 * PKCS#11 token its responder key is certified again), a new certificate
 * from the issuing CA with the same profile (digitalSignature,
 * id-kp-OCSPSigning, id-pkix-ocsp-nocheck) valid ca.ocsp_validity_days
 * (inside the issuing CA's validity), DIR/pki/ocsp.crt rewritten, the
 * certificate recorded in ca_cert (the old ones stay there, unused) with
 * the audit record "ca.renew".  Every handle picks the new responder up:
 * those of this process with their next signing operation, other
 * processes' within CA_RELOAD_CHECK_S seconds.  Serialised across
 * processes by DIR/pki/.ocsp.lock.  Not inside a caller's transaction.
 */
oa_err ca_ocsp_renew(ca *c, int force, const char *actor, ca_ocsp_renewal *out);

/* The time-stamping authority's certificate lives this many days (at most
 * the issuing CA's validity). */
#define CA_TSA_VALIDITY_DAYS 1095

/*
 * RFC 3161: answers a TimeStampReq (DER, at most OA_MAX_TSQ_BYTES) with a
 * TimeStampResp (DER, *resp malloc'd) from the instance's TSA, under the
 * policy ca.tsa_policy: granted with a token, or a rejection the client can
 * read (bad algorithm, policy, extension, format).  OA_ERR_STATE when the
 * instance has no TSA (made before openams had one, or a PKCS#11 token);
 * OA_ERR_LIMIT for an oversized request.  No store access.
 */
oa_err ca_timestamp(ca *c, const uint8_t *req, size_t len, uint8_t **resp, size_t *resp_len);
/* The TSA certificate (borrowed), or NULL when the instance has none. */
X509 *ca_tsa_cert(ca *c);

/* PEM of the issuing CA then the root, or the root alone. */
oa_err ca_chain_pem(ca *c, int root_only, oa_buf *out);

#endif
