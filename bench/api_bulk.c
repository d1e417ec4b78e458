/*
 * api_bulk.c - the fixture of bench/bench_api.sh, made through the engine
 * in-process (far faster than through HTTP, and not what is measured):
 *
 *   api_bulk DIR OPEN ISSUE IDS_FILE
 *
 * OPEN applicants with one open case each, submitted by the applicant
 * (documents attached, step 1 done) so that it waits at step 2 for the
 * head of the agency (kadis: the "list my tasks" and inbox load), and ISSUE applicants whose cases are walked
 * through every step before the BSrE issue step (documents attached by
 * hash, identity entered and approved, a P-256 CSR of their own at the
 * set-passphrase step), so that the benchmark's clients only complete
 * step 11.  Every applicant is a person of the demo organisation with the
 * pemohon role and a NIK of their own (one active certificate per NIK).
 * The ids of the ISSUE cases are written to IDS_FILE, one a line.
 * Committed in transactions of 256 engine calls (savepoints).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth/auth.h"
#include "engine/engine.h"

static const char *const docs[] = {"surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk"};
static const struct {
	const char *step, *role, *staff;
	int decision;
} plan[] = {
	{"1", "pemohon", NULL, 0}, {"2", "kadis", "kadis.demo", 0}, {"3", "kabid", "kabid.demo", 0},
	{"4", "verifikator", "verifikator.demo", 0},
	{"5", "verifikator", "verifikator.demo", ENGINE_YES}, {"7", "pemohon", NULL, 0},
	{"8", "verifikator", "verifikator.demo", ENGINE_YES}, {"10", "pemohon", NULL, 0},
};

static int fail(const char *what, long i)
{
	fprintf(stderr, "api_bulk: %s %ld: %s\n", what, i, oa_errmsg());
	return 1;
}

static char *csr_pem(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *d, *out = NULL;
	long n;

	if (k && req && b &&
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	        (const unsigned char *)"Pemohon Uji", -1, -1, 0) &&
	    X509_REQ_set_pubkey(req, k) && X509_REQ_sign(req, k, EVP_sha256()) &&
	    PEM_write_bio_X509_REQ(b, req) && (n = BIO_get_mem_data(b, &d)) > 0)
		out = strndup(d, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return out;
}

/* Commits every 256 calls, so that no transaction grows without bound. */
static int tick(store *s, long *calls)
{
	if (++*calls % 256)
		return 0;
	return store_commit(s) || store_begin(s);
}

/* One applicant: person, role, case; walk 1: submitted (at step 2),
 * walk 2: walked to step 11. */
static int applicant(engine *e, auth *a, store *s, long i, int walk, long *calls, int64_t *cid)
{
	char id[32], nik[48], email[64], sha[65];
	const char *roles[] = {"pemohon"};
	engine_who w = {id, "kominfo", roles, 1};
	engine_open_req o = {.org = "kominfo", .sop_id = "meranti-penerbitan", .applicant = id,
	    .applicant_nik = nik};
	auth_person_in p = {.id = id, .org = "kominfo", .name = "Pemohon Uji", .nik = nik,
	    .email = email};
	char *csr = NULL;

	/* NIK: region, birth date (day 01..28, month 01..12, year 81 or 85), serial */
	snprintf(id, sizeof id, walk == 2 ? "iss%05ld" : "bulk%05ld", i);
	snprintf(nik, sizeof nik, "147101%02ld%02ld%s%04ld", 1 + i % 28, 1 + (i / 28) % 12,
	    walk == 2 ? "85" : "81", 1 + i / 336);
	snprintf(email, sizeof email, "%s@kominfo.demo.go.id", id);
	if (auth_person_create(a, &p, "bench") || auth_role_grant(a, id, "kominfo", "pemohon", "bench") ||
	    engine_case_open(e, &w, &o, cid) || tick(s, calls))
		return fail("applicant", i);
	if (!walk)
		return 0;
	for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		snprintf(sha, sizeof sha, "%060ld%04zx", i, d);
		if (engine_case_attach(e, &w, *cid, docs[d], sha, "berkas.pdf") || tick(s, calls))
			return fail("attach", i);
	}
	if (walk == 1) {
		engine_act act = {.case_id = *cid, .step = "1", .role = "pemohon"};
		engine_result res;
		if (engine_case_act(e, &w, &act, &res) || tick(s, calls))
			return fail("submit", i);
		return 0;
	}
	if ((csr = csr_pem()) == NULL)
		return fail("csr", i);
	for (size_t k = 0; k < sizeof plan / sizeof plan[0]; k++) {
		const char *keys[4], *vals[4], *srole[1] = {plan[k].role};
		engine_who staff = {plan[k].staff, "kominfo", srole, 1};
		engine_act act = {.case_id = *cid, .step = plan[k].step, .role = plan[k].role,
		    .decision = plan[k].decision, .keys = keys, .values = vals};
		engine_result res;
		if (!strcmp(plan[k].step, "7")) {
			keys[0] = "name", vals[0] = "Pemohon Uji";
			keys[1] = "nik", vals[1] = nik;
			keys[2] = "email", vals[2] = email;
			keys[3] = "organization", vals[3] = "Dinas Kominfo";
			act.ndata = 4;
		} else if (!strcmp(plan[k].step, "10")) {
			keys[0] = "csr", vals[0] = csr;
			act.ndata = 1;
		}
		if (engine_case_act(e, plan[k].staff ? &staff : &w, &act, &res) || tick(s, calls)) {
			free(csr);
			return fail("act", i);
		}
	}
	free(csr);
	return 0;
}

int main(int argc, char **argv)
{
	inst *in;
	engine *e;
	auth *a;
	store *s;
	long nopen, nissue, calls = 0;
	FILE *ids;

	if (argc != 5 || (nopen = atol(argv[2])) < 0 || (nissue = atol(argv[3])) < 0 ||
	    nopen > 336 * 9999 || nissue > 336 * 9999) {
		fprintf(stderr, "usage: api_bulk DIR OPEN ISSUE IDS_FILE\n");
		return 2;
	}
	if ((ids = fopen(argv[4], "w")) == NULL) {
		perror(argv[4]);
		return 1;
	}
	if (inst_open(argv[1], &in) || engine_open(in, &e) || auth_open(in, &a) ||
	    store_begin(s = inst_store(in)))
		return fail("open", 0);
	for (long i = 0; i < nopen + nissue; i++) {
		int64_t cid;
		if (applicant(e, a, s, i < nopen ? i : i - nopen, i < nopen ? 1 : 2, &calls, &cid)) {
			store_rollback(s);
			return 1;
		}
		if (i >= nopen)
			fprintf(ids, "%lld\n", (long long)cid);
	}
	if (store_commit(s))
		return fail("commit", 0);
	if (fclose(ids) != 0) {
		perror(argv[4]);
		return 1;
	}
	auth_free(a);
	engine_free(e);
	inst_free(in);
	return 0;
}
