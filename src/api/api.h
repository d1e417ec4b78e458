/*
 * api.h - the JSON API under /api/v1 (docs/openapi.yaml): sessions and
 * tokens (routes_api_auth.c), cases and their documents
 * (routes_api_cases.c), certificates (routes_api_certs.c), agencies,
 * people, roles, SOP definitions and audit (routes_api_admin.c), and the
 * caller's own account (routes_api_me.c).  Built on the HTTP core
 * (http.h); its state changes go through the group committer.  Never
 * includes the portal's headers: what both need is in http or below.
 */
#ifndef OA_API_H
#define OA_API_H

#include "../http/http.h"

/* The route tables (one per file). */
extern const web_route_table web_api_auth_table, web_api_cases_table, web_api_certs_table,
    web_api_admin_table, web_api_me_table;
/* Client applications of the BSrE-compatible API (routes_api_esign.c). */
extern const web_route_table web_api_esign_table;

#endif
