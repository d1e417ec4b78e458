/*
 * signer_probe.c - a long-running user of the CA for the memory test:
 * opens the instance in argv[1], issues one certificate (which starts the
 * signer process and makes it decrypt the issuing key), revokes it,
 * publishes both CRLs (the root key), answers an OCSP request (the
 * responder key) and makes a time-stamp (the TSA key), so the signer has
 * unlocked every key; then prints "<own
 * pid> <signer pid>" and waits for a line on standard input before exiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "ca/caInt.h"
#include "sign/sign.h"

int main(int argc, char **argv)
{
	ca *c;
	ca_request r = {0};
	ca_issued out;
	EVP_PKEY *k;
	char line[16];
	OCSP_REQUEST *rq = OCSP_REQUEST_new();
	OCSP_CERTID *id;
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	unsigned char *req = NULL;
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	int req_len;

	if (argc != 2 || ca_open(argv[1], &c) != OA_OK) {
		fprintf(stderr, "signer_probe: %s\n", oa_errmsg());
		return 1;
	}
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	r.key = k;
	r.cn = "Probe";
	r.o = "Dinas";
	r.nik = "3273010101900001";
	r.email = "probe@kominfo.bandung.go.id";
	if (ca_issue(c, &r, &out) != OA_OK || ca_revoke(c, out.serial, 1, 0, "probe") != OA_OK ||
	    ca_crl_publish(c, 0, NULL, NULL) != OA_OK || ca_crl_publish(c, 1, NULL, NULL) != OA_OK) {
		fprintf(stderr, "signer_probe: %s\n", oa_errmsg());
		return 1;
	}
	ASN1_INTEGER_set(sn, 0x1234);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(c->cert[SIGNER_ISSUING]),
	    X509_get0_pubkey_bitstr(c->cert[SIGNER_ISSUING]), sn);
	if (rq == NULL || id == NULL || OCSP_request_add0_id(rq, id) == NULL ||
	    (req_len = i2d_OCSP_REQUEST(rq, &req)) <= 0 ||
	    ca_ocsp_respond(c, req, (size_t)req_len, &resp, &resp_len) != OA_OK || resp_len < 100) {
		fprintf(stderr, "signer_probe: OCSP: %s\n", oa_errmsg());
		return 1;
	}
	free(resp);
	{
		uint8_t imprint[32] = {1}, *tok = NULL;
		size_t tl = 0;
		if (sign_tst_from_ca(c, imprint, &tok, &tl) != OA_OK) {
			fprintf(stderr, "signer_probe: time-stamp: %s\n", oa_errmsg());
			return 1;
		}
		free(tok);
	}
	OPENSSL_free(req);
	OCSP_REQUEST_free(rq);
	ASN1_INTEGER_free(sn);
	printf("%d %d\n", (int)getpid(), (int)signer_pid(c->sig));
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		line[0] = 0;
	ca_issued_free(&out);
	EVP_PKEY_free(k);
	ca_free(c);
	return 0;
}
