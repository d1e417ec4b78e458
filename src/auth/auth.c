/*
 * auth.c - the auth handle, its key file, transactions and token helpers.
 *
 * The master key (auth.key_file, DIR/secrets/auth.key by default) is 32
 * random bytes in hex, created 0600 on first use and never overwritten:
 * concurrent first uses race on link(2), which fails if the file exists, so
 * every process ends up with the same key.  A key file readable by group or
 * others is refused.  The key never enters the database, so a copy of the
 * database alone (a backup, an export) does not reveal TOTP secrets.
 *
 * Must never: write the key anywhere but its file, or log it.
 */
#include "authInt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"

static pthread_once_t libs_once = PTHREAD_ONCE_INIT;
static int libs_ok;

static void libs_init(void)
{
	libs_ok = sodium_init() >= 0 && oath_init() == OATH_OK;
}

oa_err auth_open(inst *in, auth **out)
{
	auth *a;

	*out = NULL;
	pthread_once(&libs_once, libs_init);
	if (!libs_ok)
		return oa_fail(OA_ERR_CRYPTO, "libsodium or liboath failed to initialise");
	if ((a = calloc(1, sizeof *a)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	a->in = in;
	a->db = inst_store(in);
	a->cf = inst_conf(in);
	*out = a;
	return OA_OK;
}

void auth_free(auth *a)
{
	if (a == NULL)
		return;
	oa_wipe(a->key, sizeof a->key);
	free(a->dummy_hash);
	free(a);
}

void auth_random_token(uint8_t raw[AUTH_RAW_TOKEN], char *b64)
{
	randombytes_buf(raw, AUTH_RAW_TOKEN);
	sodium_bin2base64(b64, AUTH_TOKEN_LEN + 1, raw, AUTH_RAW_TOKEN,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int auth_decode_token(const char *b64, uint8_t raw[AUTH_RAW_TOKEN])
{
	size_t n = 0;

	if (b64 == NULL || strnlen(b64, AUTH_TOKEN_LEN + 1) != AUTH_TOKEN_LEN)
		return -1;
	if (sodium_base642bin(raw, AUTH_RAW_TOKEN, b64, AUTH_TOKEN_LEN, NULL, &n, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != AUTH_RAW_TOKEN)
		return -1;
	return 0;
}

void auth_sha256(const void *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256(out, p, n);
}

/* Reads the hex key file; refuses one others may read. */
static oa_err read_key(const char *path, uint8_t key[AUTH_KEY_BYTES])
{
	struct stat sb;
	uint8_t *text = NULL;
	size_t len = 0;
	oa_err rc;

	if (stat(path, &sb) != 0)
		return oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
	if (sb.st_mode & 077)
		return oa_fail(OA_ERR_CONFIG, "%s: the auth key file must not be readable by group or "
		                              "others (chmod 600)", path);
	if ((rc = oa_read_file(path, 256, &text, &len)))
		return rc;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = 0;
	if (len != 2 * AUTH_KEY_BYTES || oa_unhex(key, AUTH_KEY_BYTES, (char *)text) != AUTH_KEY_BYTES)
		rc = oa_fail(OA_ERR_CONFIG, "%s: not an auth key (%d hex digits)", path,
		    2 * AUTH_KEY_BYTES);
	oa_wipe(text, len);
	free(text);
	return rc;
}

/* Creates the key file without ever replacing one: write a temporary file,
 * then link(2) it to the final name, which fails if that exists. */
static oa_err create_key(const char *path)
{
	char tmp[OA_MAX_PATH], dir[OA_MAX_PATH], hex[2 * AUTH_KEY_BYTES + 2];
	uint8_t key[AUTH_KEY_BYTES];
	char *slash;
	int fd, dfd;
	oa_err rc = OA_OK;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = 0;
		if ((rc = oa_mkdir_p(dir, 0700)))
			return rc;
	} else
		snprintf(dir, sizeof dir, ".");
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return oa_fail(OA_ERR_LIMIT, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
	randombytes_buf(key, sizeof key);
	oa_hex(hex, key, sizeof key);
	hex[2 * AUTH_KEY_BYTES] = '\n';
	hex[2 * AUTH_KEY_BYTES + 1] = 0;
	if (fchmod(fd, 0600) != 0 || write(fd, hex, 2 * AUTH_KEY_BYTES + 1) != 2 * AUTH_KEY_BYTES + 1 ||
	    fsync(fd) != 0)
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
	close(fd);
	if (rc == OA_OK && link(tmp, path) != 0 && errno != EEXIST)
		rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
	unlink(tmp);
	if (rc == OA_OK && (dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	oa_wipe(key, sizeof key);
	oa_wipe(hex, sizeof hex);
	return rc;
}

oa_err auth_key(auth *a, const uint8_t **key)
{
	char path[OA_MAX_PATH];
	const char *kf = conf_str(a->cf, "auth.key_file");
	oa_err rc;

	if (!a->key_loaded) {
		if (kf[0] == '/')
			snprintf(path, sizeof path, "%s", kf);
		else if ((rc = oa_path_join(path, sizeof path, inst_dir(a->in), kf)))
			return rc;
		if (access(path, F_OK) != 0 && (rc = create_key(path)))
			return rc;
		if ((rc = read_key(path, a->key)))
			return rc;
		a->key_loaded = 1;
	}
	*key = a->key;
	return OA_OK;
}
