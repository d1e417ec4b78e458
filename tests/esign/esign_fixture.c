/*
 * esign_fixture.c - a holder for the esign tests: a key sealed in the
 * instance under a passphrase, its certificate from the instance's CA and
 * bound to it; optionally revoked.
 *
 *   esign_fixture DIR NIK PASSPHRASE [revoke]
 *
 * Prints the certificate serial.  Exit status 0, or 1 with the error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "keys/keys.h"

int main(int argc, char **argv)
{
	keys_person p = {0};
	ca_request r = {0};
	ca_issued out = {0};
	inst *in = NULL;
	ca *c;
	char holder[64], email[96], *csr = NULL;
	int64_t kid = 0;
	oa_err rc;

	if (argc < 4) {
		fprintf(stderr, "usage: esign_fixture DIR NIK PASSPHRASE [revoke]\n");
		return 2;
	}
	snprintf(holder, sizeof holder, "holder.%s", argv[2]);
	snprintf(email, sizeof email, "pejabat%s@kominfo.go.id", argv[2] + 12);
	p.name = "Pejabat Penandatangan";
	p.nik = argv[2];
	p.email = email;
	if ((rc = inst_open(argv[1], &in)))
		goto out;
	c = inst_ca(in);
	if ((rc = keys_create(in, holder, "ec-p256", argv[3], &p, &kid, &csr)))
		goto out;
	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	r.nik = argv[2];
	r.email = email;
	r.o = "Dinas Kominfo";
	r.actor = "test";
	if ((rc = ca_issue(c, &r, &out)) ||
	    (rc = keys_bind_certificate(in, kid, out.serial, "test")))
		goto out;
	if (argc > 4 && strcmp(argv[4], "revoke") == 0 &&
	    (rc = ca_revoke(c, out.serial, 1, 0, "test")))
		goto out;
	printf("%s\n", out.serial);
out:
	if (rc)
		fprintf(stderr, "esign_fixture: %s: %s\n", oa_err_name(rc), oa_errmsg());
	ca_issued_free(&out);
	free(csr);
	inst_free(in);
	return rc ? 1 : 0;
}
