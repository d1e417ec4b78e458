/*
 * bench_ca.c - the CA benchmark: raw ECDSA signing, issuance (one commit per
 * certificate, group commit, two writer threads), CRL generation and its
 * peak memory, and helpers that run the `openssl ca` peer under the same
 * clock.  bench/run.sh drives the subcommands and writes the report;
 * docs/BENCHMARKS.md says what each figure means.
 *
 * Every subcommand prints human lines and machine lines of the form
 * "RESULT key value" that run.sh collects into the summary table.
 *
 * Subcommands:
 *   sign      [--seconds S] [--tbs-bytes B] [--reps R]  raw P-256 EVP_DigestSign, 1 and 2 threads
 *   gencsr    --n N --out DIR                 N P-256 CSRs, distinct NIKs (DIR/csrs.pem,
 *                                             DIR/csr/NNNNNN.pem)
 *   init      --dir DIR                       ca_init() a fresh data directory
 *   issue     --dir DIR --csrs FILE --mode single|batch|threads
 *             [--batch B] [--threads T] [--tag NAME] [--signer-in-process 1]
 *             (default: the signer process, as in production; the option
 *             signs in this process, to see what the process boundary costs)
 *   crl-setup --dir DIR --n N [--api-max K]   N revoked entries for the issuing CA
 *   crl       --dir DIR --reps R [--tag NAME] CRL generation in a child process
 *   crl-child --dir DIR                       (internal) the measured child
 *   ossl-each --conf F --csrdir D --n N --outdir D [--budget S] [--probe K]
 *   ossl-index --n N --out FILE               an openssl ca index.txt of N revoked lines
 *   spawn     --reps R --tag NAME -- CMD...   wall time and peak RSS of a command
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "ca/ca.h"

#ifndef OPENAMS_SHAREDIR
#define OPENAMS_SHAREDIR "/usr/share/openams"
#endif

/* ---------------------------------------------------------------- helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_ca: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void check(oa_err rc, const char *what)
{
	if (rc != OA_OK)
		die("%s: %s (%s)", what, oa_errmsg(), oa_err_name(rc));
}

/* --name value options; returns the value or def. */
static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	}
	return def;
}

static long opt_l(int argc, char **argv, const char *name, long def)
{
	const char *v = opt(argc, argv, name, NULL);
	return v ? strtol(v, NULL, 10) : def;
}

static const char *need(int argc, char **argv, const char *name)
{
	const char *v = opt(argc, argv, name, NULL);
	if (v == NULL)
		die("%s is required", name);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* VmHWM of this process in KiB (peak RSS so far). */
static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static int64_t count_rows(store *s, const char *sql)
{
	store_stmt *st = store_prepare(s, sql);
	int64_t n = -1;

	if (st == NULL)
		die("prepare %s: %s", sql, oa_errmsg());
	if (store_step(st) == STORE_ROW)
		n = store_col_int(st, 0);
	store_reset(st);
	return n;
}

/* ------------------------------------------------------------------- sign */

struct sign_arg {
	EVP_PKEY *key;
	const uint8_t *tbs;
	size_t tbs_len;
	double deadline;
	int verify;
	const uint8_t *sig;
	size_t sig_len;
	long ops;
	pthread_barrier_t *start;
};

static void *sign_thread(void *p)
{
	struct sign_arg *a = p;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[128];

	pthread_barrier_wait(a->start);
	while (now_s() < a->deadline) {
		for (int i = 0; i < 64; i++) {
			size_t sl = sizeof sig;
			if (a->verify) {
				if (!EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, a->key) ||
				    EVP_DigestVerify(md, a->sig, a->sig_len, a->tbs, a->tbs_len) != 1)
					die("EVP_DigestVerify failed");
			} else if (!EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->key) ||
			    !EVP_DigestSign(md, sig, &sl, a->tbs, a->tbs_len))
				die("EVP_DigestSign failed");
			a->ops++;
		}
	}
	EVP_MD_CTX_free(md);
	return NULL;
}

static double sign_rate(EVP_PKEY *key, const uint8_t *tbs, size_t n, int threads, double secs,
    int verify, const uint8_t *sig, size_t sig_len)
{
	pthread_t th[8];
	struct sign_arg a[8];
	pthread_barrier_t start;
	double t0, t1;
	long total = 0;

	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	t0 = now_s();
	for (int i = 0; i < threads; i++) {
		a[i] = (struct sign_arg){key, tbs, n, t0 + 0.05 + secs, verify, sig, sig_len, 0, &start};
		pthread_create(&th[i], NULL, sign_thread, &a[i]);
	}
	pthread_barrier_wait(&start);
	t0 = now_s();
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		total += a[i].ops;
	}
	t1 = now_s();
	pthread_barrier_destroy(&start);
	return (double)total / (t1 - t0);
}

static int cmd_sign(int argc, char **argv)
{
	double secs = atof(opt(argc, argv, "--seconds", "1.0"));
	size_t tbs_len = (size_t)opt_l(argc, argv, "--tbs-bytes", 645);
	uint8_t *tbs = malloc(tbs_len), sig[128];
	size_t sl = sizeof sig;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int reps = (int)opt_l(argc, argv, "--reps", 3);
	double a1[16], a2[16], av[16], s1, s2, v1;

	if (key == NULL || tbs == NULL || md == NULL || reps < 1 || reps > 16)
		die("cannot make a P-256 key, or bad --reps");
	RAND_bytes(tbs, (int)tbs_len);
	if (!EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) ||
	    !EVP_DigestSign(md, sig, &sl, tbs, tbs_len))
		die("EVP_DigestSign failed");
	EVP_MD_CTX_free(md);
	for (int i = 0; i < reps; i++) {
		a1[i] = sign_rate(key, tbs, tbs_len, 1, secs, 0, NULL, 0);
		a2[i] = sign_rate(key, tbs, tbs_len, 2, secs, 0, NULL, 0);
		av[i] = sign_rate(key, tbs, tbs_len, 1, secs / 2, 1, sig, sl);
	}
	s1 = median(a1, reps);
	s2 = median(a2, reps);
	v1 = median(av, reps);
	printf("ECDSA P-256 + SHA-256 over %zu bytes (%s), %.1f s each, median of %d:\n", tbs_len,
	    OpenSSL_version(OPENSSL_VERSION), secs, reps);
	printf("  sign   1 thread : %10.0f /s\n", s1);
	printf("  sign   2 threads: %10.0f /s\n", s2);
	printf("  verify 1 thread : %10.0f /s  (every CSR's proof of possession costs one)\n", v1);
	printf("RESULT sign_1t %.0f\nRESULT sign_2t %.0f\nRESULT verify_1t %.0f\nRESULT tbs_bytes %zu\n",
	    s1, s2, v1, tbs_len);
	EVP_PKEY_free(key);
	free(tbs);
	return 0;
}

/* ----------------------------------------------------------------- gencsr */

/* A valid NIK (src/common/nik.h) for each i: province 31, regency 71, the
 * district, a day and month of birth in 1990 and a serial, all from i + 1. */
static void bench_nik(char out[17], long i)
{
	char tmp[40];
	long n = i + 1, per = 28L * 12 * 9999, r = n % per;

	snprintf(tmp, sizeof tmp, "3171%02ld%02ld%02ld90%04ld", (n / per) % 100, 1 + r / (12 * 9999),
	    1 + (r / 9999) % 12, 1 + r % 9999);
	memcpy(out, tmp, 16);
	out[16] = 0;
}

static X509_REQ *make_csr(long i, EVP_PKEY **keyout)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	char cn[64], sn[32], nik[17], san[96];

	bench_nik(nik, i);
	snprintf(cn, sizeof cn, "Pegawai Uji %06ld", i + 1);
	snprintf(sn, sizeof sn, "PNOID-%s", nik);
	snprintf(san, sizeof san, "email:pegawai%06ld@bench.go.id", i + 1);
	if (key == NULL || req == NULL || nm == NULL || exts == NULL ||
	    !X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"ID", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8,
	        (const unsigned char *)"Pemerintah Kota Bench", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_serialNumber, V_ASN1_PRINTABLESTRING,
	        (const unsigned char *)sn, -1, -1, 0) ||
	    !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, nm) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    (ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext) || !X509_REQ_add_extensions(req, exts) ||
	    !X509_REQ_sign(req, key, EVP_sha256()))
		die("cannot build CSR %ld", i);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(nm);
	if (keyout)
		*keyout = key;
	else
		EVP_PKEY_free(key);
	return req;
}

static int cmd_gencsr(int argc, char **argv)
{
	long n = opt_l(argc, argv, "--n", 0);
	const char *out = need(argc, argv, "--out");
	char path[4096];
	FILE *all;
	double t0 = now_s();

	if (n <= 0)
		die("--n must be positive");
	snprintf(path, sizeof path, "%s/csr", out);
	if (mkdir(out, 0755) && errno != EEXIST)
		die("mkdir %s: %s", out, strerror(errno));
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/csrs.pem", out);
	if ((all = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	for (long i = 0; i < n; i++) {
		X509_REQ *req = make_csr(i, NULL);
		FILE *one;
		snprintf(path, sizeof path, "%s/csr/%06ld.pem", out, i);
		if ((one = fopen(path, "w")) == NULL)
			die("%s: %s", path, strerror(errno));
		PEM_write_X509_REQ(one, req);
		PEM_write_X509_REQ(all, req);
		fclose(one);
		X509_REQ_free(req);
	}
	if (fclose(all))
		die("writing csrs.pem failed");
	printf("generated %ld P-256 CSRs (distinct NIKs) in %.2f s into %s\n", n, now_s() - t0, out);
	return 0;
}

/* ------------------------------------------------------------------- init */

static void init_dir(const char *dir)
{
	const char *share = getenv("OPENAMS_SHARE");
	ca_init_opts o = {0};

	o.dir = dir;
	o.share = share && *share ? share : OPENAMS_SHAREDIR;
	check(ca_init(&o), "ca_init");
}

static int cmd_init(int argc, char **argv)
{
	const char *dir = need(argc, argv, "--dir");
	double t0 = now_s();

	init_dir(dir);
	printf("initialised %s in %.2f s\n", dir, now_s() - t0);
	return 0;
}

/* ------------------------------------------------------------------ issue */

struct csrset {
	uint8_t *data;
	size_t n;
	const uint8_t **p;
	size_t *len;
};

static void load_csrs(const char *path, struct csrset *cs)
{
	static const char begin[] = "-----BEGIN CERTIFICATE REQUEST-----";
	size_t len, cap = 1024;
	uint8_t *d;
	char *s;

	check(oa_read_file(path, (size_t)1 << 30, &cs->data, &len), "reading the CSRs");
	d = cs->data;
	cs->n = 0;
	cs->p = malloc(cap * sizeof *cs->p);
	cs->len = malloc(cap * sizeof *cs->len);
	for (s = strstr((char *)d, begin); s != NULL;) {
		char *next = strstr(s + 1, begin);
		if (cs->n == cap) {
			cap *= 2;
			cs->p = realloc(cs->p, cap * sizeof *cs->p);
			cs->len = realloc(cs->len, cap * sizeof *cs->len);
		}
		cs->p[cs->n] = (uint8_t *)s;
		cs->len[cs->n] = next ? (size_t)(next - s) : (size_t)((char *)d + len - s);
		cs->n++;
		s = next;
	}
	if (cs->n == 0)
		die("%s holds no CSR", path);
}

struct issue_job {
	const char *dir;
	const struct csrset *cs;
	size_t from, to;        /* CSRs [from, to) */
	size_t batch;
	int single, inproc;
	size_t ok, failed;
	double open_s;
	int idx;
	char first_error[256];
	pthread_barrier_t *start;
};

static void run_issue(struct issue_job *j, ca *c)
{
	size_t cap = j->batch ? j->batch : 1;
	ca_request *r = calloc(cap, sizeof *r);
	ca_issued *out = calloc(cap, sizeof *out);
	oa_err *rcs = calloc(cap, sizeof *rcs);
	char(*msgs)[256] = calloc(cap, sizeof *msgs);

	for (size_t i = j->from; i < j->to; i += cap) {
		size_t n = j->to - i < cap ? j->to - i : cap;
		for (size_t k = 0; k < n; k++) {
			memset(&r[k], 0, sizeof r[k]);
			r[k].csr = j->cs->p[i + k];
			r[k].csr_len = j->cs->len[i + k];
			r[k].actor = "bench";
		}
		if (j->single) {
			oa_err rc = ca_issue(c, &r[0], &out[0]);
			rcs[0] = rc;
			if (rc)
				snprintf(msgs[0], sizeof msgs[0], "%s", oa_errmsg());
		} else {
			oa_err rc = ca_issue_batch(c, r, n, out, rcs, msgs);
			if (rc)
				die("ca_issue_batch: %s", oa_errmsg());
		}
		for (size_t k = 0; k < n; k++) {
			if (rcs[k] == OA_OK)
				j->ok++;
			else {
				if (!j->failed)
					snprintf(j->first_error, sizeof j->first_error, "%s", msgs[k]);
				j->failed++;
			}
			ca_issued_free(&out[k]);
		}
	}
	free(r);
	free(out);
	free(rcs);
	free(msgs);
}

/* The CA keys are unlocked lazily on the first signature (PBKDF2, about a
 * tenth of a second): a running server has done it long ago, so it is done
 * before the clock starts, with one throw-away certificate. */
static void warm_up(ca *c, int idx)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = make_csr(90000000L + idx, &key);
	uint8_t *der = NULL;
	int len = i2d_X509_REQ(req, &der);
	ca_request r = {0};
	ca_issued out;

	r.csr = der;
	r.csr_len = (size_t)len;
	r.actor = "bench-warmup";
	check(ca_issue(c, &r, &out), "warm-up issue");
	ca_issued_free(&out);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static void *issue_thread(void *p)
{
	struct issue_job *j = p;
	ca *c = NULL;
	double t0 = now_s();

	check(ca_open(j->dir, &c), "ca_open");
	ca_set_signer_in_process(c, j->inproc);
	warm_up(c, j->idx);
	j->open_s = now_s() - t0;
	pthread_barrier_wait(j->start);
	run_issue(j, c);
	ca_free(c);
	return NULL;
}

static int cmd_issue(int argc, char **argv)
{
	const char *dir = need(argc, argv, "--dir");
	const char *mode = need(argc, argv, "--mode");
	const char *tag = opt(argc, argv, "--tag", mode);
	size_t batch = (size_t)opt_l(argc, argv, "--batch", 64);
	int threads = (int)opt_l(argc, argv, "--threads", 2);
	int inproc = (int)opt_l(argc, argv, "--signer-in-process", 0);
	struct csrset cs;
	struct issue_job jobs[8];
	pthread_barrier_t start;
	ca *c = NULL;
	double t0, t1;
	size_t ok = 0, failed = 0;
	int64_t rows;
	const char *err = "";

	load_csrs(need(argc, argv, "--csrs"), &cs);
	if (threads < 1 || threads > 8)
		die("--threads must be 1..8");
	if (strcmp(mode, "threads") != 0)
		threads = 1;
	check(ca_open(dir, &c), "ca_open");
	ca_set_signer_in_process(c, inproc);
	warm_up(c, 100);
	pthread_barrier_init(&start, NULL, strcmp(mode, "threads") == 0 ? (unsigned)threads + 1 : 1);
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct issue_job){0};
		jobs[t].dir = dir;
		jobs[t].cs = &cs;
		jobs[t].from = cs.n * (size_t)t / (size_t)threads;
		jobs[t].to = cs.n * (size_t)(t + 1) / (size_t)threads;
		jobs[t].batch = strcmp(mode, "single") == 0 ? 1 : batch;
		jobs[t].single = strcmp(mode, "single") == 0;
		jobs[t].start = &start;
		jobs[t].idx = t;
		jobs[t].inproc = inproc;
	}
	if (strcmp(mode, "threads") == 0) {
		pthread_t th[8];
		for (int t = 0; t < threads; t++)
			pthread_create(&th[t], NULL, issue_thread, &jobs[t]);
		/* Each thread opened its own handle and unlocked its signer
		 * (one warm-up certificate) before the barrier. */
		pthread_barrier_wait(&start);
		t0 = now_s();
		for (int t = 0; t < threads; t++)
			pthread_join(th[t], NULL);
		t1 = now_s();
	} else {
		if (strcmp(mode, "single") != 0 && strcmp(mode, "batch") != 0)
			die("--mode must be single, batch or threads");
		t0 = now_s();
		run_issue(&jobs[0], c);
		t1 = now_s();
	}
	pthread_barrier_destroy(&start);
	for (int t = 0; t < threads; t++) {
		ok += jobs[t].ok;
		failed += jobs[t].failed;
		if (jobs[t].failed && !*err)
			err = jobs[t].first_error;
	}
	/* Rows issued from the benchmark's CSRs (the warm-up ones, i from
	 * 90000000 up, have NIKs of district 26 and are not counted). */
	rows = count_rows(ca_store(c), "SELECT count(*) FROM certificate WHERE substr(nik, 5, 2) < '26'");
	printf("issue %-10s %zu CSRs, %zu issued, %zu refused, %.2f s, %.0f certificates/s;"
	       " rows in the certificate table: %" PRId64 " %s\n",
	    tag, cs.n, ok, failed, t1 - t0, (double)ok / (t1 - t0), rows,
	    rows == (int64_t)cs.n ? "(OK)" : "(MISMATCH)");
	if (failed)
		printf("  first refusal: %s\n", err);
	printf("RESULT issue_%s_rate %.0f\nRESULT issue_%s_secs %.3f\nRESULT issue_%s_rows %" PRId64
	       "\nRESULT issue_%s_failed %zu\n",
	    tag, (double)ok / (t1 - t0), tag, t1 - t0, tag, rows, tag, failed);
	ca_free(c);
	free(cs.data);
	free(cs.p);
	free(cs.len);
	return rows == (int64_t)cs.n && failed == 0 ? 0 : 1;
}

/* -------------------------------------------------------------- CRL setup */

/*
 * The CRL entry exactly as encode_entry() in src/ca/crl.c writes it:
 *   SEQUENCE { INTEGER serial, UTCTime revocationDate,
 *              [ SEQUENCE { SEQUENCE { OID reasonCode, OCTET STRING { ENUMERATED } } } ] }
 * (reasonCode omitted for unspecified; no invalidity date here).  Checked
 * byte for byte against entries ca_revoke() stored before it is used.
 */
static size_t fixture_entry(uint8_t *out, const uint8_t serial[16], int64_t when, int reason)
{
	struct tm tm;
	time_t tt = (time_t)when;
	char t[64];
	size_t n = 0, body;
	int hi = serial[0] & 0x80;

	gmtime_r(&tt, &tm);
	snprintf(t, sizeof t, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	body = 2 + 16 + (hi ? 1 : 0) + 2 + 13 + (reason ? 2 + 2 + 5 + 2 + 3 : 0);
	out[n++] = 0x30;
	out[n++] = (uint8_t)body;
	out[n++] = 0x02;
	out[n++] = (uint8_t)(16 + (hi ? 1 : 0));
	if (hi)
		out[n++] = 0;
	memcpy(out + n, serial, 16);
	n += 16;
	out[n++] = 0x17;
	out[n++] = 13;
	memcpy(out + n, t, 13);
	n += 13;
	if (reason) {
		static const uint8_t ext[] = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15,
		    0x04, 0x03, 0x0a, 0x01};
		memcpy(out + n, ext, sizeof ext);
		n += sizeof ext;
		out[n++] = (uint8_t)reason;
	}
	return n;
}

static void sqlx(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("sqlite: %s: %s", sql, msg ? msg : "?");
}

static int cmd_crl_setup(int argc, char **argv)
{
	const char *dir = need(argc, argv, "--dir");
	long n = opt_l(argc, argv, "--n", 0);
	long api_max = opt_l(argc, argv, "--api-max", 2000);
	ca *c = NULL;
	store *s;
	int64_t have, issuer_id;
	long api_n, sql_n, verified = 0;
	double t0, t_api_issue = 0, t_api_revoke = 0, t_sql = 0;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	uint8_t *sample_der = NULL;
	size_t sample_len = 0;

	check(ca_open(dir, &c), "ca_open");
	s = ca_store(c);
	have = count_rows(s, "SELECT count(*) FROM revocation WHERE issuer_id ="
	                     " (SELECT id FROM ca_cert WHERE role = 'issuing')");
	issuer_id = count_rows(s, "SELECT id FROM ca_cert WHERE role = 'issuing' ORDER BY id DESC LIMIT 1");
	if (have >= n) {
		printf("crl-setup: %s already has %" PRId64 " revoked entries\n", dir, have);
		ca_free(c);
		return 0;
	}
	n -= (long)have;
	api_n = n < api_max ? n : api_max;
	sql_n = n - api_n;

	/* 1. Through the public API: ca_issue_batch (server-generated public key,
	 * one shared key for speed: the fixture needs revoked rows, not keys),
	 * then one write transaction around api_n ca_revoke calls. */
	if (api_n > 0) {
		size_t B = 256;
		ca_request *r = calloc(B, sizeof *r);
		ca_issued *out = calloc(B, sizeof *out);
		oa_err *rcs = calloc(B, sizeof *rcs);
		char(*serials)[41] = calloc((size_t)api_n, sizeof *serials);
		char(*niks)[17] = calloc(B, sizeof *niks);
		char(*emails)[64] = calloc(B, sizeof *emails);
		char(*msgs)[256] = calloc(B, sizeof *msgs);
		long done = 0;

		t0 = now_s();
		while (done < api_n) {
			size_t k = (size_t)(api_n - done) < B ? (size_t)(api_n - done) : B;
			for (size_t i = 0; i < k; i++) {
				long id = 5000000 + have + done + (long)i;
				memset(&r[i], 0, sizeof r[i]);
				bench_nik(niks[i], id);
				snprintf(emails[i], sizeof emails[i], "crl%08ld@bench.go.id", id);
				r[i].key = key;
				r[i].cn = "Pegawai CRL";
				r[i].o = "Pemerintah Kota Bench";
				r[i].nik = niks[i];
				r[i].email = emails[i];
				r[i].actor = "bench";
			}
			check(ca_issue_batch(c, r, k, out, rcs, msgs), "ca_issue_batch");
			for (size_t i = 0; i < k; i++) {
				if (rcs[i])
					die("fixture issue refused: %s", msgs[i]);
				strcpy(serials[done + (long)i], out[i].serial);
				if (sample_der == NULL) {
					sample_der = out[i].der;
					sample_len = out[i].der_len;
					out[i].der = NULL;
				}
				ca_issued_free(&out[i]);
			}
			done += (long)k;
		}
		t_api_issue = now_s() - t0;
		t0 = now_s();
		check(store_begin(s), "store_begin");
		for (long i = 0; i < api_n; i++)
			check(ca_revoke(c, serials[i], CA_REASON_KEY_COMPROMISE, 0, "bench"), "ca_revoke");
		check(store_commit(s), "store_commit");
		t_api_revoke = now_s() - t0;
		free(r);
		free(out);
		free(rcs);
		free(serials);
		free(niks);
		free(emails);
		free(msgs);
	}
	ca_free(c);

	/* 2. Check the fixture encoder against what ca_revoke() stored. */
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		char path[4096];
		snprintf(path, sizeof path, "%s/openams.db", dir);
		if (sqlite3_open(path, &db) != SQLITE_OK)
			die("open %s", path);
		sqlite3_busy_timeout(db, 30000);
		if (sqlite3_prepare_v2(db, "SELECT r.serial, r.entry, c.revoked_at, c.reason, c.der"
		                           " FROM revocation r JOIN certificate c USING (serial)"
		                           " WHERE c.invalidity_date IS NULL LIMIT 200",
		        -1, &st, NULL) != SQLITE_OK)
			die("prepare: %s", sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			uint8_t ser[20], mine[64];
			const char *hex = (const char *)sqlite3_column_text(st, 0);
			long sl = oa_unhex(ser, sizeof ser, hex);
			size_t ml;
			if (sl != 16)
				continue; /* the fixture writes 16-octet serials only */
			ml = fixture_entry(mine, ser, sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3));
			if ((size_t)sqlite3_column_bytes(st, 1) != ml ||
			    memcmp(sqlite3_column_blob(st, 1), mine, ml) != 0)
				die("fixture encoder differs from encode_entry() for serial %s", hex);
			if (sample_der == NULL) {
				sample_len = (size_t)sqlite3_column_bytes(st, 4);
				sample_der = malloc(sample_len);
				memcpy(sample_der, sqlite3_column_blob(st, 4), sample_len);
			}
			verified++;
		}
		sqlite3_finalize(st);
		if (sql_n > 0 && verified == 0)
			die("no API-revoked entry to check the fixture encoder against");

		/* 3. The rest directly with SQL, in one transaction (fixture only:
		 * no audit rows; the certificate DER is a real one, repeated). */
		if (sql_n > 0) {
			sqlite3_stmt *ic, *ir;
			int64_t when = oa_now(), nb = when - 86400;
			t0 = now_s();
			sqlx(db, "PRAGMA synchronous=OFF");
			sqlx(db, "PRAGMA cache_size=-262144");
			sqlx(db, "BEGIN IMMEDIATE");
			if (sqlite3_prepare_v2(db,
			        "INSERT INTO certificate(serial, issuer_id, profile, subject, cn, nik, email,"
			        " key_type, key_source, not_before, not_after, issued_at, status, revoked_at,"
			        " reason, der) VALUES (?, ?, 'individual', ?, ?, ?, ?, 'ec-p256', 'csr', ?, ?, ?,"
			        " 'revoked', ?, 1, ?)",
			        -1, &ic, NULL) != SQLITE_OK ||
			    sqlite3_prepare_v2(db, "INSERT INTO revocation(issuer_id, serial, entry) VALUES (?, ?, ?)",
			        -1, &ir, NULL) != SQLITE_OK)
				die("prepare: %s", sqlite3_errmsg(db));
			for (long i = 0; i < sql_n; i++) {
				uint8_t ser[16], e[64];
				char hex[33], nik[17], cn[40], subj[160], email[64];
				size_t el;
				long id = 10000000 + have + api_n + i;
				RAND_bytes(ser, sizeof ser);
				ser[0] &= 0x7f;
				if (ser[0] == 0)
					ser[0] = 1;
				oa_hex(hex, ser, sizeof ser);
				bench_nik(nik, id);
				snprintf(cn, sizeof cn, "Pegawai %08ld", id);
				snprintf(subj, sizeof subj, "C=ID,O=Pemerintah Kota Bench,CN=%s,serialNumber=PNOID-%s",
				    cn, nik);
				snprintf(email, sizeof email, "p%08ld@bench.go.id", id);
				el = fixture_entry(e, ser, when, CA_REASON_KEY_COMPROMISE);
				sqlite3_bind_text(ic, 1, hex, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(ic, 2, issuer_id);
				sqlite3_bind_text(ic, 3, subj, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(ic, 4, cn, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(ic, 5, nik, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(ic, 6, email, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(ic, 7, nb);
				sqlite3_bind_int64(ic, 8, nb + 730 * 86400);
				sqlite3_bind_int64(ic, 9, nb);
				sqlite3_bind_int64(ic, 10, when);
				sqlite3_bind_blob(ic, 11, sample_der, (int)sample_len, SQLITE_STATIC);
				if (sqlite3_step(ic) != SQLITE_DONE)
					die("insert certificate: %s", sqlite3_errmsg(db));
				sqlite3_reset(ic);
				sqlite3_bind_int64(ir, 1, issuer_id);
				sqlite3_bind_text(ir, 2, hex, -1, SQLITE_TRANSIENT);
				sqlite3_bind_blob(ir, 3, e, (int)el, SQLITE_TRANSIENT);
				if (sqlite3_step(ir) != SQLITE_DONE)
					die("insert revocation: %s", sqlite3_errmsg(db));
				sqlite3_reset(ir);
			}
			sqlite3_finalize(ic);
			sqlite3_finalize(ir);
			sqlx(db, "COMMIT");
			sqlx(db, "PRAGMA wal_checkpoint(TRUNCATE)");
			t_sql = now_s() - t0;
		}
		sqlite3_close(db);
	}
	free(sample_der);
	EVP_PKEY_free(key);
	printf("crl-setup %s: +%ld through the API (ca_issue_batch %.2f s, %ld x ca_revoke in one"
	       " transaction %.2f s = %.0f revocations/s), +%ld by SQL fixture (%.2f s);"
	       " fixture encoder checked against %ld stored entries\n",
	    dir, api_n, t_api_issue, api_n, t_api_revoke,
	    t_api_revoke > 0 ? (double)api_n / t_api_revoke : 0.0, sql_n, t_sql, verified);
	if (api_n > 0)
		printf("RESULT revoke_api_rate %.0f\n", (double)api_n / t_api_revoke);
	return 0;
}

/* -------------------------------------------------------------------- CRL */

static int cmd_crl_child(int argc, char **argv)
{
	const char *dir = need(argc, argv, "--dir");
	ca *c = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	double t0, cold, warm;
	long base, hwm;
	struct rusage ru;

	check(ca_open(dir, &c), "ca_open");
	base = vm_hwm_kib();
	/* First call: includes unlocking the issuing key (PBKDF2). */
	t0 = now_s();
	check(ca_crl_publish(c, 0, &der, &len), "ca_crl_publish (cold)");
	cold = now_s() - t0;
	free(der);
	t0 = now_s();
	check(ca_crl_publish(c, 0, &der, &len), "ca_crl_publish");
	warm = now_s() - t0;
	hwm = vm_hwm_kib();
	free(der);
	ca_free(c);
	/* The signer process (a child of this one) received the TBSCertList
	 * and signed it; its peak counts too.  ca_free() waited for it. */
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("CHILD cold %.4f warm %.4f bytes %zu base_kib %ld hwm_kib %ld signer_kib %ld\n", cold,
	    warm, len, base, hwm, ru.ru_maxrss);
	return 0;
}

/* Runs argv, returns wall seconds; *maxrss_kib from wait4(); output of
 * the child to out_fd (or inherited when -1). */
static double run_child(char **av, long *maxrss_kib, int out_fd, int *status)
{
	struct rusage ru;
	double t0 = now_s(), t1;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (out_fd >= 0) {
			dup2(out_fd, 1);
			close(out_fd);
		}
		execvp(av[0], av);
		_exit(127);
	}
	if (wait4(pid, status, 0, &ru) < 0)
		die("wait4: %s", strerror(errno));
	t1 = now_s();
	*maxrss_kib = ru.ru_maxrss;
	return t1 - t0;
}

static int cmd_crl(int argc, char **argv)
{
	const char *dir = need(argc, argv, "--dir");
	const char *tag = opt(argc, argv, "--tag", "crl");
	int reps = (int)opt_l(argc, argv, "--reps", 3);
	double warm[16], cold[16], peak[16], speak[16];
	size_t bytes = 0;
	long base = 0;
	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);

	if (sl <= 0 || reps < 1 || reps > 16)
		die("bad --reps or no /proc/self/exe");
	self[sl] = 0;
	for (int i = 0; i < reps; i++) {
		char *av[] = {self, "crl-child", "--dir", (char *)dir, NULL};
		char tmpl[] = "/tmp/bench_ca_crl.XXXXXX", line[512];
		int fd = mkstemp(tmpl), status;
		long maxrss;
		FILE *f;
		if (fd < 0)
			die("mkstemp: %s", strerror(errno));
		unlink(tmpl);
		run_child(av, &maxrss, fd, &status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("crl-child failed");
		lseek(fd, 0, SEEK_SET);
		f = fdopen(fd, "r");
		speak[i] = 0;
		while (fgets(line, sizeof line, f)) {
			long hwm, sk;
			if (sscanf(line, "CHILD cold %lf warm %lf bytes %zu base_kib %ld hwm_kib %ld signer_kib %ld",
			        &cold[i], &warm[i], &bytes, &base, &hwm, &sk) == 6) {
				speak[i] = (double)sk;
				/* wait4()'s ru_maxrss is the largest of the child and
				 * the descendants it reaped (the signer): report the
				 * child's own VmHWM and the signer's separately. */
				peak[i] = (double)hwm;
				break;
			}
		}
		fclose(f);
		if (peak[i] <= 0)
			peak[i] = (double)maxrss;
	}
	{
		double mw = median(warm, reps), mc = median(cold, reps), mp = median(peak, reps);
		double ms = median(speak, reps);
		printf("CRL %s (%s): %zu bytes; generation median of %d runs %.3f s"
		       " (first call in a process, with the issuing key unlock: %.3f s);"
		       " peak RSS (VmHWM) of the calling process %.1f MiB (%.1f MiB after ca_open, before"
		       " the CRL), of the signer process %.1f MiB\n",
		    tag, dir, bytes, reps, mw, mc, mp / 1024, (double)base / 1024, ms / 1024);
		printf("RESULT %s_secs %.4f\nRESULT %s_cold_secs %.4f\nRESULT %s_peak_mib %.1f\n"
		       "RESULT %s_base_mib %.1f\nRESULT %s_bytes %zu\nRESULT %s_signer_mib %.1f\n",
		    tag, mw, tag, mc, tag, mp / 1024, tag, (double)base / 1024, tag, bytes, tag,
		    ms / 1024);
	}
	return 0;
}

/* ------------------------------------------------------- openssl helpers */

static int cmd_spawn(int argc, char **argv)
{
	const char *tag = opt(argc, argv, "--tag", "cmd");
	int reps = (int)opt_l(argc, argv, "--reps", 1), i0 = 0;
	double secs[16], peak[16];

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			i0 = i + 1;
			break;
		}
	if (i0 == 0 || i0 >= argc || reps < 1 || reps > 16)
		die("usage: spawn --reps R --tag T -- CMD ARGS...");
	for (int i = 0; i < reps; i++) {
		long maxrss;
		int status;
		secs[i] = run_child(argv + i0, &maxrss, -1, &status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("%s failed (status %d)", argv[i0], status);
		peak[i] = (double)maxrss;
	}
	printf("%s: median of %d runs %.3f s, peak RSS %.1f MiB\n", tag, reps, median(secs, reps),
	    median(peak, reps) / 1024);
	printf("RESULT %s_secs %.4f\nRESULT %s_peak_mib %.1f\n", tag, median(secs, reps), tag,
	    median(peak, reps) / 1024);
	return 0;
}

/* One `openssl ca -batch` per CSR, sequentially, the usual way.  Measures
 * all n when the first `probe` project to at most `budget` seconds,
 * otherwise stops after the probe and extrapolates. */
static int cmd_ossl_each(int argc, char **argv)
{
	const char *conf_path = need(argc, argv, "--conf");
	const char *csrdir = need(argc, argv, "--csrdir");
	const char *outdir = need(argc, argv, "--outdir");
	long n = opt_l(argc, argv, "--n", 0);
	double budget = atof(opt(argc, argv, "--budget", "240"));
	long probe = opt_l(argc, argv, "--probe", 1000);
	long done = 0, limit = n;
	double t0 = now_s(), el;
	int devnull = open("/dev/null", O_WRONLY);

	if (probe > n)
		probe = n;
	for (long i = 0; i < limit; i++) {
		char in[4096], out[4096];
		char *av[] = {"openssl", "ca", "-batch", "-notext", "-config", (char *)conf_path, "-in", in,
		    "-out", out, NULL};
		long maxrss;
		int status;
		snprintf(in, sizeof in, "%s/%06ld.pem", csrdir, i);
		snprintf(out, sizeof out, "%s/%06ld.crt", outdir, i);
		{
			/* openssl ca chats on stderr; keep stdout quiet too. */
			pid_t pid;
			struct rusage ru;
			if ((pid = fork()) == 0) {
				dup2(devnull, 1);
				dup2(devnull, 2);
				execvp(av[0], av);
				_exit(127);
			}
			if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
				die("fork/wait: %s", strerror(errno));
			maxrss = ru.ru_maxrss;
			(void)maxrss;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("openssl ca failed on %s (status %d)", in, status);
		done++;
		if (done == probe && probe < n) {
			double projected = (now_s() - t0) / (double)probe * (double)n;
			if (projected > budget) {
				printf("  first %ld took %.1f s: all %ld would take ~%.0f s > budget %.0f s;"
				       " stopping at %ld and extrapolating\n",
				    probe, now_s() - t0, n, projected, budget, probe);
				limit = probe;
			}
		}
	}
	el = now_s() - t0;
	close(devnull);
	printf("openssl ca, one invocation per CSR: %ld of %ld measured in %.2f s, %.1f certificates/s%s\n",
	    done, n, el, (double)done / el,
	    done < n ? " (subset; total extrapolated linearly)" : "");
	printf("RESULT ossl_each_rate %.2f\nRESULT ossl_each_measured %ld\nRESULT ossl_each_secs %.3f\n"
	       "RESULT ossl_each_total_secs %.1f\n",
	    (double)done / el, done, el, el / (double)done * (double)n);
	return 0;
}

static int cmd_ossl_index(int argc, char **argv)
{
	long n = opt_l(argc, argv, "--n", 0);
	const char *path = need(argc, argv, "--out");
	FILE *f = fopen(path, "w");
	time_t now = time(NULL), exp = now + 730 * 86400;
	struct tm te, tr;
	char es[64], rs[64];

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	gmtime_r(&exp, &te);
	gmtime_r(&now, &tr);
	snprintf(es, sizeof es, "%02d%02d%02d%02d%02d%02dZ", te.tm_year % 100, te.tm_mon + 1,
	    te.tm_mday, te.tm_hour, te.tm_min, te.tm_sec);
	snprintf(rs, sizeof rs, "%02d%02d%02d%02d%02d%02dZ", tr.tm_year % 100, tr.tm_mon + 1,
	    tr.tm_mday, tr.tm_hour, tr.tm_min, tr.tm_sec);
	for (long i = 0; i < n; i++) {
		uint8_t ser[16];
		char hex[33];
		RAND_bytes(ser, sizeof ser);
		ser[0] &= 0x7f;
		if (ser[0] == 0)
			ser[0] = 1;
		for (int k = 0; k < 16; k++)
			snprintf(hex + 2 * k, 3, "%02X", ser[k]);
		fprintf(f, "R\t%s\t%s,keyCompromise\t%s\tunknown\t/C=ID/O=Pemerintah Kota Bench/CN=Pegawai %08ld"
		           "/serialNumber=PNOID-3171%012ld\n",
		    es, rs, hex, i, i + 1);
	}
	if (fclose(f))
		die("writing %s failed", path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"sign", cmd_sign}, {"gencsr", cmd_gencsr}, {"init", cmd_init}, {"issue", cmd_issue},
	    {"crl-setup", cmd_crl_setup}, {"crl", cmd_crl}, {"crl-child", cmd_crl_child},
	    {"spawn", cmd_spawn}, {"ossl-each", cmd_ossl_each}, {"ossl-index", cmd_ossl_index},
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: bench_ca SUBCOMMAND [options] (see the comment at the top of bench_ca.c)");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	die("unknown subcommand %s", argv[1]);
}
