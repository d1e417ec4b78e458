/*
 * test_keys.c - holder key custody through its API (src/keys/keys.h), with
 * the private format (keysInt.h) used only to obtain the clear key so the
 * tests can prove it is nowhere on disk.
 *
 * Each test makes a fresh instance (its own temporary directory), with
 * small Argon2id parameters in openams.conf so the suite stays fast; one
 * test uses the shipped defaults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "common/util.h"
#include "keys/keys.h"
#include "keys/keysInt.h"
#include "store/store.h"
#include "testutil.h"

#define PASS "kopi tubruk di pagi hari 7"
#define PASS2 "hujan turun di atas genteng 42"
#define WRONG "teh manis di sore hari 99"
#define HOLDER "budi.santoso"
#define NIK "3201015505900001"

static const keys_person person = {
	.name = "Budi Santoso",
	.nik = NIK,
	.nip = "199005152015031001",
	.email = "budi.santoso@kominfo.go.id",
	.birth_date = "1990-05-15",
};

/* Small Argon2id parameters, so that the suite stays fast. */
#define SMALL_KDF "keys.argon2_memory_kib = 64\nkeys.argon2_iterations = 1\n" \
                  "keys.argon2_parallelism = 1\n"

/* A fresh instance; extra is appended to openams.conf (NULL: SMALL_KDF). */
static void inst_new(tu_inst *t, const char *extra)
{
	if (tu_inst_new(t, NULL, extra ? extra : SMALL_KDF) != 0)
		fail_msg("instance: %s", oa_errmsg());
}

static void inst_reopen(tu_inst *t)
{
	inst_free(t->in);
	t->in = NULL;
	t->c = NULL;
	if (inst_open(t->path, &t->in) != OA_OK)
		fail_msg("reopen: %s", oa_errmsg());
	t->c = inst_ca(t->in);
}

/* Issues a certificate (O=Kominfo) for csr and writes its serial. */
static void issue_csr(tu_inst *t, const char *csr, const char *nik, const char *email,
    const char *actor, char serial[41])
{
	ca_request r = {0};
	ca_issued out = {0};

	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	r.nik = nik;
	r.email = email;
	r.o = "Kominfo";
	r.actor = actor;
	tu_must(ca_issue(t->c, &r, &out));
	snprintf(serial, 41, "%s", out.serial);
	ca_issued_free(&out);
}

/* Issues the certificate for the key's CSR and binds it. */
static void issue_for(tu_inst *t, int64_t id, const char *csr, const char *nik,
    char serial[41])
{
	issue_csr(t, csr, nik, person.email, "test", serial);
	tu_must(keys_bind_certificate(t->in, id, serial, "test"));
}

static int64_t make_key(tu_inst *t, const char *type, char serial[41])
{
	int64_t id = 0;
	char *csr = NULL;

	tu_must(keys_create(t->in, HOLDER, type, PASS, &person, &id, &csr));
	assert_true(id > 0);
	assert_non_null(csr);
	assert_non_null(strstr(csr, "BEGIN CERTIFICATE REQUEST"));
	if (serial)
		issue_for(t, id, csr, NIK, serial);
	free(csr);
	return id;
}

static oa_err sign(tu_inst *t, int64_t id, const char *holder, const char *pass,
    int scheme, uint8_t dg[32], uint8_t **sig, size_t *n)
{
	keys_sign_req r = {0};

	SHA256((const unsigned char *)"surat keputusan nomor 1", 23, dg);
	r.holder = holder;
	r.key_id = id;
	r.passphrase = pass;
	r.digest = dg;
	r.digest_len = 32;
	r.md_nid = NID_sha256;
	r.scheme = scheme;
	r.ref = "doc-1";
	return keys_sign(t->in, &r, sig, n);
}

static int verify_with_cert(tu_inst *t, const char *serial, int scheme, const uint8_t *dg,
    const uint8_t *sig, size_t n)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509 *x;
	EVP_PKEY_CTX *ctx;
	int ok;

	tu_must(ca_cert_der(t->c, serial, &der, &len));
	p = der;
	assert_non_null(x = d2i_X509(NULL, &p, (long)len));
	assert_non_null(ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL));
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	if (EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA")) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, scheme == KEYS_SIG_PSS
		                                                  ? RSA_PKCS1_PSS_PADDING
		                                                  : RSA_PKCS1_PADDING) > 0);
		if (scheme == KEYS_SIG_PSS)
			assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) > 0);
	}
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0);
	ok = EVP_PKEY_verify(ctx, sig, n, dg, 32);
	EVP_PKEY_CTX_free(ctx);
	X509_free(x);
	free(der);
	return ok == 1;
}

/* The sealed row as stored. */
static void read_sealed(tu_inst *t, int64_t id, keys_sealed *s, char holder[65],
    char type[16])
{
	store_stmt *st = store_prepare(ca_store(t->c),
	    "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, verifier, nonce,"
	    " ciphertext, tag, holder, key_type FROM holder_key WHERE id = ?");
	const void *p;
	size_t n;

	assert_non_null(st);
	store_bind_int(st, 1, id);
	assert_int_equal(store_step(st), STORE_ROW);
	memset(s, 0, sizeof *s);
	s->kdf.memory_kib = (uint32_t)store_col_int(st, 0);
	s->kdf.iterations = (uint32_t)store_col_int(st, 1);
	s->kdf.parallelism = (uint32_t)store_col_int(st, 2);
	p = store_col_blob(st, 3, &n);
	memcpy(s->salt, p, sizeof s->salt);
	p = store_col_blob(st, 4, &n);
	memcpy(s->verifier, p, sizeof s->verifier);
	p = store_col_blob(st, 5, &n);
	memcpy(s->nonce, p, sizeof s->nonce);
	p = store_col_blob(st, 6, &n);
	s->ct = malloc(n);
	memcpy(s->ct, p, n);
	s->ct_len = n;
	p = store_col_blob(st, 7, &n);
	memcpy(s->tag, p, sizeof s->tag);
	snprintf(holder, 65, "%s", store_col_text(st, 8));
	snprintf(type, 16, "%s", store_col_text(st, 9));
	store_reset(st);
}

/* Test hook: the clear PKCS#8 of key id (malloc'd copy) and its raw private
 * number (EC scalar or RSA d), by unsealing with the right passphrase. */
static void clear_key(tu_inst *t, int64_t id, const char *pass, uint8_t **p8, size_t *p8n,
    uint8_t **priv, size_t *privn)
{
	keys_sealed s;
	char holder[65], type[16];
	uint8_t *clear = NULL;
	size_t n = 0;
	const unsigned char *q;
	EVP_PKEY *k;
	BIGNUM *bn = NULL;

	read_sealed(t, id, &s, holder, type);
	keys_binding b = {holder, id, type};
	tu_must(keys_unseal(pass, &s, &b, &clear, &n));
	*p8 = malloc(n);
	memcpy(*p8, clear, n);
	*p8n = n;
	q = clear;
	assert_non_null(k = d2i_AutoPrivateKey(NULL, &q, (long)n));
	if (EVP_PKEY_is_a(k, "RSA"))
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &bn), 1);
	else
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
	*privn = (size_t)BN_num_bytes(bn);
	*priv = malloc(*privn);
	BN_bn2bin(bn, *priv);
	BN_clear_free(bn);
	EVP_PKEY_free(k);
	keys_secret_free(clear, n);
	keys_sealed_free(&s);
}

static int contains(const uint8_t *hay, size_t hn, const void *needle, size_t nn)
{
	return memmem(hay, hn, needle, nn) != NULL;
}

static int64_t count_sql(tu_inst *t, const char *sql)
{
	return tu_count(ca_store(t->c), sql);
}

static void exec_sql(tu_inst *t, const char *sql, int expect_ok)
{
	oa_err rc = store_exec(ca_store(t->c), sql);

	if (expect_ok)
		tu_must(rc);
	else
		assert_int_not_equal(rc, OA_OK);
}

/* One test's instance with one key of HOLDER's (passphrase PASS), and what
 * sign() fills in. */
struct kt {
	tu_inst t;
	int64_t id;
	char serial[41]; /* its certificate; "" when not bound */
	uint8_t dg[32];  /* the digest last signed */
	uint8_t *sig;    /* the signature last made (NULL: none yet) */
	size_t n;
	keys_info ki;    /* filled by kt_status */
};

/* A fresh instance (extra as for inst_new) with a key of type, bound to a
 * newly issued certificate when bind. */
static void kt_new(struct kt *k, const char *extra, const char *type, int bind)
{
	memset(k, 0, sizeof *k);
	inst_new(&k->t, extra);
	k->id = make_key(&k->t, type, bind ? k->serial : NULL);
}

/* sign() with k's key as HOLDER, scheme 0, into k->dg, k->sig and k->n. */
static oa_err kt_sign(struct kt *k, const char *pass)
{
	return sign(&k->t, k->id, HOLDER, pass, 0, k->dg, &k->sig, &k->n);
}

/* The key's status into k->ki; it must be found. */
static void kt_status(struct kt *k)
{
	tu_must(keys_status(k->t.in, k->id, &k->ki));
}

/* ---- tests ---------------------------------------------------------- */

/* The sealed blob holds neither the clear key nor the passphrase. */
static void test_sealed_blob(void **state)
{
	struct kt k;
	keys_sealed s;
	char holder[65], type[16];
	uint8_t *p8, *priv;
	size_t p8n, privn;

	kt_new(&k, NULL, "ec-p256", 0);
	kt_status(&k);
	assert_string_equal(k.ki.state, "pending");
	assert_string_equal(k.ki.holder, HOLDER);
	assert_int_equal(k.ki.memory_kib, 64);
	assert_int_equal(k.ki.iterations, 1);
	assert_int_equal(k.ki.parallelism, 1);
	assert_int_equal(k.ki.failures, 0);
	clear_key(&k.t, k.id, PASS, &p8, &p8n, &priv, &privn);
	read_sealed(&k.t, k.id, &s, holder, type);
	assert_true(p8n > 100);
	assert_int_equal(s.ct_len, p8n);
	assert_false(contains(s.ct, s.ct_len, p8, p8n));
	assert_false(contains(s.ct, s.ct_len, priv, privn));
	assert_false(contains(s.ct, s.ct_len, PASS, strlen(PASS)));
	/* And not in any column of the row, printed whole. */
	{
		store_stmt *st = store_prepare(ca_store(k.t.c),
		    "SELECT quote(id)||quote(holder)||quote(spki)||quote(salt)||quote(verifier)||"
		    "quote(nonce)||quote(ciphertext)||quote(tag) FROM holder_key WHERE id = ?");
		char hex[2 * 8192 + 1];
		const char *row;
		assert_non_null(st);
		store_bind_int(st, 1, k.id);
		assert_int_equal(store_step(st), STORE_ROW);
		row = store_col_text(st, 0);
		oa_hex(hex, priv, privn);
		assert_null(strstr(row, hex));
		for (char *h = hex; *h; h++)
			*h = (char)toupper((unsigned char)*h);
		assert_null(strstr(row, hex)); /* quote() prints X'ABCD' */
		assert_null(strstr(row, PASS));
		store_reset(st);
	}
	keys_sealed_free(&s);
	free(p8);
	free(priv);
	tu_inst_free(&k.t);
}

/* Signatures made with the holder key verify against the issued certificate. */
static void sign_and_verify(const char *type, int scheme)
{
	struct kt k;

	kt_new(&k, NULL, type, 1);
	kt_status(&k);
	assert_string_equal(k.ki.state, "active");
	assert_string_equal(k.ki.serial, k.serial);
	tu_must(sign(&k.t, k.id, HOLDER, PASS, scheme, k.dg, &k.sig, &k.n));
	assert_true(verify_with_cert(&k.t, k.serial, scheme, k.dg, k.sig, k.n));
	k.sig[k.n / 2] ^= 1;
	assert_false(verify_with_cert(&k.t, k.serial, scheme, k.dg, k.sig, k.n));
	free(k.sig);
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM audit WHERE action = 'keys.sign'"
	                               " AND detail LIKE '%ref=doc-1%'"),
	    1);
	{
		int64_t fid;
		char h[65];
		tu_must(keys_find_by_serial(k.t.in, k.serial, &fid, h));
		assert_true(fid == k.id);
		assert_string_equal(h, HOLDER);
	}
	/* Someone else's holder id does not reach the key. */
	tu_expect(sign(&k.t, k.id, "mallory", PASS, scheme, k.dg, &k.sig, &k.n), OA_ERR_NOTFOUND, NULL);
	tu_inst_free(&k.t);
}

static void test_sign_ec_p256(void **state)
{
	sign_and_verify("ec-p256", KEYS_SIG_PKCS1);
}

static void test_sign_ec_p384(void **state)
{
	sign_and_verify("ec-p384", KEYS_SIG_PKCS1);
}

static void test_sign_rsa_pkcs1(void **state)
{
	sign_and_verify("rsa-2048", KEYS_SIG_PKCS1);
}

static void test_sign_rsa_pss(void **state)
{
	sign_and_verify("rsa-2048", KEYS_SIG_PSS);
}

/* A wrong passphrase fails, and the count survives a reopen of the store. */
static void test_wrong_passphrase_counts(void **state)
{
	struct kt k;

	kt_new(&k, NULL, "ec-p256", 1);
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, "wrong passphrase");
	assert_null(k.sig);
	assert_null(strstr(oa_errmsg(), WRONG));
	tu_expect(kt_sign(&k, ""), OA_ERR_DENIED, "wrong passphrase");
	inst_reopen(&k.t);
	kt_status(&k);
	assert_int_equal(k.ki.failures, 2);
	assert_int_equal(k.ki.max_failures, 5);
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM audit WHERE action = 'keys.wrong_passphrase'"), 2);
	/* The right one works and forgives. */
	tu_must(kt_sign(&k, PASS));
	free(k.sig);
	kt_status(&k);
	assert_int_equal(k.ki.failures, 0);
	assert_true(k.ki.last_used_at > 0);
	tu_inst_free(&k.t);
}

/* After keys.max_failures wrong passphrases even the right one is refused. */
static void test_lockout(void **state)
{
	struct kt k;

	kt_new(&k, SMALL_KDF "keys.max_failures = 3\n", "ec-p256", 1);
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, "1 of 3");
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, "2 of 3");
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, "now locked");
	tu_expect(kt_sign(&k, PASS), OA_ERR_STATE, "locked");
	assert_null(k.sig);
	tu_expect(keys_change_passphrase(k.t.in, HOLDER, k.id, PASS, PASS2, &person), OA_ERR_STATE, "locked");
	inst_reopen(&k.t);
	kt_status(&k);
	assert_true(k.ki.locked);
	assert_string_equal(k.ki.state, "locked");
	assert_int_equal(k.ki.failures, 3);
	assert_true(k.ki.locked_at > 0);
	tu_expect(kt_sign(&k, PASS), OA_ERR_STATE, "locked");
	/* No bug can unlock it: the schema refuses. */
	exec_sql(&k.t, "UPDATE holder_key SET state = 'active', locked_at = NULL", 0);
	exec_sql(&k.t, "UPDATE holder_key SET failures = 0", 0);
	exec_sql(&k.t, "DELETE FROM holder_key", 0);
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM audit WHERE action = 'keys.lock'"), 1);
	/* Raising the limit afterwards does not unlock it either. */
	tu_inst_free(&k.t);
}

/* A lowered limit locks a key that already has that many failures. */
static void test_lower_limit_locks(void **state)
{
	struct kt k;

	kt_new(&k, NULL, "ec-p256", 1);
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, NULL);
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, NULL);
	assert_int_equal(tu_conf_append(k.t.path, "keys.max_failures = 2\n"), 0);
	inst_reopen(&k.t);
	tu_expect(kt_sign(&k, PASS), OA_ERR_STATE, "locked");
	tu_inst_free(&k.t);
}

/* Changing the passphrase re-seals the same key; the old one then fails. */
static void test_change_passphrase(void **state)
{
	struct kt k;
	char holder[65], type[16];
	uint8_t *p8a, *p8b, *pa, *pb;
	size_t p8an, p8bn, pan, pbn;
	keys_sealed s1, s2;

	kt_new(&k, NULL, "ec-p256", 1);
	clear_key(&k.t, k.id, PASS, &p8a, &p8an, &pa, &pan);
	read_sealed(&k.t, k.id, &s1, holder, type);
	/* Raise the parameters: the re-seal takes the current ones. */
	assert_int_equal(tu_conf_append(k.t.path, "keys.argon2_memory_kib = 128\n"
	                                          "keys.argon2_iterations = 2\n"), 0);
	inst_reopen(&k.t);
	kt_status(&k);
	assert_int_equal(k.ki.memory_kib, 64); /* still sealed with the old ones */
	tu_expect(keys_change_passphrase(k.t.in, HOLDER, k.id, PASS, "short", &person), OA_ERR_POLICY, "too short");
	tu_expect(keys_change_passphrase(k.t.in, HOLDER, k.id, PASS, PASS, &person), OA_ERR_POLICY, "same");
	tu_expect(keys_change_passphrase(k.t.in, HOLDER, k.id, WRONG, PASS2, &person), OA_ERR_DENIED, "wrong passphrase");
	tu_must(keys_change_passphrase(k.t.in, HOLDER, k.id, PASS, PASS2, &person));
	kt_status(&k);
	assert_int_equal(k.ki.memory_kib, 128);
	assert_int_equal(k.ki.iterations, 2);
	assert_int_equal(k.ki.failures, 0);
	assert_string_equal(k.ki.serial, k.serial);
	read_sealed(&k.t, k.id, &s2, holder, type);
	assert_memory_not_equal(s1.salt, s2.salt, sizeof s1.salt);
	assert_memory_not_equal(s1.nonce, s2.nonce, sizeof s1.nonce);
	/* Same key inside. */
	clear_key(&k.t, k.id, PASS2, &p8b, &p8bn, &pb, &pbn);
	assert_int_equal(pan, pbn);
	assert_memory_equal(pa, pb, pan);
	tu_expect(kt_sign(&k, PASS), OA_ERR_DENIED, "wrong passphrase");
	tu_must(kt_sign(&k, PASS2));
	assert_true(verify_with_cert(&k.t, k.serial, 0, k.dg, k.sig, k.n));
	free(k.sig);
	/* No new certificate. */
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM certificate WHERE profile = 'individual'"), 1);
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM audit WHERE action = 'keys.passphrase_change'"), 1);
	keys_sealed_free(&s1);
	keys_sealed_free(&s2);
	free(p8a);
	free(p8b);
	free(pa);
	free(pb);
	tu_inst_free(&k.t);
}

static void test_revoked_refused(void **state)
{
	struct kt k;

	kt_new(&k, NULL, "ec-p256", 1);
	tu_must(ca_revoke(k.t.c, k.serial, CA_REASON_KEY_COMPROMISE, 0, "test"));
	tu_expect(kt_sign(&k, PASS), OA_ERR_STATE, "revoked");
	assert_non_null(strstr(oa_errmsg(), "keyCompromise"));
	assert_null(k.sig);
	/* A refusal before the passphrase is tried counts nothing. */
	tu_expect(kt_sign(&k, WRONG), OA_ERR_STATE, "revoked");
	kt_status(&k);
	assert_int_equal(k.ki.failures, 0);
	tu_inst_free(&k.t);
}

static void test_expired_refused(void **state)
{
	struct kt k;

	kt_new(&k, NULL, "ec-p256", 1);
	setenv("OPENAMS_NOW", "2099-01-01T00:00:00Z", 1);
	tu_expect(kt_sign(&k, PASS), OA_ERR_STATE, "expired");
	unsetenv("OPENAMS_NOW");
	assert_null(k.sig);
	tu_must(kt_sign(&k, PASS));
	free(k.sig);
	tu_inst_free(&k.t);
}

static void test_unbound_refused(void **state)
{
	struct kt k;

	kt_new(&k, NULL, "ec-p256", 0);
	tu_expect(kt_sign(&k, PASS), OA_ERR_STATE, "no certificate");
	tu_inst_free(&k.t);
}

/* A certificate that does not hold the key cannot be bound to it. */
static void test_bind_checks(void **state)
{
	struct kt k;
	char serial2[41];
	int64_t id2;
	char *csr2 = NULL;

	kt_new(&k, NULL, "ec-p256", 1);
	tu_must(keys_bind_certificate(k.t.in, k.id, k.serial, "test")); /* idempotent */
	tu_must(keys_create(k.t.in, "siti.aminah", "ec-p256", PASS, NULL, &id2, &csr2));
	tu_expect(keys_bind_certificate(k.t.in, id2, k.serial, "test"), OA_ERR_POLICY, "does not hold");
	issue_csr(&k.t, csr2, "3201015505900002", "siti@kominfo.go.id", NULL, serial2);
	tu_expect(keys_bind_certificate(k.t.in, k.id, serial2, "test"), OA_ERR_STATE, "cannot be bound again");
	tu_must(keys_bind_certificate(k.t.in, id2, serial2, "test"));
	/* The trigger backs it up. */
	exec_sql(&k.t, "UPDATE holder_key SET serial = NULL, state = 'pending'", 0);
	free(csr2);
	tu_inst_free(&k.t);
}

static void test_weak_passphrases(void **state)
{
	tu_inst t;
	int64_t id;
	static const struct {
		const char *pass, *why;
	} bad[] = {
		{"pendek", "too short"},
		{"1234567890123456", "only digits"},
		{"aaaaaaaaaaaaabbb", "fewer than 5"},
		{"santoso suka kopi", "name"},
		{"BUDI di rumah kota", "name"},
		{"nik saya " NIK, "NIK"},
		{"nomor 3201-0155-0590", "NIK"},
		{"lahir 15-05-1990 ya!", "birth date"},
		{"lahir 05151990 kemarin", "birth date"},
		{"lahir 19900515 kemarin", "NIP"}, /* the NIP starts with the birth date */
		{"kantor kominfo pusat", "e-mail"},
		{"my password is long", "common word"},
		{"budi.santoso hebat", "account name"},
		{"nip 199005152015031001", "NIP"},
		{"garis\nbaru panjang", "control"},
	};

	inst_new(&t, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		oa_err rc = keys_create(t.in, HOLDER, "ec-p256", bad[i].pass, &person, &id, NULL);
		if (rc != OA_ERR_POLICY || strstr(oa_errmsg(), bad[i].why) == NULL)
			fail_msg("case %zu: %s: %s", i, oa_err_name(rc), oa_errmsg());
		assert_null(strstr(oa_errmsg(), bad[i].pass));
	}
	assert_int_equal(count_sql(&t, "SELECT count(*) FROM holder_key"), 0);
	/* A good one passes the same checks. */
	tu_must(keys_check_passphrase(t.in, HOLDER, PASS, &person));
	tu_expect(keys_create(t.in, "bad holder!", "ec-p256", PASS, &person, &id, NULL), OA_ERR_INVALID, NULL);
	tu_expect(keys_create(t.in, HOLDER, "dsa-1024", PASS, &person, &id, NULL), OA_ERR_INVALID, NULL);
	tu_inst_free(&t);
}

/* Tampering is an integrity failure, not a wrong passphrase. */
static void tamper(tu_inst *t, int64_t id, const char *holder)
{
	uint8_t dg[32], *sig = NULL;
	size_t n = 0;
	keys_info ki;

	tu_expect(sign(t, id, holder, PASS, 0, dg, &sig, &n), OA_ERR_CRYPTO, "integrity");
	assert_null(sig);
	tu_must(keys_status(t->in, id, &ki));
	assert_int_equal(ki.failures, 0);
	assert_false(ki.locked);
}

static void flip(tu_inst *t, int64_t id, const char *col, int at)
{
	store *db = ca_store(t->c);
	char sql[160];
	store_stmt *st;
	uint8_t buf[8192];
	size_t n;
	const void *p;

	snprintf(sql, sizeof sql, "SELECT %s FROM holder_key WHERE id = ?", col);
	assert_non_null(st = store_prepare(db, sql));
	store_bind_int(st, 1, id);
	assert_int_equal(store_step(st), STORE_ROW);
	p = store_col_blob(st, 0, &n);
	memcpy(buf, p, n);
	store_reset(st);
	buf[at] ^= 0x01;
	snprintf(sql, sizeof sql, "UPDATE holder_key SET %s = ? WHERE id = ?", col);
	assert_non_null(st = store_prepare(db, sql));
	store_bind_blob(st, 1, buf, n);
	store_bind_int(st, 2, id);
	tu_must(store_run(st));
}

static void test_tamper(void **state)
{
	struct kt k;

	kt_new(&k, NULL, "ec-p256", 1);
	/* The re-seal trigger refuses a new ciphertext under an old nonce;
	 * a raw editor would drop it, as this test does. */
	exec_sql(&k.t, "DROP TRIGGER holder_key_reseal_fresh", 1);
	flip(&k.t, k.id, "ciphertext", 10);
	tamper(&k.t, k.id, HOLDER);
	flip(&k.t, k.id, "ciphertext", 10);
	flip(&k.t, k.id, "tag", 3);
	tamper(&k.t, k.id, HOLDER);
	flip(&k.t, k.id, "tag", 3);
	flip(&k.t, k.id, "nonce", 0);
	tamper(&k.t, k.id, HOLDER);
	flip(&k.t, k.id, "nonce", 0);
	/* The holder id is bound by the AAD. */
	exec_sql(&k.t, "UPDATE holder_key SET holder = 'budi.santosx'", 0); /* trigger */
	exec_sql(&k.t, "DROP TRIGGER holder_key_fixed", 1);
	exec_sql(&k.t, "UPDATE holder_key SET holder = 'budi.santosx'", 1);
	tamper(&k.t, k.id, "budi.santosx");
	exec_sql(&k.t, "UPDATE holder_key SET holder = 'budi.santoso'", 1);
	/* Each was audited and nothing was counted. */
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM audit WHERE action = 'keys.integrity_failure'"), 4);
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM audit WHERE action = 'keys.wrong_passphrase'"), 0);
	/* A changed salt cannot be told from a wrong passphrase (documented). */
	flip(&k.t, k.id, "salt", 0);
	tu_expect(kt_sign(&k, PASS), OA_ERR_DENIED, "wrong passphrase");
	flip(&k.t, k.id, "salt", 0);
	/* Restored, it signs again and forgives. */
	tu_must(kt_sign(&k, PASS));
	assert_true(verify_with_cert(&k.t, k.serial, 0, k.dg, k.sig, k.n));
	free(k.sig);
	kt_status(&k);
	assert_int_equal(k.ki.failures, 0);
	tu_inst_free(&k.t);
}

/* Creation joins the caller's transaction; attempts refuse to. */
static void test_transactions(void **state)
{
	struct kt k;
	int64_t id2;
	keys_draft *d = NULL;
	store *db;

	kt_new(&k, NULL, "ec-p256", 1);
	db = ca_store(k.t.c);
	tu_must(store_begin(db));
	tu_expect(kt_sign(&k, PASS), OA_ERR_INTERNAL, "outside a transaction");
	tu_expect(keys_change_passphrase(k.t.in, HOLDER, k.id, PASS, PASS2, &person), OA_ERR_INTERNAL, NULL);
	tu_must(keys_create(k.t.in, "siti.aminah", "ec-p256", PASS, NULL, &id2, NULL));
	store_rollback(db);
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM holder_key"), 1);
	/* Prepared outside, stored inside. */
	tu_must(keys_prepare(k.t.in, "siti.aminah", "ec-p256", PASS, NULL, &d));
	assert_non_null(keys_draft_csr(d));
	tu_must(store_begin(db));
	tu_must(keys_draft_store(k.t.in, d, "engine"));
	tu_must(store_commit(db));
	assert_int_equal(count_sql(&k.t, "SELECT count(*) FROM holder_key"), 2);
	{
		keys_info ki;
		tu_must(keys_status(k.t.in, keys_draft_id(d), &ki));
		assert_string_equal(ki.holder, "siti.aminah");
	}
	keys_draft_free(d);
	keys_draft_free(NULL);
	tu_inst_free(&k.t);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The shipped defaults: recorded with the key, and one signature in time. */
static void test_default_params(void **state)
{
	struct kt k;
	double t0;

	kt_new(&k, "", "ec-p256", 1);
	kt_status(&k);
	assert_int_equal(k.ki.memory_kib, 131072);
	assert_int_equal(k.ki.iterations, 3);
	assert_int_equal(k.ki.parallelism, 2);
	t0 = now_s();
	tu_must(kt_sign(&k, PASS));
	fprintf(stderr, "# keys_sign with default Argon2id parameters: %.3f s\n", now_s() - t0);
	assert_true(verify_with_cert(&k.t, k.serial, 0, k.dg, k.sig, k.n));
	free(k.sig);
	tu_inst_free(&k.t);
}

/* Every file under dir: none contains any needle. */
static void scan_dir(const char *dir, const void *const *needles, const size_t *lens, int nn,
    int *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat sb;
		uint8_t *buf;
		size_t len;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(path, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			scan_dir(path, needles, lens, nn, files);
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if (oa_read_file(path, 512 * 1024 * 1024, &buf, &len) != OA_OK)
			fail_msg("read %s: %s", path, oa_errmsg());
		for (int i = 0; i < nn; i++)
			if (contains(buf, len, needles[i], lens[i]))
				fail_msg("secret %d found in %s", i, path);
		free(buf);
		(*files)++;
	}
	closedir(d);
}

/* Neither passphrase nor key byte in the database, WAL, any file, or stderr. */
static void test_no_secret_on_disk(void **state)
{
	struct kt k;
	char errpath[128];
	uint8_t *p8, *priv, *p8b, *privb;
	size_t p8n, privn, p8bn, privbn;
	int64_t idr;
	int saved, fd, files = 0;
	char dir[64];

	memset(&k, 0, sizeof k);
	inst_new(&k.t, NULL);
	snprintf(dir, sizeof dir, "%s", k.t.dir);
	snprintf(errpath, sizeof errpath, "%s.stderr", k.t.dir);
	fflush(stderr);
	saved = dup(2);
	assert_true((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	dup2(fd, 2);
	close(fd);

	k.id = make_key(&k.t, "ec-p256", k.serial);
	idr = make_key(&k.t, "rsa-2048", NULL);
	clear_key(&k.t, k.id, PASS, &p8, &p8n, &priv, &privn);
	clear_key(&k.t, idr, PASS, &p8b, &p8bn, &privb, &privbn);
	tu_expect(kt_sign(&k, WRONG), OA_ERR_DENIED, NULL);
	fprintf(stderr, "error: %s\n", oa_errmsg());
	tu_must(kt_sign(&k, PASS));
	free(k.sig);
	tu_expect(keys_change_passphrase(k.t.in, HOLDER, k.id, WRONG, PASS2, &person), OA_ERR_DENIED, NULL);
	fprintf(stderr, "error: %s\n", oa_errmsg());
	tu_must(keys_change_passphrase(k.t.in, HOLDER, k.id, PASS, PASS2, &person));
	tu_expect(keys_create(k.t.in, HOLDER, "ec-p256", "santoso" PASS, &person, NULL, NULL), OA_ERR_POLICY, NULL);
	fprintf(stderr, "error: %s\n", oa_errmsg());
	/* The WAL is scanned as it is, then again after a checkpoint. */
	{
		const void *needles[] = {PASS, PASS2, WRONG, p8, priv, p8b, privb};
		size_t lens[] = {strlen(PASS), strlen(PASS2), strlen(WRONG), p8n, privn, p8bn, privbn};
		scan_dir(dir, needles, lens, 7, &files);
		assert_true(files >= 3);
		tu_must(store_exec(inst_store(k.t.in), "PRAGMA wal_checkpoint(TRUNCATE)"));
		inst_free(k.t.in);
		k.t.in = NULL;
		k.t.c = NULL;
		files = 0;
		scan_dir(dir, needles, lens, 7, &files);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		{
			uint8_t *buf;
			size_t len;
			tu_must(oa_read_file(errpath, 1 << 20, &buf, &len));
			assert_non_null(strstr((char *)buf, "wrong passphrase"));
			for (int i = 0; i < 7; i++)
				if (contains(buf, len, needles[i], lens[i]))
					fail_msg("secret %d found on stderr", i);
			free(buf);
		}
	}
	unlink(errpath);
	free(p8);
	free(priv);
	free(p8b);
	free(privb);
	tu_inst_free(&k.t);
}

/* The format itself: a seal opens only with its passphrase and binding. */
static void test_seal_format(void **state)
{
	keys_params p = {64, 1, 1};
	keys_binding b = {"budi", 42, "ec-p256"}, b2 = {"budi", 43, "ec-p256"};
	uint8_t clear[200], *out = NULL;
	size_t n = 0;
	keys_sealed s;

	for (size_t i = 0; i < sizeof clear; i++)
		clear[i] = (uint8_t)i;
	tu_must(keys_seal(PASS, &p, &b, clear, sizeof clear, &s));
	assert_false(contains(s.ct, s.ct_len, clear + 16, 16));
	tu_must(keys_unseal(PASS, &s, &b, &out, &n));
	assert_int_equal(n, sizeof clear);
	assert_memory_equal(out, clear, n);
	keys_secret_free(out, n);
	tu_expect(keys_unseal(WRONG, &s, &b, &out, &n), OA_ERR_DENIED, NULL);
	assert_null(out);
	tu_expect(keys_unseal(PASS, &s, &b2, &out, &n), OA_ERR_CRYPTO, "integrity");
	assert_null(out);
	keys_sealed_free(&s);
	keys_sealed_free(NULL);
	p.memory_kib = 4;
	tu_expect(keys_seal(PASS, &p, &b, clear, sizeof clear, &s), OA_ERR_CONFIG, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_format),
		cmocka_unit_test(test_sealed_blob),
		cmocka_unit_test(test_sign_ec_p256),
		cmocka_unit_test(test_sign_ec_p384),
		cmocka_unit_test(test_sign_rsa_pkcs1),
		cmocka_unit_test(test_sign_rsa_pss),
		cmocka_unit_test(test_wrong_passphrase_counts),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_lower_limit_locks),
		cmocka_unit_test(test_change_passphrase),
		cmocka_unit_test(test_revoked_refused),
		cmocka_unit_test(test_expired_refused),
		cmocka_unit_test(test_unbound_refused),
		cmocka_unit_test(test_bind_checks),
		cmocka_unit_test(test_weak_passphrases),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_default_params),
		cmocka_unit_test(test_no_secret_on_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
