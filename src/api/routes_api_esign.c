/*
 * routes_api_esign.c - an agency administrator's management of the client
 * applications of the BSrE-compatible signing API (src/esign,
 * docs/ESIGN_API.md), the guide's "API Credentials" page as JSON:
 *
 *   GET    /api/v1/esign/clients[?org=ORG]            list
 *   POST   /api/v1/esign/clients                      register (the secret, once)
 *   POST   /api/v1/esign/clients/{username}/disable   disable
 *   POST   /api/v1/esign/clients/{username}/enable    enable
 *   DELETE /api/v1/esign/clients/{username}           revoke for ever
 *
 * The caller holds "admin" in the client's agency (or administers the
 * instance's own agency).  Registering makes a credential, so it needs a
 * signed-in session re-authenticated recently (api_auth_credentials), as
 * API tokens do.  The auth module audits every change.
 */
#include <string.h>

#include "../common/util.h"
#include "apiInt.h"

static json_t *client_json(const auth_client_info *c)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:o,s:o}", "username", c->username,
	    "org", c->org, "info", c->info, "ip_allow", c->ip_allow, "rate_per_min",
	    c->rate_per_min, "state", c->revoked_at ? "revoked" : c->enabled ? "enabled" : "disabled",
	    "created_by", c->created_by, "created_at", api_time(c->created_at), "last_used_at",
	    api_time(c->last_used_at), "revoked_at", api_time(c->revoked_at));
}

static int list_cb(const auth_client_info *c, void *arg)
{
	json_array_append_new(arg, client_json(c));
	return 0;
}

static void h_list(web_req *r)
{
	const char *org = web_query(r, "org");
	web_user *u = api_auth(r);
	json_t *a;
	oa_err rc;

	if (u == NULL)
		return;
	if (org == NULL || *org == 0)
		org = u->w.org;
	if (!web_admin_may(r, u, org)) {
		api_denied(r);
		return;
	}
	a = json_array();
	if ((rc = auth_client_list(r->auth, org, list_cb, a))) {
		json_decref(a);
		api_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "clients", a));
}

static void h_create(web_req *r)
{
	char secret[AUTH_CLIENT_SECRET_LEN + 1];
	auth_client_req req = {0};
	auth_client_info ci;
	web_user *u;
	json_t *j, *rate, *out;
	oa_err rc;

	if ((u = api_auth_credentials(r)) == NULL || (j = api_body(r)) == NULL)
		return;
	if (!api_str(r, j, "username", 1, AUTH_CLIENT_MAX_USER, &req.username) ||
	    !api_str(r, j, "org", 0, AUTH_MAX_ID, &req.org) ||
	    !api_str(r, j, "info", 0, 256, &req.info) ||
	    !api_str(r, j, "ip_allow", 0, AUTH_CLIENT_MAX_IPS, &req.ip_allow))
		goto out;
	rate = json_object_get(j, "rate_per_min");
	if (rate && !json_is_null(rate)) {
		if (!json_is_integer(rate) || json_integer_value(rate) < 1 ||
		    json_integer_value(rate) > 100000) {
			web_reply_fail(r, 422, "validation", "rate_per_min harus 1 sampai 100000",
			    "rate_per_min must be an integer from 1 to 100000");
			goto out;
		}
		req.rate_per_min = (int)json_integer_value(rate);
	}
	if (req.org == NULL)
		req.org = u->w.org;
	if (!web_admin_may(r, u, req.org)) {
		api_denied(r);
		goto out;
	}
	if ((rc = auth_client_create(r->auth, &req, u->w.person, secret, NULL)) ||
	    (rc = auth_client_get(r->auth, req.username, &ci))) {
		oa_wipe(secret, sizeof secret);
		api_err(r, rc);
		goto out;
	}
	out = client_json(&ci);
	json_object_set_new(out, "secret", json_string(secret));
	oa_wipe(secret, sizeof secret);
	web_reply_json(r, 201, out);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
out:
	json_decref(j);
}

/* The client named by the path, when the caller administers its agency. */
static int target(web_req *r, web_user **u, auth_client_info *ci)
{
	oa_err rc;

	if ((*u = api_auth(r)) == NULL)
		return 0;
	if ((rc = auth_client_get(r->auth, r->param[0], ci))) {
		api_err(r, rc);
		return 0;
	}
	if (!web_admin_may(r, *u, ci->org)) {
		api_denied(r);
		return 0;
	}
	return 1;
}

static void set_enabled(web_req *r, int enabled)
{
	auth_client_info ci;
	web_user *u;
	oa_err rc;

	if (!target(r, &u, &ci))
		return;
	if ((rc = auth_client_set_enabled(r->auth, r->param[0], enabled, u->w.person)) ||
	    (rc = auth_client_get(r->auth, r->param[0], &ci)))
		api_err(r, rc);
	else
		web_reply_json(r, 200, client_json(&ci));
}

static void h_disable(web_req *r)
{
	set_enabled(r, 0);
}

static void h_enable(web_req *r)
{
	set_enabled(r, 1);
}

static void h_revoke(web_req *r)
{
	auth_client_info ci;
	web_user *u;
	oa_err rc;

	if (!target(r, &u, &ci))
		return;
	if ((rc = auth_client_revoke(r->auth, ci.username, u->w.person)))
		api_err(r, rc);
	else
		web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
}

static const web_route routes[] = {
	{WEB_GET, "/api/v1/esign/clients", h_list, 0},
	{WEB_POST, "/api/v1/esign/clients", h_create, 8 * 1024},
	{WEB_POST, "/api/v1/esign/clients/{username}/disable", h_disable, OA_WEB_NO_PAYLOAD_BODY},
	{WEB_POST, "/api/v1/esign/clients/{username}/enable", h_enable, OA_WEB_NO_PAYLOAD_BODY},
	{WEB_DELETE, "/api/v1/esign/clients/{username}", h_revoke, 0},
};

const web_route_table web_api_esign_table = {"api-esign", routes,
    sizeof routes / sizeof routes[0]};
