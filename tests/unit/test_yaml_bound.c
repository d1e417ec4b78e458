/*
 * test_yaml_bound.c - the linear first pass over YAML files (issue 16):
 * nesting past OA_MAX_YAML_DEPTH, more than OA_MAX_YAML_NODES nodes,
 * aliases and anchors are refused at their line, quickly; syntax errors are
 * left to the load; certificate profiles go through the same pass (the SOP
 * loader's own tests are in tests/sopdef).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/caInt.h"
#include "common/limits.h"
#include "common/yaml_bound.h"
#include "testutil.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

/* 100,000 levels of each kind: refused at line 1 in well under 5 s (it
 * was quadratic in libyaml: 98 s for the `[` body). */
static void test_depth(void **state)
{
	const char *units[] = {"[", "{a: ", "- ", "[{a: "};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		char *s = repeat(units[i], 100000);
		double t0 = now_s();
		int line = -1;

		assert_int_equal(oa_yaml_bounded(s, strlen(s), &line), OA_ERR_LIMIT);
		assert_true(now_s() - t0 < 5.0);
		assert_non_null(strstr(oa_errmsg(), "OA_MAX_YAML_DEPTH"));
		assert_true(line >= 1 && line <= 33);
		free(s);
	}
	/* At the limit: accepted. */
	{
		char *s = repeat("[", OA_MAX_YAML_DEPTH), *t = repeat("]", OA_MAX_YAML_DEPTH);
		char *u = malloc(2 * OA_MAX_YAML_DEPTH + 1);
		int line;

		assert_non_null(u);
		strcpy(u, s);
		strcat(u, t);
		assert_int_equal(oa_yaml_bounded(u, strlen(u), &line), OA_OK);
		free(s);
		free(t);
		free(u);
	}
}

static void test_nodes_aliases_syntax(void **state)
{
	char *s = repeat("- a\n", OA_MAX_YAML_NODES);
	int line;

	/* The sequence itself is a node: the last item is one too many. */
	assert_int_equal(oa_yaml_bounded(s, strlen(s), &line), OA_ERR_LIMIT);
	assert_int_equal(line, OA_MAX_YAML_NODES);
	assert_non_null(strstr(oa_errmsg(), "OA_MAX_YAML_NODES"));
	free(s);
	s = repeat("- a\n", OA_MAX_YAML_NODES - 1);
	assert_int_equal(oa_yaml_bounded(s, strlen(s), &line), OA_OK);
	free(s);

	assert_int_equal(oa_yaml_bounded("a: &x 1\nb: *x\n", 14, &line), OA_ERR_INVALID);
	assert_int_equal(line, 2);
	assert_non_null(strstr(oa_errmsg(), "aliases"));
	assert_int_equal(oa_yaml_bounded("a: 1\nb: &x 1\n", 13, &line), OA_ERR_INVALID);
	assert_int_equal(line, 2);
	assert_non_null(strstr(oa_errmsg(), "anchors"));
	/* Syntax errors are the load's to report. */
	assert_int_equal(oa_yaml_bounded("a: [1,\n", 7, &line), OA_OK);
}

/* A profile of 64 KiB of `[` (OA_MAX_PROFILE_BYTES; 9.5 s before) is refused
 * at its line, quickly; the shipped profiles still load. */
static void test_profile(void **state)
{
	char dir[64], path[128];
	char *s = repeat("[", OA_MAX_PROFILE_BYTES);
	ca_profile p;
	FILE *f;
	double t0;

	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(path, sizeof path, "%s/deep.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	fclose(f);
	t0 = now_s();
	assert_int_equal(profile_load(path, NULL, &p), OA_ERR_CONFIG);
	assert_true(now_s() - t0 < 5.0);
	assert_non_null(strstr(oa_errmsg(), "deep.yaml:1: lists and mappings nested deeper"));
	assert_non_null(strstr(oa_errmsg(), "OA_MAX_YAML_DEPTH"));
	free(s);
	tu_rmrf(dir);

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/profiles/%s.yaml", tu_share(),
		    i ? "seal" : "individual");
		if (profile_load(path, NULL, &p) != OA_OK)
			fail_msg("%s: %s", path, oa_errmsg());
		sk_X509_EXTENSION_pop_free(p.fixed_ext, X509_EXTENSION_free);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_nodes_aliases_syntax),
		cmocka_unit_test(test_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
