/*
 * fuzz_signer_frames.c - the signer protocol as the signer process reads
 * it: the input is the byte stream on its socket, cut into frames by
 * signer_recv and handled by signer_handle (every operation, with the
 * instance's real keys and checks), until the stream ends or a frame is
 * refused.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ca/caInt.h"
#include "common/util.h"
#include "signer/signerInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static signer_core core;

static signer_core *the_core(void)
{
	static int open;
	static char pass[512];
	ca *c;
	signer_opts o = {0};

	if (open)
		return &core;
	c = fz_ca();
	snprintf(pass, sizeof pass, "%s/secrets/ca.pass", fz_dir());
	o.dir = fz_dir();
	o.backend = "file";
	o.passphrase_file = pass;
	for (int k = 0; k < SIGNER__MAX; k++)
		o.certs[k] = c->cert[k];
	o.checks = ca_signer_checks(c);
	o.in_process = 1;
	if (signer_core_open(&core, &o) != OA_OK) {
		fprintf(stderr, "fuzz: signer: %s\n", oa_errmsg());
		abort();
	}
	open = 1;
	return &core;
}

/* The instance is made before the first input (it takes seconds). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	the_core();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	signer_core *sc = the_core();
	int sv[2];
	uint8_t *msg;
	size_t len;

	/* The stream fits the socket buffer (libFuzzer's -max_len is far below). */
	if (n > 64 * 1024 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	if (n && write(sv[1], d, n) != (ssize_t)n)
		abort();
	close(sv[1]);
	while (signer_recv(sv[0], &msg, &len) == OA_OK) {
		oa_buf out = {0};

		/* The frame ends at an unreadable page: an over-read in OpenSSL faults. */
		(void)signer_handle(sc, fz_guard(msg, len), len, &out);
		oa_buf_free(&out);
		free(msg);
	}
	close(sv[0]);
	return 0;
}
