/*
 * testutil.c - helpers shared by the C tests and benchmarks (testutil.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <libpq-fe.h>
#include <unistd.h>

#include "testutil.h"

/* ---- temporary directories ------------------------------------------ */

char *tu_tmpdir(char *buf, size_t n)
{
	snprintf(buf, n, "%sXXXXXX", TU_TMP_PREFIX);
	return mkdtemp(buf);
}

void tu_rmrf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (dir == NULL || strncmp(dir, TU_TMP_PREFIX, strlen(TU_TMP_PREFIX)) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

const char *tu_share(void)
{
	const char *share = getenv("OPENAMS_SHARE");

	return share ? share : OPENAMS_SHAREDIR;
}

/* ---- fresh instances ------------------------------------------------- */

static int write_file(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

int tu_conf_append(const char *instpath, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/openams.conf", instpath);
	return write_file(path, "a", text);
}

int tu_store_pg(void)
{
	const char *base = getenv("OPENAMS_TEST_PG");
	return base != NULL && *base != '\0';
}

int tu_store_path(char *out, size_t n, const char *dir, const char *name)
{
	static unsigned seq;
	const char *base = getenv("OPENAMS_TEST_PG"), *host;
	char conninfo[512], sql[128], db[64], hostdir[256];
	PGconn *c;
	PGresult *r;
	int ok;

	if (!tu_store_pg())
		return snprintf(out, n, "%s/%s", dir, name) < (int)n ? 0 : -1;
	snprintf(db, sizeof db, "t%ld_%u", (long)getpid(), ++seq);
	snprintf(conninfo, sizeof conninfo, "%s dbname=postgres", base);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "tu_store_path: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "tu_store_path: %s", PQerrorMessage(c));
	PQclear(r);
	/* host=DIR user=U as the URL postgresql:///db?host=DIR&user=U */
	host = strstr(base, "host=");
	if (host == NULL || sscanf(host + 5, "%255s", hostdir) != 1)
		hostdir[0] = '\0';
	ok = ok && snprintf(out, n, "postgresql:///%s?host=%s&user=postgres", db, hostdir) < (int)n;
	PQfinish(c);
	return ok ? 0 : -1;
}

int tu_inst_new(tu_inst *t, const char *config, const char *append)
{
	ca_init_opts o = {0};
	char cfg[PATH_MAX], url[PATH_MAX], line[PATH_MAX + 32], *text = NULL;

	memset(t, 0, sizeof *t);
	if (tu_tmpdir(t->dir, sizeof t->dir) == NULL) {
		t->dir[0] = 0;
		perror("setup: mkdtemp");
		return -1;
	}
	snprintf(t->path, sizeof t->path, "%s/inst", t->dir);
	o.dir = t->path;
	o.share = tu_share();
	if (tu_store_pg()) {
		/* the store in a database of its own on the test's PostgreSQL */
		if (tu_store_path(url, sizeof url, t->dir, "openams.db") != 0)
			return -1;
		snprintf(line, sizeof line, "store.path = %s\n", url);
		if ((text = malloc(strlen(line) + (config ? strlen(config) : 0) + 1)) == NULL)
			return -1;
		strcpy(text, config ? config : "");
		strcat(text, line);
		config = text;
	}
	if (config) {
		snprintf(cfg, sizeof cfg, "%s/test.conf", t->dir);
		if (write_file(cfg, "w", config) != 0) {
			perror("setup: test.conf");
			free(text);
			return -1;
		}
		o.config_file = cfg;
	}
	free(text);
	if (ca_init(&o) != OA_OK) {
		fprintf(stderr, "setup: init: %s\n", oa_errmsg());
		return -1;
	}
	if (append && tu_conf_append(t->path, append) != 0) {
		perror("setup: openams.conf");
		return -1;
	}
	if (inst_open(t->path, &t->in) != OA_OK) {
		fprintf(stderr, "setup: open: %s\n", oa_errmsg());
		return -1;
	}
	t->c = inst_ca(t->in);
	return 0;
}

void tu_inst_free(tu_inst *t)
{
	inst_free(t->in);
	tu_rmrf(t->dir);
	memset(t, 0, sizeof *t);
}

int tu_engine_new(inst *in, const char *org, engine **e)
{
	char sopdir[PATH_MAX];

	if (engine_open(in, e) != OA_OK) {
		fprintf(stderr, "setup: engine: %s\n", oa_errmsg());
		return -1;
	}
	snprintf(sopdir, sizeof sopdir, "%s/sop", tu_share());
	if (engine_sop_install_dir(*e, org, sopdir, "admin") != OA_OK) {
		fprintf(stderr, "install: %s\n", oa_errmsg());
		return -1;
	}
	return 0;
}

/* ---- the clock ------------------------------------------------------- */

static int64_t clock_now;

void tu_clock_set(int64_t t)
{
	char s[32];

	clock_now = t;
	oa_time_iso(s, sizeof s, t);
	setenv("OPENAMS_NOW", s, 1);
}

void tu_clock_tick(int64_t secs)
{
	tu_clock_set(clock_now + secs);
}

int64_t tu_clock_now(void)
{
	return clock_now;
}

void tu_clock_clear(void)
{
	unsetenv("OPENAMS_NOW");
}

int64_t tu_iso(const char *s)
{
	int64_t t;

	if (oa_time_parse(s, &t) != OA_OK)
		abort();
	return t;
}

/* ---- the store (cmocka) ---------------------------------------------- */

int64_t tu_count(store *s, const char *sql)
{
	store_stmt *st = store_prepare(s, sql);
	int64_t n;

	if (st == NULL)
		fail_msg("prepare failed: %s: %s", sql, oa_errmsg());
	assert_int_equal(store_step(st), STORE_ROW);
	n = store_col_int(st, 0);
	store_reset(st);
	return n;
}

int64_t tu_countf(store *s, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return tu_count(s, sql);
}

/* ---- keys and certificates ------------------------------------------- */

char *tu_csr_pem(const char *cn)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *d, *out;
	long n;

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_pubkey(req, k);
	X509_REQ_sign(req, k, EVP_sha256());
	PEM_write_bio_X509_REQ(b, req);
	n = BIO_get_mem_data(b, &d);
	out = strndup(d, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return out;
}

oa_err tu_issue_nik(ca *c, const char *nik, int days, char serial[41])
{
	ca_request r = {0};
	ca_issued out;
	char *csr = tu_csr_pem("Pemohon Uji");
	oa_err rc;

	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	r.cn = "Siti Rahmawati";
	r.o = "Pemkab";
	r.nik = nik;
	r.email = "siti@kominfo.merantikab.go.id";
	r.validity_days = days;
	rc = ca_issue(c, &r, &out);
	if (rc == OA_OK) {
		strcpy(serial, out.serial);
		ca_issued_free(&out);
	}
	free(csr);
	return rc;
}

/* ---- results ---- */

void tu_must_at(oa_err rc, const char *call, const char *file, int line)
{
	if (rc != OA_OK)
		fail_msg("%s:%d: %s: %s (%s)", file, line, call, oa_err_name(rc), oa_errmsg());
}

void tu_expect_at(oa_err rc, oa_err want, const char *substr, const char *call, const char *file,
    int line)
{
	if (rc != want)
		fail_msg("%s:%d: %s: wanted %s, got %s: %s", file, line, call, oa_err_name(want),
		    oa_err_name(rc), oa_errmsg());
	if (substr && strstr(oa_errmsg(), substr) == NULL)
		fail_msg("%s:%d: %s: message lacks '%s': %s", file, line, call, substr, oa_errmsg());
}
