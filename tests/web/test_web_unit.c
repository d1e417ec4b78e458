/*
 * test_web_unit.c - the HTTP core's pure parts (src/http), linked against the
 * production files: error mapping, JSON limits, base64 for OCSP GET, the
 * router (patterns, 404 versus 405), HTTP dates and ETags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/httpInt.h"

static void test_status_map(void **state)
{
	(void)state;
	assert_int_equal(web_status_of(OA_ERR_INVALID), 400);
	assert_int_equal(web_status_of(OA_ERR_LINT), 422);
	assert_int_equal(web_status_of(OA_ERR_NOTFOUND), 404);
	assert_int_equal(web_status_of(OA_ERR_EXISTS), 409);
	assert_int_equal(web_status_of(OA_ERR_STATE), 409);
	assert_int_equal(web_status_of(OA_ERR_POLICY), 409);
	assert_int_equal(web_status_of(OA_ERR_LIMIT), 413);
	assert_int_equal(web_status_of(OA_ERR_DENIED), 403);
	assert_int_equal(web_status_of(OA_ERR_STORE), 500);
	assert_int_equal(web_status_of(OA_ERR_CRYPTO), 500);
	assert_int_equal(web_status_of(OA_ERR_INTERNAL), 500);
}

static void test_json(void **state)
{
	json_t *j = NULL;
	char deep[256];
	size_t n = 0;

	(void)state;
	assert_int_equal(web_json_parse("{\"a\":[1,{\"b\":2}]}", 17, &j), OA_OK);
	json_decref(j);
	/* 16 levels pass, 17 do not; brackets inside strings do not count. */
	for (int i = 0; i < OA_WEB_MAX_JSON_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < OA_WEB_MAX_JSON_DEPTH; i++)
		deep[n++] = ']';
	assert_int_equal(web_json_parse(deep, n, &j), OA_OK);
	json_decref(j);
	n = 0;
	for (int i = 0; i <= OA_WEB_MAX_JSON_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i <= OA_WEB_MAX_JSON_DEPTH; i++)
		deep[n++] = ']';
	assert_int_equal(web_json_parse(deep, n, &j), OA_ERR_LIMIT);
	assert_null(j);
	{
		const char *s = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}";
		assert_int_equal(web_json_parse(s, strlen(s), &j), OA_OK);
	}
	json_decref(j);
	assert_int_equal(web_json_parse("{\"a\":1,\"a\":2}", 13, &j), OA_ERR_INVALID);
	assert_int_equal(web_json_parse("{\"a\":", 5, &j), OA_ERR_INVALID);
	assert_int_equal(web_json_parse("{}", OA_WEB_MAX_JSON_BODY + 1, &j), OA_ERR_LIMIT);
}

static void test_base64(void **state)
{
	unsigned char out[16];

	(void)state;
	assert_int_equal(web_base64_decode("TWFu", 4, out, sizeof out), 3);
	assert_memory_equal(out, "Man", 3);
	assert_int_equal(web_base64_decode("TWE=", 4, out, sizeof out), 2);
	assert_int_equal(web_base64_decode("TWE", 3, out, sizeof out), 2);
	assert_int_equal(web_base64_decode("+/+/", 4, out, sizeof out), 3);
	assert_int_equal(web_base64_decode("-_-_", 4, out, sizeof out), 3);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(web_base64_decode("", 0, out, sizeof out), 0);
	assert_int_equal(web_base64_decode("T", 1, out, sizeof out), -1);
	assert_int_equal(web_base64_decode("TW!u", 4, out, sizeof out), -1);
	assert_int_equal(web_base64_decode("TWF=", 4, out, sizeof out), -1); /* stray bits */
	assert_int_equal(web_base64_decode("TQ==TQ==", 8, out, sizeof out), -1);
	assert_int_equal(web_base64_decode("AAAAAAAAAAAAAAAAAAAAAAAA", 24, out, sizeof out), -1);
}

static int find(web_req *r, const char *path, unsigned method, unsigned *allowed)
{
	web_arena_free(r);
	return web_route_find(r, path, method, allowed);
}

static void test_router(void **state)
{
	web_req r;
	unsigned allowed;
	int i;
	char m[64];

	(void)state;
	memset(&r, 0, sizeof r);
	i = find(&r, "/pki/root.crt", WEB_GET, &allowed);
	assert_true(i >= 0);
	assert_string_equal(web_route_at(i)->pattern, "/pki/root.crt");
	assert_true(find(&r, "/pki/root.crt", WEB_HEAD, &allowed) >= 0);
	assert_int_equal(find(&r, "/pki/root.crt", WEB_POST, &allowed), -1);
	assert_int_equal(allowed, WEB_GET | WEB_HEAD);
	web_methods_str(allowed, m, sizeof m);
	assert_string_equal(m, "GET, HEAD");
	assert_int_equal(find(&r, "/pki/../openams.conf", WEB_GET, &allowed), -1);
	assert_int_equal(allowed, 0);
	assert_int_equal(find(&r, "/pki/root.crt/", WEB_GET, &allowed), -1);
	assert_int_equal(find(&r, "/pki/root.crtx", WEB_GET, &allowed), -1);
	/* Rest-of-path capture keeps slashes (base64 has them). */
	i = find(&r, "/ocsp/MEow/Q+x=", WEB_GET, &allowed);
	assert_true(i >= 0);
	assert_int_equal(r.nparam, 1);
	assert_string_equal(r.param[0], "MEow/Q+x=");
	assert_true(find(&r, "/ocsp", WEB_POST, &allowed) >= 0);
	assert_int_equal(find(&r, "/ocsp", WEB_GET, &allowed), -1);
	assert_int_equal(allowed, WEB_POST);
	/* Suffix segments. */
	i = find(&r, "/certificates/01ab.pem", WEB_GET, &allowed);
	assert_string_equal(web_route_at(i)->pattern, "/certificates/{serial}.pem");
	assert_string_equal(r.param[0], "01ab");
	i = find(&r, "/certificates/01ab.der", WEB_GET, &allowed);
	assert_string_equal(web_route_at(i)->pattern, "/certificates/{serial}.der");
	i = find(&r, "/certificates/01ab", WEB_GET, &allowed);
	assert_string_equal(web_route_at(i)->pattern, "/certificates/{serial}");
	assert_string_equal(r.param[0], "01ab");
	assert_int_equal(find(&r, "/certificates/", WEB_GET, &allowed), -1);
	/* ".pem" alone: the suffix route needs a serial; the plain one takes it. */
	i = find(&r, "/certificates/.pem", WEB_GET, &allowed);
	assert_string_equal(web_route_at(i)->pattern, "/certificates/{serial}");
	assert_int_equal(find(&r, "/certificates/a/b", WEB_GET, &allowed), -1);
	assert_int_equal(find(&r, "/healthz", 0, &allowed), -1); /* unknown method */
	assert_int_equal(allowed, WEB_GET | WEB_HEAD);
	web_arena_free(&r);
}

static void test_dates_etag(void **state)
{
	char d[40], e[67];

	(void)state;
	web_http_date(d, sizeof d, 784111777);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110 5.6.7 */
	web_etag(e, "abc", 3);
	assert_string_equal(e, "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"");
}

/* If-Modified-Since dates: the three forms of RFC 9110 5.6.7, nothing else. */
static void test_http_date_parse(void **state)
{
	int64_t t = -1;
	char buf[40];
	(void)state;
	assert_int_equal(web_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(web_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(web_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	assert_int_equal(t, 784111777);
	web_http_date(buf, sizeof buf, 1796612745);
	assert_int_equal(web_http_date_parse(buf, &t), 0);
	assert_int_equal(t, 1796612745);
	assert_int_equal(web_http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t), -1);
	assert_int_equal(web_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT x", &t), -1);
	assert_int_equal(web_http_date_parse("Sun, 06 Foo 1994 08:49:37 GMT", &t), -1);
	assert_int_equal(web_http_date_parse("Sun, 32 Nov 1994 08:49:37 GMT", &t), -1);
	assert_int_equal(web_http_date_parse("Sun, 06 Nov 1994 24:49:37 GMT", &t), -1);
	assert_int_equal(web_http_date_parse("1994-11-06T08:49:37Z", &t), -1);
	assert_int_equal(web_http_date_parse("", &t), -1);
	assert_int_equal(web_http_date_parse("yesterday", &t), -1);
}

static void test_arena(void **state)
{
	web_req r;
	char *p;

	(void)state;
	memset(&r, 0, sizeof r);
	for (int i = 0; i < 1000; i++)
		assert_non_null(web_alloc(&r, (size_t)i * 7 + 1));
	assert_non_null(web_alloc(&r, 1 << 20));
	p = web_printf(&r, "%s-%d", "x", 42);
	assert_string_equal(p, "x-42");
	assert_null(web_alloc(&r, SIZE_MAX - 8));
	web_arena_free(&r);
	assert_null(r.arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_map),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_dates_etag),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_http_date_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
