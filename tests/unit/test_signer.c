/*
 * test_signer.c - the signer process: its protocol refuses unknown
 * operations, bad frames and objects that break the rules; a signer killed
 * mid-request fails that request cleanly with the store unchanged, and the
 * next request gets a new signer; the signer is always a fresh openams
 * image, never a fork of a threaded caller, and ends when its parent dies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "signer/signer.h"
#include "testutil.h"

/* The CA's private view (for its signer and certificates). */
#include "ca/caInt.h"
#include "signer/signerInt.h"

static tu_inst T;
static int seq;

static int group_setup(void **state)
{
	return tu_inst_new(&T, NULL, NULL);
}

static int group_teardown(void **state)
{
	tu_inst_free(&T);
	return 0;
}

static int64_t count(const char *sql)
{
	return tu_count(ca_store(T.c), sql);
}

static oa_err issue_one(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca_request r = {0};
	ca_issued out;
	char nik[17];
	oa_err rc;

	snprintf(nik, sizeof nik, "327301020390%04u", 1u + (unsigned)seq++ % 9999u); /* a valid NIK */
	r.key = k;
	r.cn = "Uji Penandatangan";
	r.o = "Dinas";
	r.nik = nik;
	r.email = "uji@kominfo.bandung.go.id";
	rc = ca_issue(T.c, &r, &out);
	if (rc == OA_OK)
		ca_issued_free(&out);
	EVP_PKEY_free(k);
	return rc;
}

static signer *the_signer(void)
{
	signer *s;
	assert_int_equal(ca_signer(T.c, &s), OA_OK);
	return s;
}

static int raw(const uint8_t *msg, size_t n, char *why, size_t whysz)
{
	uint8_t *reply = NULL;
	size_t rl = 0;
	int status = -1;

	signer_raw(the_signer(), msg, n, &status, &reply, &rl);
	snprintf(why, whysz, "%s", oa_errmsg());
	free(reply);
	return status;
}

static void test_hello_and_unknown_ops(void **state)
{
	char why[512];
	uint8_t m[4] = {SIGNER_OP_HELLO};

	assert_true(signer_pid(the_signer()) > 0);
	assert_int_equal(raw(m, 1, why, sizeof why), 0);
	m[0] = 0;
	assert_int_equal(raw(m, 1, why, sizeof why), OA_ERR_INVALID);
	m[0] = SIGNER_OP__MAX;
	assert_int_equal(raw(m, 1, why, sizeof why), OA_ERR_INVALID);
	assert_non_null(strstr(why, "unknown signer operation"));
	m[0] = 0xff;
	assert_int_equal(raw(m, 3, why, sizeof why), OA_ERR_INVALID);
	/* Bad arguments to known operations. */
	m[0] = SIGNER_OP_CHECK_PAIR;
	m[1] = 7;
	assert_int_equal(raw(m, 2, why, sizeof why), OA_ERR_INVALID);
	m[0] = SIGNER_OP_SIGN_CRL;
	m[1] = SIGNER_OCSP; /* the responder signs no CRLs */
	m[2] = 0x30;
	assert_int_equal(raw(m, 3, why, sizeof why), OA_ERR_INVALID);
	m[1] = SIGNER_ISSUING; /* garbage TBSCertList */
	assert_int_equal(raw(m, 3, why, sizeof why), OA_ERR_DENIED);
	m[0] = SIGNER_OP_SIGN_CERT;
	m[1] = 0; /* empty profile */
	assert_int_equal(raw(m, 3, why, sizeof why), OA_ERR_INVALID);
	m[0] = SIGNER_OP_SIGN_OCSP;
	assert_int_equal(raw(m, 4, why, sizeof why), OA_ERR_INVALID);
	{
		/* Under 20 bytes after the operation: refused by its length, never
		 * parsed past the frame (tests/fuzz/known-crashes/
		 * signer_frames-ocsp-short-frame-overread). */
		static const uint8_t shortf[] = {SIGNER_OP_SIGN_OCSP, 0, 0, 0, 0x64, 0x30};
		assert_int_equal(raw(shortf, sizeof shortf, why, sizeof why), OA_ERR_INVALID);
		assert_non_null(strstr(why, "bad length"));
	}
	{
		/* Renewing the responder: exactly two times, the validity inside
		 * the issuing CA's and at most 1095 days. */
		uint8_t rf[17] = {SIGNER_OP_RENEW_OCSP};
		assert_int_equal(raw(rf, 9, why, sizeof why), OA_ERR_INVALID);
		assert_non_null(strstr(why, "bad length"));
		assert_int_equal(raw(rf, sizeof rf, why, sizeof why), OA_ERR_INVALID); /* 0..0 */
		for (int i = 0; i < 8; i++)
			rf[9 + i] = 0x7f; /* notAfter far past the issuing CA's */
		assert_int_equal(raw(rf, sizeof rf, why, sizeof why), OA_ERR_INVALID);
		assert_non_null(strstr(why, "1095 days"));
	}
	/* All keys match their certificates; the signer is still the same one. */
	for (int k = 0; k < SIGNER__MAX; k++)
		assert_int_equal(signer_check_pair(the_signer(), (signer_key)k), OA_OK);
}

/* A certificate that breaks its profile is refused by the signer itself,
 * even when the caller skips the lint. */
static void test_signer_relints(void **state)
{
	X509 *x = X509_new();
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t *der = NULL;
	size_t len = 0;
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	unsigned char sn[16] = {0x11, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	BIGNUM *bn = BN_bin2bn(sn, 16, NULL);
	ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);

	X509_set_version(x, X509_VERSION_3);
	X509_set_serialNumber(x, ai);
	X509_set_issuer_name(x, X509_get_subject_name(T.c->cert[SIGNER_ISSUING]));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Bukan CA", -1, -1, 0);
	ASN1_TIME_adj(X509_getm_notBefore(x), time(NULL), 0, 0);
	ASN1_TIME_adj(X509_getm_notAfter(x), time(NULL), 30, 0);
	X509_set_pubkey(x, k);
	bc->ca = 0xff; /* a leaf that claims to be a CA */
	X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0);
	assert_int_equal(signer_sign_cert(the_signer(), x, "individual", &der, &len), OA_ERR_LINT);
	assert_null(der);
	assert_int_equal(signer_sign_cert(the_signer(), x, "no-such-profile", &der, &len),
	    OA_ERR_DENIED);
	/* Another issuer's name is refused before anything else. */
	X509_set_issuer_name(x, X509_get_subject_name(T.c->cert[SIGNER_ROOT]));
	assert_int_equal(signer_sign_cert(the_signer(), x, "individual", &der, &len), OA_ERR_DENIED);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* 1 once pid has died and waits to be reaped (state Z). */
static int is_zombie(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	char *p;
	int z = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) != NULL)
		z = p[2] == 'Z';
	fclose(f);
	return z;
}

static void *issue_thread(void *arg)
{
	*(oa_err *)arg = issue_one();
	return NULL;
}

static void test_killed_mid_request(void **state)
{
	int64_t certs, audits;
	pid_t pid;
	pthread_t t;
	oa_err rc = OA_OK;

	assert_int_equal(issue_one(), OA_OK);
	certs = count("SELECT COUNT(*) FROM certificate");
	audits = count("SELECT COUNT(*) FROM audit");
	pid = signer_pid(the_signer());
	assert_true(pid > 0);
	/* Freeze the signer, send it a request, kill it while it holds it. */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_int_equal(pthread_create(&t, NULL, issue_thread, &rc), 0);
	usleep(200 * 1000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	pthread_join(t, NULL);
	assert_int_equal(rc, OA_ERR_CRYPTO);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs);
	assert_int_equal(count("SELECT COUNT(*) FROM audit"), audits);
	/* The next request starts a new signer. */
	assert_int_equal(issue_one(), OA_OK);
	assert_true(signer_pid(the_signer()) != pid);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs + 1);
	/* A signer that dies while idle is replaced before the next request. */
	pid = signer_pid(the_signer());
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 500 && !is_zombie(pid); i++)
		usleep(10 * 1000);
	assert_true(is_zombie(pid));
	assert_int_equal(issue_one(), OA_OK);
}

/* Raw frames straight to a signer process of our own. */
static void test_bad_frames(void **state)
{
	static const uint8_t oversized[] = {0xff, 0xff, 0xff, 0xff, 1};
	static const uint8_t zero[] = {0, 0, 0, 0};
	static const uint8_t truncated[] = {0, 0, 0, 9, SIGNER_OP_HELLO, 1};
	const uint8_t *frames[] = {oversized, zero, truncated};
	const size_t lens[] = {sizeof oversized, sizeof zero, sizeof truncated};
	signer_opts o = {0};
	char pass[512];

	snprintf(pass, sizeof pass, "%s/secrets/ca.pass", T.path);
	o.dir = T.path;
	o.backend = "file";
	o.passphrase_file = pass;
	o.user = "nobody";
	for (int k = 0; k < SIGNER__MAX; k++)
		o.certs[k] = T.c->cert[k];
	o.checks = ca_signer_checks(T.c);
	for (int i = 0; i < 3; i++) {
		int sv[2], st;
		uint8_t buf[256];
		ssize_t n;
		pid_t pid;
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		if ((pid = fork()) == 0) {
			close(sv[0]);
			_exit(signer_child_main(sv[1], &o));
		}
		close(sv[1]);
		assert_int_equal(write(sv[0], frames[i], lens[i]), (ssize_t)lens[i]);
		shutdown(sv[0], SHUT_WR);
		n = read(sv[0], buf, sizeof buf);
		if (i == 0) {
			/* An oversized frame is answered with limit, then the end. */
			assert_true(n >= 5);
			assert_int_equal(buf[4], OA_ERR_LIMIT);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		/* The signer ends by itself, never by a crash. */
		assert_true(WIFEXITED(st));
		close(sv[0]);
	}
}

/* Writes a frame header claiming claim bytes, then body bytes of a pattern,
 * from a child process, then closes: the reader sees the stream end. */
static pid_t feed(int fd, uint32_t claim, size_t body)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint8_t hdr[4] = {(uint8_t)(claim >> 24), (uint8_t)(claim >> 16),
		    (uint8_t)(claim >> 8), (uint8_t)claim};
		uint8_t chunk[4096];
		size_t sent = 0;

		if (write(fd, hdr, 4) != 4)
			_exit(1);
		while (sent < body) {
			size_t k = body - sent < sizeof chunk ? body - sent : sizeof chunk;
			for (size_t i = 0; i < k; i++)
				chunk[i] = (uint8_t)((sent + i) * 7);
			if (write(fd, chunk, k) != (ssize_t)k)
				_exit(1);
			sent += k;
		}
		_exit(0);
	}
	return pid;
}

/* signer_recv grows its buffer with what arrives: a frame larger than its
 * first allocation arrives whole, and a header claiming far more than is
 * sent costs what was sent, not the claim (an address-space limit below the
 * claim shows it: allocating the claim up front failed with "out of memory"). */
static void test_recv_grows(void **state)
{
	const size_t big = 300 * 1024 + 17;
	int sv[2], st;
	uint8_t *msg;
	size_t n;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = feed(sv[1], (uint32_t)big, big);
	close(sv[1]);
	assert_int_equal(signer_recv(sv[0], &msg, &n), OA_OK);
	assert_int_equal(n, big);
	for (size_t i = 0; i < big; i++)
		if (msg[i] != (uint8_t)(i * 7))
			fail_msg("byte %zu of the frame differs", i);
	free(msg);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(sv[0]);

	/* Truncated: the claim is larger than what comes; the end is an I/O error. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = feed(sv[1], (uint32_t)big, 100 * 1024);
	close(sv[1]);
	assert_int_equal(signer_recv(sv[0], &msg, &n), OA_ERR_IO);
	assert_null(msg);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(sv[0]);

#if !defined(__SANITIZE_ADDRESS__)
	/* 200 MiB claimed, 100 bytes sent, with 64 MiB of address space to spare. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		struct rlimit rl;
		pid_t w;
		oa_err rc;

		if (f == NULL || fscanf(f, "%lu", &pages) != 1)
			_exit(3);
		fclose(f);
		rl.rlim_cur = rl.rlim_max =
		    (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + 64u * 1024 * 1024;
		w = feed(sv[1], 200u * 1024 * 1024, 100);
		close(sv[1]);
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		rc = signer_recv(sv[0], &msg, &n);
		waitpid(w, NULL, 0);
		_exit(rc == OA_ERR_IO ? 0 : rc == OA_ERR_NOMEM ? 1 : 2);
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(sv[0]);
#endif
}

static void test_in_process_same_result(void **state)
{
	ca *d;

	assert_int_equal(ca_open(T.path, &d), OA_OK);
	ca_set_signer_in_process(d, 1);
	{
		ca *keep = T.c;
		T.c = d;
		assert_int_equal(issue_one(), OA_OK);
		T.c = keep;
	}
	assert_int_equal(signer_pid(d->sig), 0);
	ca_free(d);
}

static atomic_int busy_stop;

/* Keeps OpenSSL's locks busy (provider lookups, decoders, key generation),
 * as the web server's and the benchmark's other threads do. */
static void *busy_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&busy_stop)) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		BIO *b = BIO_new(BIO_s_mem());
		EVP_PKEY *back = NULL;
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
		back = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		EVP_PKEY_free(back);
		BIO_free(b);
		EVP_PKEY_free(k);
	}
	return NULL;
}

/* The executable of a process, its base name. */
static const char *exe_of(pid_t pid, char *buf, size_t n)
{
	char path[64];
	ssize_t k;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	if ((k = readlink(path, buf, n - 1)) <= 0)
		return "";
	buf[k] = 0;
	return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

/* Issue 22: a signer forked (without exec) from a threaded program hung
 * once in four benchmark runs on a lock another thread held at the fork.
 * Started while two threads work OpenSSL hard, every signer must be the
 * openams binary, executed; with no binary to run, a threaded program gets
 * a clear error instead of a fork. */
static void test_exec_from_threads(void **state)
{
	pthread_t t[2];
	char buf[512], *keep[2];
	const char *vars[2] = {"OPENAMS_SIGNER_EXE", "OPENAMS"};
	ca *d;
	signer *s;

	assert_non_null(getenv("OPENAMS_SIGNER_EXE"));
	atomic_store(&busy_stop, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, busy_thread, NULL), 0);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(ca_open(T.path, &d), OA_OK);
		assert_int_equal(ca_signer(d, &s), OA_OK);
		assert_true(signer_pid(s) > 0);
		assert_string_equal(exe_of(signer_pid(s), buf, sizeof buf), "openams");
		ca_free(d);
	}
	for (int i = 0; i < 2; i++) {
		keep[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
		unsetenv(vars[i]);
	}
	assert_int_equal(ca_open(T.path, &d), OA_OK);
	assert_int_equal(ca_signer(d, &s), OA_ERR_STATE);
	assert_non_null(strstr(oa_errmsg(), "OPENAMS_SIGNER_EXE"));
	ca_free(d);
	for (int i = 0; i < 2; i++) {
		if (keep[i])
			setenv(vars[i], keep[i], 1);
		free(keep[i]);
	}
	atomic_store(&busy_stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

/* A signer whose parent died ends within seconds, even while a process the
 * parent forked still holds the socket open (it would see no end of file). */
static void test_dead_parent_ends_signer(void **state)
{
	int p[2], st;
	pid_t a, pids[2] = {0, 0};

	assert_int_equal(pipe(p), 0);
	if ((a = fork()) == 0) {
		ca *d;
		signer *s;
		pid_t b;
		close(p[0]);
		if (ca_open(T.path, &d) != OA_OK || ca_signer(d, &s) != OA_OK)
			_exit(1);
		pids[0] = signer_pid(s);
		if ((b = fork()) == 0) { /* holds the socket's other end */
			alarm(60);
			pause();
			_exit(0);
		}
		pids[1] = b;
		if (write(p[1], pids, sizeof pids) != (ssize_t)sizeof pids)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], pids, sizeof pids), (ssize_t)sizeof pids);
	close(p[0]);
	assert_true(pids[0] > 0 && pids[1] > 0);
	assert_int_equal(kill(a, SIGKILL), 0);
	assert_int_equal(waitpid(a, &st, 0), a);
	for (int i = 0; i < 1000 && !is_zombie(pids[0]); i++)
		usleep(10 * 1000);
	/* The holder is still there, so only the parent check ended it. */
	assert_int_equal(kill(pids[1], 0), 0);
	assert_true(is_zombie(pids[0]));
	kill(pids[1], SIGKILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_and_unknown_ops),
		cmocka_unit_test(test_signer_relints),
		cmocka_unit_test(test_killed_mid_request),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_recv_grows),
		cmocka_unit_test(test_in_process_same_result),
		cmocka_unit_test(test_exec_from_threads),
		cmocka_unit_test(test_dead_parent_ends_signer),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
