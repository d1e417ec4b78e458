/*
 * metrics.c - counters for /metrics (Prometheus text format 0.0.4).
 *
 * Request counts by route and status and a latency histogram per route are
 * atomics updated by every worker thread when a request completes.  The
 * store figures (certificates issued and revoked, open and overdue cases
 * per organisation, CRL age) are read at scrape time with COUNT queries on
 * the scraping thread's handle, in one read transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "webInt.h"

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

static oa_err count(store *s, const char *sql, int64_t *out)
{
	store_stmt *st = store_prepare(s, sql);
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	step = store_step(st);
	*out = step == STORE_ROW ? store_col_int(st, 0) : 0;
	store_reset(st);
	return step == STORE_ROW ? OA_OK : oa_fail(OA_ERR_STORE, "metrics query failed");
}

/* One gauge per organisation: SQL yields (org, count). */
static oa_err per_org(store *s, oa_buf *b, const char *name, const char *help, const char *sql,
    int64_t now)
{
	store_stmt *st = store_prepare(s, sql);
	oa_err rc;
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	rc = oa_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	store_bind_int(st, 1, now);
	while (rc == OA_OK && (step = store_step(st)) == STORE_ROW) {
		if ((rc = oa_buf_printf(b, "%s{org=\"", name)) || (rc = label(b, store_col_text(st, 0))))
			break;
		rc = oa_buf_printf(b, "\"} %lld\n", (long long)store_col_int(st, 1));
	}
	store_reset(st);
	return rc;
}

static oa_err store_metrics(ca *c, oa_buf *b)
{
	store *s = ca_store(c);
	int64_t issued, revoked, now = oa_now();
	store_stmt *st;
	oa_err rc;
	int step;

	if ((rc = count(s, "SELECT COUNT(*) FROM certificate", &issued)) ||
	    (rc = count(s, "SELECT COUNT(*) FROM certificate WHERE status = 'revoked'", &revoked)))
		return rc;
	if ((rc = oa_buf_printf(b,
	         "# HELP openams_certificates_issued_total Certificates issued by the issuing CA.\n"
	         "# TYPE openams_certificates_issued_total counter\n"
	         "openams_certificates_issued_total %lld\n"
	         "# HELP openams_certificates_revoked_total Certificates revoked.\n"
	         "# TYPE openams_certificates_revoked_total counter\n"
	         "openams_certificates_revoked_total %lld\n",
	         (long long)issued, (long long)revoked)))
		return rc;
	if ((rc = per_org(s, b, "openams_cases_open", "Open cases per organisation.",
	         "SELECT org, COUNT(*) FROM sop_case WHERE state = 'open' AND ? IS NOT NULL"
	         " GROUP BY org ORDER BY org",
	         now)) ||
	    (rc = per_org(s, b, "openams_cases_overdue",
	         "Open cases whose current step is past its standard time (mutu baku).",
	         "SELECT org, COUNT(*) FROM sop_case WHERE state = 'open' AND step_due_at > 0"
	         " AND step_due_at < ? GROUP BY org ORDER BY org",
	         now)))
		return rc;
	if ((st = store_prepare(s, "SELECT issuer, this_update, next_update, number FROM crl c"
	                           " WHERE number = (SELECT MAX(number) FROM crl"
	                           " WHERE issuer = c.issuer) ORDER BY issuer")) == NULL)
		return OA_ERR_STORE;
	rc = oa_buf_printf(b, "# HELP openams_crl_age_seconds Seconds since the last CRL's thisUpdate.\n"
	                      "# TYPE openams_crl_age_seconds gauge\n");
	while (rc == OA_OK && (step = store_step(st)) == STORE_ROW)
		rc = oa_buf_printf(b,
		    "openams_crl_age_seconds{issuer=\"%s\"} %lld\n"
		    "openams_crl_next_update_seconds{issuer=\"%s\"} %lld\n"
		    "openams_crl_number{issuer=\"%s\"} %lld\n",
		    strcmp(store_col_text(st, 0), "root") == 0 ? "root" : "issuing",
		    (long long)(now - store_col_int(st, 1)),
		    strcmp(store_col_text(st, 0), "root") == 0 ? "root" : "issuing",
		    (long long)(store_col_int(st, 2) - now),
		    strcmp(store_col_text(st, 0), "root") == 0 ? "root" : "issuing",
		    (long long)store_col_int(st, 3));
	store_reset(st);
	return rc;
}

oa_err web_metrics_write(ca *c, oa_buf *out)
{
	store *s = ca_store(c);
	oa_err rc;

	if ((rc = http_metrics(out)))
		return rc;
	if ((rc = store_begin_read(s)))
		return rc;
	rc = store_metrics(c, out);
	store_rollback(s);
	return rc;
}
