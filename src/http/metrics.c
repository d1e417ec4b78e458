/*
 * metrics.c - counters for /metrics (Prometheus text format 0.0.4).
 *
 * Request counts by route and status and a latency histogram per route are
 * atomics updated by every worker thread when a request completes.  The
 * store figures (certificates issued and revoked, open and overdue cases
 * per organisation, CRL age, the CA certificates' notAfter) are read at
 * scrape time with COUNT queries on the scraping thread's handle, in one
 * read transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "httpInt.h"

static const unsigned statuses[] = {200, 204, 301, 304, 400, 401, 403, 404, 405, 409, 413,
    414, 415, 422, 429, 431, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0] + 1)

static size_t nroutes;            /* routes + 1 for "no route" */
static atomic_ullong *counts;     /* [route][status] */
static atomic_ullong *hist;       /* [route][bucket] */
static atomic_ullong *sum_ns;     /* [route] */

oa_err web_metrics_init(void)
{
	nroutes = web_nroutes() + 1;
	counts = calloc(nroutes * NSTATUS, sizeof *counts);
	hist = calloc(nroutes * NBUCKET, sizeof *hist);
	sum_ns = calloc(nroutes, sizeof *sum_ns);
	if (counts == NULL || hist == NULL || sum_ns == NULL) {
		web_metrics_free();
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	return OA_OK;
}

void web_metrics_free(void)
{
	free(counts);
	free(hist);
	free(sum_ns);
	counts = hist = sum_ns = NULL;
}

void web_metrics_observe(int route, unsigned status, uint64_t dur_ns)
{
	size_t ri = route < 0 ? nroutes - 1 : (size_t)route, si = NSTATUS - 1, b = NBUCKET - 1;
	double s = (double)dur_ns / 1e9;

	if (counts == NULL || ri >= nroutes)
		return;
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			si = i;
	for (size_t i = 0; i < NBUCKET - 1; i++)
		if (s <= buckets[i]) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&counts[ri * NSTATUS + si], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist[ri * NBUCKET + b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sum_ns[ri], dur_ns, memory_order_relaxed);
}

static const char *route_name(size_t i)
{
	const web_route *rt = i < nroutes - 1 ? web_route_at((int)i) : NULL;

	return rt ? rt->pattern : "none";
}

/* Label values of ours never hold quotes or backslashes, but org ids come
 * from the database: escape as the format says. */
static oa_err label(oa_buf *b, const char *s)
{
	oa_err rc = OA_OK;

	for (; *s && rc == OA_OK; s++) {
		if (*s == '\\' || *s == '"')
			rc = oa_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			rc = oa_buf_append(b, "\\n", 2);
		else
			rc = oa_buf_append(b, s, 1);
	}
	return rc;
}

static oa_err http_metrics(oa_buf *b)
{
	oa_err rc;

	rc = oa_buf_printf(b, "# HELP openams_http_requests_total HTTP requests by route pattern"
	                      " and status.\n# TYPE openams_http_requests_total counter\n");
	for (size_t r = 0; r < nroutes && rc == OA_OK; r++)
		for (size_t s = 0; s < NSTATUS && rc == OA_OK; s++) {
			unsigned long long v = atomic_load_explicit(&counts[r * NSTATUS + s],
			    memory_order_relaxed);
			if (v == 0)
				continue;
			if (s < NSTATUS - 1)
				rc = oa_buf_printf(b, "openams_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
				    route_name(r), statuses[s], v);
			else
				rc = oa_buf_printf(b, "openams_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
				    route_name(r), v);
		}
	if (rc == OA_OK)
		rc = oa_buf_printf(b, "# HELP openams_http_request_duration_seconds Time from the"
		                      " request's headers to its last byte sent.\n"
		                      "# TYPE openams_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r < nroutes && rc == OA_OK; r++) {
		unsigned long long cum = 0;
		for (size_t k = 0; k < NBUCKET; k++)
			cum += atomic_load_explicit(&hist[r * NBUCKET + k], memory_order_relaxed);
		if (cum == 0)
			continue;
		cum = 0;
		for (size_t k = 0; k < NBUCKET && rc == OA_OK; k++) {
			cum += atomic_load_explicit(&hist[r * NBUCKET + k], memory_order_relaxed);
			if (k < NBUCKET - 1)
				rc = oa_buf_printf(b, "openams_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				    route_name(r), buckets[k], cum);
			else
				rc = oa_buf_printf(b, "openams_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
				    route_name(r), cum);
		}
		if (rc == OA_OK)
			rc = oa_buf_printf(b, "openams_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
			                      "openams_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
			    route_name(r),
			    (double)atomic_load_explicit(&sum_ns[r], memory_order_relaxed) / 1e9,
			    route_name(r), cum);
	}
	return rc;
}

struct gauges {
	oa_buf *b;
	oa_buf overdue;           /* the second gauge, written after the first */
	int64_t now;
	oa_err rc;
};

static int org_gauges(const char *org, int64_t open, int64_t overdue, void *arg)
{
	struct gauges *g = arg;

	if ((g->rc = oa_buf_printf(g->b, "openams_cases_open{org=\"")) ||
	    (g->rc = label(g->b, org)) ||
	    (g->rc = oa_buf_printf(g->b, "\"} %lld\n", (long long)open)) ||
	    (g->rc = oa_buf_printf(&g->overdue, "openams_cases_overdue{org=\"")) ||
	    (g->rc = label(&g->overdue, org)) ||
	    (g->rc = oa_buf_printf(&g->overdue, "\"} %lld\n", (long long)overdue)))
		return 1;
	return 0;
}

static int crl_gauges(const char *issuer, int64_t this_update, int64_t next_update,
    int64_t number, void *arg)
{
	struct gauges *g = arg;
	const char *i = strcmp(issuer, "root") == 0 ? "root" : "issuing";

	g->rc = oa_buf_printf(g->b,
	    "openams_crl_age_seconds{issuer=\"%s\"} %lld\n"
	    "openams_crl_next_update_seconds{issuer=\"%s\"} %lld\n"
	    "openams_crl_number{issuer=\"%s\"} %lld\n",
	    i, (long long)(g->now - this_update), i, (long long)(next_update - g->now), i,
	    (long long)number);
	return g->rc != OA_OK;
}

static int expiry_gauges(const ca_cert_expiry *e, void *arg)
{
	struct gauges *g = arg;

	g->rc = oa_buf_printf(g->b, "openams_ca_cert_expiry_seconds{role=\"%s\"} %lld\n", e->role,
	    (long long)e->not_after);
	return g->rc != OA_OK;
}

/* The gauges read from the modules that own the data (one read
 * transaction, so the figures agree with each other). */
static oa_err store_metrics(ca *c, engine *e, oa_buf *b)
{
	struct gauges g = {.b = b, .now = oa_now()};
	int64_t issued, revoked;
	oa_err rc;

	if ((rc = ca_counts(c, &issued, &revoked)))
		return rc;
	if ((rc = oa_buf_printf(b,
	         "# HELP openams_certificates_issued_total Certificates issued by the issuing CA.\n"
	         "# TYPE openams_certificates_issued_total counter\n"
	         "openams_certificates_issued_total %lld\n"
	         "# HELP openams_certificates_revoked_total Certificates revoked.\n"
	         "# TYPE openams_certificates_revoked_total counter\n"
	         "openams_certificates_revoked_total %lld\n"
	         "# HELP openams_cases_open Open cases per organisation.\n"
	         "# TYPE openams_cases_open gauge\n",
	         (long long)issued, (long long)revoked)) ||
	    (rc = oa_buf_printf(&g.overdue, "# HELP openams_cases_overdue Open cases whose current "
	                                    "step is past its standard time (mutu baku).\n"
	                                    "# TYPE openams_cases_overdue gauge\n")))
		goto out;
	if ((rc = engine_case_counts(e, g.now, org_gauges, &g)) || (rc = g.rc) ||
	    (rc = oa_buf_append(b, g.overdue.data, g.overdue.len)))
		goto out;
	if ((rc = oa_buf_printf(b, "# HELP openams_crl_age_seconds Seconds since the last CRL's "
	                           "thisUpdate.\n# TYPE openams_crl_age_seconds gauge\n")) ||
	    (rc = ca_crl_latest(c, crl_gauges, &g)) || (rc = g.rc))
		goto out;
	if ((rc = oa_buf_printf(b, "# HELP openams_ca_cert_expiry_seconds notAfter (Unix time) of the "
	                           "root, issuing and OCSP responder certificates in use.\n"
	                           "# TYPE openams_ca_cert_expiry_seconds gauge\n")) ||
	    (rc = ca_cert_expiries(c, expiry_gauges, &g)))
		goto out;
	rc = g.rc;
out:
	oa_buf_free(&g.overdue);
	return rc;
}

oa_err web_metrics_write(inst *in, engine *e, oa_buf *out)
{
	store *s = inst_store(in);
	oa_err rc;

	if ((rc = http_metrics(out)))
		return rc;
	/* The shared signers (signer.processes > 0): how many, how many run. */
	if (web_srv && web_srv->signers &&
	    (rc = oa_buf_printf(out, "# HELP openams_signer_processes Signer processes shared by the"
	                             " server's threads (signer.processes): configured, and running"
	                             " now (each starts on its first signing operation).\n"
	                             "# TYPE openams_signer_processes gauge\n"
	                             "openams_signer_processes{state=\"configured\"} %u\n"
	                             "openams_signer_processes{state=\"running\"} %u\n",
	         ca_signers_count(web_srv->signers), ca_signers_running(web_srv->signers))))
		return rc;
	if ((rc = store_begin_read(s)))
		return rc;
	rc = store_metrics(inst_ca(in), e, out);
	store_rollback(s);
	return rc;
}
