/*
 * util.c - see util.h.
 */
#include "util.h"
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

oa_err oa_buf_reserve(oa_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX / 2 - b->len)
		return oa_fail(OA_ERR_NOMEM, "buffer too large");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return OA_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory (%zu bytes)", cap);
	b->data = p;
	b->cap = cap;
	return OA_OK;
}

oa_err oa_buf_append(oa_buf *b, const void *p, size_t n)
{
	oa_err rc = oa_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return OA_OK;
}

oa_err oa_buf_html(oa_buf *b, const char *s, size_t n)
{
	size_t start = 0;
	oa_err rc;

	for (size_t i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if ((rc = oa_buf_append(b, s + start, i - start)) ||
		    (rc = oa_buf_append(b, rep, strlen(rep))))
			return rc;
		start = i + 1;
	}
	return oa_buf_append(b, s + start, n - start);
}

oa_err oa_buf_printf(oa_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	oa_err rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return oa_fail(OA_ERR_INTERNAL, "bad format");
	if ((rc = oa_buf_reserve(b, (size_t)n)))
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return OA_OK;
}

void oa_buf_free(oa_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

oa_err oa_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	FILE *f;
	oa_buf b = {0};
	uint8_t chunk[16384];
	size_t n;
	oa_err rc = OA_OK;

	*out = NULL;
	*len = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return oa_fail(errno == ENOENT ? OA_ERR_NOTFOUND : OA_ERR_IO,
		    "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > max) {
			rc = oa_fail(OA_ERR_LIMIT, "%s: larger than the limit of %zu bytes",
			    path, max);
			goto out;
		}
		if ((rc = oa_buf_append(&b, chunk, n)))
			goto out;
	}
	if (ferror(f)) {
		rc = oa_fail(OA_ERR_IO, "%s: read error", path);
		goto out;
	}
	if ((rc = oa_buf_reserve(&b, 0)))
		goto out;
	b.data[b.len] = 0;
	*out = b.data;
	*len = b.len;
	b.data = NULL;
out:
	fclose(f);
	oa_buf_free(&b);
	return rc;
}

/* An I/O failure of op ("" or "mkdir ", "fsync ") on path: a full disk or
 * quota says so first, rather than only "No space left on device". */
static oa_err io_fail(const char *op, const char *path, int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return oa_fail(OA_ERR_IO, "the disk is full (%s%s: %s)", op, path, strerror(e));
	return oa_fail(OA_ERR_IO, "%s%s: %s", op, path, strerror(e));
}

oa_err oa_read_secret_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *b;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return oa_fail(errno == ENOENT ? OA_ERR_NOTFOUND : OA_ERR_IO, "%s: %s", path,
		    strerror(errno));
	if ((b = malloc(max + 2)) == NULL) {
		close(fd);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	while (n <= max) {
		ssize_t r = read(fd, b + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			oa_wipe(b, n);
			free(b);
			return oa_fail(OA_ERR_IO, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		oa_wipe(b, n);
		free(b);
		return oa_fail(OA_ERR_LIMIT, "%s: larger than the limit of %zu bytes", path, max);
	}
	b[n] = 0;
	*out = b;
	*len = n;
	return OA_OK;
}

void oa_wipe_env(const char *name)
{
	char *v = getenv(name);

	if (v != NULL)
		oa_wipe(v, strlen(v));
	unsetenv(name);
}

static oa_err fsync_dir_of(const char *path)
{
	char dir[OA_MAX_PATH];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else {
		size_t n = (size_t)(slash - path);
		if (n == 0)
			n = 1;
		if (n >= sizeof dir)
			return oa_fail(OA_ERR_LIMIT, "path too long");
		memcpy(dir, path, n);
		dir[n] = 0;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return oa_fail(OA_ERR_IO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return io_fail("fsync ", dir, e);
	}
	close(fd);
	return OA_OK;
}

/* Writes all n bytes (retrying short writes and EINTR); 0, or -1 with errno. */
static int write_all(int fd, const uint8_t *q, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

oa_err oa_write_file_atomic(const char *path, const void *p, size_t n, int mode)
{
	char tmp[OA_MAX_PATH];
	const uint8_t *q = p;
	struct stat sb;
	int fd;

	/* Not a file to replace: a device or a FIFO (--out /dev/null, /dev/stdout)
	 * is written to as it is.  Renaming over it would put a regular file in
	 * its place (as root, /dev/null itself). */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode))
			return io_fail("", path, EISDIR);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			return io_fail("", path, errno);
		if (write_all(fd, q, n) != 0) {
			int e = errno;
			close(fd);
			return io_fail("", path, e);
		}
		if (close(fd) != 0)
			return io_fail("", path, errno);
		return OA_OK;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= sizeof tmp)
		return oa_fail(OA_ERR_LIMIT, "path too long: %s", path);
	if ((fd = mkstemp(tmp)) < 0)
		return io_fail("", tmp, errno);
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, q, n) != 0)
		goto fail;
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return fsync_dir_of(path);
fail:
	{
		int e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return io_fail("", path, e);
	}
}

oa_err oa_mkdir_p(const char *path, int mode)
{
	char buf[OA_MAX_PATH];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof buf)
		return oa_fail(OA_ERR_INVALID, "bad directory path");
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		/* Missing parents get the same mode (and are traversable). */
		if (mkdir(buf, (mode_t)mode | 0700) != 0 && errno != EEXIST)
			return io_fail("mkdir ", buf, errno);
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
		return io_fail("mkdir ", buf, errno);
	return OA_OK;
}

oa_err oa_path_join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n;

	if (name[0] == '/')
		n = snprintf(out, outsz, "%s", name);
	else
		n = snprintf(out, outsz, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outsz)
		return oa_fail(OA_ERR_LIMIT, "path too long: %s/%s", dir, name);
	return OA_OK;
}

void oa_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

int oa_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long oa_unhex(uint8_t *out, size_t outsz, const char *hex)
{
	size_t n = strlen(hex);

	if (n % 2 != 0 || n / 2 > outsz)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = oa_hexval((unsigned char)hex[2 * i]);
		int lo = oa_hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

int64_t oa_now(void)
{
	const char *fake = getenv("OPENAMS_NOW");

	if (fake != NULL && *fake) {
		int64_t t;
		if (oa_time_parse(fake, &t) == OA_OK)
			return t;
	}
	return (int64_t)time(NULL);
}

void oa_time_iso(char *out, size_t outsz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

oa_err oa_time_parse(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *end;

	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, "%Y-%m-%d", &tm);
		if (end == NULL || *end)
			return oa_fail(OA_ERR_INVALID,
			    "'%s' is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", s);
	}
	*out = (int64_t)timegm(&tm);
	return OA_OK;
}

void oa_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void oa_free_secret(char *s)
{
	if (s == NULL)
		return;
	oa_wipe(s, strlen(s));
	free(s);
}

int oa_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == n;
}

int oa_is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i == n;
}

int oa_is_clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int extra;
		unsigned cp;

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			extra = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3;
			cp = c & 0x07;
		} else
			return 0;
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p & 0x3f);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return 0;
		/* Bidirectional controls reorder what a reader sees (a name shown
		 * backwards, "Trojan Source"): embeddings and overrides U+202A..E,
		 * isolates U+2066..9 (security review, finding 5). */
		if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return 0;
	}
	return 1;
}

size_t oa_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

char *oa_strdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		oa_fail(OA_ERR_NOMEM, "out of memory");
	return d;
}

oa_err oa_like_contains(char *out, size_t outsz, const char *text)
{
	size_t n = 0;

	if (outsz < 3)
		return oa_fail(OA_ERR_LIMIT, "search pattern too long");
	out[n++] = '%';
	for (const char *p = text; *p; p++) {
		if (n + 4 > outsz)
			return oa_fail(OA_ERR_LIMIT, "search pattern too long");
		if (*p == '%' || *p == '_' || *p == '\\')
			out[n++] = '\\';
		out[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	}
	out[n++] = '%';
	out[n] = 0;
	return OA_OK;
}

uint64_t oa_fnv1a(uint64_t seed, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}
