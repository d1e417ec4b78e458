/*
 * cmd_backup.c - `openams backup --out FILE` and `openams restore --in FILE
 * --dir DIR`: the whole data directory in one encrypted archive, made while
 * the server runs.
 *
 * What is in it: a consistent copy of the database as of one instant
 * (store_copy_to: VACUUM INTO, one read snapshot, writers go on), taken
 * first; then every other regular file of the data directory (configuration,
 * CA keys as they are stored, encrypted or not, PKI files, profiles, SOP
 * files, secrets/, the uploaded documents under docs/), except the live
 * database and its -wal/-shm files and lock files.  Documents are
 * content-addressed and never removed, so every document the database copy
 * names is on disk when the walk reaches it.  Last, a manifest: the version,
 * the schema version, what the database copy holds (a "counts:" line: audit
 * records and head, certificates, cases, case documents), and the SHA-256,
 * size and path of every member.
 *
 * The archive (docs/DEPLOY.md has the layout): a 64-byte header (magic,
 * scrypt parameters and salt, a nonce prefix, the chunk size), then the
 * member stream in chunks of at most 1 MiB, each sealed with AES-256-GCM
 * under a key scrypt derives from the passphrase; each chunk's nonce is the
 * prefix and its number, its additional data the header and its length
 * word, whose top bit marks the last chunk: a chunk changed, dropped,
 * reordered or cut off, or bytes added after the last, fail restore.
 *
 * On PostgreSQL the database member is an SQLite copy of the same rows from
 * one snapshot (store_copy_to), named openams.db, and the manifest says
 * "from: postgresql"; restore then points the restored openams.conf at
 * that file (never at the database it was taken from).
 *
 * Restore writes into a new private directory beside DIR, checks every
 * member against the manifest, and only then renames it to DIR (which must
 * be absent or empty); on any failure nothing is left.  It then opens the
 * restored instance, verifies the audit chain, checks the counts against the
 * manifest's (a backup made before they were recorded has none) and prints
 * them.
 *
 * The passphrase comes from --passphrase-file or a terminal prompt, is at
 * least OA_BACKUP_MIN_PASSPHRASE characters, and is wiped after use, as is
 * the derived key and every plaintext buffer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../audit/audit.h"
#include "../ca/ca.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../conf/conf.h"
#include "../inst/inst.h"
#include "../store/store.h"
#include "cli.h"
#include "oa_version.h"

#include "backup_archive.h"

/* ---- backup ---- */

struct walk {
	struct bk_sealer *s;
	const char *root;
	const char *dbrel;   /* store.path, relative */
	oa_buf manifest;
	long members;
	uint64_t bytes;
	dev_t out_dev;  /* the archive being written, never a member of itself */
	ino_t out_ino;
};

static int skipped(const struct walk *w, const char *rel)
{
	size_t n = strlen(w->dbrel), l = strlen(rel);

	if (strncmp(rel, w->dbrel, n) == 0 && (rel[n] == 0 || strcmp(rel + n, "-wal") == 0 ||
	        strcmp(rel + n, "-shm") == 0 || strcmp(rel + n, "-journal") == 0))
		return 1;
	return l > 5 && strcmp(rel + l - 5, ".lock") == 0;
}

/* One member: 'F', path length (2), path, mode (4), size (8), the bytes. */
static oa_err add_file(struct walk *w, const char *path, const char *rel)
{
	uint8_t head[15], sum[32], *buf = NULL;
	char hex[65];
	struct stat sb;
	EVP_MD_CTX *md = NULL;
	size_t rl = strlen(rel);
	uint64_t left;
	int fd;
	oa_err rc = OA_OK;

	if (rl > MAX_MEMBER_PATH || strpbrk(rel, "\n\r") != NULL)
		return oa_fail(OA_ERR_LIMIT, "%s: a path too long or with a line break", rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &sb) != 0) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (++w->members > MAX_MEMBERS) {
		rc = oa_fail(OA_ERR_LIMIT, "more than %d files", MAX_MEMBERS);
		goto out;
	}
	head[0] = 'F';
	head[1] = (uint8_t)(rl >> 8);
	head[2] = (uint8_t)rl;
	bk_put32(head + 3, (uint32_t)(sb.st_mode & 0777));
	bk_put64(head + 7, (uint64_t)sb.st_size);
	if ((rc = bk_put(w->s, head, 3)) || (rc = bk_put(w->s, rel, rl)) || (rc = bk_put(w->s, head + 3, 12)))
		goto out;
	if ((buf = malloc(CHUNK)) == NULL || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* exactly the size announced: a file that grows meanwhile is cut
	 * there, one that shrinks is an error */
	for (left = (uint64_t)sb.st_size; left > 0;) {
		ssize_t r = read(fd, buf, left < CHUNK ? (size_t)left : CHUNK);
		if (r <= 0) {
			rc = oa_fail(OA_ERR_IO, "%s: %s", path, r < 0 ? strerror(errno) : "shrank while read");
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)r);
		if ((rc = bk_put(w->s, buf, (size_t)r)))
			goto out;
		left -= (uint64_t)r;
	}
	EVP_DigestFinal_ex(md, sum, NULL);
	oa_hex(hex, sum, sizeof sum);
	w->bytes += (uint64_t)sb.st_size;
	rc = oa_buf_printf(&w->manifest, "%s %" PRIu64 " %s\n", hex, (uint64_t)sb.st_size, rel);
out:
	if (buf) {
		OPENSSL_cleanse(buf, CHUNK);
		free(buf);
	}
	EVP_MD_CTX_free(md);
	if (fd >= 0)
		close(fd);
	return rc;
}

static oa_err walk_dir(struct walk *w, const char *rel)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent **names = NULL;
	int n;
	oa_err rc = OA_OK;

	snprintf(path, sizeof path, "%s%s%s", w->root, *rel ? "/" : "", rel);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat sb;
		if (rc || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", name) >= sizeof sub) {
			rc = oa_fail(OA_ERR_LIMIT, "%s/%s: path too long", rel, name);
			continue;
		}
		if ((size_t)snprintf(path, sizeof path, "%s/%s", w->root, sub) >= sizeof path) {
			rc = oa_fail(OA_ERR_LIMIT, "%s/%s: path too long", w->root, sub);
			continue;
		}
		if (lstat(path, &sb) != 0) {
			if (errno != ENOENT)   /* gone meanwhile (a lock file) */
				rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
			continue;
		}
		if (S_ISDIR(sb.st_mode))
			rc = walk_dir(w, sub);
		else if (S_ISREG(sb.st_mode) && !skipped(w, sub) &&
		    !(sb.st_dev == w->out_dev && sb.st_ino == w->out_ino))
			rc = add_file(w, path, sub);
		/* sockets, links and the like are not data */
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static const char backup_help[] =
    "usage: openams backup --out FILE [--dir DIR] [--passphrase-file FILE]\n"
    "\n"
    "Writes the data directory DIR (default $OPENAMS_DIR, else ./var) into FILE,\n"
    "encrypted (AES-256-GCM, key from the passphrase by scrypt), while the server\n"
    "may run: a consistent copy of the database as of one instant, then the\n"
    "configuration, CA keys (as stored), PKI files, profiles, SOPs, secrets/ and\n"
    "the uploaded documents, and a manifest with the SHA-256 of each and what\n"
    "the database copy holds (audit records and head, certificates, cases, case\n"
    "documents: the `counts:` line it also prints).  FILE must not exist; it is\n"
    "written 0600 and appears only when complete.  An instance on PostgreSQL is\n"
    "backed up the same way, its database as an SQLite copy of the same rows\n"
    "(one snapshot), which restore makes the instance's store.\n"
    "\n"
    "  --passphrase-file FILE  the passphrase (at least 12 characters); without it,\n"
    "                          asked twice on the terminal\n"
    "Prints members, bytes and seconds.  Restore with `openams restore`.\n"
    "Exit status: 0 done, 1 failed (openams: CODE: message), 2 usage error.\n";

int cmd_backup(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL, *pfile = NULL;
	char tmpdir[PATH_MAX], dbcopy[PATH_MAX], partial[PATH_MAX], *pass = NULL;
	struct bk_sealer s = {0};
	struct walk w = {0};
	struct timespec t0, t1;
	struct bk_counts counts;
	inst *in = NULL;
	int from_pg;
	uint8_t endrec = 'E', mhead[9];
	oa_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(backup_help, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			pfile = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams backup --help)", argv[i]);
	}
	if (out == NULL)
		return cli_usage("openams backup --out FILE [--dir DIR] [--passphrase-file FILE]");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tmpdir[0] = partial[0] = 0;
	if (access(out, F_OK) == 0) {
		rc = oa_fail(OA_ERR_EXISTS, "%s exists: a backup never replaces a file", out);
		goto fail;
	}
	if ((rc = bk_passphrase(pfile, &pass)) || (rc = inst_open(cli_data_dir(dir), &in)))
		goto fail;
	w.root = inst_dir(in);
	w.dbrel = conf_str(inst_conf(in), "store.path");
	/* PostgreSQL: the database goes in as an SQLite file of the same rows
	 * (store_copy_to), which restore makes the instance's store */
	if ((from_pg = store_path_is_pg(w.dbrel)))
		w.dbrel = PG_COPY_NAME;
	if (w.dbrel[0] == '/' || strstr(w.dbrel, "..") != NULL) {
		rc = oa_fail(OA_ERR_CONFIG, "store.path %s is outside the data directory: back the"
		    " database up with the directory it is in", w.dbrel);
		goto fail;
	}
	/* 1. the database as of now, into a private directory */
	if (snprintf(tmpdir, sizeof tmpdir, "%s/openams-backup-XXXXXX",
	    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") >= (int)sizeof tmpdir) {
		rc = oa_fail(OA_ERR_LIMIT, "TMPDIR: the path is too long");
		tmpdir[0] = 0;
		goto fail;
	}
	if (mkdtemp(tmpdir) == NULL) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmpdir, strerror(errno));
		tmpdir[0] = 0;
		goto fail;
	}
	if (snprintf(dbcopy, sizeof dbcopy, "%s/db", tmpdir) >= (int)sizeof dbcopy) {
		rc = oa_fail(OA_ERR_LIMIT, "%s: the path is too long", tmpdir);
		goto fail;
	}
	if ((rc = store_copy_to(inst_store(in), dbcopy)) || (rc = bk_file_counts(dbcopy, &counts)))
		goto fail;
	/* 2. the archive, written beside FILE and renamed when complete */
	if (snprintf(partial, sizeof partial, "%s.partial-%ld", out, (long)getpid()) >=
	    (int)sizeof partial) {
		rc = oa_fail(OA_ERR_LIMIT, "%s: the path is too long", out);
		partial[0] = 0;
		goto fail;
	}
	{
		int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		struct stat osb;
		if (fd >= 0 && fstat(fd, &osb) == 0) {
			w.out_dev = osb.st_dev;
			w.out_ino = osb.st_ino;
		}
		if (fd < 0 || (s.f = fdopen(fd, "wb")) == NULL) {
			rc = oa_fail(OA_ERR_IO, "%s: %s", partial, strerror(errno));
			if (fd >= 0)
				close(fd);
			partial[0] = 0;
			goto fail;
		}
	}
	memcpy(s.hdr, MAGIC, 8);
	s.hdr[8] = 1;
	s.hdr[9] = SCRYPT_LOG2N;
	s.hdr[10] = SCRYPT_R;
	s.hdr[11] = SCRYPT_P;
	bk_put32(s.hdr + 56, CHUNK);
	if (RAND_bytes(s.hdr + 16, 32) != 1 || RAND_bytes(s.hdr + 48, 8) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "random salt");
		goto fail;
	}
	if ((rc = bk_derive(pass, s.hdr, s.key)))
		goto fail;
	oa_free_secret(pass);
	pass = NULL;
	if ((s.buf = malloc(CHUNK)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (fwrite(s.hdr, 1, HDR_LEN, s.f) != HDR_LEN) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", partial, strerror(errno));
		goto fail;
	}
	w.s = &s;
	{
		time_t now = time(NULL);
		struct tm tm;
		char when[32];
		gmtime_r(&now, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if ((rc = oa_buf_printf(&w.manifest, "openams backup 1\nopenams: %s\nschema: %d\n"
		         "created: %s\ndatabase: %s\n%scounts: " COUNTS_FMT "\n", OPENAMS_VERSION,
		         store_schema_version(inst_store(in)), when, w.dbrel,
		         from_pg ? "from: postgresql\n" : "", counts.audit, counts.head,
		         counts.certificates, counts.cases, counts.documents)))
			goto fail;
	}
	if ((rc = add_file(&w, dbcopy, w.dbrel)) || (rc = walk_dir(&w, "")))
		goto fail;
	/* 3. the manifest, the end mark, the last chunk */
	mhead[0] = 'M';
	bk_put64(mhead + 1, (uint64_t)w.manifest.len);
	if ((rc = bk_put(&s, mhead, 9)) || (rc = bk_put(&s, w.manifest.data, w.manifest.len)) ||
	    (rc = bk_put(&s, &endrec, 1)) || (rc = bk_seal_chunk(&s, 1)))
		goto fail;
	if (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0 || fclose(s.f) != 0) {
		s.f = NULL;
		rc = oa_fail(OA_ERR_IO, "%s: %s", partial, strerror(errno));
		goto fail;
	}
	s.f = NULL;
	if (link(partial, out) != 0) {   /* never over an existing file */
		rc = oa_fail(OA_ERR_IO, "%s: %s", out, strerror(errno));
		goto fail;
	}
	unlink(partial);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		struct stat sb;
		stat(out, &sb);
		printf("backup %s: %ld members, %" PRIu64 " bytes of data, %lld bytes written,"
		       " %.2f s\n", out, w.members, w.bytes, (long long)sb.st_size,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		printf("counts: " COUNTS_FMT "\n", counts.audit, counts.head, counts.certificates,
		    counts.cases, counts.documents);
	}
	rc = OA_OK;
fail:
	if (s.f)
		fclose(s.f);
	if (rc && partial[0])
		unlink(partial);
	if (tmpdir[0]) {
		if (snprintf(dbcopy, sizeof dbcopy, "%s/db", tmpdir) < (int)sizeof dbcopy)
			unlink(dbcopy);
		rmdir(tmpdir);
	}
	if (s.buf) {
		OPENSSL_cleanse(s.buf, CHUNK);
		free(s.buf);
	}
	OPENSSL_cleanse(s.key, sizeof s.key);
	oa_buf_free(&w.manifest);
	if (pass)
		oa_free_secret(pass);
	inst_free(in);
	return rc ? cli_report(rc) : CLI_OK;
}

/* ---- restore ---- */

/* Removes a tree made by restore (no symbolic links are ever made in it). */
static void rm_tree(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			rm_tree(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* A member's path: relative, no empty, "." or ".." part, no line break. */
static int safe_rel(const char *p)
{
	const char *q = p;

	if (*p == 0 || *p == '/' || strpbrk(p, "\n\r\\") != NULL)
		return 0;
	while (*q) {
		size_t n = strcspn(q, "/");
		if (n == 0 || (n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.'))
			return 0;
		q += n;
		if (*q == '/')
			q++;
		if (*q == 0 && q[-1] == '/')
			return 0;
	}
	return 1;
}

/* Makes the parent directories of rel under root (0700). */
static oa_err make_parents(const char *root, const char *rel)
{
	char path[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (slash == NULL)
		return OA_OK;
	snprintf(path, sizeof path, "%s/%.*s", root, (int)(slash - rel), rel);
	return oa_mkdir_p(path, 0700);
}

struct seen {
	char **line;  /* "sha size path" of each member written */
	size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char restore_help[] =
    "usage: openams restore --in FILE --dir DIR [--passphrase-file FILE]\n"
    "\n"
    "Restores a backup made by `openams backup` into DIR, which must not exist or\n"
    "be empty: every chunk is authenticated and every file checked against the\n"
    "manifest before DIR appears (nothing is left on failure).  Then opens the\n"
    "restored instance (migrating it if it came from an older openams), verifies\n"
    "the audit chain, checks that the database holds what the manifest counted\n"
    "(a backup made by an older openams has no counts) and prints the counts and\n"
    "the seconds taken.\n"
    "\n"
    "  --passphrase-file FILE  the backup's passphrase; without it, asked on the terminal\n"
    "Exit status: 0 restored and verified, 1 refused or failed, 2 usage error.\n";

int cmd_restore(int argc, char **argv)
{
	const char *in = NULL, *dir = NULL, *pfile = NULL;
	char stage[PATH_MAX], path[PATH_MAX], rel[MAX_MEMBER_PATH + 1], *pass = NULL;
	char dirbuf[PATH_MAX];
	char *manifest = NULL;
	struct bk_sealer s = {0};
	struct seen seen = {0};
	struct timespec t0, t1;
	struct stat sb;
	uint8_t *buf = NULL, type;
	inst *inst_h = NULL;
	long members = 0;
	int fd = -1, made = 0, restored = 0, from_pg = 0, counted = 0;
	struct bk_counts want_n = {0};
	oa_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(restore_help, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--in") == 0 && i + 1 < argc)
			in = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
			pfile = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams restore --help)", argv[i]);
	}
	if (in == NULL || dir == NULL || *dir == 0)
		return cli_usage("openams restore --in FILE --dir DIR [--passphrase-file FILE]");
	if (strlen(dir) >= sizeof dirbuf - 32)
		return cli_usage("--dir: path too long");
	/* "r/" is "r": the staging directory goes beside it, not inside */
	snprintf(dirbuf, sizeof dirbuf, "%s", dir);
	for (size_t l = strlen(dirbuf); l > 1 && dirbuf[l - 1] == '/'; l--)
		dirbuf[l - 1] = 0;
	dir = dirbuf;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	stage[0] = 0;
	/* DIR: absent, or an empty directory */
	if (stat(dir, &sb) == 0) {
		DIR *d = S_ISDIR(sb.st_mode) ? opendir(dir) : NULL;
		struct dirent *e;
		int empty = d != NULL;
		while (d && (e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				empty = 0;
		if (d)
			closedir(d);
		if (!empty) {
			rc = oa_fail(OA_ERR_EXISTS, "%s is not an empty directory: restore only into a"
			    " new or empty one", dir);
			goto out;
		}
	} else if (errno != ENOENT) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((s.f = fopen(in, "rb")) == NULL) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", in, strerror(errno));
		goto out;
	}
	if (fread(s.hdr, 1, HDR_LEN, s.f) != HDR_LEN || memcmp(s.hdr, MAGIC, 8) != 0 ||
	    bk_get32(s.hdr + 56) != CHUNK) {
		rc = oa_fail(OA_ERR_INVALID, "%s: not an openams backup (version 1)", in);
		goto out;
	}
	if ((rc = bk_passphrase(pfile, &pass)) || (rc = bk_derive(pass, s.hdr, s.key)))
		goto out;
	oa_free_secret(pass);
	pass = NULL;
	if ((s.buf = malloc(CHUNK)) == NULL || (buf = malloc(CHUNK)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the staging directory beside DIR */
	{
		const char *slash = strrchr(dir, '/');
		if (snprintf(stage, sizeof stage, "%.*s%s.restore-XXXXXX",
		    slash ? (int)(slash - dir + 1) : 0, dir, slash ? slash + 1 : dir) >= (int)sizeof stage) {
			rc = oa_fail(OA_ERR_LIMIT, "%s: the path is too long", dir);
			stage[0] = 0;
			goto out;
		}
		if (mkdtemp(stage) == NULL) {
			rc = oa_fail(OA_ERR_IO, "%s: %s", stage, strerror(errno));
			stage[0] = 0;
			goto out;
		}
		made = 1;
	}
	for (;;) {
		uint8_t h[12], sum[32];
		uint64_t size, left;
		size_t rl;
		char hex[65], *line;
		EVP_MD_CTX *md;

		if ((rc = bk_get(&s, &type, 1)))
			goto out;
		if (type == 'E')
			break;
		if (type == 'M') {
			if (manifest != NULL) {
				rc = oa_fail(OA_ERR_INVALID, "the backup has two manifests");
				goto out;
			}
			if ((rc = bk_get(&s, h, 8)))
				goto out;
			size = bk_get64(h);
			if (size > (uint64_t)MAX_MEMBERS * (MAX_MEMBER_PATH + 100)) {
				rc = oa_fail(OA_ERR_LIMIT, "the manifest is too large");
				goto out;
			}
			if ((manifest = malloc((size_t)size + 1)) == NULL) {
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				goto out;
			}
			if ((rc = bk_get(&s, manifest, (size_t)size)))
				goto out;
			manifest[size] = 0;
			continue;
		}
		if (type != 'F' || manifest != NULL) {
			rc = oa_fail(OA_ERR_INVALID, "the backup is damaged (member %ld)", members);
			goto out;
		}
		if ((rc = bk_get(&s, h, 2)))
			goto out;
		rl = (size_t)h[0] << 8 | h[1];
		if (rl == 0 || rl > MAX_MEMBER_PATH || (rc = bk_get(&s, rel, rl)))
			goto out_bad;
		rel[rl] = 0;
		if (strlen(rel) != rl || !safe_rel(rel))
			goto out_bad;
		if ((rc = bk_get(&s, h, 12)))
			goto out;
		size = bk_get64(h + 4);
		if (++members > MAX_MEMBERS) {
			rc = oa_fail(OA_ERR_LIMIT, "more than %d files", MAX_MEMBERS);
			goto out;
		}
		if (snprintf(path, sizeof path, "%s/%s", stage, rel) >= (int)sizeof path) {
			rc = oa_fail(OA_ERR_LIMIT, "%s/%s: the path is too long", stage, rel);
			goto out;
		}
		if ((rc = make_parents(stage, rel)))
			goto out;
		/* 0600 whatever the archive says: the data directory is the owner's alone */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
			rc = errno == EEXIST ? oa_fail(OA_ERR_INVALID, "the backup names %s twice", rel) :
			    oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(md);
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (left = size; left > 0 && rc == OA_OK;) {
			size_t k = left < CHUNK ? (size_t)left : CHUNK;
			if ((rc = bk_get(&s, buf, k)) == OA_OK) {
				EVP_DigestUpdate(md, buf, k);
				if (write(fd, buf, k) != (ssize_t)k)
					rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
				left -= k;
			}
		}
		EVP_DigestFinal_ex(md, sum, NULL);
		EVP_MD_CTX_free(md);
		if (rc == OA_OK && fsync(fd) != 0)
			rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		if (rc)
			goto out;
		oa_hex(hex, sum, sizeof sum);
		if (seen.n == seen.cap) {
			size_t cap = seen.cap ? 2 * seen.cap : 256;
			char **v = realloc(seen.line, cap * sizeof *v);
			if (v == NULL) {
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				goto out;
			}
			seen.line = v;
			seen.cap = cap;
		}
		if ((line = malloc(64 + 1 + 21 + 1 + rl + 1)) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		sprintf(line, "%s %" PRIu64 " %s", hex, size, rel);
		seen.line[seen.n++] = line;
	}
	if (manifest == NULL) {
		rc = oa_fail(OA_ERR_INVALID, "the backup has no manifest");
		goto out;
	}
	from_pg = strstr(manifest, "\nfrom: postgresql\n") != NULL;
	/* what the database copy held (a backup made by an older openams has no counts) */
	{
		const char *cl = strstr(manifest, "\ncounts: ");
		if (cl != NULL) {
			if (sscanf(cl, "\ncounts: audit=%" SCNd64 " head=%64[0-9a-f] certificates=%" SCNd64
			        " cases=%" SCNd64 " documents=%" SCNd64, &want_n.audit, want_n.head,
			        &want_n.certificates, &want_n.cases, &want_n.documents) != 5 &&
			    sscanf(cl, "\ncounts: audit=%" SCNd64 " head= certificates=%" SCNd64
			        " cases=%" SCNd64 " documents=%" SCNd64, &want_n.audit,
			        &want_n.certificates, &want_n.cases, &want_n.documents) != 4) {
				rc = oa_fail(OA_ERR_INVALID, "the backup's manifest has a malformed counts line");
				goto out;
			}
			counted = 1;
		}
	}
	/* every member as the manifest lists it, and no other */
	{
		size_t nm = 0, k = 0;
		char *save = NULL, *ln, **want = NULL;
		int bad = 0;
		for (ln = strtok_r(manifest, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
			if (strlen(ln) < 66 || ln[64] != ' ' || strspn(ln, "0123456789abcdef") != 64)
				continue;   /* the heading lines */
			char **v = realloc(want, (nm + 1) * sizeof *v);
			if (v == NULL) {
				free(want);
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				goto out;
			}
			want = v;
			want[nm++] = ln;
		}
		qsort(seen.line, seen.n, sizeof *seen.line, cmp_str);
		if (want)
			qsort(want, nm, sizeof *want, cmp_str);
		if (nm != seen.n)
			bad = 1;
		for (k = 0; !bad && k < nm; k++)
			bad = strcmp(want[k], seen.line[k]) != 0;
		free(want);
		if (bad) {
			rc = oa_fail(OA_ERR_INVALID, "the files do not match the backup's manifest");
			goto out;
		}
	}
	/* An instance on PostgreSQL comes back on the SQLite copy of its rows:
	 * its openams.conf still names the database it was backed up from,
	 * which this restore must not touch. */
	if (from_pg && (rc = cli_conf_set_store(stage, PG_COPY_NAME)))
		goto out;
	/* DIR appears only now, complete */
	if (stat(dir, &sb) == 0 && rmdir(dir) != 0) {
		rc = oa_fail(OA_ERR_EXISTS, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (rename(stage, dir) != 0) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	chmod(dir, 0700);
	made = 0;
	restored = 1;
	/* open it (migrating an older database), verify, count */
	{
		audit_report r;
		struct bk_counts got;
		int64_t issued = 0, revoked = 0;
		if ((rc = inst_open(dir, &inst_h)) || (rc = audit_verify(inst_store(inst_h), &r)) ||
		    (rc = ca_counts(inst_ca(inst_h), &issued, &revoked)) ||
		    (rc = bk_db_counts(inst_store(inst_h), &got)))
			goto out;
		if (counted && (got.audit != want_n.audit || strcmp(got.head, want_n.head) != 0 ||
		                got.certificates != want_n.certificates || got.cases != want_n.cases ||
		                got.documents != want_n.documents)) {
			rc = oa_fail(OA_ERR_INVALID, "the restored database does not hold what the backup"
			    " counted: " COUNTS_FMT " restored, " COUNTS_FMT " in the manifest", got.audit,
			    got.head, got.certificates, got.cases, got.documents, want_n.audit, want_n.head,
			    want_n.certificates, want_n.cases, want_n.documents);
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("restored %s: %ld files, schema %d, audit intact (%" PRId64 " records, head %.16s),"
		       " %" PRId64 " certificates issued, %" PRId64 " revoked, %.2f s\n", dir, members,
		    store_schema_version(inst_store(inst_h)), r.rows, r.head, issued, revoked,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		printf("counts: " COUNTS_FMT " (%s)\n", got.audit, got.head, got.certificates, got.cases,
		    got.documents, counted ? "as the backup's manifest says" : "the backup's manifest"
		    " has none: made by an older openams");
		if (from_pg)
			printf("the instance was on PostgreSQL; restored on SQLite (store.path = %s);"
			       " back to PostgreSQL: openams store copy --to URL --switch --dir %s\n",
			    PG_COPY_NAME, dir);
	}
	goto out;
out_bad:
	if (rc == OA_OK)
		rc = oa_fail(OA_ERR_INVALID, "the backup names an unsafe path (member %ld)", members);
out:
	if (fd >= 0)
		close(fd);
	if (s.f)
		fclose(s.f);
	if (made && stage[0])
		rm_tree(stage);
	if (rc && restored)
		fprintf(stderr, "openams: restore: the files are in %s but the instance does not"
		    " verify:\n", dir);
	for (size_t k = 0; k < seen.n; k++)
		free(seen.line[k]);
	free(seen.line);
	free(manifest);
	if (s.buf) {
		OPENSSL_cleanse(s.buf, CHUNK);
		free(s.buf);
	}
	if (buf) {
		OPENSSL_cleanse(buf, CHUNK);
		free(buf);
	}
	OPENSSL_cleanse(s.key, sizeof s.key);
	if (pass)
		oa_free_secret(pass);
	inst_free(inst_h);
	return rc ? cli_report(rc) : CLI_OK;
}
