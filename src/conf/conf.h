/*
 * conf.h - openams.conf: one table of options (name, type, bounds, default,
 * help) that parses, validates, dumps and writes the commented example.
 *
 * File format: one `key = value` per line; `#` starts a comment line; a value
 * may be double-quoted to keep leading or trailing spaces.  An unknown key, a
 * value of the wrong type or out of bounds is an OA_ERR_CONFIG naming the
 * file and line.  Keys not in the file take their defaults.
 */
#ifndef OA_CONF_H
#define OA_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"

typedef struct conf conf;

/* A configuration holding every default.  Free with conf_free(). */
conf *conf_new(void);
/* Frees; accepts NULL. */
void conf_free(conf *c);

/* Parses a file over the current values. */
oa_err conf_load(conf *c, const char *path);
/* The configuration of the instance in dir (dir/openams.conf over the
 * defaults): OA_ERR_NOTFOUND, naming `openams init`, when there is none. */
oa_err conf_load_instance(const char *dir, conf **out);
/* Parses text (name is used in messages). */
oa_err conf_parse(conf *c, const char *name, const char *text);
/* Sets one option from a string, validated as in a file. */
oa_err conf_set(conf *c, const char *key, const char *value);

/* Typed getters; the key must exist in the table (abort otherwise: a bug). */
const char *conf_str(const conf *c, const char *key);
int64_t conf_int(const conf *c, const char *key);
/* The dotted OIDs of a list option (ca.policies), at most max, each at most
 * CONF_OID_MAX - 1 characters; returns how many (the value was checked at load). */
#define CONF_OID_MAX 64
int conf_oids(const conf *c, const char *key, char (*out)[CONF_OID_MAX], int max);

/* Writes every option with its value (effective configuration). */
void conf_dump(const conf *c, FILE *out);
/* Writes the fully commented example file with the given values. */
void conf_write_example(const conf *c, FILE *out);

#endif
