/*
 * docs.c - stored documents: typed by content with libmagic, named by the
 * SHA-256 of their bytes, written once as DIR/docs/<2 hex>/<sha256> (temp
 * file + rename), read back with their type (docs.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>
#include <openssl/evp.h>

#include "../common/util.h"
#include "docs.h"

void docs_type(const void *data, size_t len, char *type, size_t typesz)
{
	magic_t mg = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |
	    MAGIC_NO_CHECK_ELF);
	const char *t = NULL;

	type[0] = 0;
	if (mg == NULL)
		return;
	if (magic_load(mg, NULL) == 0)
		t = magic_buffer(mg, data, len);
	if (t)
		snprintf(type, typesz, "%s", t);
	magic_close(mg);
}

int docs_type_in(const char *type, const char *const *types)
{
	for (size_t i = 0; types[i]; i++)
		if (strcmp(type, types[i]) == 0)
			return 1;
	return 0;
}

static int is_sha256(const char *s)
{
	return oa_is_hex(s, 64);
}

oa_err docs_path(const char *dir, const char *sha256, char *path)
{
	char sub[80];

	if (!is_sha256(sha256))
		return oa_fail(OA_ERR_INVALID, "a document is named by its SHA-256");
	snprintf(sub, sizeof sub, "docs/%.2s/%s", sha256, sha256);
	return oa_path_join(path, OA_MAX_PATH, dir, sub);
}

oa_err docs_store(const char *dir, const void *data, size_t len, const char *const *types,
    docs_info *out)
{
	char sub[16], sdir[OA_MAX_PATH];
	uint8_t sum[32];
	oa_err rc;

	memset(out, 0, sizeof *out);
	out->len = len;
	if (len == 0)
		return oa_fail(OA_ERR_INVALID, "the file is empty");
	if (len > OA_MAX_UPLOAD_BYTES)
		return oa_fail(OA_ERR_LIMIT, "the file is larger than %d bytes", OA_MAX_UPLOAD_BYTES);
	docs_type(data, len, out->type, sizeof out->type);
	if (!docs_type_in(out->type, types))
		return oa_fail(OA_ERR_INVALID, "file type not accepted (judged by content)");
	EVP_Digest(data, len, sum, NULL, EVP_sha256(), NULL);
	oa_hex(out->sha256, sum, sizeof sum);
	snprintf(sub, sizeof sub, "docs/%.2s", out->sha256);
	if ((rc = oa_path_join(sdir, sizeof sdir, dir, sub)) || (rc = oa_mkdir_p(sdir, 0750)) ||
	    (rc = docs_path(dir, out->sha256, out->path)))
		return rc;
	if (access(out->path, F_OK) == 0)
		return OA_OK;
	if ((rc = oa_write_file_atomic(out->path, data, len, 0640)))
		return rc;
	out->created = 1;
	return OA_OK;
}

void docs_unstore(const docs_info *d)
{
	if (d->created && d->path[0])
		unlink(d->path);
}

oa_err docs_read(const char *dir, const char *sha256, uint8_t **data, size_t *len, char *type,
    size_t typesz)
{
	char path[OA_MAX_PATH];
	oa_err rc;

	*data = NULL;
	*len = 0;
	if (!is_sha256(sha256))
		return oa_fail(OA_ERR_NOTFOUND, "no document named '%.80s'", sha256);
	if ((rc = docs_path(dir, sha256, path)) ||
	    (rc = oa_read_file(path, OA_MAX_UPLOAD_BYTES, data, len)))
		return rc;
	docs_type(*data, *len, type, typesz);
	return OA_OK;
}

int docs_filename_ok(const char *s)
{
	if (*s == 0 || *s == '.' || strlen(s) > 255 || !oa_is_clean_utf8(s))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/' || *s == '\\' || *s == '"')
			return 0;
	return 1;
}
