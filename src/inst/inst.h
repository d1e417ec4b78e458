/*
 * inst.h - the instance handle: one openams instance as a program thread
 * sees it.  It owns the configuration, the database handle and the data
 * directory's path; the certificate authority is one module on it (inst_ca),
 * and the signer processes it signs through belong to the CA.  The engine,
 * auth and keys modules take an inst to reach the database and the
 * configuration; only what needs the CA itself (issuing, revoking, status,
 * time-stamps) goes through inst_ca().
 *
 * A store handle belongs to one thread, so an inst does too: `openams
 * serve` opens one per worker thread (src/http/server.c, web_worker), the
 * command line one per command.  The signer processes are shared between
 * them through a ca_signers set (inst_use_signers; how many run is the
 * setting signer.processes, docs/ARCHITECTURE.md "Processes").
 *
 * Lifecycle:  inst_open -> (inst_use_signers) -> use -> inst_free.
 */
#ifndef OA_INST_H
#define OA_INST_H

#include "../ca/ca.h"
#include "../common/err.h"
#include "../conf/conf.h"
#include "../store/store.h"

typedef struct inst inst;

/* Opens the instance in dir: its configuration, its database (SQLite file
 * or PostgreSQL URL from store.path) and the CA on them (certificates and
 * profiles checked at load; the CA keys stay in the signer process).
 * OA_ERR_NOTFOUND when dir holds no instance. */
oa_err inst_open(const char *dir, inst **out);
/* Closes the CA, the database and the configuration; accepts NULL. */
void inst_free(inst *i);

/* Borrowed parts, valid until inst_free. */
const char *inst_dir(const inst *i);
const conf *inst_conf(const inst *i);
store *inst_store(inst *i);
ca *inst_ca(inst *i);

/* From now on the instance's CA signs through p (borrowed; see
 * ca_use_signers): before its first signing operation. */
void inst_use_signers(inst *i, ca_signers *p);

#endif
