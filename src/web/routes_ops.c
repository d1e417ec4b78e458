/*
 * routes_ops.c - what operators and their monitoring ask:
 *
 *   GET /healthz   200 {"status":"ok",...} when this worker's store answers,
 *                  503 {"status":"unavailable",...} otherwise
 *   GET /metrics   Prometheus text format 0.0.4 (metrics.c)
 *
 * Neither reveals anything personal; both are public like the PKI
 * endpoints.  Put /metrics behind the reverse proxy if that is too much.
 */
#include <string.h>

#include "webInt.h"

static void h_health(web_req *r)
{
	/* The store answers a read, and its write lock can be had within a
	 * second: held by another process (a backup, a maintenance shell), the
	 * answer is 503 at once rather than each request failing after the
	 * 30 s it waits. */
	int step = r->ca && store_probe(ca_store(r->ca), 1000) == OA_OK ? STORE_ROW : STORE_ERROR;
	char now[24];

	oa_time_iso(now, sizeof now, oa_now());
	if (step != STORE_ROW) {
		oa_err_clear();
		web_reply_json(r, 503, json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}}}", "status",
		    "unavailable", "time", now, "error", "code", "store", "message", "id",
		    "Basis data tidak menjawab", "en", "The database does not answer"));
		r->errcode = "store";
		return;
	}
	web_reply_json(r, 200, json_pack("{s:s,s:s,s:s}", "status", "ok", "version", "0.1.0",
	    "time", now));
}

static void h_metrics(web_req *r)
{
	oa_buf b = {0};
	oa_err rc = web_metrics_write(r->ca, r->engine, &b);

	if (rc) {
		oa_buf_free(&b);
		web_reply_err(r, rc);
		return;
	}
	web_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len,
	    MHD_RESPMEM_MUST_FREE);
	if (r->resp == NULL)
		oa_buf_free(&b);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static const web_route routes[] = {
	{WEB_GET, "/healthz", h_health, 0},
	{WEB_GET, "/metrics", h_metrics, 0},
};

const web_route_table web_ops_table = {"ops", routes, sizeof routes / sizeof routes[0]};
