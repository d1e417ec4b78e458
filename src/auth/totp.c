/*
 * totp.c - the second factor: TOTP (RFC 6238 over RFC 4226 HOTP; SHA-1, six
 * digits, 30-second steps: what every authenticator app reads from an
 * otpauth:// QR code), enrolment with a QR code, replay protection.
 *
 * Secrets at rest: 20 random bytes (RFC 4226 section 4, R6: 160 bits),
 * encrypted with AES-256-GCM under a key derived from the auth master key
 * (HMAC-SHA-256(master, "openams auth totp v1")), a random 96-bit nonce per
 * encryption, and the person id as associated data, so that a ciphertext
 * copied onto another account does not decrypt.  Layout of the stored blob:
 *   version (1 byte, 1) || nonce (12) || ciphertext (20) || tag (16).
 *
 * Verification computes the codes of the steps now-1, now and now+1 (RFC
 * 6238 section 5.2: one step of allowed drift each way) with liboath and
 * compares all three in constant time; a step at or before the last one
 * used is refused (section 5.2: "the verifier MUST NOT accept the second
 * attempt of the same OTP"), and the last step is stored with the sign-in.
 *
 * Must never: store or log a secret in clear, or keep one in memory longer
 * than one call (wiped).
 */
#include "authInt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/evp.h>
#include <qrencode.h>
#include <sodium.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"

#define SECRET_BYTES 20
#define NONCE_BYTES  12
#define TAG_BYTES    16
#define BLOB_BYTES   (1 + NONCE_BYTES + SECRET_BYTES + TAG_BYTES)
#define STEP         30
#define DIGITS       6
#define PENDING_TTL  (15 * 60)  /* an enrolment must be confirmed within this */

static oa_err subkey(auth *a, uint8_t out[32])
{
	static const char label[] = "openams auth totp v1";
	const uint8_t *master;
	oa_err rc;

	if ((rc = auth_key(a, &master)))
		return rc;
	crypto_auth_hmacsha256(out, (const uint8_t *)label, sizeof label - 1, master);
	return OA_OK;
}

static void aad(char *out, size_t n, const char *person)
{
	snprintf(out, n, "openams totp v1:%s", person);
}

static oa_err seal(auth *a, const char *person, const uint8_t secret[SECRET_BYTES],
    uint8_t blob[BLOB_BYTES])
{
	uint8_t key[32];
	char ad[AUTH_MAX_ID + 32];
	EVP_CIPHER_CTX *x = NULL;
	int n, ok;
	oa_err rc;

	if ((rc = subkey(a, key)))
		return rc;
	aad(ad, sizeof ad, person);
	blob[0] = 1;
	randombytes_buf(blob + 1, NONCE_BYTES);
	ok = (x = EVP_CIPHER_CTX_new()) != NULL &&
	     EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, blob + 1) == 1 &&
	     EVP_EncryptUpdate(x, NULL, &n, (const uint8_t *)ad, (int)strlen(ad)) == 1 &&
	     EVP_EncryptUpdate(x, blob + 1 + NONCE_BYTES, &n, secret, SECRET_BYTES) == 1 &&
	     n == SECRET_BYTES && EVP_EncryptFinal_ex(x, blob + 1 + NONCE_BYTES + n, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_BYTES,
	         blob + 1 + NONCE_BYTES + SECRET_BYTES) == 1;
	EVP_CIPHER_CTX_free(x);
	oa_wipe(key, sizeof key);
	return ok ? OA_OK : oa_fail_ssl(OA_ERR_CRYPTO, "encrypting the TOTP secret failed");
}

static oa_err unseal(auth *a, const char *person, const uint8_t *blob, size_t len,
    uint8_t secret[SECRET_BYTES])
{
	uint8_t key[32];
	char ad[AUTH_MAX_ID + 32];
	EVP_CIPHER_CTX *x = NULL;
	int n, ok;
	oa_err rc;

	if (len != BLOB_BYTES || blob[0] != 1)
		return oa_fail(OA_ERR_INTERNAL, "stored TOTP secret of %s has an unknown format", person);
	if ((rc = subkey(a, key)))
		return rc;
	aad(ad, sizeof ad, person);
	ok = (x = EVP_CIPHER_CTX_new()) != NULL &&
	     EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, blob + 1) == 1 &&
	     EVP_DecryptUpdate(x, NULL, &n, (const uint8_t *)ad, (int)strlen(ad)) == 1 &&
	     EVP_DecryptUpdate(x, secret, &n, blob + 1 + NONCE_BYTES, SECRET_BYTES) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_BYTES,
	         (void *)(blob + 1 + NONCE_BYTES + SECRET_BYTES)) == 1 &&
	     EVP_DecryptFinal_ex(x, secret + n, &n) == 1;
	EVP_CIPHER_CTX_free(x);
	oa_wipe(key, sizeof key);
	if (!ok) {
		oa_wipe(secret, SECRET_BYTES);
		return oa_fail_ssl(OA_ERR_CRYPTO, "the TOTP secret of %s does not decrypt (wrong "
		                                  "auth.key_file?)", person);
	}
	return OA_OK;
}

/* Matches code against secret at now +- 1 step, all three compared. */
static int match(const uint8_t secret[SECRET_BYTES], const char *code, int64_t now,
    int64_t last_step, int64_t *step)
{
	char want[DIGITS + 1], got[DIGITS + 1];
	int found = 0;

	*step = 0;
	memset(got, 0, sizeof got);
	if (code && strlen(code) == DIGITS && oa_is_digits(code, DIGITS))
		memcpy(got, code, DIGITS);
	for (int k = -1; k <= 1; k++) {
		int64_t t = now + (int64_t)k * STEP;
		int64_t s = t / STEP;
		int eq;
		if (t < 0 || oath_totp_generate((const char *)secret, SECRET_BYTES, (time_t)t, STEP, 0,
		                 DIGITS, want) != OATH_OK)
			continue;
		eq = sodium_memcmp(want, got, DIGITS) == 0;
		if (eq && s > last_step && !found) {
			found = 1;
			*step = s;
		}
	}
	oa_wipe(want, sizeof want);
	return found;
}

oa_err auth_totp_check(auth *a, const char *person, const uint8_t *blob, size_t blob_len,
    int64_t last_step, const char *code, int64_t now, int *ok, int64_t *step)
{
	uint8_t secret[SECRET_BYTES];
	oa_err rc;

	*ok = 0;
	*step = 0;
	if ((rc = unseal(a, person, blob, blob_len, secret)))
		return rc;
	*ok = match(secret, code, now, last_step, step);
	oa_wipe(secret, sizeof secret);
	return OA_OK;
}

/* ---- Enrolment ---- */

static oa_err pct_encode(oa_buf *b, const char *s)
{
	oa_err rc = OA_OK;

	for (; *s && rc == OA_OK; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			rc = oa_buf_append(b, s, 1);
		else
			rc = oa_buf_printf(b, "%%%02X", c);
	}
	return rc;
}

static oa_err xml_escape(oa_buf *b, const char *s)
{
	return oa_buf_html(b, s, strlen(s));
}

/*
 * The URI as a QR code in SVG: one <rect> per horizontal run of dark
 * modules, a four-module quiet zone (ISO/IEC 18004 section 6.3.8), and the
 * label, escaped, as the accessible title.  NUL-terminated, caller frees.
 */
static oa_err qr_svg(const char *uri, const char *label, char **out)
{
	QRcode *q;
	oa_buf b = {0};
	int w, quiet = 4;
	oa_err rc;

	*out = NULL;
	if ((q = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return oa_fail(OA_ERR_INTERNAL, "libqrencode could not encode the enrolment URI");
	w = q->width + 2 * quiet;
	rc = oa_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
	                       " width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\""
	                       " role=\"img\"><title>", w, w, 4 * w, 4 * w);
	if (rc == OA_OK)
		rc = xml_escape(&b, label);
	if (rc == OA_OK)
		rc = oa_buf_printf(&b, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		                       "<g fill=\"#000\">", w, w);
	for (int y = 0; y < q->width && rc == OA_OK; y++)
		for (int x = 0; x < q->width && rc == OA_OK;) {
			int n = 0;
			while (x + n < q->width && (q->data[y * q->width + x + n] & 1))
				n++;
			if (n > 0)
				rc = oa_buf_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>",
				    x + quiet, y + quiet, n);
			x += n > 0 ? n : 1;
		}
	if (rc == OA_OK)
		rc = oa_buf_printf(&b, "</g></svg>\n");
	/* The modules encode the secret: wipe them. */
	oa_wipe(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	if (rc == OA_OK && (rc = oa_buf_append(&b, "", 1)) == OA_OK) {
		*out = (char *)b.data;
		return OA_OK;
	}
	oa_wipe(b.data, b.len);
	oa_buf_free(&b);
	return rc;
}

void auth_totp_enrolment_free(auth_totp_enrolment *e)
{
	if (e == NULL)
		return;
	oa_free_secret(e->secret_b32);
	oa_free_secret(e->uri);
	oa_free_secret(e->svg);
	memset(e, 0, sizeof *e);
}

oa_err auth_totp_enrol(auth *a, const char *person, const char *actor,
    auth_totp_enrolment *out)
{
	uint8_t secret[SECRET_BYTES], blob[BLOB_BYTES];
	const char *issuer = conf_str(a->cf, "instance.name");
	auth_person p;
	store_stmt *st;
	char *b32 = NULL, label[4 * AUTH_MAX_TEXT + OA_MAX_EMAIL_CHARS + 2];
	size_t b32len = 0;
	oa_buf uri = {0};
	int own;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = auth_person_get(a, person, &p)))
		return rc;
	if (p.disabled)
		return oa_fail(OA_ERR_STATE, "account %s is disabled", person);
	randombytes_buf(secret, sizeof secret);
	if ((rc = seal(a, person, secret, blob)))
		goto done;
	if (oath_base32_encode((const char *)secret, sizeof secret, &b32, &b32len) != OATH_OK) {
		rc = oa_fail(OA_ERR_NOMEM, "base32 encoding failed");
		goto done;
	}
	/* Key URI format (Google Authenticator wiki): the label is
	 * "issuer:account", percent-encoded; the issuer is repeated as a
	 * parameter. */
	snprintf(label, sizeof label, "%s:%s", issuer, p.email);
	if ((rc = oa_buf_printf(&uri, "otpauth://totp/")) || (rc = pct_encode(&uri, issuer)) ||
	    (rc = oa_buf_append(&uri, ":", 1)) || (rc = pct_encode(&uri, p.email)) ||
	    (rc = oa_buf_printf(&uri, "?secret=%s&issuer=", b32)) ||
	    (rc = pct_encode(&uri, issuer)) ||
	    (rc = oa_buf_printf(&uri, "&algorithm=SHA1&digits=%d&period=%d", DIGITS, STEP)) ||
	    (rc = oa_buf_append(&uri, "", 1)))
		goto done;
	if ((rc = qr_svg((const char *)uri.data, label, &out->svg)))
		goto done;
	if ((rc = store_tx_begin(a->db, &own)))
		goto done;
	if ((st = store_prepare(a->db, "UPDATE auth_credential SET totp_pending = ?,"
	                               " totp_pending_at = ? WHERE person = ?")) == NULL)
		rc = OA_ERR_STORE;
	else {
		store_bind_blob(st, 1, blob, sizeof blob);
		store_bind_int(st, 2, oa_now());
		store_bind_text(st, 3, person);
		rc = store_run(st);
	}
	if (rc == OA_OK)
		rc = audit_append(a->db, actor ? actor : person, "totp.enrol", person, NULL);
	rc = store_tx_end(a->db, own, rc);
done:
	oa_wipe(secret, sizeof secret);
	if (rc == OA_OK) {
		out->secret_b32 = b32;
		out->uri = (char *)uri.data;
		return OA_OK;
	}
	if (b32)
		oa_free_secret(b32);
	oa_wipe(uri.data, uri.len);
	oa_buf_free(&uri);
	auth_totp_enrolment_free(out);
	return rc;
}

oa_err auth_totp_confirm(auth *a, const char *person, const char *code, const char *actor)
{
	uint8_t secret[SECRET_BYTES], *blob = NULL;
	store_stmt *st;
	size_t len = 0;
	int64_t now = oa_now(), at = 0, step = 0;
	int own, r;
	oa_err rc;

	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	if (code == NULL || strlen(code) > AUTH_MAX_TOTP_CODE)
		return oa_fail_id(OA_ERR_INVALID, "totp_digits", "code", "the code has %d digits",
		    DIGITS);
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "SELECT totp_pending, totp_pending_at FROM auth_credential"
	                               " WHERE person = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, person);
	if ((r = store_step(st)) == STORE_ROW && !store_col_isnull(st, 0)) {
		const void *b = store_col_blob(st, 0, &len);
		if ((blob = malloc(len ? len : 1)) != NULL)
			memcpy(blob, b, len);
		at = store_col_int(st, 1);
	}
	store_reset(st);
	if (r == STORE_ERROR) {
		rc = OA_ERR_STORE;
		goto out;
	}
	if (r != STORE_ROW) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no person %s", person);
		goto out;
	}
	if (blob == NULL && at != 0) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (blob == NULL || now - at > PENDING_TTL) {
		rc = oa_fail_id(OA_ERR_STATE, "totp_expired", NULL,
		    "no authenticator enrolment is waiting for confirmation (they expire after %d "
		    "minutes): start again", PENDING_TTL / 60);
		goto out;
	}
	if ((rc = unseal(a, person, blob, len, secret)))
		goto out;
	r = match(secret, code, now, 0, &step);
	oa_wipe(secret, sizeof secret);
	if (!r) {
		rc = oa_fail_id(OA_ERR_DENIED, "totp_wrong", "code", "the code does not match the new "
		    "authenticator: check the phone's clock and try the next code");
		goto out;
	}
	if ((st = store_prepare(a->db, "UPDATE auth_credential SET totp_secret = totp_pending,"
	                               " totp_pending = NULL, totp_pending_at = NULL,"
	                               " totp_last_step = ? WHERE person = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, step);
	store_bind_text(st, 2, person);
	if ((rc = store_run(st)))
		goto out;
	rc = audit_append(a->db, actor ? actor : person, "totp.confirm", person, NULL);
out:
	free(blob);
	return store_tx_end(a->db, own, rc);
}

oa_err auth_totp_disable(auth *a, const char *person, const char *actor)
{
	store_stmt *st;
	int own;
	oa_err rc;

	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "UPDATE auth_credential SET totp_secret = NULL,"
	                               " totp_pending = NULL, totp_pending_at = NULL"
	                               " WHERE person = ? AND (totp_secret IS NOT NULL OR"
	                               " totp_pending IS NOT NULL)")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, person);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) != 1) {
		rc = oa_fail(auth_person_exists(a, person) ? OA_ERR_STATE : OA_ERR_NOTFOUND,
		    "%s has no authenticator", person);
		goto out;
	}
	rc = audit_append(a->db, actor ? actor : "system", "totp.disable", person, NULL);
out:
	return store_tx_end(a->db, own, rc);
}
