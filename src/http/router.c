/*
 * router.c - finds the route for a path: one table per resource, listed
 * here and nowhere else.  Patterns are matched segment by segment against
 * the decoded path; nothing here touches the file system.  A path that
 * matches no pattern is a 404; one that matches with another method is a
 * 405 listing the methods that would be allowed.
 */
#include <stdio.h>
#include <string.h>

#include "../api/api.h"
#include "../esign/esign.h"
#include "../pki/pki.h"
#include "../portal/portal.h"
#include "httpInt.h"

static const web_route_table *const tables[] = {
	&web_pki_table,
	&web_ocsp_table,
	&web_tsa_table,
	&web_cert_table,
	&web_ops_table,
	&web_api_auth_table,
	&web_api_cases_table,
	&web_api_certs_table,
	&web_api_admin_table,
	&web_api_me_table,
	&web_api_esign_table,
	&web_esign_v1_table,
	&web_esign_v2_table,
	&web_links_table,
	&web_portal_static_table,
	&web_portal_public_table,
	&web_portal_account_table,
	&web_portal_home_table,
	&web_portal_cases_table,
	&web_portal_admin_table,
	&web_portal_sla_table,
	&web_portal_sops_table,
	&web_portal_verify_table,
	&web_portal_sign_table,
	&web_portal_registry_table,
};

#define NTABLES (sizeof tables / sizeof tables[0])

size_t web_nroutes(void)
{
	size_t n = 0;

	for (size_t t = 0; t < NTABLES; t++)
		n += tables[t]->n;
	return n;
}

const web_route *web_route_at(int i)
{
	for (size_t t = 0; t < NTABLES && i >= 0; t++) {
		if ((size_t)i < tables[t]->n)
			return &tables[t]->routes[i];
		i -= (int)tables[t]->n;
	}
	return NULL;
}

/* Matches path against pattern; captured segments go to r->param (arena). */
static int match(web_req *r, const char *pat, const char *path)
{
	const char *p = pat, *s = path;

	r->nparam = 0;
	while (*p) {
		if (*p != '{') {
			if (*p != *s)
				return 0;
			p++;
			s++;
			continue;
		}
		const char *close = strchr(p, '}');
		int rest;
		size_t seg, suf;
		const char *sufp;
		char *cap;

		if (close == NULL || r->nparam >= OA_WEB_MAX_PARAMS)
			return 0;
		rest = close[-1] == '*';
		sufp = close + 1;
		suf = strcspn(sufp, "/");
		if (rest) {
			seg = strlen(s);
			suf = 0;
		} else {
			seg = strcspn(s, "/");
			if (seg <= suf || memcmp(s + seg - suf, sufp, suf) != 0)
				return 0;
		}
		if ((cap = web_alloc(r, seg - suf + 1)) == NULL)
			return 0;
		memcpy(cap, s, seg - suf);
		cap[seg - suf] = 0;
		r->param[r->nparam++] = cap;
		s += seg;
		p = sufp + suf;
		if (rest)
			return *p == 0;
	}
	return *s == 0;
}

int web_route_find(web_req *r, const char *path, unsigned method, unsigned *allowed)
{
	int idx = 0;

	*allowed = 0;
	for (size_t t = 0; t < NTABLES; t++)
		for (size_t i = 0; i < tables[t]->n; i++, idx++) {
			const web_route *rt = &tables[t]->routes[i];
			unsigned m = rt->methods | ((rt->methods & WEB_GET) ? WEB_HEAD : 0);
			if (!match(r, rt->pattern, path))
				continue;
			if (m & method)
				return idx;
			*allowed |= m;
		}
	r->nparam = 0;
	return -1;
}

void web_methods_str(unsigned m, char *out, size_t outsz)
{
	static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
	    "OPTIONS"};
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (m & (1u << i)) {
			int n = snprintf(out + o, outsz - o, "%s%s", o ? ", " : "", names[i]);
			if (n < 0 || (size_t)n >= outsz - o)
				return;
			o += (size_t)n;
		}
}
