/*
 * commit.c - group commit for `openams serve`: one committer thread runs the
 * state changes of concurrent requests on a CA handle of its own, many in
 * one write transaction, each in a savepoint of its own, commits once, and
 * only then lets each request answer.
 *
 * Why: a change is durable before it is acknowledged (WAL,
 * synchronous=FULL: an fsync per commit) and SQLite has one writer at a
 * time.  Requests committing on their own queue in SQLite's busy handler
 * (which sleeps) and pay an fsync each; a batch here pays one, and no
 * worker thread ever waits for the write lock.
 *
 * A request's life:
 *   worker     the handler checks the input and does what needs no lock
 *              (engine_act_prepare: a holder key from a passphrase), then
 *              web_commit(): the connection is suspended (the worker goes
 *              on serving its other connections) and the job queued;
 *   committer  BEGIN IMMEDIATE, then the jobs queued, and those arriving
 *              while they run, up to COMMIT_MAX_BATCH: each job's run in a
 *              SAVEPOINT of its own (RELEASE when it succeeded, ROLLBACK TO
 *              when it was refused: its own error, no trace), the engine's
 *              acts together through engine_case_act_batch (the same
 *              savepoint per act; engine_act_cert names the certificate
 *              each act needs, one ca_issue_batch issues them all and
 *              engine_case_act_issued finishes each act with its serial:
 *              src/engine/batch.c); COMMIT (durable); the issuing CRL when a
 *              job revoked; then every job of the transaction is finished
 *              and its connection resumed;
 *   worker     MHD calls the handler again: job->done replies from the
 *              job's outcome (server.c).
 * Nothing is answered before its commit, so a crash loses only work nobody
 * was told was done.  A failed COMMIT fails every job of its transaction
 * (none is answered as done).  When SQLite gives a transaction up by itself
 * (an I/O error, a full disk) everything in it is gone: its jobs go back to
 * the queue to run each in a transaction of its own (solo), so that the
 * one that broke it fails alone; a job runs at most COMMIT_MAX_TRIES times.
 *
 * Checkpoints: the committer's connection does not copy the WAL into the
 * database inside its commits; a checkpointer thread with a handle of its
 * own does (passive), woken after commits once the WAL has grown.
 *
 * Stop: web_commit_stop() refuses new jobs (503), finishes those queued,
 * joins the threads (MHD must not stop with connections suspended).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpInt.h"

#define COMMIT_MAX_BATCH 64     /* jobs per transaction */
#define COMMIT_MAX_TRIES 3      /* runs of a job whose batch broke under it */
#define CHECKPOINT_PAGES 1000   /* WAL pages after which the checkpointer runs */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;         /* jobs queued, or stop */
	web_job *head, *tail;
	int started, stopping;
	pthread_t thread;
	inst *in;                       /* the committer's handles */
	engine *e;
	auth *a;
	/* checkpointer */
	pthread_t ckpt_thread;
	pthread_cond_t ckpt_cond;
	int ckpt_started, ckpt_due;
	inst *ckpt_in;
	/* counters (under lock), for tests and the log */
	unsigned long long batches, jobs;
} C = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
    .ckpt_cond = PTHREAD_COND_INITIALIZER};

/* Takes the next queued job (lock held); NULL if none. */
static web_job *pop(void)
{
	web_job *j = C.head;

	if (j) {
		C.head = j->next;
		if (C.head == NULL)
			C.tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void set_error(web_job *j, oa_err rc, const char *msg)
{
	j->rc = rc ? rc : OA_ERR_INTERNAL;
	j->busy = rc == OA_ERR_STORE && store_last_busy();
	snprintf(j->msg, sizeof j->msg, "%s", msg && *msg ? msg : "failed");
}

/* Hands a finished job back to its worker. */
static void finish(web_job *j)
{
	struct MHD_Connection *conn = j->r->conn;

	atomic_store_explicit(&j->finished, 1, memory_order_release);
	MHD_resume_connection(conn);
}

/* Runs the jobs batch[from, to) in the open transaction: the others one by
 * one, then the acts together (engine_case_act_batch).  0, or -1 when the
 * transaction itself was lost. */
static int run_jobs(web_job **batch, size_t from, size_t to)
{
	store *db = inst_store(C.in);
	engine_batch_item *items[COMMIT_MAX_BATCH];
	engine_batch_item flat[COMMIT_MAX_BATCH];
	size_t na = 0;

	for (size_t i = from; i < to; i++) {
		web_job *j = batch[i];
		oa_err rc;
		j->crl = 0;
		j->tries++;
		if (j->act) {
			items[na++] = j->act;
			continue;
		}
		oa_err_clear();
		if ((rc = store_savepoint(db)) == OA_OK)
			rc = j->run(j, C.in, C.e, C.a);
		if (!store_tx_alive(db))
			return -1;
		if (rc == OA_OK && store_release(db) != OA_OK)
			return -1;
		if (rc) {
			set_error(j, rc, oa_errmsg());
			store_rollback_to(db);
		} else
			j->rc = OA_OK;
	}
	if (na == 0)
		return 0;
	for (size_t k = 0; k < na; k++)
		flat[k] = *items[k];
	oa_err_clear();
	if (engine_case_act_batch(C.e, flat, na) != OA_OK || !store_tx_alive(db))
		return -1;
	for (size_t k = 0; k < na; k++)
		*items[k] = flat[k];
	for (size_t i = from; i < to; i++) {
		web_job *j = batch[i];
		if (j->act == NULL)
			continue;
		if (j->act->rc)
			set_error(j, j->act->rc, j->act->msg);
		else {
			j->rc = OA_OK;
			j->crl = j->act->res.revoked[0] != 0;
		}
	}
	return 0;
}

/* One transaction: first, the jobs queued, and those arriving while it
 * runs (up to COMMIT_MAX_BATCH); a solo job alone. */
static void run_batch(web_job *first)
{
	store *db = inst_store(C.in);
	web_job *batch[COMMIT_MAX_BATCH];
	size_t n = 0, ran = 0;
	int crl = 0;
	oa_err rc;

	batch[n++] = first;
	if ((rc = store_begin(db))) {
		set_error(first, rc, oa_errmsg());
		oa_err_clear();
		finish(first);
		return;
	}
	for (;;) {
		pthread_mutex_lock(&C.lock);
		while (!first->solo && n < COMMIT_MAX_BATCH && C.head && !C.head->solo)
			batch[n++] = pop();
		pthread_mutex_unlock(&C.lock);
		if (ran == n)
			break;
		if (run_jobs(batch, ran, n) < 0) {
			/* SQLite gave the transaction up: everything before is gone
			 * too.  The jobs go back, each to run alone, or fail when
			 * they have run too often. */
			const char *msg = *oa_errmsg() ? oa_errmsg() : "database: the transaction was lost";
			char m[sizeof first->msg];
			snprintf(m, sizeof m, "%s", msg);
			store_rollback(db);
			oa_err_clear();
			pthread_mutex_lock(&C.lock);
			for (size_t i = n; i-- > 0;) {
				if (batch[i]->tries >= COMMIT_MAX_TRIES || (first->solo && n == 1)) {
					set_error(batch[i], OA_ERR_STORE, m);
					batch[i]->next = NULL;
					continue;
				}
				batch[i]->solo = 1;
				batch[i]->next = C.head;
				C.head = batch[i];
				if (C.tail == NULL)
					C.tail = batch[i];
				batch[i] = NULL;
			}
			pthread_mutex_unlock(&C.lock);
			for (size_t i = 0; i < n; i++)
				if (batch[i])
					finish(batch[i]);
			return;
		}
		ran = n;
	}
	for (size_t i = 0; i < n; i++)
		crl |= batch[i]->rc == OA_OK && batch[i]->crl;
	if ((rc = store_commit(db))) {
		const char *msg = oa_errmsg();
		for (size_t i = 0; i < n; i++)
			if (batch[i]->rc == OA_OK)
				set_error(batch[i], rc, msg);
		crl = 0;
	}
	oa_err_clear();
	/* As engine_case_act does after its own commit: a failure here is
	 * reported, not undone (the revocation is recorded). */
	if (crl && ca_crl_publish(inst_ca(C.in), 0, NULL, NULL) != OA_OK)
		fprintf(stderr, "openams: web: revocation recorded; CRL not republished: %s\n",
		    oa_errmsg());
	oa_err_clear();
	pthread_mutex_lock(&C.lock);
	C.batches++;
	C.jobs += n;
	if (!C.ckpt_due && C.ckpt_started && store_wal_pages(db) >= CHECKPOINT_PAGES) {
		C.ckpt_due = 1;
		pthread_cond_signal(&C.ckpt_cond);
	}
	pthread_mutex_unlock(&C.lock);
	for (size_t i = 0; i < n; i++)
		finish(batch[i]);
}

static void *committer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "committer");
	pthread_mutex_lock(&C.lock);
	for (;;) {
		web_job *j;
		while (C.head == NULL && !C.stopping)
			pthread_cond_wait(&C.cond, &C.lock);
		if ((j = pop()) == NULL)
			break; /* stopping, and nothing left */
		pthread_mutex_unlock(&C.lock);
		run_batch(j);
		pthread_mutex_lock(&C.lock);
	}
	pthread_mutex_unlock(&C.lock);
	return NULL;
}

/* Copies the WAL into the database while the committer goes on writing. */
static void *checkpointer(void *arg)
{
	store *db = inst_store(C.ckpt_in);

	(void)arg;
	pthread_setname_np(pthread_self(), "checkpointer");
	pthread_mutex_lock(&C.lock);
	for (;;) {
		while (!C.ckpt_due && !C.stopping)
			pthread_cond_wait(&C.ckpt_cond, &C.lock);
		if (C.stopping)
			break;
		C.ckpt_due = 0;
		pthread_mutex_unlock(&C.lock);
		if (store_checkpoint(db, NULL) != OA_OK) {
			fprintf(stderr, "openams: web: checkpoint: %s\n", oa_errmsg());
			oa_err_clear();
		}
		pthread_mutex_lock(&C.lock);
	}
	pthread_mutex_unlock(&C.lock);
	return NULL;
}

oa_err web_commit_start(const char *dir, ca_signers *signers)
{
	oa_err rc;

	C.stopping = 0;
	C.batches = C.jobs = 0;
	if ((rc = inst_open(dir, &C.in)))
		goto fail;
	if (signers)
		inst_use_signers(C.in, signers);
	if ((rc = engine_open(C.in, &C.e)) ||
	    (rc = auth_open(C.in, &C.a)) || (rc = inst_open(dir, &C.ckpt_in)) ||
	    (rc = store_autocheckpoint(inst_store(C.in), 0)))
		goto fail;
	if (pthread_create(&C.thread, NULL, committer, NULL) != 0) {
		rc = oa_fail(OA_ERR_INTERNAL, "cannot start the committer thread");
		goto fail;
	}
	C.started = 1;
	if (pthread_create(&C.ckpt_thread, NULL, checkpointer, NULL) == 0)
		C.ckpt_started = 1;
	else if ((rc = store_autocheckpoint(inst_store(C.in), CHECKPOINT_PAGES))) {
		web_commit_stop();
		return rc;
	}
	return OA_OK;
fail:
	auth_free(C.a);
	engine_free(C.e);
	inst_free(C.in);
	inst_free(C.ckpt_in);
	C.a = NULL;
	C.e = NULL;
	C.in = C.ckpt_in = NULL;
	return rc;
}

void web_commit_stop(void)
{
	pthread_mutex_lock(&C.lock);
	C.stopping = 1;
	pthread_cond_broadcast(&C.cond);
	pthread_cond_broadcast(&C.ckpt_cond);
	pthread_mutex_unlock(&C.lock);
	if (C.started)
		pthread_join(C.thread, NULL);
	if (C.ckpt_started)
		pthread_join(C.ckpt_thread, NULL);
	C.started = C.ckpt_started = 0;
	if (C.in && C.batches)
		fprintf(stderr, "openams: web: group commit: %llu jobs in %llu transactions\n", C.jobs,
		    C.batches);
	auth_free(C.a);
	engine_free(C.e);
	inst_free(C.in);
	inst_free(C.ckpt_in);
	C.a = NULL;
	C.e = NULL;
	C.in = C.ckpt_in = NULL;
}

int web_commit(web_req *r, web_job *j)
{
	pthread_mutex_lock(&C.lock);
	if (!C.started || C.stopping) {
		pthread_mutex_unlock(&C.lock);
		web_reply_fail(r, 503, "unavailable", "Layanan sedang berhenti, coba lagi",
		    "The service is stopping; try again");
		web_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
		return 0;
	}
	j->r = r;
	j->next = NULL;
	j->tries = 0;
	j->solo = 0;
	j->rc = OA_OK;
	j->busy = 0;
	j->msg[0] = 0;
	atomic_store(&j->finished, 0);
	r->job = j;
	/* Suspended before it can be resumed: the committer may finish it at
	 * once, before this handler has returned. */
	MHD_suspend_connection(r->conn);
	if (C.tail)
		C.tail->next = j;
	else
		C.head = j;
	C.tail = j;
	pthread_cond_signal(&C.cond);
	pthread_mutex_unlock(&C.lock);
	return 1;
}
