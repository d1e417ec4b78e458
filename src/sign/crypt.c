/*
 * crypt.c - the standard security handler of an encrypted PDF (ISO 32000-1
 * section 7.6.3, ISO 32000-2 section 7.6.4), for appending an incremental
 * update encrypted as the document is.
 *
 * qpdf opens the document with the password and decrypts what we read; it
 * does not give the file key through its C API, so the key is computed here
 * from the trailer's /Encrypt and /ID and the same password: ISO 32000-1
 * algorithms 2, 6 and 7 (revisions 2 to 4: RC4 and AES-128) and ISO 32000-2
 * algorithms 2.A and 2.B (revision 6, AES-256; revision 5, Adobe's
 * deprecated extension, uses a single SHA-256 instead of 2.B).  The key
 * encrypts the update's strings and streams: each object's key (algorithm
 * 1, AES-256 uses the file key itself), RC4, or AES-CBC with a random IV
 * in front and PKCS#5 padding.  Nothing is decrypted here.
 *
 * The signature dictionary's /Contents is never encrypted (ISO 32000-1
 * section 7.6.1), nor is a cross-reference stream (7.5.8.1): pdf.c keeps
 * both out of sign_crypt_strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "signInt.h"

#define TRY(x) do { if ((rc = (x)) != OA_OK) goto out; } while (0)

/* ISO 32000-1 7.6.3.3, algorithm 2 step a: the padding string */
static const uint8_t PAD[32] = {
	0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
	0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
};

/* RC4, which OpenSSL 3 keeps in its legacy provider only. */
static void rc4(const uint8_t *key, size_t klen, uint8_t *buf, size_t n)
{
	uint8_t s[256], t;
	size_t i, j = 0;

	for (i = 0; i < 256; i++)
		s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (j + s[i] + key[i % klen]) & 0xff;
		t = s[i]; s[i] = s[j]; s[j] = t;
	}
	i = j = 0;
	for (size_t k = 0; k < n; k++) {
		i = (i + 1) & 0xff;
		j = (j + s[i]) & 0xff;
		t = s[i]; s[i] = s[j]; s[j] = t;
		buf[k] ^= s[(s[i] + s[j]) & 0xff];
	}
	OPENSSL_cleanse(s, sizeof s);
}

/* out = md(p1 || p2 || p3 || p4); a part of length 0 is left out. */
static int hash(const char *md, uint8_t *out, unsigned *outlen, const void *p1, size_t n1,
    const void *p2, size_t n2, const void *p3, size_t n3, const void *p4, size_t n4)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
	int ok = c && m && EVP_DigestInit_ex(c, m, NULL) == 1 &&
	    (!n1 || EVP_DigestUpdate(c, p1, n1) == 1) && (!n2 || EVP_DigestUpdate(c, p2, n2) == 1) &&
	    (!n3 || EVP_DigestUpdate(c, p3, n3) == 1) && (!n4 || EVP_DigestUpdate(c, p4, n4) == 1) &&
	    EVP_DigestFinal_ex(c, out, outlen) == 1;

	EVP_MD_CTX_free(c);
	EVP_MD_free(m);
	return ok;
}

/* AES-CBC without padding over n bytes (a multiple of 16). */
static int aes_cbc(int enc, const uint8_t *key, size_t klen, const uint8_t iv[16],
    const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;
	int ok = c && EVP_CipherInit_ex(c, klen == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), NULL,
	    key, iv, enc) == 1 && EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 && EVP_CipherFinal_ex(c, out + l1, &l2) == 1 &&
	    (size_t)(l1 + l2) == n;

	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* ISO 32000-2 7.6.4.3.4, algorithm 2.B (revision 6); revision 5: one SHA-256. */
static int hash_r6(int r, const char *pw, size_t pwl, const uint8_t salt[8],
    const uint8_t *udata, size_t ul, uint8_t out[32])
{
	uint8_t k[64], *k1 = NULL, *e = NULL;
	unsigned kl = 32;
	size_t cap = 64 * (pwl + 64 + ul), n;
	int ok = 0;

	if (!hash("SHA256", k, &kl, pw, pwl, salt, 8, udata, ul, NULL, 0))
		return 0;
	if (r == 5) {
		memcpy(out, k, 32);
		ok = 1;
		goto out;
	}
	if ((k1 = malloc(cap)) == NULL || (e = malloc(cap)) == NULL)
		goto out;
	for (int i = 0;;) {
		unsigned sum = 0;
		size_t one = pwl + kl + ul;
		for (int j = 0; j < 64; j++) {
			memcpy(k1 + j * one, pw, pwl);
			memcpy(k1 + j * one + pwl, k, kl);
			if (ul) /* udata is NULL for the user password */
				memcpy(k1 + j * one + pwl + kl, udata, ul);
		}
		n = 64 * one;
		if (!aes_cbc(1, k, 16, k + 16, k1, n, e))
			goto out;
		for (int j = 0; j < 16; j++)
			sum += e[j];
		if (!hash(sum % 3 == 0 ? "SHA256" : sum % 3 == 1 ? "SHA384" : "SHA512", k, &kl, e, n,
		    NULL, 0, NULL, 0, NULL, 0))
			goto out;
		i++;
		if (i >= 64 && e[n - 1] <= i - 32)
			break;
	}
	memcpy(out, k, 32);
	ok = 1;
out:
	if (k1)
		OPENSSL_cleanse(k1, cap);
	if (e)
		OPENSSL_cleanse(e, cap);
	free(k1);
	free(e);
	OPENSSL_cleanse(k, sizeof k);
	return ok;
}

/* The string value of key in dictionary d, at most max bytes, into out. */
static size_t dict_bytes(qpdf_data q, qpdf_oh d, const char *key, uint8_t *out, size_t max)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, key);
	size_t n = 0;
	const char *s;

	if (!qpdf_oh_is_string(q, v))
		return 0;
	s = qpdf_oh_get_binary_string_value(q, v, &n);
	if (!s || n > max)
		return 0;
	memcpy(out, s, n);
	return n;
}

static long long dict_int(qpdf_data q, qpdf_oh d, const char *key, long long dflt)
{
	qpdf_oh v = qpdf_oh_get_key_if_dict(q, d, key);
	return qpdf_oh_is_integer(q, v) ? qpdf_oh_get_int_value(q, v) : dflt;
}

/* A crypt filter's method (7.6.5): /Identity, or /StdCF's /CFM. */
static int cf_method(qpdf_data q, qpdf_oh enc, const char *which)
{
	qpdf_oh name = qpdf_oh_get_key_if_dict(q, enc, which), cf, cfm;
	char key[128];

	if (!qpdf_oh_is_name(q, name) || qpdf_oh_is_name_and_equals(q, name, "/Identity"))
		return SIGN_CRYPT_NONE;
	snprintf(key, sizeof key, "%s", qpdf_oh_get_name(q, name));
	cf = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key_if_dict(q, enc, "/CF"), key);
	cfm = qpdf_oh_get_key_if_dict(q, cf, "/CFM");
	if (qpdf_oh_is_name_and_equals(q, cfm, "/V2"))
		return SIGN_CRYPT_RC4;
	if (qpdf_oh_is_name_and_equals(q, cfm, "/AESV2"))
		return SIGN_CRYPT_AESV2;
	if (qpdf_oh_is_name_and_equals(q, cfm, "/AESV3"))
		return SIGN_CRYPT_AESV3;
	return qpdf_oh_is_name_and_equals(q, cfm, "/None") ? SIGN_CRYPT_NONE : -1;
}

/* Algorithm 2 (revisions 2 to 4): the file key from a padded user password. */
static int key_r4(const sign_crypt *c, const uint8_t pad[32], uint8_t key[16])
{
	uint8_t in[32 + 32 + 4 + SIGN_CRYPT_MAX_ID + 4], h[16];
	size_t n = 0;
	unsigned hl = 16;

	memcpy(in, pad, 32);
	memcpy(in + 32, c->o, 32);
	for (int i = 0; i < 4; i++)
		in[64 + i] = (uint8_t)((unsigned long long)c->perms >> (8 * i));
	memcpy(in + 68, c->id0, c->id0len);
	n = 68 + c->id0len;
	if (c->r >= 4 && !c->meta) {
		memset(in + n, 0xff, 4);
		n += 4;
	}
	if (!hash("MD5", h, &hl, in, n, NULL, 0, NULL, 0, NULL, 0))
		return 0;
	for (int i = 0; c->r >= 3 && i < 50; i++)
		if (!hash("MD5", h, &hl, h, c->keylen, NULL, 0, NULL, 0, NULL, 0))
			return 0;
	memcpy(key, h, c->keylen);
	OPENSSL_cleanse(h, sizeof h);
	return 1;
}

/* Algorithms 4 and 5: does key give the document's /U? */
static int check_u_r4(const sign_crypt *c, const uint8_t key[16])
{
	uint8_t u[32], k[16];
	unsigned hl = 16;

	if (c->r == 2) {
		memcpy(u, PAD, 32);
		rc4(key, c->keylen, u, 32);
		return CRYPTO_memcmp(u, c->u, 32) == 0;
	}
	if (!hash("MD5", u, &hl, PAD, 32, c->id0, c->id0len, NULL, 0, NULL, 0))
		return 0;
	for (int i = 0; i < 20; i++) {
		for (size_t j = 0; j < c->keylen; j++)
			k[j] = key[j] ^ (uint8_t)i;
		rc4(k, c->keylen, u, 16);
	}
	return CRYPTO_memcmp(u, c->u, 16) == 0;
}

static void pad_pw(const char *pw, uint8_t out[32])
{
	size_t n = strlen(pw) > 32 ? 32 : strlen(pw);

	memcpy(out, pw, n);
	memcpy(out + n, PAD, 32 - n);
}

/* Revisions 2 to 4: pw as the user password, else as the owner's (algorithm 7). */
static int open_r4(sign_crypt *c, const char *pw)
{
	uint8_t pad[32], h[16], k[16], key[16];
	unsigned hl = 16;
	int ok = 0;

	pad_pw(pw, pad);
	if (key_r4(c, pad, key) && check_u_r4(c, key))
		ok = 1;
	else {
		/* the owner password's RC4 key decrypts /O into the padded user password */
		if (!hash("MD5", h, &hl, pad, 32, NULL, 0, NULL, 0, NULL, 0))
			goto out;
		for (int i = 0; c->r >= 3 && i < 50; i++)
			if (!hash("MD5", h, &hl, h, 16, NULL, 0, NULL, 0, NULL, 0))
				goto out;
		memcpy(pad, c->o, 32);
		if (c->r == 2)
			rc4(h, c->keylen, pad, 32);
		else
			for (int i = 19; i >= 0; i--) {
				for (size_t j = 0; j < c->keylen; j++)
					k[j] = h[j] ^ (uint8_t)i;
				rc4(k, c->keylen, pad, 32);
			}
		if (key_r4(c, pad, key) && check_u_r4(c, key))
			ok = c->owner = 1;
	}
	if (ok)
		memcpy(c->key, key, c->keylen);
out:
	OPENSSL_cleanse(pad, sizeof pad);
	OPENSSL_cleanse(h, sizeof h);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(key, sizeof key);
	return ok;
}

/* Revisions 5 and 6 (algorithm 2.A): the user password, else the owner's. */
static int open_r6(sign_crypt *c, const char *pw)
{
	static const uint8_t zero[16];
	uint8_t h[32];
	size_t pwl = strlen(pw) > 127 ? 127 : strlen(pw);
	int ok = 0;

	if (hash_r6(c->r, pw, pwl, c->u + 32, NULL, 0, h) && CRYPTO_memcmp(h, c->u, 32) == 0) {
		ok = hash_r6(c->r, pw, pwl, c->u + 40, NULL, 0, h) &&
		    aes_cbc(0, h, 32, zero, c->ue, 32, c->key);
	} else if (hash_r6(c->r, pw, pwl, c->o + 32, c->u, 48, h) &&
	    CRYPTO_memcmp(h, c->o, 32) == 0) {
		ok = hash_r6(c->r, pw, pwl, c->o + 40, c->u, 48, h) &&
		    aes_cbc(0, h, 32, zero, c->oe, 32, c->key);
		c->owner = ok;
	}
	OPENSSL_cleanse(h, sizeof h);
	return ok;
}

oa_err sign_crypt_open(qpdf_data q, const char *password, sign_crypt *c)
{
	qpdf_oh tr = qpdf_get_trailer(q), enc, id;
	long long v, len;
	const char *pw = password ? password : "";
	oa_err rc = OA_OK;

	memset(c, 0, sizeof *c);
	if (!qpdf_is_encrypted(q))
		return OA_OK;
	c->on = 1;
	enc = qpdf_oh_get_key_if_dict(q, tr, "/Encrypt");
	if (!qpdf_oh_is_dictionary(q, enc) ||
	    !qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, enc, "/Filter"), "/Standard"))
		return oa_fail(OA_ERR_INVALID, "encrypted PDF: only the standard (password) security "
		    "handler is supported");
	TRY(oa_buf_printf(&c->ref, "%s", qpdf_oh_unparse(q, qpdf_oh_get_key(q, tr, "/Encrypt"))));
	v = dict_int(q, enc, "/V", 0);
	c->r = (int)dict_int(q, enc, "/R", 0);
	c->perms = dict_int(q, enc, "/P", 0);
	c->meta = !qpdf_oh_is_bool(q, qpdf_oh_get_key_if_dict(q, enc, "/EncryptMetadata")) ||
	    qpdf_oh_get_bool_value(q, qpdf_oh_get_key_if_dict(q, enc, "/EncryptMetadata"));
	id = qpdf_oh_get_key_if_dict(q, tr, "/ID");
	if (qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) >= 1) {
		size_t n = 0;
		const char *s = qpdf_oh_get_binary_string_value(q, qpdf_oh_get_array_item(q, id, 0), &n);
		if (s && n <= SIGN_CRYPT_MAX_ID) {
			memcpy(c->id0, s, n);
			c->id0len = n;
		}
	}
	if (c->r >= 2 && c->r <= 4 && (v == 1 || v == 2 || v == 4)) {
		len = v == 1 ? 40 : dict_int(q, enc, "/Length", 40);
		c->keylen = v == 4 ? 16 : (size_t)len / 8;
		c->stm = c->str = SIGN_CRYPT_RC4;
		if (v == 4) {
			c->stm = cf_method(q, enc, "/StmF");
			c->str = cf_method(q, enc, "/StrF");
		}
		if (c->keylen < 5 || c->keylen > 16 || len % 8 ||
		    dict_bytes(q, enc, "/O", c->o, 48) < 32 || dict_bytes(q, enc, "/U", c->u, 48) < 32)
			TRY(oa_fail(OA_ERR_INVALID, "broken PDF: an /Encrypt dictionary (V %lld R %d) "
			    "without a valid /Length, /O or /U", v, c->r));
		if (!open_r4(c, pw))
			TRY(oa_fail(OA_ERR_INVALID, "PDF password: the password does not open the PDF"));
	} else if ((c->r == 5 || c->r == 6) && v == 5) {
		c->keylen = 32;
		c->stm = cf_method(q, enc, "/StmF");
		c->str = cf_method(q, enc, "/StrF");
		if (dict_bytes(q, enc, "/O", c->o, 48) != 48 || dict_bytes(q, enc, "/U", c->u, 48) != 48 ||
		    dict_bytes(q, enc, "/OE", c->oe, 32) != 32 || dict_bytes(q, enc, "/UE", c->ue, 32) != 32)
			TRY(oa_fail(OA_ERR_INVALID, "broken PDF: an /Encrypt dictionary (R %d) without "
			    "valid /O, /U, /OE and /UE", c->r));
		if (!open_r6(c, pw))
			TRY(oa_fail(OA_ERR_INVALID, "PDF password: the password does not open the PDF"));
	} else
		TRY(oa_fail(OA_ERR_INVALID, "encrypted PDF: security handler V %lld R %d is not "
		    "supported (V 1, 2, 4 with R 2 to 4, V 5 with R 5 or 6 are)", v, c->r));
	if (c->stm < 0 || c->str < 0 || (c->keylen != 32 && (c->stm == SIGN_CRYPT_AESV3 ||
	    c->str == SIGN_CRYPT_AESV3)) || (c->keylen == 32 && (c->stm == SIGN_CRYPT_RC4 ||
	    c->str == SIGN_CRYPT_RC4 || c->stm == SIGN_CRYPT_AESV2 || c->str == SIGN_CRYPT_AESV2)))
		TRY(oa_fail(OA_ERR_INVALID, "encrypted PDF: a crypt filter method that does not fit "
		    "its security handler"));
	/* ISO 32000-1 table 22: bit 6 modify annotations and fill forms, bit 9
	 * fill forms (R >= 3): signing is filling a signature field */
	if (!c->owner && !(c->perms & (1 << 5)) && !(c->r >= 3 && (c->perms & (1 << 8))))
		TRY(oa_fail(OA_ERR_POLICY, "the PDF's permissions (/P %lld) do not allow filling in "
		    "form fields, so not signing: the owner password would", c->perms));
out:
	if (rc)
		sign_crypt_free(c);
	return rc;
}

void sign_crypt_free(sign_crypt *c)
{
	oa_buf_free(&c->ref);
	OPENSSL_cleanse(c, sizeof *c);
}

/* The key for object num gen and method m (algorithm 1; AES-256: the file key). */
static size_t obj_key(const sign_crypt *c, int m, long long num, int gen, uint8_t key[32])
{
	uint8_t in[16 + 5 + 4], h[16];
	unsigned hl = 16;
	size_t n = c->keylen;

	if (m == SIGN_CRYPT_AESV3) {
		memcpy(key, c->key, 32);
		return 32;
	}
	memcpy(in, c->key, n);
	in[n++] = (uint8_t)num;
	in[n++] = (uint8_t)(num >> 8);
	in[n++] = (uint8_t)(num >> 16);
	in[n++] = (uint8_t)gen;
	in[n++] = (uint8_t)(gen >> 8);
	if (m == SIGN_CRYPT_AESV2) {
		memcpy(in + n, "sAlT", 4);
		n += 4;
	}
	if (!hash("MD5", h, &hl, in, n, NULL, 0, NULL, 0, NULL, 0))
		return 0;
	n = c->keylen + 5 > 16 ? 16 : c->keylen + 5;
	memcpy(key, h, n);
	OPENSSL_cleanse(in, sizeof in);
	OPENSSL_cleanse(h, sizeof h);
	return n;
}

/* Appends data encrypted with method m for object num gen to out. */
static oa_err encrypt_with(const sign_crypt *c, int m, long long num, int gen, const uint8_t *in,
    size_t n, oa_buf *out)
{
	uint8_t key[32], iv[16], *p;
	size_t kl, pn;
	oa_err rc = OA_OK;

	if (!c || !c->on || m == SIGN_CRYPT_NONE)
		return oa_buf_append(out, in, n);
	if ((kl = obj_key(c, m, num, gen, key)) == 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "cannot derive an object key");
	if (m == SIGN_CRYPT_RC4) {
		if (n == 0)
			goto out;
		TRY(oa_buf_reserve(out, n));
		p = out->data + out->len;
		memcpy(p, in, n);
		rc4(key, kl, p, n);
		out->len += n;
		goto out;
	}
	/* AES: the IV, then CBC over the data padded as PKCS#5 (7.6.2) */
	pn = n + 16 - n % 16;
	TRY(oa_buf_reserve(out, 16 + 2 * pn));
	if (RAND_bytes(iv, sizeof iv) != 1)
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "no random IV"));
	p = out->data + out->len;
	memcpy(p, iv, 16);
	if (n) /* the plain text, padded, after room for the cipher text */
		memcpy(p + 16 + pn, in, n);
	memset(p + 16 + pn + n, (int)(pn - n), pn - n);
	if (!aes_cbc(1, key, kl, iv, p + 16 + pn, pn, p + 16))
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "AES encryption failed"));
	OPENSSL_cleanse(p + 16 + pn, pn);
	out->len += 16 + pn;
out:
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

oa_err sign_crypt_stream(const sign_crypt *c, long long num, int gen, const uint8_t *in, size_t n,
    oa_buf *out)
{
	return encrypt_with(c, c ? c->stm : SIGN_CRYPT_NONE, num, gen, in, n, out);
}

/*
 * Reads the string token at t[*i] (a literal "(...)" or hex "<...>", section
 * 7.3.4) into s, its bytes; *i moves past it.
 */
static oa_err read_string(const char *t, size_t n, size_t *i, oa_buf *s)
{
	size_t k = *i + 1;
	int depth = 1, hi = -1;
	oa_err rc = OA_OK;

	s->len = 0;
	if (t[*i] == '<') {
		for (; k < n && t[k] != '>' && !rc; k++) {
			int h = oa_hexval((unsigned char)t[k]);
			if (h < 0)
				continue; /* white space */
			if (hi < 0)
				hi = h;
			else {
				uint8_t b = (uint8_t)(hi << 4 | h);
				rc = oa_buf_append(s, &b, 1);
				hi = -1;
			}
		}
		if (!rc && hi >= 0) {
			uint8_t b = (uint8_t)(hi << 4);
			rc = oa_buf_append(s, &b, 1);
		}
		*i = k + 1;
		return rc;
	}
	for (; k < n && !rc; k++) {
		uint8_t b = (uint8_t)t[k];
		if (b == '\\' && k + 1 < n) {
			char e = t[++k];
			const char *esc = e ? strchr("n\nr\rt\tb\bf\f", e) : NULL;
			if (e >= '0' && e <= '7') {
				int v = 0;
				for (int d = 0; d < 3 && k < n && t[k] >= '0' && t[k] <= '7'; d++, k++)
					v = v * 8 + (t[k] - '0');
				k--;
				b = (uint8_t)v;
			} else if (e == '\r' || e == '\n') { /* a line continuation */
				if (e == '\r' && k + 1 < n && t[k + 1] == '\n')
					k++;
				continue;
			} else if (esc && (esc - "n\nr\rt\tb\bf\f") % 2 == 0)
				b = (uint8_t)esc[1];
			else
				b = (uint8_t)e;
		} else if (b == '(')
			depth++;
		else if (b == ')' && --depth == 0)
			break;
		else if (b == '\r') { /* an end of line in a literal is a line feed */
			if (k + 1 < n && t[k + 1] == '\n')
				k++;
			b = '\n';
		}
		rc = oa_buf_append(s, &b, 1);
	}
	*i = k + 1;
	return rc;
}

oa_err sign_crypt_strings(const sign_crypt *c, oa_buf *b, size_t from, long long num, int gen)
{
	oa_buf text = {0}, s = {0}, e = {0};
	size_t i = 0;
	oa_err rc = OA_OK;

	if (!c || !c->on || c->str == SIGN_CRYPT_NONE || from >= b->len)
		return OA_OK;
	TRY(oa_buf_append(&text, b->data + from, b->len - from));
	b->len = from;
	while (i < text.len) {
		char ch = (char)text.data[i];
		if (ch == '(' || (ch == '<' && !(i + 1 < text.len && text.data[i + 1] == '<'))) {
			TRY(read_string((const char *)text.data, text.len, &i, &s));
			e.len = 0;
			TRY(encrypt_with(c, c->str, num, gen, s.data, s.len, &e));
			TRY(oa_buf_append(b, "<", 1));
			TRY(oa_buf_reserve(b, 2 * e.len + 2));
			oa_hex((char *)b->data + b->len, e.data, e.len);
			b->len += 2 * e.len;
			TRY(oa_buf_append(b, ">", 1));
		} else if (ch == '<') {
			TRY(oa_buf_append(b, "<<", 2));
			i += 2;
		} else {
			TRY(oa_buf_append(b, &ch, 1));
			i++;
		}
	}
out:
	oa_buf_free(&text);
	if (s.data)
		OPENSSL_cleanse(s.data, s.len);
	oa_buf_free(&s);
	oa_buf_free(&e);
	return rc;
}
