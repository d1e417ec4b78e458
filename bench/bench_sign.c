/*
 * bench_sign.c - the speed of PAdES signing and verification (issue 18's
 * targets: at least 500 signatures per second of a one-page PDF on two
 * cores, the passphrase KDF excluded; a 4 MB PDF carrying 8 signatures
 * verified in at most 100 ms).
 *
 *   bench_sign [--seconds S] [--reps R] [--mb M] [--sigs K] [--no-peer]
 *
 * 1. sign_pdf() of a one-page PDF with an in-process key (ECDSA P-256 and
 *    RSA 2048, a chain of two embedded), on 1 and on 2 threads, for S
 *    seconds, R times: the median signatures per second.  Beside it, the
 *    peer for the cryptographic part: OpenSSL's CMS_sign (detached,
 *    SHA-256, no PDF work) of the same bytes on one thread.
 * 2. A PDF of M MB (an incompressible stream) signed K times, then
 *    sign_verify_pdf() of it (byte ranges, CMS, chain): the median of R*5
 *    runs in ms; beside it poppler's pdfsig on the same file (a process,
 *    NSS), the median of R runs.
 *
 * Prints one line per figure and a summary; exits 1 only if something
 * fails (never on speed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/util.h"
#include "sign/sign.h"

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

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_sign: %s: %s\n", what, oa_errmsg());
	ERR_print_errors_fp(stderr);
	exit(1);
}

static EVP_PKEY *keygen(const char *spec)
{
	EVP_PKEY *k = strcmp(spec, "rsa") == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	if (!k)
		die("key generation");
	return k;
}

static X509 *cert_for(EVP_PKEY *k, const char *cn, X509 *issuer, EVP_PKEY *ikey, int is_ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(now_s() * 1000) & 0x7fffffff);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (!X509_sign(x, ikey ? ikey : k, EVP_sha256()))
		die("certificate");
	X509_NAME_free(n);
	return x;
}

/* A PDF of one page whose content stream holds extra random bytes. */
static void make_pdf(oa_buf *b, size_t extra)
{
	size_t off[5], x;
	uint8_t *rnd = malloc(extra + 1);

	if (!rnd || RAND_bytes(rnd, (int)extra + 1) != 1)
		die("random");
	oa_buf_printf(b, "%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n");
	off[0] = b->len;
	oa_buf_printf(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[1] = b->len;
	oa_buf_printf(b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[2] = b->len;
	oa_buf_printf(b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
	    "/Contents 4 0 R >>\nendobj\n");
	off[3] = b->len;
	oa_buf_printf(b, "4 0 obj\n<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 720 Td (Surat Tugas) Tj ET\n"
	    "endstream\nendobj\n");
	off[4] = b->len;
	oa_buf_printf(b, "5 0 obj\n<< /Length %zu >>\nstream\n", extra);
	oa_buf_append(b, rnd, extra);
	oa_buf_printf(b, "\nendstream\nendobj\n");
	x = b->len;
	oa_buf_printf(b, "xref\n0 6\n0000000000 65535 f\r\n");
	for (int i = 0; i < 5; i++)
		oa_buf_printf(b, "%010zu 00000 n\r\n", off[i]);
	oa_buf_printf(b, "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", x);
	free(rnd);
}

typedef struct job {
	const oa_buf *pdf;
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	double seconds;
	int peer;          /* OpenSSL's CMS_sign instead of sign_pdf */
	long done;
} job;

static void *worker(void *arg)
{
	job *j = arg;
	double end = now_s() + j->seconds;
	sign_opts o = {.reason = "Persetujuan", .location = "Jakarta"};

	while (now_s() < end) {
		for (int i = 0; i < 10; i++) {
			if (j->peer) {
				BIO *in = BIO_new_mem_buf(j->pdf->data, (int)j->pdf->len);
				CMS_ContentInfo *c = CMS_sign(j->cert, j->key, j->chain, in,
				    CMS_DETACHED | CMS_BINARY);
				unsigned char *der = NULL;
				if (!c || i2d_CMS_ContentInfo(c, &der) <= 0)
					die("CMS_sign");
				OPENSSL_free(der);
				CMS_ContentInfo_free(c);
				BIO_free(in);
			} else {
				uint8_t *out = NULL;
				size_t n = 0;
				if (sign_pdf(j->pdf->data, j->pdf->len, j->key, j->cert, j->chain, &o, &out, &n))
					die("sign_pdf");
				free(out);
			}
			j->done++;
		}
	}
	return NULL;
}

static double rate(const oa_buf *pdf, EVP_PKEY *k, X509 *c, STACK_OF(X509) *chain, int threads,
    double secs, int peer)
{
	pthread_t t[2];
	job j[2];
	double t0 = now_s(), el;
	long total = 0;

	for (int i = 0; i < threads; i++) {
		j[i] = (job){pdf, k, c, chain, secs, peer, 0};
		if (pthread_create(&t[i], NULL, worker, &j[i]))
			die("thread");
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += j[i].done;
	}
	el = now_s() - t0;
	return (double)total / el;
}

int main(int argc, char **argv)
{
	double secs = 1.0, mb = 4;
	int reps = 3, sigs = 8, peer = 1;
	EVP_PKEY *rk, *ik;
	X509 *root, *inter;
	STACK_OF(X509) *chain = sk_X509_new_null();
	oa_buf one = {0}, big = {0};
	const char *specs[] = {"ec", "rsa"};
	double sign2_ec = 0, verify_ms = 0, pdfsig_ms = -1;
	char tmpl[] = "/tmp/bench-sign-XXXXXX";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) secs = atof(argv[++i]);
		else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc) mb = atof(argv[++i]);
		else if (strcmp(argv[i], "--sigs") == 0 && i + 1 < argc) sigs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--no-peer") == 0) peer = 0;
		else {
			fprintf(stderr, "usage: bench_sign [--seconds S] [--reps R] [--mb M] [--sigs K] [--no-peer]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 100 || sigs < 1 || sigs > 64 || mb < 0 || mb > 60 || secs <= 0)
		return 2;

	rk = keygen("ec");
	root = cert_for(rk, "Bench Root", NULL, NULL, 1);
	ik = keygen("ec");
	inter = cert_for(ik, "Bench Issuing CA", root, rk, 1);
	sk_X509_push(chain, inter);
	sk_X509_push(chain, root);
	make_pdf(&one, 0);
	printf("one-page PDF: %zu bytes; chain of 2 embedded; %d run(s) of %.1f s each; median\n",
	    one.len, reps, secs);

	for (int s = 0; s < 2; s++) {
		EVP_PKEY *k = keygen(specs[s]);
		X509 *c = cert_for(k, "Budi Santoso", inter, ik, 0);
		double r1[100], r2[100], rp[100];
		for (int i = 0; i < reps; i++) {
			r1[i] = rate(&one, k, c, chain, 1, secs, 0);
			r2[i] = rate(&one, k, c, chain, 2, secs, 0);
			rp[i] = peer ? rate(&one, k, c, chain, 1, secs, 1) : 0;
		}
		double m1 = median(r1, reps), m2 = median(r2, reps), mp = peer ? median(rp, reps) : 0;
		printf("sign_pdf %-10s 1 thread: %8.0f sig/s   2 threads: %8.0f sig/s", 
		    s ? "RSA 2048" : "ECDSA P-256", m1, m2);
		if (peer)
			printf("   peer CMS_sign (no PDF) 1 thread: %8.0f/s (openams/peer %.2f)", mp, m1 / mp);
		printf("\n");
		if (s == 0)
			sign2_ec = m2;
		EVP_PKEY_free(k);
		X509_free(c);
	}

	/* a big document, signed sigs times, verified */
	{
		EVP_PKEY *k = keygen("ec");
		X509 *c = cert_for(k, "Siti Aminah", inter, ik, 0);
		uint8_t *cur, *next = NULL;
		size_t n, nn = 0;
		double tv[500];
		sign_report rep;
		X509_STORE *st = X509_STORE_new();
		char path[300], cmd[600];
		FILE *fp;
		int nv = reps * 5;

		X509_STORE_add_cert(st, root);
		make_pdf(&big, (size_t)(mb * 1024 * 1024));
		cur = malloc(big.len);
		memcpy(cur, big.data, big.len);
		n = big.len;
		for (int i = 0; i < sigs; i++) {
			if (sign_pdf(cur, n, k, c, chain, NULL, &next, &nn))
				die("sign_pdf (big)");
			free(cur);
			cur = next;
			n = nn;
		}
		for (int i = 0; i < nv; i++) {
			double t0 = now_s();
			if (sign_verify_pdf(NULL, st, cur, n, &rep))
				die("sign_verify_pdf");
			tv[i] = (now_s() - t0) * 1000;
			for (size_t j = 0; j < rep.n; j++)
				if (!rep.sig[j].intact || !rep.sig[j].trusted) {
					fprintf(stderr, "bench_sign: signature %zu: %s %s\n", j + 1,
					    rep.sig[j].problem, rep.sig[j].trust_problem);
					return 1;
				}
			if (rep.n != (size_t)sigs)
				return 1;
			sign_report_free(&rep);
		}
		verify_ms = median(tv, nv);
		printf("sign_verify_pdf: %.1f MB, %d signatures: %.1f ms (median of %d)\n",
		    (double)n / (1024 * 1024), sigs, verify_ms, nv);
		if (peer && mkdtemp(tmpl)) {
			double tp[100];
			snprintf(path, sizeof path, "%s/big.pdf", tmpl);
			if ((fp = fopen(path, "wb")) != NULL) {
				fwrite(cur, 1, n, fp);
				fclose(fp);
				snprintf(cmd, sizeof cmd, "pdfsig -no-ocsp -nocert '%s' >/dev/null 2>&1", path);
				for (int i = 0; i < reps; i++) {
					double t0 = now_s();
					if (system(cmd) == -1)
						break;
					tp[i] = (now_s() - t0) * 1000;
				}
				pdfsig_ms = median(tp, reps);
				printf("peer pdfsig (poppler, a process, no certificate checks): %.1f ms "
				    "(median of %d; openams/pdfsig %.2f)\n", pdfsig_ms, reps, verify_ms / pdfsig_ms);
				unlink(path);
			}
			rmdir(tmpl);
		}
		free(cur);
		X509_STORE_free(st);
		EVP_PKEY_free(k);
		X509_free(c);
	}
	printf("summary: sign ECDSA P-256 2 threads %.0f sig/s (target >= 500); verify %d MB with %d "
	    "signatures %.1f ms (target <= 100)\n", sign2_ec, (int)mb, sigs, verify_ms);
	oa_buf_free(&one);
	oa_buf_free(&big);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	return 0;
}
