/*
 * admin.h - private to the web module: the administration rules shared by
 * the JSON API (routes_api_admin.c, where they are defined) and the
 * portal's administration pages (routes_portal_admin.c), so both decide
 * alike who may manage which agency and which SOP text is acceptable.
 */
#ifndef OA_ADMIN_H
#define OA_ADMIN_H

#include "portal.h"

/* 1 if u administers the instance's agency (instance.org): such an
 * administrator manages every agency and creates them. */
int admin_super(web_req *r, const api_user *u);
/* 1 if u holds "admin" and may manage org (NULL: their own agency). */
int admin_may(web_req *r, const api_user *u, const char *org);
/* 1 if text (len bytes) is acceptable YAML text: not empty, no NUL, no
 * control characters other than tab, CR and LF. */
int admin_yaml_ok(const char *text, size_t len);
/* Whether role may be granted to person in org: built in (admin,
 * ca_operator: staff-only accounts only, OA_ERR_POLICY) or an actor of an
 * SOP installed for org (OA_ERR_INVALID otherwise). */
oa_err admin_role_check(web_req *r, const char *person, const char *org, const char *role);

/* ---- The portal's administration pages (routes_portal_admin.c, shared
 * with routes_portal_sops.c) ---- */

/* The 403 page of a person who may not administer here. */
void admin_page_denied(web_req *r, const api_user *u);
/* 1 if u may manage org (admin_may); otherwise the 403 page and 0. */
int admin_page_may(web_req *r, const api_user *u, const char *org);
/* The signed-in administrator of a GET page about ?org= (default: their
 * own agency, into *org); NULL after a reply (sign-in redirect, 403). */
api_user *admin_page_get(web_req *r, const char **org);
/* The links to the administration sections of org. */
void admin_page_sections(pg *p, const char *org);
/* A refused request: the module error rc as a page with a link back. */
void admin_page_refused(web_req *r, const api_user *u, oa_err rc, const char *back);

#endif
