/*
 * bench_engine.c - durable SOP step transitions per second: N cases driven
 * through the whole issuance SOP 001 (Kab. Kepulauan Meranti) in-process,
 * every transition committed to SQLite (WAL, synchronous=FULL) before it
 * counts, the certificate issued by the CA at step 11.
 *
 *   bench_engine [--cases N] [--batch B] [--single N1] [--dir DIR] [--store URL]
 *
 * --store: the instance's database in PostgreSQL (an empty database, as
 * `openams init --store URL` takes it) instead of SQLite in DIR.
 *
 * Two ways of committing are measured in one run:
 *   single: every engine call (open, attach, act) commits on its own, as a
 *           command-line user would (N1 cases, default 1000);
 *   group:  calls are grouped, B per transaction (savepoint per call), as a
 *           server batching concurrent requests does (N cases).
 * Printed: transitions/s (rows of sop_transition, automatic steps
 * included), engine calls/s, commits/s, cases/s, and peak RSS.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"
#include "engine/engine.h"
#include "testutil.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_engine: %s: %s\n", what, oa_errmsg());
	exit(1);
}

static const char *const docs[] = {"surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk"};
/* Steps of SOP 001 that wait for a person, in order, with their role. */
static const struct {
	const char *step, *role;
	int decision;
} plan[] = {
	{"1", "pemohon", 0}, {"2", "kadis", 0}, {"3", "kabid", 0}, {"4", "verifikator", 0},
	{"5", "verifikator", ENGINE_YES}, {"7", "pemohon", 0}, {"8", "verifikator", ENGINE_YES},
	{"10", "pemohon", 0}, {"11", "bsre", 0},
};
#define NPLAN (sizeof plan / sizeof plan[0])
/* Operations per case: open, 4 attaches, 9 acts. */
#define OPS (1 + 4 + NPLAN)

struct bench {
	engine *e;
	store *db;
	int64_t *ids;
	char **csrs;
	char (*person)[32];
	char (*nik)[24];
	long calls, commits;
};

static void op(struct bench *b, size_t i, int k)
{
	engine_result res;
	const char *roles1[1];
	engine_who who;
	oa_err rc;

	if (k == 0 || (k >= 1 && k <= 4) || strcmp(plan[k >= 5 ? k - 5 : 0].role, "pemohon") == 0) {
		roles1[0] = "pemohon";
		who = (engine_who){b->person[i], "kominfo", roles1, 1};
	}
	if (k == 0) {
		engine_open_req r = {.org = "kominfo", .sop_id = "meranti-penerbitan",
		    .applicant = b->person[i], .applicant_nik = b->nik[i]};
		rc = engine_case_open(b->e, &who, &r, &b->ids[i]);
	} else if (k <= 4) {
		char sha[65];
		snprintf(sha, sizeof sha, "%064zx", i * 4 + (size_t)k);
		rc = engine_case_attach(b->e, &who, b->ids[i], docs[k - 1], sha, "berkas.pdf");
	} else {
		const char *keys[6], *vals[6];
		engine_act a = {0};
		int p = k - 5;
		a.case_id = b->ids[i];
		a.step = plan[p].step;
		a.role = plan[p].role;
		a.decision = plan[p].decision;
		if (strcmp(plan[p].role, "pemohon") != 0) {
			roles1[0] = plan[p].role;
			who = (engine_who){"staf.bench", "kominfo", roles1, 1};
		}
		if (!strcmp(plan[p].step, "7")) {
			keys[0] = "name"; vals[0] = "Pemohon Uji";
			keys[1] = "nik"; vals[1] = b->nik[i];
			keys[2] = "email"; vals[2] = "pemohon@kominfo.merantikab.go.id";
			keys[3] = "organization"; vals[3] = "Pemkab Kepulauan Meranti";
			a.keys = keys;
			a.values = vals;
			a.ndata = 4;
		} else if (!strcmp(plan[p].step, "10")) {
			keys[0] = "csr";
			vals[0] = b->csrs[i];
			a.keys = keys;
			a.values = vals;
			a.ndata = 1;
		}
		rc = engine_case_act(b->e, &who, &a, &res);
	}
	if (rc)
		die("engine call");
	b->calls++;
}

/* Drives cases [from, to) to completion, `batch` calls per commit (1: own commits). */
static void drive(struct bench *b, size_t from, size_t to, size_t batch)
{
	for (int k = 0; k < (int)OPS; k++) {
		for (size_t i = from; i < to;) {
			size_t end = i + batch < to ? i + batch : to;
			if (batch > 1 && store_begin(b->db))
				die("begin");
			for (; i < end; i++)
				op(b, i, k);
			if (batch > 1 && store_commit(b->db))
				die("commit");
			b->commits += batch > 1 ? 1 : 0;
		}
		if (batch == 1)
			b->commits += (long)(to - from);
	}
}

static int64_t count(store *s, const char *sql)
{
	store_stmt *st = store_prepare(s, sql);
	int64_t n = 0;
	if (st && store_step(st) == STORE_ROW)
		n = store_col_int(st, 0);
	store_reset(st);
	return n;
}

int main(int argc, char **argv)
{
	size_t ncases = 10000, batch = 256, nsingle = 1000;
	char dir[512] = "", sopdir[1024], idir[600];
	ca_init_opts o = {0};
	inst *in;
	struct bench b = {0};
	struct rusage ru;
	double t0, t1, t2;
	const char *store_url = NULL;
	char cfile[600];
	int64_t tr0, tr1, tr2;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cases"))
			ncases = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--batch"))
			batch = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--single"))
			nsingle = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--dir"))
			snprintf(dir, sizeof dir, "%s", argv[i + 1]);
		else if (!strcmp(argv[i], "--store"))
			store_url = argv[i + 1];
	}
	if (ncases == 0 || batch == 0 || ncases > 500000 || nsingle > 500000) {
		fprintf(stderr, "usage: bench_engine [--cases N] [--batch B] [--single N1] [--dir DIR]"
		                " [--store URL]\n");
		return 2;
	}
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/openams-bench-engine-XXXXXX");
		if (mkdtemp(dir) == NULL)
			die("mkdtemp");
	}
	snprintf(idir, sizeof idir, "%s/inst", dir);
	o.dir = idir;
	if (store_url) {
		FILE *f;
		snprintf(cfile, sizeof cfile, "%s/store.conf", dir);
		if ((f = fopen(cfile, "w")) == NULL || fprintf(f, "store.path = %s\n", store_url) < 0 ||
		    fclose(f) != 0)
			die("writing the store setting");
		o.config_file = cfile;
	}
	o.share = tu_share();
	snprintf(sopdir, sizeof sopdir, "%s/sop", o.share);
	if (ca_init(&o) || inst_open(idir, &in) || engine_open(in, &b.e) ||
	    engine_sop_install_dir(b.e, "kominfo", sopdir, "bench"))
		die("setup");
	b.db = inst_store(in);
	b.ids = calloc(ncases + nsingle, sizeof *b.ids);
	b.csrs = calloc(ncases + nsingle, sizeof *b.csrs);
	b.person = calloc(ncases + nsingle, sizeof *b.person);
	b.nik = calloc(ncases + nsingle, sizeof *b.nik);
	for (size_t i = 0; i < ncases + nsingle; i++) {
		b.csrs[i] = tu_csr_pem("Pemohon");
		snprintf(b.person[i], sizeof b.person[i], "pemohon%zu", i % 1000000);
		/* a valid NIK (common/nik.h): district, day, month and serial from i */
		snprintf(b.nik[i], sizeof b.nik[i], "1471%02zu%02zu%02zu90%04zu", i / 3359664 % 100,
		    1 + i / 119988 % 28, 1 + i / 9999 % 12, 1 + i % 9999);
	}
	printf("bench_engine: SOP 001, %zu cases with group commit (batch %zu), %zu with one commit per call\n",
	    ncases, batch, nsingle);
	printf("data directory: %s (%s)\n", idir,
	    store_url ? "PostgreSQL, synchronous_commit on" : "SQLite WAL, synchronous=FULL");

	tr0 = count(b.db, "SELECT COUNT(*) FROM sop_transition");
	t0 = now_s();
	drive(&b, ncases, ncases + nsingle, 1);
	t1 = now_s();
	tr1 = count(b.db, "SELECT COUNT(*) FROM sop_transition");
	{
		long calls = b.calls, commits = b.commits;
		printf("single  : %6zu cases %8" PRId64 " transitions in %7.2f s = %8.0f transitions/s"
		       " (%7.0f calls/s, %7.0f commits/s, %6.0f cases/s)\n",
		    nsingle, tr1 - tr0, t1 - t0, (double)(tr1 - tr0) / (t1 - t0),
		    (double)calls / (t1 - t0), (double)commits / (t1 - t0),
		    (double)nsingle / (t1 - t0));
		b.calls = b.commits = 0;
	}
	t1 = now_s();
	drive(&b, 0, ncases, batch);
	t2 = now_s();
	tr2 = count(b.db, "SELECT COUNT(*) FROM sop_transition");
	printf("group   : %6zu cases %8" PRId64 " transitions in %7.2f s = %8.0f transitions/s"
	       " (%7.0f calls/s, %7.0f commits/s, %6.0f cases/s)\n",
	    ncases, tr2 - tr1, t2 - t1, (double)(tr2 - tr1) / (t2 - t1), (double)b.calls / (t2 - t1),
	    (double)b.commits / (t2 - t1), (double)ncases / (t2 - t1));
	printf("check   : %" PRId64 " completed cases, %" PRId64 " certificates, audit rows %" PRId64 "\n",
	    count(b.db, "SELECT COUNT(*) FROM sop_case WHERE state = 'completed'"),
	    count(b.db, "SELECT COUNT(*) FROM certificate"), count(b.db, "SELECT COUNT(*) FROM audit"));
	getrusage(RUSAGE_SELF, &ru);
	printf("memory  : peak RSS %ld MiB\n", ru.ru_maxrss / 1024);
	if (count(b.db, "SELECT COUNT(*) FROM sop_case WHERE state = 'completed'") !=
	    (int64_t)(ncases + nsingle)) {
		fprintf(stderr, "bench_engine: not every case completed\n");
		return 1;
	}
	engine_free(b.e);
	inst_free(in);
	return 0;
}
