/*
 * defs.c - installing SOP definitions for an organisation as numbered
 * versions (the exact text, so a case stays pinned to what it started
 * with) and activating one version per SOP.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "engineInt.h"

oa_err engine_sop_install(engine *e, const char *org, const char *name, const char *text,
    int activate, const char *actor, int64_t *version_id, sop_errors *errs)
{
	sop_def *d = NULL;
	store_stmt *st;
	uint8_t sum[32];
	char hex[65], object[160], detail[160];
	int64_t existing = 0, next = 1;
	int own = !store_in_tx(engine_store(e));
	oa_err rc;

	*version_id = 0;
	if (!engine_valid_id(org))
		return oa_fail(OA_ERR_INVALID, "organisation id must be 1..64 of A-Z a-z 0-9 . _ @ -");
	if ((rc = sop_parse(name, text, strlen(text), &d, errs)))
		return rc;
	EVP_Digest(text, strlen(text), sum, NULL, EVP_sha256(), NULL);
	oa_hex(hex, sum, sizeof sum);
	if (own && (rc = store_begin(engine_store(e))))
		goto out;
	if ((st = store_prepare(engine_store(e), "SELECT id FROM sop_version WHERE org = ? AND sop_id = ?"
	                               " AND sha256 = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, d->id);
	store_bind_text(st, 3, hex);
	if (store_step(st) == STORE_ROW)
		existing = store_col_int(st, 0);
	store_reset(st);
	if (existing == 0) {
		if ((st = store_prepare(engine_store(e), "SELECT COALESCE(MAX(version), 0) + 1 FROM sop_version"
		                               " WHERE org = ? AND sop_id = ?")) == NULL) {
			rc = OA_ERR_STORE;
			goto out;
		}
		store_bind_text(st, 1, org);
		store_bind_text(st, 2, d->id);
		if (store_step(st) == STORE_ROW)
			next = store_col_int(st, 0);
		store_reset(st);
		if ((st = store_prepare(engine_store(e),
		         "INSERT INTO sop_version(org, sop_id, version, kind, name, sha256, body, active,"
		         " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")) == NULL) {
			rc = OA_ERR_STORE;
			goto out;
		}
		store_bind_text(st, 1, org);
		store_bind_text(st, 2, d->id);
		store_bind_int(st, 3, next);
		store_bind_text(st, 4, sop_kind_name(d->kind));
		store_bind_text(st, 5, d->name);
		store_bind_text(st, 6, hex);
		store_bind_text(st, 7, text);
		store_bind_int(st, 8, oa_now());
		store_bind_text(st, 9, actor);
		if ((rc = store_run(st)))
			goto out;
		existing = store_last_id(engine_store(e));
		/* The roles of each step, for task lists. */
		for (size_t i = 0; i < d->n_steps; i++)
			for (size_t j = 0; j < d->steps[i].n_actors; j++) {
				if ((st = store_prepare(engine_store(e), "INSERT OR IGNORE INTO sop_step_role"
				                                         "(version_id, step, role, pos) VALUES (?, ?, ?, ?)")) == NULL) {
					rc = OA_ERR_STORE;
					goto out;
				}
				store_bind_int(st, 1, existing);
				store_bind_text(st, 2, d->steps[i].id);
				store_bind_text(st, 3, d->actors[d->steps[i].actors[j]].id);
				/* in turn: the actor's place in the order; else any of them */
				store_bind_int(st, 4, d->steps[i].in_turn ? (int64_t)j : -1);
				if ((rc = store_run(st)))
					goto out;
			}
		snprintf(object, sizeof object, "sop:%s:%s:%" PRId64, org, d->id, next);
		snprintf(detail, sizeof detail, "sha256=%.16s kind=%s", hex, sop_kind_name(d->kind));
		if ((rc = audit_append(engine_store(e), actor, "sop.install", object, detail)))
			goto out;
	}
	*version_id = existing;
	if (activate && (rc = engine_sop_activate(e, existing, actor)))
		goto out;
	if (own)
		rc = store_commit(engine_store(e));
out:
	if (rc && own)
		store_rollback(engine_store(e));
	sop_free(d);
	return rc;
}

oa_err engine_sop_activate(engine *e, int64_t version_id, const char *actor)
{
	store_stmt *st;
	char org[65], sop_id[OA_MAX_SOP_ID + 1], object[160];
	int64_t version;
	int own = !store_in_tx(engine_store(e)), active;
	oa_err rc = OA_OK;

	if (own && (rc = store_begin(engine_store(e))))
		return rc;
	if ((st = store_prepare(engine_store(e), "SELECT org, sop_id, version, active FROM sop_version"
	                               " WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, version_id);
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		rc = oa_fail(OA_ERR_NOTFOUND, "no SOP version %" PRId64, version_id);
		goto out;
	}
	snprintf(org, sizeof org, "%s", store_col_text(st, 0));
	snprintf(sop_id, sizeof sop_id, "%s", store_col_text(st, 1));
	version = store_col_int(st, 2);
	active = (int)store_col_int(st, 3);
	store_reset(st);
	if (active)
		goto out;
	if ((st = store_prepare(engine_store(e), "UPDATE sop_version SET active = 0 WHERE org = ? AND"
	                               " sop_id = ? AND active = 1")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, sop_id);
	if ((rc = store_run(st)))
		goto out;
	if ((st = store_prepare(engine_store(e), "UPDATE sop_version SET active = 1 WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, version_id);
	if ((rc = store_run(st)))
		goto out;
	snprintf(object, sizeof object, "sop:%s:%s:%" PRId64, org, sop_id, version);
	rc = audit_append(engine_store(e), actor, "sop.activate", object, NULL);
out:
	if (own) {
		if (rc == OA_OK)
			rc = store_commit(engine_store(e));
		else
			store_rollback(engine_store(e));
	}
	return rc;
}

static int cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if sop_id is in which: "all", "none" or ids separated by commas. */
static int selected(const char *which, const char *sop_id)
{
	size_t n = strlen(sop_id);

	if (strcmp(which, "all") == 0)
		return 1;
	for (const char *p = which; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, sop_id, n) == 0)
			return 1;
		p += k;
		if (*p == ',')
			p++;
	}
	return 0;
}

oa_err engine_sop_install_dir(engine *e, const char *org, const char *dir, const char *actor)
{
	return engine_sop_install_dir_sel(e, org, dir, actor, "all", NULL, NULL);
}

oa_err engine_sop_install_dir_sel(engine *e, const char *org, const char *dir, const char *actor,
    const char *activate, int (*each)(const char *sop_id, int64_t version_id, int active,
    void *arg), void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[128], ids[128][OA_MAX_SOP_ID + 1] = {{0}};
	size_t n = 0;
	oa_err rc = OA_OK;

	if (d == NULL)
		return oa_fail(OA_ERR_NOTFOUND, "%s: cannot open the SOP directory", dir);
	while ((de = readdir(d)) != NULL && n < sizeof names / sizeof names[0]) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmpname);
	for (size_t i = 0; i < n && rc == OA_OK; i++) {
		char path[OA_MAX_PATH];
		uint8_t *text;
		size_t len;
		int64_t vid;
		sop_errors errs = {0};
		if ((rc = oa_path_join(path, sizeof path, dir, names[i])) ||
		    (rc = oa_read_file(path, OA_MAX_SOP_BYTES, &text, &len)))
			break;
		if (memchr(text, 0, len) != NULL)
			rc = oa_fail(OA_ERR_INVALID, "%s: contains a NUL byte", path);
		else if ((rc = engine_sop_install(e, org, path, (const char *)text, 0, actor, &vid,
		              &errs)) == OA_ERR_INVALID && errs.n > 0)
			rc = oa_fail(rc, "%s:%d: %s", path, errs.v[0].line, errs.v[0].msg);
		sop_errors_free(&errs);
		if (rc == OA_OK) {
			const sop_def *def = NULL;
			int on;
			if ((rc = engine_sop_version(e, vid, NULL, 0, &def)) == OA_OK && def == NULL)
				rc = oa_fail(OA_ERR_INTERNAL, "%s: installed version %lld not found", path,
				    (long long)vid);
			on = rc == OA_OK && selected(activate, def->id);
			if (on)
				rc = engine_sop_activate(e, vid, actor);
			if (rc == OA_OK) {
				snprintf(ids[i], sizeof ids[i], "%s", def->id);
				if (each)
					each(def->id, vid, on, arg);
			}
		}
		free(text);
	}
	/* every id the list names is one of the definitions installed */
	for (const char *p = activate; rc == OA_OK && strcmp(activate, "all") &&
	     strcmp(activate, "none") && *p;) {
		size_t k = strcspn(p, ","), i;
		for (i = 0; i < n && !(strlen(ids[i]) == k && strncmp(ids[i], p, k) == 0); i++)
			;
		if (k == 0 || i == n)
			rc = oa_fail(OA_ERR_NOTFOUND, "--sops: no shipped SOP definition has id '%.*s'"
			    " (see the ids in the share directory's sop/*.yaml)", (int)k, p);
		p += k;
		if (*p == ',')
			p++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rc;
}
