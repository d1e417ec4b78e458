/*
 * ca.c - opening an instance's CA: configuration, profiles, store, the CA
 * certificates; and unlocking the signer on first use: a signer of the
 * handle's own, or one of a set shared by several handles (ca_signers).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../common/limits.h"
#include "caInt.h"

static const char *const role_name[SIGNER_CA_KEYS] = {"root", "issuing", "ocsp"};

int ca_key_type_valid(const char *name)
{
	return signer_key_type_valid(name);
}

oa_err ca_generate_key(const char *key_type, EVP_PKEY **out)
{
	return signer_generate(key_type, out);
}

oa_err ca_write_holder_key(const char *path, EVP_PKEY *key, const char *passphrase)
{
	return signer_write_key(path, key, passphrase);
}

store *ca_store(ca *c)
{
	return c->db;
}

const conf *ca_config(ca *c)
{
	return c->cfg;
}

const char *ca_dir(ca *c)
{
	return c->dir;
}

static atomic_uint ocsp_generation;

unsigned ca_ocsp_generation(void)
{
	return atomic_load(&ocsp_generation);
}

void ca_ocsp_generation_bump(void)
{
	atomic_fetch_add(&ocsp_generation, 1);
}

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* DIR/pki/tsa.crt, when the instance runs a time-stamping authority. */
static oa_err load_tsa_cert(ca *c, const char *dir)
{
	char path[OA_MAX_PATH];
	FILE *f;
	oa_err rc;

	if ((rc = oa_path_join(path, sizeof path, dir, "pki/tsa.crt")))
		return rc;
	if ((f = fopen(path, "r")) == NULL)
		return OA_OK; /* none: no time-stamping on this instance */
	X509_free(c->cert[SIGNER_TSA]);
	c->cert[SIGNER_TSA] = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (c->cert[SIGNER_TSA] == NULL)
		return oa_fail_ssl(OA_ERR_CONFIG, "%s: not a PEM certificate", path);
	return OA_OK;
}

/* The CA certificates between the issuing CA and the root, when the issuing
 * CA hangs under an external root through intermediates (ca/extroot.c
 * writes them into DIR/pki/chain.pem: issuing, intermediates, root). */
static oa_err load_intermediates(ca *c, const char *dir)
{
	char path[OA_MAX_PATH];
	FILE *f;
	X509 *x;
	oa_err rc;

	sk_X509_pop_free(c->inter, X509_free);
	c->inter = NULL;
	if ((rc = oa_path_join(path, sizeof path, dir, "pki/chain.pem")))
		return rc;
	if ((f = fopen(path, "r")) == NULL)
		return OA_OK;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (X509_cmp(x, c->cert[SIGNER_ISSUING]) == 0 || X509_cmp(x, c->cert[SIGNER_ROOT]) == 0 ||
		    sk_X509_num(c->inter) >= CA_MAX_INTERMEDIATES) {
			X509_free(x);
			continue;
		}
		if ((c->inter == NULL && (c->inter = sk_X509_new_null()) == NULL) ||
		    !sk_X509_push(c->inter, x)) {
			X509_free(x);
			fclose(f);
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		}
	}
	ERR_clear_error(); /* the end of the file */
	fclose(f);
	return OA_OK;
}

static oa_err load_ca_certs(ca *c)
{
	oa_err rc;

	c->ocsp_gen = ca_ocsp_generation();
	c->ocsp_checked = mono_s();
	for (int k = 0; k < SIGNER_CA_KEYS; k++) {
		store_stmt *st = store_prepare(c->db, "SELECT id, der FROM ca_cert WHERE role = ?"
		                                      " ORDER BY id DESC LIMIT 1");
		const unsigned char *p;
		size_t n;

		if (st == NULL)
			return OA_ERR_STORE;
		store_bind_text(st, 1, role_name[k]);
		if (store_step(st) != STORE_ROW) {
			store_reset(st);
			return oa_fail(OA_ERR_CONFIG, "the database has no %s CA certificate (run openams init)",
			    role_name[k]);
		}
		c->cert_id[k] = store_col_int(st, 0);
		p = store_col_blob(st, 1, &n);
		c->cert[k] = d2i_X509(NULL, &p, (long)n);
		store_reset(st);
		if (c->cert[k] == NULL)
			return oa_fail_ssl(OA_ERR_CONFIG, "the stored %s CA certificate is damaged",
			    role_name[k]);
	}
	if ((rc = load_tsa_cert(c, c->dir)))
		return rc;
	return load_intermediates(c, c->dir);
}

oa_err ca_refresh(ca *c)
{
	store_stmt *st;
	int64_t id, now = mono_s();
	const unsigned char *p;
	size_t n;
	X509 *x;

	if (c->db == NULL)
		return OA_OK;
	if (c->ocsp_gen == ca_ocsp_generation() && now - c->ocsp_checked < CA_RELOAD_CHECK_S)
		return OA_OK;
	if ((st = store_prepare(c->db, "SELECT id, der FROM ca_cert WHERE role = 'ocsp'"
	                               " ORDER BY id DESC LIMIT 1")) == NULL)
		return OA_ERR_STORE;
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return oa_fail(OA_ERR_STORE, "the database has no OCSP responder certificate");
	}
	c->ocsp_gen = ca_ocsp_generation();
	c->ocsp_checked = now;
	if ((id = store_col_int(st, 0)) == c->cert_id[SIGNER_OCSP]) {
		store_reset(st);
		return OA_OK;
	}
	p = store_col_blob(st, 1, &n);
	x = d2i_X509(NULL, &p, (long)n);
	store_reset(st);
	if (x == NULL)
		return oa_fail_ssl(OA_ERR_CONFIG, "the stored OCSP responder certificate is damaged");
	X509_free(c->cert[SIGNER_OCSP]);
	c->cert[SIGNER_OCSP] = x;
	c->cert_id[SIGNER_OCSP] = id;
	/* The next signing operation starts a signer with the new key. */
	signer_free(c->sig);
	c->sig = NULL;
	return OA_OK;
}

/* Profiles (checked at load, their fixed extensions built for the issuing
 * CA) and the issuing CA's OCSP CertID hashes; the certificates are loaded. */
static oa_err load_profiles(ca *c)
{
	char path[OA_MAX_PATH];
	oa_err rc;

	if ((rc = oa_path_join(path, sizeof path, c->dir, conf_str(c->cfg, "profiles.dir"))) ||
	    (rc = profile_load_dir(path, c->cfg, &c->profiles, &c->nprofiles)) ||
	    (rc = ca_key_hashes(c)))
		return rc;
	for (size_t i = 0; i < c->nprofiles; i++)
		if ((rc = profile_build_ext(&c->profiles[i], c->cfg, c->cert[SIGNER_ISSUING])))
			return rc;
	return OA_OK;
}

/* The CA on a configuration and a store, borrowed or (own) freed with it. */
static oa_err ca_on(const char *dir, conf *own_cfg, const conf *cfg, store *own_db, store *db,
    ca **out)
{
	ca *c;
	oa_err rc;

	*out = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		store_close(own_db);
		conf_free(own_cfg);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	c->own_cfg = own_cfg;
	c->own_db = own_db;
	c->cfg = cfg;
	c->db = db;
	if (strlen(dir) >= sizeof c->dir) {
		ca_free(c);
		return oa_fail(OA_ERR_LIMIT, "data directory path too long");
	}
	strcpy(c->dir, dir);
	/* under an external root, nothing until the issuing CA's certificate is
	 * imported (extroot.c); init's own setup may open a handle that signs nothing */
	if ((rc = ca_extroot_pending(dir, db)) == OA_ERR_STATE && ca_extroot_pending_allowed()) {
		oa_err_clear();
		*out = c;
		return OA_OK;
	}
	if (rc || (rc = load_ca_certs(c)) || (rc = load_profiles(c))) {
		ca_free(c);
		return rc;
	}
	*out = c;
	return OA_OK;
}

oa_err ca_attach(const char *dir, const conf *cfg, store *db, ca **out)
{
	return ca_on(dir, NULL, cfg, NULL, db, out);
}

oa_err ca_open(const char *dir, ca **out)
{
	char path[OA_MAX_PATH];
	conf *cfg;
	store *db;
	oa_err rc;

	*out = NULL;
	if ((rc = conf_load_instance(dir, &cfg)))
		return rc;
	if ((rc = store_path_join(path, sizeof path, dir, conf_str(cfg, "store.path"))) ||
	    (rc = store_open(path, &db))) {
		conf_free(cfg);
		return rc;
	}
	return ca_on(dir, cfg, cfg, db, db, out);
}

void ca_free(ca *c)
{
	if (c == NULL)
		return;
	signer_free(c->sig);
	profile_free_all(c->profiles, c->nprofiles);
	for (int k = 0; k < SIGNER__MAX; k++)
		X509_free(c->cert[k]);
	sk_X509_pop_free(c->inter, X509_free);
	store_close(c->own_db);
	conf_free(c->own_cfg);
	free(c);
}

void ca_set_signer_in_process(ca *c, int in_process)
{
	c->signer_in_process = in_process;
}

/* The openams binary the signer process is started from: this program when
 * it is openams; otherwise $OPENAMS_SIGNER_EXE, else $OPENAMS (an absolute
 * path), which programs that link the library (tests, benchmarks) set to
 * their build's own openams.  Returns 0 if there is none. */
static int openams_binary(char *out, size_t outsz)
{
	ssize_t n = readlink("/proc/self/exe", out, outsz - 1);
	const char *env = getenv("OPENAMS_SIGNER_EXE");

	if (n > 0) {
		const char *base;
		out[n] = 0;
		base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
		if (strcmp(base, "openams") == 0)
			return 1;
	}
	if (env == NULL || *env == 0)
		env = getenv("OPENAMS");
	if (env && env[0] == '/' && strlen(env) < outsz && access(env, X_OK) == 0) {
		memcpy(out, env, strlen(env) + 1);
		return 1;
	}
	return 0;
}

/* A secret's file from the configuration: "prompt", a path relative to the
 * instance directory, or nothing ("" leaves *out NULL). */
static oa_err secret_file(const char *dir, const char *v, char buf[OA_MAX_PATH],
    const char **out)
{
	oa_err rc;

	if (strcmp(v, "prompt") == 0)
		*out = "prompt";
	else if (*v) {
		if ((rc = oa_path_join(buf, OA_MAX_PATH, dir, v)))
			return rc;
		*out = buf;
	}
	return OA_OK;
}

/* The signer's options from the configuration and the loaded certificates:
 * the same for the signer started by ca_signer() and its own main. */
static oa_err signer_opts_of(ca *c, const char *dir, signer_opts *o, char pass[OA_MAX_PATH],
    char pin[OA_MAX_PATH])
{
	oa_err rc;

	o->dir = dir;
	o->backend = conf_str(c->cfg, "signer.backend");
	if ((rc = secret_file(dir, conf_str(c->cfg, "ca.key_passphrase_file"), pass,
	         &o->passphrase_file)) ||
	    (rc = secret_file(dir, conf_str(c->cfg, "signer.pkcs11_pin_file"), pin,
	         &o->pkcs11_pin_file)))
		return rc;
	o->pkcs11_module = conf_str(c->cfg, "signer.pkcs11_module");
	o->pkcs11_token = conf_str(c->cfg, "signer.pkcs11_token");
	o->user = conf_str(c->cfg, "signer.user");
	for (int k = 0; k < SIGNER__MAX; k++)
		o->certs[k] = c->cert[k];
	o->checks = ca_signer_checks(c);
	return OA_OK;
}

oa_err ca_signer_opts(ca *c, signer_opts *o, char pass[OA_MAX_PATH], char pin[OA_MAX_PATH],
    char exe[OA_MAX_PATH], char *argv[5])
{
	oa_err rc;

	memset(o, 0, sizeof *o);
	if ((rc = signer_opts_of(c, c->dir, o, pass, pin)))
		return rc;
	o->in_process = c->signer_in_process;
	/* The signer is always `openams __signer`, a fresh image: a fork of a
	 * multi-threaded process that runs OpenSSL could inherit a lock some
	 * other thread held (it once hung decrypting the CA key).  Without an
	 * openams binary to run, signer.c forks only a single-threaded caller. */
	if (!o->in_process && openams_binary(exe, OA_MAX_PATH)) {
		argv[0] = exe;
		argv[1] = "__signer";
		argv[2] = "--dir";
		argv[3] = c->dir;
		argv[4] = NULL;
		o->exec_argv = argv;
	}
	return OA_OK;
}

/* ---- signers shared by several handles ---- */

struct ca_signers {
	ca *owner;          /* the CA as the signer sees it: options and checks */
	unsigned n;
	atomic_uint next;   /* the slot of the next operation, taken in turn */
	struct ca_signer_slot {
		pthread_mutex_t lock;
		signer *s;          /* NULL until its first operation */
		int64_t ocsp_id;    /* the OCSP responder certificate it was given */
	} slot[];
};

oa_err ca_signers_new(const char *dir, unsigned n, ca_signers **out)
{
	ca_signers *p;
	oa_err rc;

	*out = NULL;
	if (n < 1 || n > OA_SIGNER_MAX_PROCESSES)
		return oa_fail(OA_ERR_LIMIT, "signer processes: %u is not between 1 and %d", n,
		    OA_SIGNER_MAX_PROCESSES);
	if ((p = calloc(1, sizeof *p + n * sizeof p->slot[0])) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	p->n = n;
	atomic_init(&p->next, 0);
	for (unsigned i = 0; i < n; i++)
		pthread_mutex_init(&p->slot[i].lock, NULL);
	if ((rc = ca_open_signer_side(dir, &p->owner))) {
		ca_signers_free(p);
		return rc;
	}
	*out = p;
	return OA_OK;
}

void ca_signers_free(ca_signers *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++) {
		signer_free(p->slot[i].s);
		pthread_mutex_destroy(&p->slot[i].lock);
	}
	ca_free(p->owner);
	free(p);
}

unsigned ca_signers_count(const ca_signers *p)
{
	return p ? p->n : 0;
}

unsigned ca_signers_running(ca_signers *p)
{
	unsigned n = 0;

	for (unsigned i = 0; p && i < p->n; i++) {
		pthread_mutex_lock(&p->slot[i].lock);
		n += p->slot[i].s != NULL;
		pthread_mutex_unlock(&p->slot[i].lock);
	}
	return n;
}

void ca_use_signers(ca *c, ca_signers *p)
{
	c->shared = p;
}

/* The next signer of c's set, started with c's certificates if it has not
 * run yet, restarted if c has seen a newer OCSP responder than it has. */
static oa_err shared_signer(ca *c, signer **out)
{
	ca_signers *p = c->shared;
	struct ca_signer_slot *sl = &p->slot[atomic_fetch_add(&p->next, 1) % p->n];
	int64_t ocsp_id = c->cert_id[SIGNER_OCSP];
	oa_err rc = OA_OK;

	pthread_mutex_lock(&sl->lock);
	if (sl->s == NULL) {
		signer_opts o;
		char pass[OA_MAX_PATH], pin[OA_MAX_PATH], exe[OA_MAX_PATH];
		char *argv[5];
		if ((rc = ca_signer_opts(p->owner, &o, pass, pin, exe, argv)) == OA_OK) {
			for (int k = 0; k < SIGNER__MAX; k++)
				o.certs[k] = c->cert[k];
			if ((rc = signer_open(&o, &sl->s)) == OA_OK)
				sl->ocsp_id = ocsp_id;
		}
	} else if (ocsp_id > sl->ocsp_id) {
		if ((rc = signer_restart(sl->s, c->cert)) == OA_OK)
			sl->ocsp_id = ocsp_id;
	}
	*out = sl->s;
	pthread_mutex_unlock(&sl->lock);
	return rc;
}

oa_err ca_signer(ca *c, signer **out)
{
	signer_opts o;
	char pass[OA_MAX_PATH], pin[OA_MAX_PATH], exe[OA_MAX_PATH];
	char *argv[5];
	oa_err rc;

	if ((rc = ca_refresh(c)))
		return rc;
	if (c->shared != NULL)
		return shared_signer(c, out);
	if (c->sig != NULL) {
		*out = c->sig;
		return OA_OK;
	}
	if ((rc = ca_signer_opts(c, &o, pass, pin, exe, argv)) || (rc = signer_open(&o, &c->sig)))
		return rc;
	*out = c->sig;
	return OA_OK;
}

oa_err ca_open_signer_side(const char *dir, ca **out)
{
	static const char *const files[SIGNER_CA_KEYS] = {"pki/root.crt", "pki/issuing.crt",
	    "pki/ocsp.crt"};
	ca *c;
	char path[OA_MAX_PATH];
	oa_err rc;

	*out = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	snprintf(c->dir, sizeof c->dir, "%s", dir);
	if ((rc = conf_load_instance(dir, &c->own_cfg)))
		goto fail;
	c->cfg = c->own_cfg;
	for (int k = 0; k < SIGNER_CA_KEYS; k++) {
		FILE *f;
		if ((rc = oa_path_join(path, sizeof path, dir, files[k])))
			goto fail;
		if ((f = fopen(path, "r")) == NULL) {
			rc = oa_fail(OA_ERR_CONFIG, "%s: cannot open", path);
			goto fail;
		}
		c->cert[k] = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		if (c->cert[k] == NULL) {
			rc = oa_fail_ssl(OA_ERR_CONFIG, "%s: not a PEM certificate", path);
			goto fail;
		}
	}
	if ((rc = load_tsa_cert(c, dir)) || (rc = load_profiles(c)))
		goto fail;
	*out = c;
	return OA_OK;
fail:
	ca_free(c);
	return rc;
}

int ca_signer_main(const char *dir, int fd)
{
	signer_opts o = {0};
	char pass[OA_MAX_PATH], pin[OA_MAX_PATH];
	ca *c;
	int ret;

	if (ca_open_signer_side(dir, &c) != OA_OK) {
		/* Answer the first request with the reason, then stop. */
		char why[1100];
		uint8_t hdr[5];
		size_t n;
		snprintf(why, sizeof why, "the signer could not start: %s", oa_errmsg());
		n = strlen(why) + 1;
		hdr[0] = (uint8_t)(n >> 24);
		hdr[1] = (uint8_t)(n >> 16);
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)n;
		hdr[4] = OA_ERR_CONFIG;
		if (read(fd, pass, 5) > 0 && write(fd, hdr, 5) == 5 && write(fd, why, n - 1) < 0)
			return 1;
		return 1;
	}
	ret = signer_opts_of(c, dir, &o, pass, pin) == OA_OK ? signer_child_main(fd, &o) : 1;
	ca_free(c);
	return ret;
}
