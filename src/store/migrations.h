/*
 * migrations.h - the numbered schema history (private to store).
 */
#ifndef OA_MIGRATIONS_H
#define OA_MIGRATIONS_H

struct migration {
	int version;
	const char *module; /* the module owning these tables */
	const char *sql;
};

extern const struct migration store_migrations[];

/* Migrations kept beside their module's other files. */
extern const char m0004_keys_sql[];
extern const char m0005_auth_sql[];
extern const char m0006_mail_sql[];
extern const int store_nmigrations;

#endif
