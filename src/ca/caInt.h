/*
 * caInt.h - private to the ca module: profiles, the CA handle, DER writing,
 * the pre-issuance lint.
 */
#ifndef OA_CAINT_H
#define OA_CAINT_H

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../common/der.h"
#include "../conf/conf.h"
#include "../signer/signer.h"
#include "ca.h"

/* Subject attributes a profile may name. */
enum {
	ATTR_C = 1 << 0,
	ATTR_ST = 1 << 1,
	ATTR_L = 1 << 2,
	ATTR_O = 1 << 3,
	ATTR_OU = 1 << 4,
	ATTR_CN = 1 << 5,
	ATTR_SERIALNUMBER = 1 << 6,
	ATTR_UID = 1 << 7,
};

enum need { NEED_NO, NEED_OPTIONAL, NEED_REQUIRED };

#define PROFILE_MAX_EKU 8
#define PROFILE_MAX_POLICIES 4
#define CA_MAX_POLICIES 8      /* OIDs in ca.policies */
#define CA_MAX_INTERMEDIATES 4 /* CAs between the issuing CA and an external root */

/* Extensions shared by init.c (CA certificates) and profile.c (end entities). */
oa_err profile_crldp(STACK_OF(X509_EXTENSION) *sk, const char *url);
oa_err profile_aia(STACK_OF(X509_EXTENSION) *sk, const char *ocsp, const char *issuers);
oa_err profile_policies(STACK_OF(X509_EXTENSION) *sk, const char (*oids)[64], int n,
    const char *cps);

typedef struct ca_profile {
	char name[32];
	char description[256];
	int validity_days;           /* 0 when validity_months is set */
	int validity_months;         /* calendar months (validity_years: 12 each), or 0 */
	int max_validity_days;
	unsigned key_types;          /* bit i: key type names[i] in profile.c */
	unsigned key_usage;          /* X509v3_KU_* bits */
	int key_usage_critical;
	int neku;
	char eku[PROFILE_MAX_EKU][64];   /* dotted OIDs */
	int npolicies;
	char policies[PROFILE_MAX_POLICIES][64];
	unsigned subject_required;   /* ATTR_* */
	unsigned subject_allowed;    /* ATTR_* */
	char country[3];
	enum need nik, nip, email;
	int email_domain_policy;     /* apply policy.email_suffix */
	int one_active_per_nik;
	/* Extensions built once from the profile and the configuration. */
	STACK_OF(X509_EXTENSION) *fixed_ext;
} ca_profile;

/* SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 (ocsp.c). */
#define CA_CERTID_MDS 5

struct ca {
	char dir[OA_MAX_PATH];
	const conf *cfg;             /* the instance's (borrowed), or own_cfg */
	store *db;                   /* the instance's (borrowed), or own_db */
	conf *own_cfg;               /* ca_open and the signer side: freed with the CA */
	store *own_db;
	ca_profile *profiles;
	size_t nprofiles;
	X509 *cert[SIGNER__MAX];     /* root, issuing, ocsp */
	STACK_OF(X509) *inter;       /* CAs between the issuing CA and an external root
	                              * (pki/chain.pem), or NULL */
	int64_t cert_id[SIGNER__MAX];
	signer *sig;                 /* NULL until the first signing operation */
	ca_signers *shared;          /* or these (borrowed): sig then stays NULL */
	unsigned ocsp_gen;           /* ca_ocsp_generation when the certificates were read */
	int64_t ocsp_checked;        /* monotonic seconds of the last look at the store */
	int signer_in_process;       /* benchmarks: no separate signer process */
	/* CertID material of the issuing CA for OCSP, one per hash algorithm a
	 * request may use (RFC 6960 4.1.1: the request's hashAlgorithm). */
	struct ca_certid_hash {
		int nid;
		unsigned len;
		uint8_t name[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
	} certid[CA_CERTID_MDS];
};

/* profile.c */
/* t plus n calendar months (UTC), the day of the month kept, or the month's
 * last day when it has no such day (Feb 29 + 12 months = Feb 28). */
int64_t ca_add_months(int64_t t, int n);
/* notAfter of a certificate of profile p valid from not_before: days
 * (when not 0: the request's override) or the profile's validity_days
 * later; or, for a profile in calendar months, not_before plus those months
 * less one second (RFC 5280 4.1.2.5: notAfter is inclusive). */
int64_t ca_not_after(const ca_profile *p, int days, int64_t not_before);
oa_err profile_load(const char *path, const conf *cfg, ca_profile *out);
oa_err profile_load_dir(const char *dir, const conf *cfg, ca_profile **out, size_t *n);
void profile_free_all(ca_profile *p, size_t n);
const ca_profile *profile_find(const ca *c, const char *name);
int profile_key_type_allowed(const ca_profile *p, const char *key_type);
/* Builds the profile's fixed extensions for issuer. */
oa_err profile_build_ext(ca_profile *p, const conf *cfg, X509 *issuer);

/* lint.c: checks an unsigned certificate before it is signed.  key, when
 * not NULL, is its public key already decoded (saves decoding it again). */
oa_err ca_lint(const ca_profile *p, const conf *cfg, X509 *x, X509 *issuer, EVP_PKEY *key);

/* The DER writer of the fast CRL: src/common/der.h. */

/* crl.c: an exclusive lock on DIR/rel across processes (the CRL's
 * pki/.crl.lock, the OCSP renewal's pki/.ocsp.lock): the descriptor to
 * close, or -1. */
int ca_lock_file(ca *c, const char *rel);

/* init.c: writes x as PEM to DIR/name (0600, atomically); appends the PEM
 * to chain too when it is not NULL. */
oa_err ca_write_pem_cert(const char *dir, const char *name, X509 *x, oa_buf *chain);

/* ca.c */
oa_err ca_signer(ca *c, signer **out);
/* The signer options of c (strings point into pass/pin or c). */
oa_err ca_signer_opts(ca *c, signer_opts *o, char pass[OA_MAX_PATH], char pin[OA_MAX_PATH],
    char exe[OA_MAX_PATH], char *argv[5]);
/* Bumped by a renewal of the OCSP responder in this process. */
unsigned ca_ocsp_generation(void);
void ca_ocsp_generation_bump(void);
/* Picks up a renewed OCSP responder (this process's renewal at once, another
 * process's within CA_RELOAD_CHECK_S): the newest certificate from the store,
 * and a new signer with the next operation. */
#define CA_RELOAD_CHECK_S 5
oa_err ca_refresh(ca *c);

/* init.c: records a CA-hierarchy certificate in ca_cert with its audit
 * record (action "ca.create", "ca.renew"). */
oa_err ca_store_cert(store *db, const char *role, X509 *x, const char *key_type, int64_t now,
    const char *actor, const char *action);
oa_err ca_key_hashes(ca *c);

/* checks.c: what the signer process re-checks, and its view of the CA. */
signer_checks ca_signer_checks(ca *c);
/* 1 if an OCSP CertID names the issuing CA, 0 another issuer, -1 unusable. */
int ca_certid_ours(ca *c, OCSP_CERTID *cid);

/* init.c: the OCSP responder's (tsa 0) or the TSA's (tsa 1) certificate for
 * key, signed by issuer_key, valid days from now; the TSA's audit record. */
oa_err ca_build_service_cert(const conf *cfg, int tsa, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t now, int days, X509 **out);
oa_err ca_audit_tsa(store *db, X509 *x, const char *actor);

/* extroot.c: the issuing CA's subject (C, O, CN=ca.issuing_name) added to nm;
 * its PKCS#10 request for key written to path (PEM, 0600); ca_on lets a
 * handle of an instance waiting for its certificate open (without
 * certificates: it must sign nothing) while init's own setup runs. */
oa_err ca_issuing_name(const conf *cfg, X509_NAME *nm);
oa_err ca_extroot_csr(const conf *cfg, EVP_PKEY *key, const char *path);
void ca_extroot_allow_pending(int on);
int ca_extroot_pending_allowed(void);

/* Hex serial (stored form) of a certificate's serialNumber. */
oa_err ca_serial_hex(const ASN1_INTEGER *ai, char out[41]);

#endif
