/*
 * routes_ops.c - what operators and their monitoring ask:
 *
 *   GET /healthz   200 {"status":"ok",...} when this worker's store answers,
 *                  with "warnings" [{code, message{id,en}}] when a CA
 *                  certificate is inside its renewal or warning window
 *                  (ocsp_cert_expiring, issuing_cert_expiring,
 *                  root_cert_expiring) or a CRL's nextUpdate has passed
 *                  (crl_stale): still 200, the service works;
 *                  503 {"status":"unavailable",...} when the store does not
 *                  answer, or the OCSP responder certificate has expired
 *                  (every OCSP answer would be rejected)
 *   GET /metrics   Prometheus text format 0.0.4 (metrics.c)
 *
 * Neither reveals anything personal; both are public like the PKI
 * endpoints.  Put /metrics behind the reverse proxy if that is too much.
 */
#include <stdio.h>
#include <string.h>

#include "httpInt.h"

struct health {
	json_t *warnings;
	int64_t now;
	int ocsp_expired;
	char expired_at[24];
};

static void warn(struct health *h, const char *code, const char *id, const char *en)
{
	json_array_append_new(h->warnings, json_pack("{s:s,s:{s:s,s:s}}", "code", code, "message",
	    "id", id, "en", en));
}

static int cert_health(const ca_cert_expiry *e, void *arg)
{
	struct health *h = arg;
	char code[32], id[160], en[160], when[24];

	oa_time_iso(when, sizeof when, e->not_after);
	if (strcmp(e->role, "ocsp") == 0 && h->now >= e->not_after) {
		h->ocsp_expired = 1;
		snprintf(h->expired_at, sizeof h->expired_at, "%s", when);
		return 0;
	}
	if (h->now < e->renew_at)
		return 0;
	snprintf(code, sizeof code, "%s_cert_expiring", e->role);
	if (strcmp(e->role, "ocsp") == 0) {
		snprintf(id, sizeof id, "Sertifikat responder OCSP berakhir %s dan belum diperbarui", when);
		snprintf(en, sizeof en, "The OCSP responder certificate expires %s and has not been renewed",
		    when);
	} else {
		snprintf(id, sizeof id, "Sertifikat CA %s berakhir %s", e->role, when);
		snprintf(en, sizeof en, "The %s CA certificate expires %s", e->role, when);
	}
	warn(h, code, id, en);
	return 0;
}

static int crl_health(const char *issuer, int64_t this_update, int64_t next_update,
    int64_t number, void *arg)
{
	struct health *h = arg;
	char id[160], en[160], when[24];

	(void)this_update;
	(void)number;
	if (h->now <= next_update)
		return 0;
	oa_time_iso(when, sizeof when, next_update);
	snprintf(id, sizeof id, "CRL %s melewati nextUpdate %s", issuer, when);
	snprintf(en, sizeof en, "The %s CRL is past its nextUpdate %s", issuer, when);
	warn(h, "crl_stale", id, en);
	return 0;
}

static void h_health(web_req *r)
{
	/* The store answers a read, and its write lock can be had within a
	 * second: held by another process (a backup, a maintenance shell), the
	 * answer is 503 at once rather than each request failing after the
	 * 30 s it waits. */
	int step = r->ca && store_probe(inst_store(r->in), 1000) == OA_OK ? STORE_ROW : STORE_ERROR;
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
	{
		struct health h = {.warnings = json_array(), .now = oa_now()};
		json_t *j;
		if (h.warnings == NULL || ca_cert_expiries(r->ca, cert_health, &h) != OA_OK ||
		    ca_crl_latest(r->ca, crl_health, &h) != OA_OK) {
			json_decref(h.warnings);
			oa_err_clear();
			web_reply_json(r, 503, json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}}}", "status",
			    "unavailable", "time", now, "error", "code", "store", "message", "id",
			    "Basis data tidak menjawab", "en", "The database does not answer"));
			r->errcode = "store";
			return;
		}
		if (h.ocsp_expired) {
			char id[160], en[160];
			json_decref(h.warnings);
			snprintf(id, sizeof id, "Sertifikat responder OCSP berakhir %s: setiap jawaban OCSP"
			                        " ditolak", h.expired_at);
			snprintf(en, sizeof en, "The OCSP responder certificate expired %s: every OCSP answer"
			                        " is rejected", h.expired_at);
			web_reply_json(r, 503, json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}}}", "status",
			    "unavailable", "time", now, "error", "code", "ocsp_cert_expired", "message", "id",
			    id, "en", en));
			r->errcode = "ocsp_cert_expired";
			return;
		}
		j = json_pack("{s:s,s:s,s:s}", "status", "ok", "version", "0.1.0", "time", now);
		if (json_array_size(h.warnings) > 0)
			json_object_set(j, "warnings", h.warnings);
		json_decref(h.warnings);
		web_reply_json(r, 200, j);
	}
}

static void h_metrics(web_req *r)
{
	oa_buf b = {0};
	oa_err rc = web_metrics_write(r->in, r->engine, &b);

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
