/*
 * util.h - small helpers shared by every module: files, hex, time, buffers,
 * secret wiping.  Nothing here knows about certificates or SOPs.
 */
#ifndef OA_UTIL_H
#define OA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* A growable byte buffer.  oa_buf_free() accepts NULL contents. */
typedef struct oa_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
} oa_buf;

oa_err oa_buf_reserve(oa_buf *b, size_t extra);
oa_err oa_buf_append(oa_buf *b, const void *p, size_t n);
/* Appends n bytes of s escaped for HTML and XML text and attributes
 * (& < > " ' as entities): the one escaper of the pages, SVG and e-mails. */
oa_err oa_buf_html(oa_buf *b, const char *s, size_t n);
oa_err oa_buf_printf(oa_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Frees the contents; the struct itself is the caller's. */
void oa_buf_free(oa_buf *b);

/*
 * Reads a whole file of at most max bytes.  On success *out is a malloc'd
 * buffer (NUL-terminated, the NUL not counted in *len) the caller frees.
 * A larger file is OA_ERR_LIMIT.
 */
oa_err oa_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/*
 * Reads a secret file of at most max bytes straight into one malloc'd,
 * NUL-terminated buffer: no stdio buffer, no intermediate copy left behind
 * (oa_read_file leaves both).  The caller wipes and frees *out
 * (oa_free_secret).  A larger file is OA_ERR_LIMIT.
 */
oa_err oa_read_secret_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Overwrites the value of the environment variable name in place, then
 * removes it: the process keeps no copy of a secret passed that way.
 */
void oa_wipe_env(const char *name);

/*
 * Writes a file atomically: a temporary file in the same directory, fsync,
 * rename over path, fsync of the directory.  mode is the new file's mode.
 */
oa_err oa_write_file_atomic(const char *path, const void *p, size_t n, int mode);

/* mkdir -p with mode for the last component. */
oa_err oa_mkdir_p(const char *path, int mode);

/* Joins dir and name into out (size outsz); OA_ERR_LIMIT if too long. */
oa_err oa_path_join(char *out, size_t outsz, const char *dir, const char *name);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void oa_hex(char *out, const uint8_t *p, size_t n);
/* The value of one hex digit (either case), or -1. */
int oa_hexval(int c);
/* Parses hex (either case, even length) into out; returns bytes or -1. */
long oa_unhex(uint8_t *out, size_t outsz, const char *hex);

/* Current time in seconds since the epoch (UTC); honours OPENAMS_NOW for tests. */
int64_t oa_now(void);
/* Formats t as "2026-11-22T03:05:45Z" into out (at least 21 bytes). */
void oa_time_iso(char *out, size_t outsz, int64_t t);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"; OA_ERR_INVALID otherwise. */
oa_err oa_time_parse(const char *s, int64_t *out);

/* Wipes a secret before it is freed; safe with NULL. */
void oa_wipe(void *p, size_t n);
/* Wipes then frees a NUL-terminated secret string; safe with NULL. */
void oa_free_secret(char *s);

/* True if s is exactly n ASCII digits. */
int oa_is_digits(const char *s, size_t n);
/* 1 if s is exactly n lower-case hex digits (a SHA-256 in hex: n = 64). */
int oa_is_hex(const char *s, size_t n);
/* True if s (NUL-terminated) is valid UTF-8 without C0/C1 controls and
 * without bidirectional controls (U+202A..U+202E, U+2066..U+2069). */
int oa_is_clean_utf8(const char *s);
/* A LIKE pattern that finds text anywhere ("%text%"), ASCII letters in lower
 * case, % _ and \ escaped with \ (use ESCAPE '\' and lower() on the column).
 * OA_ERR_LIMIT if it does not fit outsz (2 * strlen(text) + 3 always does). */
oa_err oa_like_contains(char *out, size_t outsz, const char *text);
/* Counts UTF-8 code points of a valid string. */
size_t oa_utf8_chars(const char *s);

/* strdup that reports OA_ERR_NOMEM through oa_fail. NULL in, NULL out. */
char *oa_strdup(const char *s);
/* FNV-1a over n bytes from basis ^ seed (seed 0: the standard basis): the
 * slot of an in-memory cache, where a collision only evicts. */
uint64_t oa_fnv1a(uint64_t seed, const void *p, size_t n);

#endif
