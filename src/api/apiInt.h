/*
 * apiInt.h - private to the JSON API (src/api), shared by its handlers
 * (routes_api_*.c): who is asking (session cookie with CSRF, or an API
 * token), JSON bodies and
 * fields with their limits, and error replies.
 *
 * Every helper that refuses replies itself (one web_reply_* call) and
 * returns NULL / 0; the handler then simply returns.
 *
 * Error codes (stable, documented in docs/openapi.yaml):
 *   400 malformed_json, invalid_type, invalid_input (module: bad syntax)
 *   401 unauthenticated        403 csrf, denied, session_required (an API
 *                              token where a signed-in session is needed)
 *   404 not_found              409 exists, state, policy
 *   413 limit                  415 unsupported_media_type
 *   422 missing_field, field_too_long, validation
 *   429 locked
 */
#ifndef OA_APIINT_H
#define OA_APIINT_H

#include "api.h"

/* Field limits of the API (bytes of UTF-8). */
#define API_MAX_FIELD     256     /* ids, names, reasons */
#define API_MAX_NOTE      OA_MAX_SOP_TEXT
#define API_MAX_DATA      16      /* keys in an act's data object */
#define API_JSON_BODY     (64 * 1024)  /* JSON bodies of the case routes */

/* The authenticated caller, or NULL after a 401/403 reply.  Requests
 * that change state (not GET/HEAD) with a cookie need X-CSRF-Token. */
web_user *api_auth(web_req *r);
/*
 * The caller of a credential change (passwords, tokens, TOTP, e-mail):
 * api_auth(), then only a session (an API token never changes credentials:
 * 403 session_required) authenticated within OA_REAUTH_WINDOW_S (403
 * reauth_required: POST /api/v1/session/reauth first).  NULL after the reply.
 */
web_user *api_auth_credentials(web_req *r);

/* The request body as a JSON object (reply 400/415 and NULL otherwise).
 * The caller json_decref()s it. */
json_t *api_body(web_req *r);

/*
 * A string member: *out is NULL when absent (or JSON null) and the member
 * is optional.  Replies 400 invalid_type (not a string), 422 missing_field
 * or field_too_long (more than max bytes), 400 invalid_input (not clean
 * UTF-8 or control characters) and returns 0.
 */
int api_str(web_req *r, json_t *o, const char *key, int required, size_t max, const char **out);

/* Module error: like web_reply_err, but a module's OA_ERR_INVALID on a
 * well-formed request is a 422 (validation). */
void api_err(web_req *r, oa_err rc);

/* Decimal case id from a path segment (404 if not one). */
int api_case_id(web_req *r, const char *s, int64_t *id);

/* ISO 8601 string, or JSON null for 0. */
json_t *api_time(int64_t t);

/* Replies 403 "denied" (role missing). */
void api_denied(web_req *r);

#endif
