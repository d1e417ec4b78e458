/*
 * fuzz_ocsp.c - the OCSP responder (ca_ocsp_respond): a DER OCSPRequest as
 * POSTed or base64-decoded from a GET, answered and signed in-process.
 * Every input must yield a response.
 *
 * An input starting with 0x30 is the request itself.  Any other input is a
 * recipe, so that the fuzzer also reaches the answers for this instance's
 * own CA (a fresh key each run: no stored request can name it): byte 1
 * picks the hash algorithm, byte 2 the number of CertIDs (1..4) and a
 * nonce, then each CertID takes a serial (one of the certificates issued
 * at start-up, one revoked, or up to 20 bytes of the input).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ca/caInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char serials[2][41]; /* issued at start: [0] active, [1] revoked */

/* The instance is made before the first input (it takes seconds), with one
 * active and one revoked certificate to ask about. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ca *c = fz_ca();

	for (int i = 0; i < 2; i++) {
		ca_request r = {0};
		ca_issued out = {0};
		char nik[17], cn[32];

		/* a valid NIK (common/nik.h), one per process */
		snprintf(nik, sizeof nik, "31%04u0101%02u%04u", (unsigned)getpid() % 10000u,
		    (unsigned)getpid() / 10000u % 100u, (unsigned)i % 9999u + 1u);
		snprintf(cn, sizeof cn, "Fuzz %d", i);
		r.key = EVP_EC_gen("P-256");
		r.nik = nik;
		r.cn = cn;
		r.email = "fuzz@example.go.id";
		if (r.key && ca_issue(c, &r, &out) == OA_OK)
			snprintf(serials[i], sizeof serials[i], "%s", out.serial);
		ca_issued_free(&out);
		EVP_PKEY_free(r.key);
	}
	if (serials[1][0] && ca_revoke(c, serials[1], 1, 0, "fuzz") != OA_OK)
		serials[1][0] = 0;
	ERR_clear_error();
	return 0;
}

/* A DER OCSPRequest made from the recipe d[0..n) (see the top). */
static unsigned char *recipe(const uint8_t *d, size_t n, int *len)
{
	static const char *mds[] = {"SHA1", "SHA256", "SHA384", "SHA512", "SHA224", "MD5"};
	X509 *issuer = fz_ca()->cert[SIGNER_ISSUING];
	OCSP_REQUEST *rq = OCSP_REQUEST_new();
	const EVP_MD *md;
	unsigned char *der = NULL;
	size_t i = 3, count;

	if (rq == NULL || n < 3)
		goto out;
	md = EVP_get_digestbyname(mds[d[1] % 6]);
	count = 1 + (d[2] & 3);
	for (size_t k = 0; k < count; k++) {
		ASN1_INTEGER *sn = NULL;
		BIGNUM *bn = NULL;
		OCSP_CERTID *id;
		uint8_t pick = i < n ? d[i++] : 0;

		if (pick % 4 < 2 && serials[pick % 4][0])
			BN_hex2bn(&bn, serials[pick % 4]);
		else {
			size_t sl = i < n ? d[i++] % 21 : 0;
			if (sl > n - i)
				sl = n - i;
			bn = BN_bin2bn(d + i, (int)sl, NULL);
			i += sl;
		}
		if (bn == NULL || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
		    (id = OCSP_cert_id_new(md, X509_get_subject_name(issuer),
		         X509_get0_pubkey_bitstr(issuer), sn)) == NULL ||
		    OCSP_request_add0_id(rq, id) == NULL) {
			BN_free(bn);
			ASN1_INTEGER_free(sn);
			goto out;
		}
		BN_free(bn);
		ASN1_INTEGER_free(sn);
	}
	if (d[2] & 4) {
		size_t nl = n - i < 40 ? n - i : 40;
		if (!OCSP_request_add1_nonce(rq, nl ? (unsigned char *)d + i : NULL, nl ? (int)nl : -1))
			goto out;
	}
	*len = i2d_OCSP_REQUEST(rq, &der);
out:
	OCSP_REQUEST_free(rq);
	ERR_clear_error();
	return der;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint8_t *resp = NULL, *made = NULL;
	size_t len = 0;
	int ml = 0;

	if (n && d[0] != 0x30) {
		if ((made = recipe(d, n, &ml)) == NULL || ml <= 0) {
			OPENSSL_free(made);
			return 0;
		}
		d = made;
		n = (size_t)ml;
	}
	d = fz_guard(d, n); /* an over-read in OpenSSL faults */
	if (ca_ocsp_respond(fz_ca(), d, n, &resp, &len) == OA_OK && (resp == NULL || len == 0))
		__builtin_trap();
	free(resp);
	OPENSSL_free(made);
	return 0;
}
