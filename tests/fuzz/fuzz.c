/*
 * fuzz.c - the instance the harnesses share (see fuzz.h).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/err.h"

static char base[256];
static char inst[300];
static ca *the_ca;

static void cleanup(void)
{
	char cmd[320];

	ca_free(the_ca);
	the_ca = NULL;
	if (base[0]) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: could not remove %s\n", base);
	}
}

ca *fz_ca(void)
{
	const char *tmp = getenv("OPENAMS_FUZZ_TMP");
	ca_init_opts o = {0};

	const char *shared = getenv("OPENAMS_FUZZ_INSTANCE");

	if (the_ca)
		return the_ca;
	if (shared && *shared) {
		/* Made by whichever harness comes first (ca_init renames into place
		 * atomically: a loser of the race gets OA_ERR_EXISTS), then opened
		 * by all; a private instance if that fails. */
		o.dir = shared;
		o.share = getenv("OPENAMS_SHARE") ? getenv("OPENAMS_SHARE") : OPENAMS_SHAREDIR;
		oa_err rc = ca_init(&o);

		if ((rc == OA_OK || rc == OA_ERR_EXISTS) &&
		    ca_open(shared, &the_ca) == OA_OK) {
			snprintf(inst, sizeof inst, "%s", shared);
			atexit(cleanup);
			ca_set_signer_in_process(the_ca, 1);
			return the_ca;
		}
		fprintf(stderr, "fuzz: shared instance %s: %s; making a private one\n", shared,
		    oa_errmsg());
		memset(&o, 0, sizeof o);
	}
	if (tmp == NULL || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof base, "%s/openams-fuzz-XXXXXX", tmp);
	if (mkdtemp(base) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(cleanup);
	snprintf(inst, sizeof inst, "%s/inst", base);
	o.dir = inst;
	o.share = getenv("OPENAMS_SHARE") ? getenv("OPENAMS_SHARE") : OPENAMS_SHAREDIR;
	/* passphrase NULL: generated into DIR/secrets/ca.pass */
	if (ca_init(&o) != OA_OK || ca_open(inst, &the_ca) != OA_OK) {
		fprintf(stderr, "fuzz: instance: %s\n", oa_errmsg());
		abort();
	}
	ca_set_signer_in_process(the_ca, 1);
	return the_ca;
}

const char *fz_dir(void)
{
	fz_ca();
	return inst;
}

char *fz_str(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n)
		memcpy(s, d, n);
	s[n] = 0;
	return s;
}

#define GUARD_SPAN (1024 * 1024)

const uint8_t *fz_guard(const uint8_t *d, size_t n)
{
	static uint8_t *region;
	long pg = sysconf(_SC_PAGESIZE);

	if (n > GUARD_SPAN)
		return d;
	if (region == NULL) {
		region = mmap(NULL, GUARD_SPAN + (size_t)pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED || mprotect(region + GUARD_SPAN, (size_t)pg, PROT_NONE)) {
			perror("fuzz: guard page");
			abort();
		}
	}
	if (n)
		memcpy(region + GUARD_SPAN - n, d, n);
	return region + GUARD_SPAN - n;
}
