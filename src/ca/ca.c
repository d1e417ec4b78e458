/*
 * ca.c - opening an instance's CA: configuration, profiles, store, the CA
 * certificates; and unlocking the signer on first use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "caInt.h"

static const char *const role_name[SIGNER__MAX] = {"root", "issuing", "ocsp"};

int ca_key_type_valid(const char *name)
{
	return signer_key_type_valid(name);
}

oa_err ca_generate_key(const char *key_type, EVP_PKEY **out)
{
	return signer_generate(key_type, out);
}

oa_err ca_write_holder_key(const char *path, EVP_PKEY *key, const char *passphrase)
{
	return signer_write_key(path, key, passphrase);
}

store *ca_store(ca *c)
{
	return c->db;
}

const conf *ca_config(ca *c)
{
	return c->cfg;
}

const char *ca_dir(ca *c)
{
	return c->dir;
}

static oa_err load_ca_certs(ca *c)
{
	for (int k = 0; k < SIGNER__MAX; k++) {
		store_stmt *st = store_prepare(c->db, "SELECT id, der FROM ca_cert WHERE role = ?"
		                                      " ORDER BY id DESC LIMIT 1");
		const unsigned char *p;
		size_t n;

		if (st == NULL)
			return OA_ERR_STORE;
		store_bind_text(st, 1, role_name[k]);
		if (store_step(st) != STORE_ROW) {
			store_reset(st);
			return oa_fail(OA_ERR_CONFIG, "the database has no %s CA certificate (run openams init)",
			    role_name[k]);
		}
		c->cert_id[k] = store_col_int(st, 0);
		p = store_col_blob(st, 1, &n);
		c->cert[k] = d2i_X509(NULL, &p, (long)n);
		store_reset(st);
		if (c->cert[k] == NULL)
			return oa_fail_ssl(OA_ERR_CONFIG, "the stored %s CA certificate is damaged",
			    role_name[k]);
	}
	return OA_OK;
}

oa_err ca_open(const char *dir, ca **out)
{
	ca *c;
	char path[OA_MAX_PATH];
	oa_err rc;

	*out = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (strlen(dir) >= sizeof c->dir) {
		free(c);
		return oa_fail(OA_ERR_LIMIT, "data directory path too long");
	}
	strcpy(c->dir, dir);
	if ((c->cfg = conf_new()) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = oa_path_join(path, sizeof path, dir, "openams.conf")))
		goto fail;
	if ((rc = conf_load(c->cfg, path))) {
		if (rc == OA_ERR_CONFIG && strstr(oa_errmsg(), "No such file"))
			rc = oa_fail(OA_ERR_NOTFOUND, "%s: no openams instance here (run openams init --dir %s)",
			    dir, dir);
		goto fail;
	}
	if ((rc = oa_path_join(path, sizeof path, dir, conf_str(c->cfg, "store.path"))) ||
	    (rc = store_open(path, &c->db)) || (rc = load_ca_certs(c)) ||
	    (rc = oa_path_join(path, sizeof path, dir, conf_str(c->cfg, "profiles.dir"))) ||
	    (rc = profile_load_dir(path, c->cfg, &c->profiles, &c->nprofiles)) ||
	    (rc = ca_key_hashes(c)))
		goto fail;
	for (size_t i = 0; i < c->nprofiles; i++)
		if ((rc = profile_build_ext(&c->profiles[i], c->cfg, c->cert[SIGNER_ISSUING])))
			goto fail;
	*out = c;
	return OA_OK;
fail:
	ca_free(c);
	return rc;
}

void ca_free(ca *c)
{
	if (c == NULL)
		return;
	signer_free(c->sig);
	profile_free_all(c->profiles, c->nprofiles);
	for (int k = 0; k < SIGNER__MAX; k++)
		X509_free(c->cert[k]);
	store_close(c->db);
	conf_free(c->cfg);
	free(c);
}

/* Reads the CA passphrase from the configured file or $OPENAMS_CA_PASSPHRASE. */
static oa_err read_passphrase(ca *c, char **out)
{
	const char *file = conf_str(c->cfg, "ca.key_passphrase_file");
	const char *env = getenv("OPENAMS_CA_PASSPHRASE");
	char path[OA_MAX_PATH];
	uint8_t *data;
	size_t n;
	oa_err rc;

	*out = NULL;
	if (*file == 0) {
		if (env == NULL || *env == 0)
			return oa_fail(OA_ERR_CONFIG,
			    "ca.key_passphrase_file is empty and $OPENAMS_CA_PASSPHRASE is not set");
		if ((*out = strdup(env)) == NULL)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		return OA_OK;
	}
	if ((rc = oa_path_join(path, sizeof path, c->dir, file)) ||
	    (rc = oa_read_file(path, OA_MAX_PASSPHRASE_BYTES, &data, &n)))
		return rc;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		data[--n] = 0;
	if (n == 0 || memchr(data, 0, n) != NULL) {
		oa_wipe(data, n);
		free(data);
		return oa_fail(OA_ERR_CONFIG, "%s: empty or binary passphrase file", path);
	}
	*out = (char *)data;
	return OA_OK;
}

oa_err ca_signer(ca *c, signer **out)
{
	char keydir[OA_MAX_PATH], *pass = NULL;
	oa_err rc;

	if (c->sig == NULL) {
		if ((rc = read_passphrase(c, &pass)))
			return rc;
		rc = oa_path_join(keydir, sizeof keydir, c->dir, "keys");
		if (rc == OA_OK)
			rc = signer_open(keydir, pass, &c->sig);
		oa_free_secret(pass);
		if (rc)
			return rc;
	}
	*out = c->sig;
	return OA_OK;
}
