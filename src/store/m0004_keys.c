/*
 * m0004_keys.c - migration 4, owned by the keys module (holder keys).
 *
 * One row per holder key pair generated on the server.  The private key is
 * only ever here sealed (format 1: Argon2id over the passphrase, then
 * AES-256-GCM, see src/keys/seal.c); the public key is kept in clear so that
 * binding a certificate can check it holds this key.
 *
 * Key lifecycle (the states of holder_key.state):
 *
 *      keys_create()      keys_bind_certificate()
 *   (none) ------> pending -------------------> active
 *                     |                           |
 *                     | max_failures wrong        | max_failures wrong
 *                     v passphrases               v passphrases
 *                   locked  <---------------------+        (final)
 *
 * Invariants kept by triggers, so that a bug in C cannot break them:
 *   - a key row is never deleted (its audit records name it);
 *   - a locked key never changes again: the passphrase-reset SOP revokes
 *     the certificate and issues a new one with a new key;
 *   - holder, key type, public key and creation time never change;
 *   - the certificate binding is written once;
 *   - a re-seal (passphrase change) always takes a new salt and nonce.
 */
#include "migrations.h"

const char m0004_keys_sql[] =
    "CREATE TABLE holder_key ("
    "  id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 9007199254740991),"
    "  holder TEXT NOT NULL CHECK (length(holder) BETWEEN 1 AND 64),"
    "  key_type TEXT NOT NULL CHECK (key_type IN ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')),"
    "  spki BLOB NOT NULL CHECK (length(spki) BETWEEN 32 AND 2048),"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'locked')),"
    "  serial TEXT CHECK (serial IS NULL OR length(serial) BETWEEN 2 AND 40),"
    "  failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),"
    /* the sealed private key */
    "  format INTEGER NOT NULL CHECK (format = 1),"
    "  kdf TEXT NOT NULL CHECK (kdf = 'argon2id'),"
    "  kdf_memory_kib INTEGER NOT NULL CHECK (kdf_memory_kib BETWEEN 8 AND 4194304),"
    "  kdf_iterations INTEGER NOT NULL CHECK (kdf_iterations BETWEEN 1 AND 100),"
    "  kdf_parallelism INTEGER NOT NULL CHECK (kdf_parallelism BETWEEN 1 AND 16),"
    "  salt BLOB NOT NULL CHECK (length(salt) = 16),"
    "  verifier BLOB NOT NULL CHECK (length(verifier) = 32),"
    "  nonce BLOB NOT NULL CHECK (length(nonce) = 12),"
    "  ciphertext BLOB NOT NULL CHECK (length(ciphertext) BETWEEN 32 AND 8192),"
    "  tag BLOB NOT NULL CHECK (length(tag) = 16),"
    "  created_at INTEGER NOT NULL,"
    "  sealed_at INTEGER NOT NULL,"
    "  locked_at INTEGER,"
    "  last_used_at INTEGER,"
    "  CHECK (state <> 'pending' OR serial IS NULL),"
    "  CHECK (state <> 'active' OR serial IS NOT NULL),"
    "  CHECK ((state = 'locked') = (locked_at IS NOT NULL))"
    ");"
    "CREATE INDEX holder_key_holder ON holder_key(holder);"
    "CREATE UNIQUE INDEX holder_key_serial ON holder_key(serial) WHERE serial IS NOT NULL;"
    "CREATE TRIGGER holder_key_no_delete BEFORE DELETE ON holder_key"
    "  BEGIN SELECT RAISE(ABORT, 'holder keys are never deleted'); END;"
    "CREATE TRIGGER holder_key_locked_final BEFORE UPDATE ON holder_key"
    "  WHEN OLD.state = 'locked'"
    "  BEGIN SELECT RAISE(ABORT, 'a locked holder key never changes'); END;"
    "CREATE TRIGGER holder_key_fixed BEFORE UPDATE OF id, holder, key_type, spki, created_at ON holder_key"
    "  WHEN NEW.id IS NOT OLD.id OR NEW.holder IS NOT OLD.holder OR NEW.key_type IS NOT OLD.key_type"
    "    OR NEW.spki IS NOT OLD.spki OR NEW.created_at IS NOT OLD.created_at"
    "  BEGIN SELECT RAISE(ABORT, 'holder key identity fields never change'); END;"
    "CREATE TRIGGER holder_key_bound_once BEFORE UPDATE OF serial ON holder_key"
    "  WHEN OLD.serial IS NOT NULL AND NEW.serial IS NOT OLD.serial"
    "  BEGIN SELECT RAISE(ABORT, 'a holder key is bound to one certificate only'); END;"
    "CREATE TRIGGER holder_key_state_flow BEFORE UPDATE OF state ON holder_key"
    "  WHEN NOT (NEW.state = OLD.state"
    "    OR (OLD.state = 'pending' AND NEW.state IN ('active', 'locked'))"
    "    OR (OLD.state = 'active' AND NEW.state = 'locked'))"
    "  BEGIN SELECT RAISE(ABORT, 'holder key state transition not allowed'); END;"
    "CREATE TRIGGER holder_key_reseal_fresh BEFORE UPDATE OF ciphertext, salt, nonce ON holder_key"
    "  WHEN (NEW.ciphertext IS NOT OLD.ciphertext OR NEW.salt IS NOT OLD.salt OR NEW.nonce IS NOT OLD.nonce)"
    "    AND (NEW.salt = OLD.salt OR NEW.nonce = OLD.nonce)"
    "  BEGIN SELECT RAISE(ABORT, 'a re-seal takes a new salt and a new nonce'); END;";
