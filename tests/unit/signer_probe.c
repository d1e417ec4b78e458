/*
 * signer_probe.c - a long-running user of the CA for the memory test:
 * opens the instance in argv[1], issues one certificate (which starts the
 * signer process and makes it decrypt the issuing key), revokes it and
 * publishes a CRL, then prints "<own pid> <signer pid>" and waits for a line
 * on standard input before exiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "ca/caInt.h"

int main(int argc, char **argv)
{
	ca *c;
	ca_request r = {0};
	ca_issued out;
	EVP_PKEY *k;
	char line[16];

	if (argc != 2 || ca_open(argv[1], &c) != OA_OK) {
		fprintf(stderr, "signer_probe: %s\n", oa_errmsg());
		return 1;
	}
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	r.key = k;
	r.cn = "Probe";
	r.o = "Dinas";
	r.nik = "3273000000000001";
	r.email = "probe@kominfo.bandung.go.id";
	if (ca_issue(c, &r, &out) != OA_OK || ca_revoke(c, out.serial, 1, 0, "probe") != OA_OK ||
	    ca_crl_publish(c, 0, NULL, NULL) != OA_OK) {
		fprintf(stderr, "signer_probe: %s\n", oa_errmsg());
		return 1;
	}
	printf("%d %d\n", (int)getpid(), (int)signer_pid(c->sig));
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		line[0] = 0;
	ca_issued_free(&out);
	EVP_PKEY_free(k);
	ca_free(c);
	return 0;
}
