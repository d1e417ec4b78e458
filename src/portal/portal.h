/*
 * portal.h - the portal's HTML pages (routes_portal_*.c, built with
 * portal.c's page builder) and the pages the e-mailed one-time links open,
 * with sign-in (routes_links.c).  Built on the HTTP core (http.h).  Never
 * includes the API's headers: what both need is in http or below.
 */
#ifndef OA_PORTAL_H
#define OA_PORTAL_H

#include "../http/http.h"

/* The route tables (one file each). */
extern const web_route_table web_portal_static_table;   /* portal.c: /static/ */
extern const web_route_table web_portal_public_table;   /* routes_portal_public.c */
extern const web_route_table web_portal_account_table;  /* routes_portal_account.c */
extern const web_route_table web_portal_cases_table;    /* routes_portal_cases.c */
extern const web_route_table web_portal_home_table;     /* routes_portal_home.c */
extern const web_route_table web_portal_admin_table;    /* routes_portal_admin.c */
extern const web_route_table web_portal_sla_table;      /* routes_portal_sla.c */
extern const web_route_table web_portal_sops_table;     /* routes_portal_sops.c (admin) */
extern const web_route_table web_portal_verify_table;   /* routes_portal_verify.c (public) */
extern const web_route_table web_portal_sign_table;     /* routes_portal_sign.c (holders) */
extern const web_route_table web_portal_registry_table; /* routes_portal_registry.c (admin, CA operator) */
/* The pages the e-mails link to, and sign-in (routes_links.c). */
extern const web_route_table web_links_table;

#endif
