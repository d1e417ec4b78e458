/*
 * fuzz_cert_tbs.c - the signer's check of a to-be-signed certificate
 * (checks.c check_cert via ca_signer_checks: parse, then the full lint
 * against a profile).  The first byte picks the profile (bit 0) and, with
 * bit 1, names this instance's issuing CA in the certificate (issuer,
 * authority key identifier, a validity from now; its key is fresh each run, so no stored seed
 * can); the rest is the certificate DER as the signer receives it.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/caInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The instance is made before the first input (it takes seconds). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_ca();
	return 0;
}

/* x with this instance's issuing CA as issuer and authority key id. */
static X509 *as_ours(X509 *x)
{
	X509 *ca_cert = fz_ca()->cert[SIGNER_ISSUING];
	X509V3_CTX ctx;
	X509_EXTENSION *aki;
	int at;

	X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
	/* Inside the CA's validity, which began when this run made it. */
	X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, NULL);
	X509_time_adj_ex(X509_getm_notAfter(x), 365, 0, NULL);
	while ((at = X509_get_ext_by_NID(x, NID_authority_key_identifier, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, at));
	X509V3_set_ctx(&ctx, ca_cert, x, NULL, NULL, 0);
	if ((aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	         "keyid:always")) != NULL) {
		X509_add_ext(x, aki, -1);
		X509_EXTENSION_free(aki);
	}
	return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	signer_checks k = ca_signer_checks(fz_ca());
	const unsigned char *p;
	X509 *x;

	if (n < 1)
		return 0;
	p = fz_guard(d + 1, n - 1); /* an over-read in OpenSSL faults */
	if ((x = d2i_X509(NULL, &p, (long)(n - 1))) != NULL && (d[0] & 2))
		x = as_ours(x);
	if (x != NULL) {
		if (k.cert(k.ctx, x, d[0] & 1 ? "seal" : "individual") != OA_OK &&
		    getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "refused: %s\n", oa_errmsg());
		X509_free(x);
	}
	ERR_clear_error();
	return 0;
}
