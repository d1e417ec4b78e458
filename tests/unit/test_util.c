/*
 * test_util.c - common helpers: hex, UTF-8 checks, time, files, buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/util.h"
#include "testutil.h"

static void test_hex_roundtrip(void **state)
{
	uint8_t in[] = {0x00, 0x7f, 0x80, 0xff, 0x12}, out[8];
	char hex[11];

	oa_hex(hex, in, sizeof in);
	assert_string_equal(hex, "007f80ff12");
	assert_int_equal(oa_unhex(out, sizeof out, "007F80ff12"), 5);
	assert_memory_equal(in, out, 5);
	assert_int_equal(oa_unhex(out, sizeof out, "abc"), -1);      /* odd */
	assert_int_equal(oa_unhex(out, sizeof out, "zz"), -1);       /* not hex */
	assert_int_equal(oa_unhex(out, 2, "aabbcc"), -1);            /* too long */
}

static void test_utf8(void **state)
{
	assert_true(oa_is_clean_utf8("Siti Rahmawati"));
	assert_true(oa_is_clean_utf8("Dinas Komunikasi \xc3\xa9"));   /* é */
	assert_false(oa_is_clean_utf8("a\nb"));                       /* control */
	assert_false(oa_is_clean_utf8("a\x7f"));                      /* DEL */
	/* bidirectional controls (display spoofing): every one refused, the
	 * neighbours (U+2029, U+202F, U+2065, U+206A) kept */
	assert_false(oa_is_clean_utf8("Siti \xe2\x80\xaa"));            /* U+202A LRE */
	assert_false(oa_is_clean_utf8("Siti \xe2\x80\xae" "ihtaR"));    /* U+202E RLO */
	assert_false(oa_is_clean_utf8("\xe2\x81\xa6" "x"));              /* U+2066 LRI */
	assert_false(oa_is_clean_utf8("x\xe2\x81\xa9"));                 /* U+2069 PDI */
	assert_true(oa_is_clean_utf8("a\xe2\x80\xaf" "b"));              /* U+202F NNBSP */
	assert_true(oa_is_clean_utf8("a\xe2\x81\xaa" "b"));              /* U+206A */
	assert_false(oa_is_clean_utf8("\xc3"));                       /* truncated */
	assert_false(oa_is_clean_utf8("\xc0\xaf"));                   /* overlong */
	assert_false(oa_is_clean_utf8("\xed\xa0\x80"));               /* surrogate */
	assert_false(oa_is_clean_utf8("\xc2\x85"));                   /* C1 control */
	assert_int_equal(oa_utf8_chars("a\xc3\xa9z"), 3);
}

static void test_digits(void **state)
{
	assert_true(oa_is_digits("1471010101900001", 16));
	assert_false(oa_is_digits("147101010190000", 16));
	assert_false(oa_is_digits("14710101019000011", 16));
	assert_true(oa_is_hex("0123456789abcdef", 16));
	assert_false(oa_is_hex("0123456789ABCDEF", 16)); /* lower case only */
	assert_false(oa_is_hex("0123456789abcdeg", 16));
	assert_false(oa_is_hex("0123456789abcde", 16));
	assert_false(oa_is_hex("", 16));
	assert_false(oa_is_digits("147101010190000a", 16));
}

static void test_time(void **state)
{
	int64_t t;
	char s[32];

	assert_int_equal(oa_time_parse("2026-11-22T03:05:45Z", &t), OA_OK);
	assert_int_equal(t, 1795316745);
	oa_time_iso(s, sizeof s, t);
	assert_string_equal(s, "2026-11-22T03:05:45Z");
	assert_int_equal(oa_time_parse("2026-11-22", &t), OA_OK);
	assert_int_equal(t, 1795305600);
	assert_int_equal(oa_time_parse("22/11/2026", &t), OA_ERR_INVALID);
	assert_int_equal(oa_time_parse("2026-11-22T03:05:45Zjunk", &t), OA_ERR_INVALID);
	setenv("OPENAMS_NOW", "2030-01-01T00:00:00Z", 1);
	assert_int_equal(oa_now(), 1893456000);
	unsetenv("OPENAMS_NOW");
}

static void test_files(void **state)
{
	char dir[64], path[OA_MAX_PATH];
	uint8_t *data;
	size_t n;
	struct stat sb;

	assert_non_null(tu_tmpdir(dir, sizeof dir));
	assert_int_equal(oa_path_join(path, sizeof path, dir, "a.txt"), OA_OK);
	assert_int_equal(oa_write_file_atomic(path, "hello", 5, 0600), OA_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(oa_read_file(path, 100, &data, &n), OA_OK);
	assert_int_equal(n, 5);
	assert_string_equal((char *)data, "hello");
	free(data);
	assert_int_equal(oa_read_file(path, 4, &data, &n), OA_ERR_LIMIT);
	assert_null(data);
	assert_int_equal(oa_write_file_atomic(path, "x", 1, 0644), OA_OK); /* replaces */
	assert_int_equal(oa_read_file(path, 100, &data, &n), OA_OK);
	assert_string_equal((char *)data, "x");
	free(data);
	/* a FIFO (as /dev/null or /dev/stdout): written to, never replaced by a
	 * file (the rename once turned /dev/null into a regular file) */
	{
		char buf[16];
		int rfd;
		assert_int_equal(oa_path_join(path, sizeof path, dir, "fifo"), OA_OK);
		assert_int_equal(mkfifo(path, 0600), 0);
		assert_true((rfd = open(path, O_RDONLY | O_NONBLOCK)) >= 0);
		assert_int_equal(oa_write_file_atomic(path, "piped", 5, 0600), OA_OK);
		assert_int_equal(read(rfd, buf, sizeof buf), 5);
		assert_memory_equal(buf, "piped", 5);
		close(rfd);
		assert_int_equal(lstat(path, &sb), 0);
		assert_true(S_ISFIFO(sb.st_mode));
		/* a directory is refused, and left alone */
		assert_int_equal(oa_write_file_atomic(dir, "x", 1, 0600), OA_ERR_IO);
		assert_int_equal(lstat(dir, &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
	}
	assert_int_equal(oa_path_join(path, sizeof path, dir, "missing"), OA_OK);
	assert_int_equal(oa_read_file(path, 100, &data, &n), OA_ERR_NOTFOUND);
	assert_int_equal(oa_path_join(path, 8, dir, "toolong"), OA_ERR_LIMIT);
	assert_int_equal(oa_path_join(path, sizeof path, dir, "/abs/x"), OA_OK);
	assert_string_equal(path, "/abs/x");
	tu_rmrf(dir);
}

static void test_buf(void **state)
{
	oa_buf b = {0};

	for (int i = 0; i < 1000; i++)
		assert_int_equal(oa_buf_printf(&b, "%03d,", i), OA_OK);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.data + 3996, "999,", 4);
	assert_int_equal(b.data[b.len], 0);
	oa_buf_free(&b);
	assert_null(b.data);
	oa_buf_free(NULL);
}

static void test_errors(void **state)
{
	assert_int_equal(oa_fail(OA_ERR_POLICY, "blocked by %s", "x"), OA_ERR_POLICY);
	assert_string_equal(oa_errmsg(), "blocked by x");
	assert_string_equal(oa_err_name(OA_ERR_POLICY), "policy");
	assert_string_equal(oa_err_name(OA_ERR_INVALID), "invalid_input");
	assert_string_equal(oa_err_name((oa_err)999), "internal");
	for (int i = 0; i < OA_ERR__MAX; i++)
		assert_non_null(oa_err_name((oa_err)i));
	oa_err_clear();
	assert_string_equal(oa_errmsg(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_roundtrip), cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_digits), cmocka_unit_test(test_time),
		cmocka_unit_test(test_files), cmocka_unit_test(test_buf),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
