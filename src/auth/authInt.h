/*
 * authInt.h - private to src/auth: the handle, transactions, token and
 * hashing helpers shared by the module's files.
 */
#ifndef OA_AUTH_INT_H
#define OA_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"

#define AUTH_KEY_BYTES 32
#define AUTH_RAW_TOKEN 32

struct auth {
	inst *in;
	store *db;
	const conf *cf;
	int key_loaded;
	uint8_t key[AUTH_KEY_BYTES];   /* master key from auth.key_file */
	char *dummy_hash;              /* Argon2 hash of nothing, for unknown accounts */
};

/* Random 32 bytes into raw and their base64url (no padding) into b64
 * (AUTH_TOKEN_LEN + 1 bytes). */
void auth_random_token(uint8_t raw[AUTH_RAW_TOKEN], char *b64);
/* Decodes a base64url token of exactly AUTH_TOKEN_LEN characters into raw;
 * 0 on success, -1 if it is not one. */
int auth_decode_token(const char *b64, uint8_t raw[AUTH_RAW_TOKEN]);
/* SHA-256 of n bytes. */
void auth_sha256(const void *p, size_t n, uint8_t out[32]);

/* The master key, loaded (or created 0600) on first use. */
oa_err auth_key(auth *a, const uint8_t **key);

/* 1 if the person exists. */
int auth_person_exists(auth *a, const char *id);
/* 1 if the org exists. */
int auth_org_exists(auth *a, const char *id);
/* 1 if person is enabled (exists and not disabled). */
int auth_person_enabled(auth *a, const char *id);

/* Internal session insertion (login). */
oa_err auth_session_insert(auth *a, const char *person, const char *org, const char *method,
    auth_session_new *out);
/* Revokes the sessions of person except the one hashing to keep (NULL: all). */
oa_err auth_sessions_revoke_person(auth *a, const char *person, const uint8_t *keep,
    int64_t *n);

/* TOTP: checks code against the person's active secret at now with a +-1
 * window, refusing steps <= the last used one.  *ok 1 and *step the matched
 * step on success.  enrolled is 0 when there is no active secret (then
 * *ok is 1).  Does not write. */
oa_err auth_totp_check(auth *a, const char *person, const uint8_t *blob, size_t blob_len,
    int64_t last_step, const char *code, int64_t now, int *ok, int64_t *step);

/* Argon2: verifies in constant time; *ok 1 on match.  *stale 1 if the hash
 * was made with other parameters than the configured ones. */
oa_err auth_argon2_verify(auth *a, const char *encoded, const char *password, int *ok,
    int *stale);
/* Hashes password under the configured parameters; caller frees *out. */
oa_err auth_argon2_hash(auth *a, const char *password, char **out);

#endif
