/*
 * backup_archive.h - what backup and restore (cmd_backup.c) share: the
 * archive's sealed stream (backup_archive.c: scrypt, AES-256-GCM chunks),
 * the counts of a database copy, and the backup passphrase.
 */
#ifndef OA_CLI_BACKUP_ARCHIVE_H
#define OA_CLI_BACKUP_ARCHIVE_H

#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"
#include "../store/store.h"

#define MAGIC "OAMSBAK1"
/* The member that holds a PostgreSQL instance's database (an SQLite copy). */
#define PG_COPY_NAME "openams.db"
#define HDR_LEN 64
#define CHUNK (1u << 20)
#define FINAL_BIT 0x80000000u
#define TAG_LEN 16
#define KEY_LEN 32
/* scrypt: N = 2^15, r = 8, p = 1 (32 MiB, a fraction of a second); restore
 * accepts at most N = 2^20, r = 16, p = 4. */
#define SCRYPT_LOG2N 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define OA_BACKUP_MIN_PASSPHRASE 12
#define MAX_MEMBERS 1000000
#define MAX_MEMBER_PATH 1024

struct bk_sealer {
	FILE *f;
	uint8_t hdr[HDR_LEN];
	uint8_t key[KEY_LEN];
	uint32_t counter;
	uint8_t *buf;    /* CHUNK bytes of plaintext waiting */
	size_t n;
	int final_seen; /* reader: the last chunk was read */
	size_t pos;     /* reader: next byte of buf */
};

/* The rows of a database an operator compares after a restore. */
struct bk_counts {
	int64_t audit, certificates, cases, documents;
	char head[65];   /* the newest audit record's hash, "" when none */
};

#define COUNTS_FMT "audit=%" PRId64 " head=%s certificates=%" PRId64 " cases=%" PRId64 \
	" documents=%" PRId64

void bk_put32(uint8_t *p, uint32_t v);
uint32_t bk_get32(const uint8_t *p);
void bk_put64(uint8_t *p, uint64_t v);
uint64_t bk_get64(const uint8_t *p);
oa_err bk_derive(const char *pass, const uint8_t *hdr, uint8_t key[KEY_LEN]);
oa_err bk_seal_chunk(struct bk_sealer *s, int final);
oa_err bk_put(struct bk_sealer *s, const void *p, size_t n);
oa_err bk_open_chunk(struct bk_sealer *s);
oa_err bk_get(struct bk_sealer *s, void *p, size_t n);
oa_err bk_db_counts(store *db, struct bk_counts *c);
oa_err bk_file_counts(const char *path, struct bk_counts *c);
oa_err bk_passphrase(const char *file, char **out);

#endif
