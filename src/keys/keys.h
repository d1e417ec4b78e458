/*
 * keys.h - holder key custody: generate a holder's key pair on the server,
 * seal it under the holder's passphrase, unseal it for one signature, and
 * lock it after too many wrong passphrases.
 *
 * Design invariant 3: a holder's private key is never stored or logged in
 * clear.  It is sealed (src/keys/seal.c, format 1):
 *
 *   k = Argon2id(passphrase, salt 16 random bytes, m, t, p) -> 64 bytes
 *   enc_key = k[0..32)     verifier = SHA-256(k[32..64))
 *   ciphertext, tag = AES-256-GCM(enc_key, nonce 12 random bytes,
 *                                 PKCS#8 DER of the private key,
 *                                 AAD = format, holder, key id, key type)
 *
 * and the row keeps salt, (m, t, p), verifier, nonce, ciphertext and tag, so
 * the Argon2id parameters can be raised later: a key keeps the parameters it
 * was sealed with until its passphrase changes, when it is re-sealed with
 * the current ones.  The clear key lives only in locked (mlock), guarded
 * memory during one operation and is wiped right after.
 *
 * Wrong passphrase versus tampering: the verifier tells them apart.  A
 * verifier mismatch is a wrong passphrase (OA_ERR_DENIED, counted).  A
 * verifier match followed by a GCM tag failure, or a key that does not
 * match the stored public key, is an integrity failure (OA_ERR_CRYPTO,
 * audited, not counted): someone changed the ciphertext, tag, nonce or a
 * bound field (holder, key id, key type).  A changed salt or KDF parameter
 * cannot be told from a wrong passphrase and counts as one.  The verifier
 * gives an offline attacker nothing the GCM tag would not: each guess still
 * costs one Argon2id.
 *
 * Counting: an attempt is counted *before* the passphrase is tried, in its
 * own committed transaction, and forgiven only after a success.  So a crash,
 * a kill or a concurrent burst of guesses can never try more than
 * keys.max_failures passphrases; at that many failures the key locks.
 * A locked key stays locked: no function here unlocks it, and a trigger
 * refuses any change to a locked row.  The passphrase-reset SOP revokes the
 * certificate and issues a new one with a new key (nobody can recover a
 * forgotten passphrase).
 *
 * Transactions: keys_create() / keys_draft_store() and
 * keys_bind_certificate() join the caller's open write transaction (as a
 * savepoint) so the SOP engine can make them part of a step; otherwise they
 * open and commit their own.  keys_sign() and keys_change_passphrase() refuse
 * to run inside a transaction (OA_ERR_INTERNAL): their failure count must
 * commit whatever the caller does next.
 *
 * Errors: OA_ERR_INVALID bad argument; OA_ERR_POLICY weak passphrase;
 * OA_ERR_NOTFOUND no such key for that holder; OA_ERR_DENIED wrong
 * passphrase; OA_ERR_STATE key locked, no certificate bound yet, or the
 * certificate is revoked, expired or not yet valid (the status is in the
 * message); OA_ERR_CRYPTO integrity failure.  Messages never contain a
 * passphrase or key material.
 *
 * Signing with a one-time code (the BSrE API's TOTP): a holder may opt in,
 * at a signing with the passphrase (KEYS_WRAP_KEEP), to a second sealing of
 * the same key under the instance's key-wrapping key (src/keys/wrap.c);
 * KEYS_WRAP_USE then signs with that copy, the caller having checked the
 * code.  The passphrase still protects every key whose holder did not.
 *
 * Must never: write a clear private key, a passphrase or a derived key to
 * the store, a log, an audit record or an error message.
 */
#ifndef OA_KEYS_H
#define OA_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "../ca/ca.h"
#include "../inst/inst.h"
#include "../common/err.h"

/* The person whose passphrase is checked; any field may be NULL. */
typedef struct keys_person {
	const char *name;       /* full name; each part of 3+ characters is checked */
	const char *nik;        /* 16 digits */
	const char *nip;        /* 18 digits */
	const char *email;      /* the local part (and its pieces) is checked */
	const char *birth_date; /* YYYY-MM-DD */
} keys_person;

/*
 * Checks a passphrase against the rules (see keys.c: length from
 * keys.passphrase_min_length, at most OA_MAX_PASSPHRASE_BYTES, clean UTF-8,
 * not only digits, 5+ distinct characters, none of a few common words, and
 * nothing from the holder id or the person's data).  OA_ERR_POLICY with the
 * rule broken (never the passphrase) in the message.
 */
oa_err keys_check_passphrase(inst *in, const char *holder, const char *passphrase,
    const keys_person *p);

/*
 * A new key pair, generated and sealed but not stored yet.  Holds no secret.
 * Lets the caller do the slow part (key generation, Argon2id) before it
 * opens its transaction.
 */
typedef struct keys_draft keys_draft;

/*
 * Checks the passphrase, generates a key_type pair (ca_key_type_valid
 * names), makes a PKCS#10 CSR signed by it (subject CN = person's name, or
 * the holder), seals the private key under the passphrase with the
 * configured Argon2id parameters.  Touches no store.  Free the result with
 * keys_draft_free().
 */
oa_err keys_prepare(inst *in, const char *holder, const char *key_type,
    const char *passphrase, const keys_person *p, keys_draft **out);
/* The draft's key id (chosen at random, 1..2^53-1: safe in JSON numbers). */
int64_t keys_draft_id(const keys_draft *d);
/* The CSR as PEM (borrowed, lives as long as the draft). */
const char *keys_draft_csr(const keys_draft *d);
/* Stores the sealed key (state pending) with its audit record.  actor NULL:
 * the holder.  Joins the caller's transaction. */
oa_err keys_draft_store(inst *in, const keys_draft *d, const char *actor);
/* Frees a draft; accepts NULL. */
void keys_draft_free(keys_draft *d);

/*
 * keys_prepare() then keys_draft_store() (actor: the holder).  *key_id is
 * the new key's id; *csr_pem (may be NULL if not wanted) a malloc'd PEM
 * string the caller frees.
 */
oa_err keys_create(inst *in, const char *holder, const char *key_type,
    const char *passphrase, const keys_person *p, int64_t *key_id, char **csr_pem);

/*
 * Records that the certificate serial (issued from this key's CSR) belongs
 * to key_id: the certificate must exist and hold this key's public key.
 * The key goes from pending to active.  Binding the same serial again is a
 * no-op; another serial is OA_ERR_STATE.  Joins the caller's transaction.
 */
oa_err keys_bind_certificate(inst *in, int64_t key_id, const char *serial, const char *actor);

/* Signature schemes.  EC keys always give ECDSA (DER Ecdsa-Sig-Value). */
enum {
	KEYS_SIG_PKCS1 = 0, /* RSA: PKCS#1 v1.5 (RFC 8017 8.2) */
	KEYS_SIG_PSS = 1,   /* RSA: PSS, MGF1 with the same digest, salt = digest length */
};

/* What keys_sign does with the copy of the key wrapped under the
 * instance's key-wrapping key (src/keys/wrap.c), for signing with an
 * e-mailed one-time code instead of the passphrase. */
enum {
	KEYS_WRAP_NONE = 0, /* nothing */
	KEYS_WRAP_KEEP = 1, /* with the passphrase: keep (or renew) the wrapped copy (opt in) */
	KEYS_WRAP_DROP = 2, /* with the passphrase: delete the wrapped copy (opt out) */
	KEYS_WRAP_USE = 3,  /* no passphrase: sign with the wrapped copy; the caller has checked
	                     * the one-time code */
};

typedef struct keys_sign_req {
	const char *holder;
	int64_t key_id;
	const char *passphrase; /* NULL only with KEYS_WRAP_USE */
	const uint8_t *digest;  /* the hash to sign (not the message) */
	size_t digest_len;      /* must match md_nid */
	int md_nid;             /* NID_sha256, NID_sha384 or NID_sha512 */
	int scheme;             /* KEYS_SIG_PKCS1 or KEYS_SIG_PSS (RSA only) */
	const char *actor;      /* NULL: the holder */
	const char *ref;        /* what is signed (a document id), for the audit log; may be NULL */
	int wrap;               /* KEYS_WRAP_*; 0: none */
} keys_sign_req;

/*
 * Signs r->digest with the holder's key: refuses a locked key, an unbound
 * one, or one whose certificate is revoked, expired or not yet valid
 * (OA_ERR_STATE naming the status); counts the attempt, unseals, signs,
 * wipes, records "keys.sign" in the audit log (digest and reference, no
 * secret) and forgives the failures that preceded the success.  The
 * signature is handed out only after that record is durable: *sig is
 * malloc'd, the caller frees it.  Must be called outside a transaction.
 */
oa_err keys_sign(inst *in, const keys_sign_req *r, uint8_t **sig, size_t *siglen);

/*
 * Re-seals the same key under new_pass (new salt and nonce, the current
 * Argon2id parameters); no new certificate.  old_pass wrong counts like a
 * wrong passphrase at signing.  new_pass is checked against the rules and
 * must differ from old_pass.  Must be called outside a transaction.
 */
oa_err keys_change_passphrase(inst *in, const char *holder, int64_t key_id,
    const char *old_pass, const char *new_pass, const keys_person *p);

typedef struct keys_info {
	int64_t id;
	char holder[65];
	char key_type[16];
	char state[12];          /* pending, active, locked */
	char serial[41];         /* "" while pending */
	int failures;            /* counted attempts not yet forgiven */
	int max_failures;        /* keys.max_failures now */
	int locked;              /* state == locked */
	uint32_t memory_kib, iterations, parallelism; /* the key's Argon2id parameters */
	int64_t created_at, sealed_at, locked_at, last_used_at; /* 0: never */
} keys_info;

/*
 * OA_OK when key_id has a copy wrapped for signing with a one-time code
 * (the holder opted in), OA_ERR_NOTFOUND when not.
 */
oa_err keys_totp_enabled(inst *in, int64_t key_id);

/* ---- organisation seals (sealkey.c) ---- */

/* What makes a seal: the organisation (an auth org id), the subject O and
 * CN, the address its activation codes go to, the key type (NULL:
 * ec-p256) and who asks (audit). */
typedef struct keys_seal_req {
	const char *org, *o, *cn, *email, *key_type, *actor;
} keys_seal_req;

typedef struct keys_seal_info {
	char id[33];             /* idSubscriber: 32 lower-case hex */
	char org[65], serial[41], key_type[16];
	char email[OA_MAX_EMAIL_CHARS + 1];
	int64_t created_at;
} keys_seal_info;

/* 1 when id has the form of an idSubscriber. */
int keys_seal_id_valid(const char *id);
/*
 * Generates the seal's key pair, has the CA issue its certificate (profile
 * "seal", subject O and CN), keeps the private key only wrapped under the
 * instance's key-wrapping key, and audits "keys.seal_create": one
 * transaction.  id (the idSubscriber) and serial are filled.
 */
oa_err keys_seal_create(inst *in, const keys_seal_req *q, char id[33], char serial[41]);
/* One seal (OA_ERR_NOTFOUND if none). */
oa_err keys_seal_get(inst *in, const char *id, keys_seal_info *out);
/* The seals of org (NULL: all), oldest first; fn returns non-zero to stop. */
oa_err keys_seal_list(inst *in, const char *org, int (*fn)(const keys_seal_info *, void *),
    void *arg);
/*
 * Signs a SHA-256 digest with the seal's key (ECDSA, or RSA PKCS#1 v1.5)
 * when its certificate is usable (OA_ERR_STATE naming the status), after
 * the record "keys.seal_sign" (serial, digest, ref) has committed.  *sig is
 * malloc'd.  The caller has decided that actor may use the seal.
 */
oa_err keys_seal_sign(inst *in, const char *id, const uint8_t digest[32], const char *actor,
    const char *ref, uint8_t **sig, size_t *siglen);

/* Reads one key's status (no secret).  OA_ERR_NOTFOUND if none. */
oa_err keys_status(inst *in, int64_t key_id, keys_info *out);

/* The holder's key bound to certificate serial: OA_ERR_NOTFOUND if none. */
oa_err keys_find_by_serial(inst *in, const char *serial, int64_t *key_id, char holder[65]);

#endif
