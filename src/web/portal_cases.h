/*
 * portal_cases.h - what the two files of the applicants' and staff's pages
 * share (routes_portal_home.c: start page, my requests, new request, inbox,
 * my certificates; routes_portal_cases.c: the case page and its forms):
 * small helpers about cases, their SOP definitions and badges.  Private to
 * those two files.
 */
#ifndef OA_PORTAL_CASES_H
#define OA_PORTAL_CASES_H

#include "portal.h"

#define CASE_FORM_BODY (16 * 1024) /* the urlencoded forms about a case */

/* A case id from a path parameter (1 if valid). */
int pc_parse_id(const char *s, int64_t *id);
/* A query parameter, NULL when absent. */
const char *pc_query(web_req *r, const char *k);
/* The case if u may see it; otherwise a 404 page and 0. */
int pc_visible(web_req *r, api_user *u, const char *param, engine_case *c);
const char *pc_kind_id(const char *k);
const char *pc_kind_en(const char *k);
void pc_state_badge(pg *p, const char *state);
void pc_sla_badge(pg *p, int64_t due, int64_t now);
const sop_def *pc_case_def(web_req *r, int64_t id);
const sop_step *pc_def_step(const sop_def *d, const char *id);
const char *pc_actor_name(const sop_def *d, const char *role);
const char *pc_doc_name(const sop_def *d, const char *doc);
void pc_step_actors(pg *p, const sop_def *d, const sop_step *s);
const char *pc_acting_role(const api_user *u, const engine_case *c, const sop_def *d,
    const sop_step *s);

#endif
