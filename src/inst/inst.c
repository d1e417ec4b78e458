/*
 * inst.c - the instance handle (see inst.h): configuration, database and
 * the CA module on them.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/util.h"
#include "inst.h"

struct inst {
	char dir[OA_MAX_PATH];
	conf *cfg;
	store *db;
	ca *c;
};

oa_err inst_open(const char *dir, inst **out)
{
	inst *i;
	char path[OA_MAX_PATH];
	oa_err rc;

	*out = NULL;
	if ((i = calloc(1, sizeof *i)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (strlen(dir) >= sizeof i->dir) {
		free(i);
		return oa_fail(OA_ERR_LIMIT, "data directory path too long");
	}
	strcpy(i->dir, dir);
	if ((rc = conf_load_instance(dir, &i->cfg)) ||
	    (rc = store_path_join(path, sizeof path, dir, conf_str(i->cfg, "store.path"))) ||
	    (rc = store_open(path, &i->db)) || (rc = ca_attach(dir, i->cfg, i->db, &i->c))) {
		inst_free(i);
		return rc;
	}
	*out = i;
	return OA_OK;
}

void inst_free(inst *i)
{
	if (i == NULL)
		return;
	ca_free(i->c); /* first: it borrows the store and the configuration */
	store_close(i->db);
	conf_free(i->cfg);
	free(i);
}

const char *inst_dir(const inst *i)
{
	return i->dir;
}

const conf *inst_conf(const inst *i)
{
	return i->cfg;
}

store *inst_store(inst *i)
{
	return i->db;
}

ca *inst_ca(inst *i)
{
	return i->c;
}

void inst_use_signers(inst *i, ca_signers *p)
{
	ca_use_signers(i->c, p);
}
