/*
 * admin.h - private to the web module: the administration rules shared by
 * the JSON API (routes_api_admin.c, where they are defined) and the
 * portal's administration pages (routes_portal_admin.c), so both decide
 * alike who may manage which agency and which SOP text is acceptable.
 */
#ifndef OA_ADMIN_H
#define OA_ADMIN_H

#include "apiInt.h"

/* 1 if u administers the instance's agency (instance.org): such an
 * administrator manages every agency and creates them. */
int admin_super(web_req *r, const api_user *u);
/* 1 if u holds "admin" and may manage org (NULL: their own agency). */
int admin_may(web_req *r, const api_user *u, const char *org);
/* 1 if text (len bytes) is acceptable YAML text: not empty, no NUL, no
 * control characters other than tab, CR and LF. */
int admin_yaml_ok(const char *text, size_t len);

#endif
