/*
 * cmd_sign.c - `openams sign pdf`: a PAdES B-B signature on a PDF with a
 * key and certificate read from files.
 *
 * A development and testing command: holders' keys stay sealed in the
 * store and will be used through src/keys, not through this command.  The
 * key file is read into one buffer that is wiped once parsed; an encrypted
 * key file is refused (no prompt).  The output is written atomically, and
 * nothing is written when signing is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../common/util.h"
#include "../sign/sign.h"
#include "cli.h"

#define MAX_PEM_BYTES (256 * 1024) /* a key, certificate or chain file */

static const char usage_text[] =
    "usage: openams sign pdf --in IN.pdf --out OUT.pdf --key KEY.pem --cert CERT.pem\n"
    "                        [--chain CHAIN.pem] [--reason R] [--location L] [--name N]\n"
    "\n"
    "Signs IN.pdf with an invisible PAdES baseline B-B signature (ETSI EN 319 142-1)\n"
    "appended as an incremental update; OUT.pdf starts with IN.pdf's bytes unchanged.\n"
    "KEY.pem: an unencrypted PEM private key (RSA, ECDSA P-256 or P-384) matching\n"
    "CERT.pem; CHAIN.pem: the CA certificates to embed (issuing CA, root), else any\n"
    "certificates after the first in CERT.pem.  --name defaults to the certificate's\n"
    "CN; /M is the current time ($OPENAMS_NOW in tests).\n"
    "\n"
    "Exit status: 0 signed; 1 refused or failed (\"openams: CODE: message\" on stderr,\n"
    "nothing written); 2 usage error.\n";

static int no_prompt(char *buf, int size, int rw, void *u)
{
	(void)buf; (void)size; (void)rw; (void)u;
	return -1;
}

static oa_err load_key(const char *path, EVP_PKEY **key)
{
	char *pem = NULL;
	size_t n = 0;
	BIO *bio;
	oa_err rc;

	if ((rc = oa_read_secret_file(path, MAX_PEM_BYTES, &pem, &n)))
		return rc;
	bio = BIO_new_mem_buf(pem, (int)n);
	*key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_prompt, NULL) : NULL;
	BIO_free(bio);
	oa_free_secret(pem);
	if (!*key)
		return oa_fail_ssl(OA_ERR_INVALID, "%s: not an unencrypted PEM private key", path);
	return OA_OK;
}

/* Every certificate of a PEM file into *sk (at least one). */
static oa_err load_certs(const char *path, STACK_OF(X509) **sk)
{
	uint8_t *pem = NULL;
	size_t n = 0;
	BIO *bio;
	X509 *c;
	oa_err rc;

	if ((rc = oa_read_file(path, MAX_PEM_BYTES, &pem, &n)))
		return rc;
	if ((*sk = sk_X509_new_null()) == NULL || (bio = BIO_new_mem_buf(pem, (int)n)) == NULL) {
		free(pem);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(*sk, c)) {
			X509_free(c);
			break;
		}
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	if (sk_X509_num(*sk) == 0)
		return oa_fail(OA_ERR_INVALID, "%s: no PEM certificate", path);
	return OA_OK;
}

int cmd_sign(int argc, char **argv)
{
	const char *in = NULL, *outp = NULL, *keyp = NULL, *certp = NULL, *chainp = NULL;
	sign_opts o = {0};
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	uint8_t *pdf = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	oa_err rc = OA_OK;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "pdf") != 0)
		return cli_usage("unknown sign command '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--in") == 0) dst = &in;
		else if (strcmp(argv[i], "--out") == 0) dst = &outp;
		else if (strcmp(argv[i], "--key") == 0) dst = &keyp;
		else if (strcmp(argv[i], "--cert") == 0) dst = &certp;
		else if (strcmp(argv[i], "--chain") == 0) dst = &chainp;
		else if (strcmp(argv[i], "--reason") == 0) dst = &o.reason;
		else if (strcmp(argv[i], "--location") == 0) dst = &o.location;
		else if (strcmp(argv[i], "--name") == 0) dst = &o.name;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		}
		if (!dst || i + 1 >= argc)
			return cli_usage("sign pdf: unknown option or missing value '%s'", argv[i]);
		*dst = argv[++i];
	}
	if (!in || !outp || !keyp || !certp)
		return cli_usage("sign pdf needs --in, --out, --key and --cert");

	if ((rc = oa_read_file(in, SIGN_MAX_PDF_BYTES, &pdf, &len)) ||
	    (rc = load_key(keyp, &key)) || (rc = load_certs(certp, &certs)) ||
	    (chainp && (rc = load_certs(chainp, &chain))))
		goto out;
	/* without --chain, certificates after the first in CERT.pem are the chain */
	if (!chain && sk_X509_num(certs) > 1) {
		X509 *c;
		if ((chain = sk_X509_new_null()) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (int i = 1; i < sk_X509_num(certs); i++) {
			if (!X509_up_ref(c = sk_X509_value(certs, i)))
				c = NULL;
			if (!c || !sk_X509_push(chain, c)) {
				X509_free(c);
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	rc = sign_pdf(pdf, len, key, sk_X509_value(certs, 0), chain, &o, &out, &out_len);
	if (!rc)
		rc = oa_write_file_atomic(outp, out, out_len, 0644);
out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	free(pdf);
	free(out);
	return rc ? cli_report(rc) : CLI_OK;
}
