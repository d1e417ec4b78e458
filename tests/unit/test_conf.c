/*
 * test_conf.c - openams.conf: defaults, errors with file:line, bounds,
 * quoting, and the shipped example staying in step with the option table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/util.h"
#include "conf/conf.h"

static void test_defaults(void **state)
{
	conf *c = conf_new();

	assert_non_null(c);
	assert_string_equal(conf_str(c, "ca.key_type"), "ec-p256");
	assert_string_equal(conf_str(c, "policy.email_suffix"), ".go.id");
	assert_int_equal(conf_int(c, "crl.validity_hours"), 24);
	conf_free(c);
	conf_free(NULL);
}

static void expect_error(const char *text, const char *fragment)
{
	conf *c = conf_new();

	assert_int_equal(conf_parse(c, "t.conf", text), OA_ERR_CONFIG);
	if (strstr(oa_errmsg(), fragment) == NULL)
		fail_msg("message '%s' lacks '%s'", oa_errmsg(), fragment);
	conf_free(c);
}

static void test_errors(void **state)
{
	expect_error("# c\n\nbogus.key = 1\n", "t.conf:3: unknown option 'bogus.key'");
	expect_error("ca.key_type = ec-p521\n", "t.conf:1: ca.key_type: 'ec-p521' is not one of");
	expect_error("crl.validity_hours = 0\n", "outside 1..744");
	expect_error("crl.validity_hours = 12h\n", "not a whole number");
	expect_error("ca.crl_url = ftp://x\n", "must start with http");
	expect_error("ca.crl_url = \"http://a b\"\n", "not allowed in a URL");
	expect_error("no equals sign\n", "t.conf:1: expected 'key = value'");
	expect_error("instance.name = \"unterminated\n", "unterminated");
	expect_error("ca.country = IDN\n", "length must be 2..2");
}

static void test_values(void **state)
{
	conf *c = conf_new();

	assert_int_equal(conf_parse(c, "t",
	                     "  ca.key_type   =   rsa-3072  \n"
	                     "instance.name = \" Dinas Kominfo \"\n"
	                     "policy.email_suffix =\n"),
	    OA_OK);
	assert_string_equal(conf_str(c, "ca.key_type"), "rsa-3072");
	assert_string_equal(conf_str(c, "instance.name"), " Dinas Kominfo ");
	assert_string_equal(conf_str(c, "policy.email_suffix"), "");
	conf_free(c);
}

/* The example written from the table parses back to the same values. */
static void test_example_roundtrip(void **state)
{
	conf *a = conf_new(), *b = conf_new();
	char *text = NULL, *d1 = NULL, *d2 = NULL;
	size_t n = 0, n1 = 0, n2 = 0;
	FILE *f = open_memstream(&text, &n);

	assert_int_equal(conf_set(a, "ca.key_type", "rsa-2048"), OA_OK);
	assert_int_equal(conf_set(a, "instance.name", " spaced "), OA_OK);
	conf_write_example(a, f);
	fclose(f);
	assert_int_equal(conf_parse(b, "example", text), OA_OK);
	f = open_memstream(&d1, &n1);
	conf_dump(a, f);
	fclose(f);
	f = open_memstream(&d2, &n2);
	conf_dump(b, f);
	fclose(f);
	assert_string_equal(d1, d2);
	free(text);
	free(d1);
	free(d2);
	conf_free(a);
	conf_free(b);
}

/* etc/openams.conf.example is exactly what `openams config example` prints. */
static void test_shipped_example_current(void **state)
{
	const char *src = getenv("OPENAMS_SRC");
	char path[OA_MAX_PATH], *text = NULL;
	uint8_t *shipped;
	size_t n = 0, sn;
	conf *c = conf_new();
	FILE *f;

	if (src == NULL)
		skip();
	oa_path_join(path, sizeof path, src, "etc/openams.conf.example");
	assert_int_equal(oa_read_file(path, OA_MAX_CONFIG_BYTES, &shipped, &sn), OA_OK);
	f = open_memstream(&text, &n);
	conf_write_example(c, f);
	fclose(f);
	if (strcmp((char *)shipped, text) != 0)
		fail_msg("etc/openams.conf.example is stale: regenerate it with "
		         "`openams config example > etc/openams.conf.example`");
	free(shipped);
	free(text);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_values), cmocka_unit_test(test_example_roundtrip),
		cmocka_unit_test(test_shipped_example_current),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
