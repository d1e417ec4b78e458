/*
 * bench_keys.c - how long one holder-key unseal takes (Argon2id, verifier,
 * AES-256-GCM open of a PKCS#8 key), for the configured defaults and two
 * other parameter sets, so keys.argon2_* can be sized for the machine.
 * Prints the median of 5 unseals per set (and min and max).
 *
 * Not built by bench/meson.build; build it against the core library:
 *   gcc -std=c17 -O2 -D_GNU_SOURCE -Isrc bench/bench_keys.c \
 *       build-keys/libopenams_core.a -largon2 -lsodium -lcrypto -lpthread \
 *       -o build-keys/bench_keys && build-keys/bench_keys [M T P]...
 * Extra arguments are more sets: memory KiB, iterations, parallelism.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "keys/keysInt.h"

#define RUNS 5

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int run(const char *label, keys_params p, const uint8_t *clear, size_t n)
{
	const char *pass = "kopi tubruk di pagi hari 7";
	keys_binding b = {"budi.santoso", 1, "ec-p256"};
	keys_sealed s;
	double t[RUNS];

	if (keys_seal(pass, &p, &b, clear, n, &s) != OA_OK) {
		fprintf(stderr, "seal: %s\n", oa_errmsg());
		return 1;
	}
	for (int i = 0; i < RUNS; i++) {
		uint8_t *out = NULL;
		size_t on = 0;
		double t0 = now_s();
		if (keys_unseal(pass, &s, &b, &out, &on) != OA_OK) {
			fprintf(stderr, "unseal: %s\n", oa_errmsg());
			return 1;
		}
		t[i] = now_s() - t0;
		keys_secret_free(out, on);
	}
	keys_sealed_free(&s);
	qsort(t, RUNS, sizeof t[0], cmp);
	printf("%-9s m=%7u KiB (%4u MiB) t=%u p=%u  unseal median %.3f s  (min %.3f, max %.3f)\n",
	    label, p.memory_kib, p.memory_kib / 1024, p.iterations, p.parallelism, t[RUNS / 2], t[0],
	    t[RUNS - 1]);
	return 0;
}

int main(int argc, char **argv)
{
	conf *c = conf_new();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *der = NULL;
	int n = k ? i2d_PrivateKey(k, &der) : -1;
	keys_params def, alt1 = {65536, 3, 2}, alt2 = {262144, 2, 2};
	int rc = 0;

	if (c == NULL || n <= 0)
		return 1;
	def.memory_kib = (uint32_t)conf_int(c, "keys.argon2_memory_kib");
	def.iterations = (uint32_t)conf_int(c, "keys.argon2_iterations");
	def.parallelism = (uint32_t)conf_int(c, "keys.argon2_parallelism");
	rc |= run("default", def, der, (size_t)n);
	rc |= run("lighter", alt1, der, (size_t)n);
	rc |= run("heavier", alt2, der, (size_t)n);
	for (int i = 1; i + 2 < argc; i += 3) {
		keys_params x = {(uint32_t)atoi(argv[i]), (uint32_t)atoi(argv[i + 1]),
			(uint32_t)atoi(argv[i + 2])};
		rc |= run("extra", x, der, (size_t)n);
	}
	OPENSSL_clear_free(der, (size_t)n);
	EVP_PKEY_free(k);
	conf_free(c);
	return rc;
}
