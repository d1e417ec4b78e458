/*
 * testutil.h - helpers for the unit tests: temporary directories.
 */
#ifndef OA_TESTUTIL_H
#define OA_TESTUTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes a fresh temporary directory; the path is static storage per call site. */
static inline char *test_tmpdir(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/openams-test-XXXXXX");
	return mkdtemp(buf);
}

static inline void test_rmrf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (dir == NULL || strncmp(dir, "/tmp/openams-test-", 18) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif
