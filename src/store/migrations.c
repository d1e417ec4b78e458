/*
 * migrations.c - the schema, as numbered migrations applied in order at open.
 *
 * A migration is never edited once shipped: change the schema by appending a
 * new one.  Each names the module that owns its tables; only that module
 * reads or writes them.  Every enumerated column has a CHECK constraint, and
 * the invariants that must survive any bug in C (the audit log is
 * append-only, a revoked certificate never becomes good again, certificates
 * are never deleted) are triggers here.
 */
#include "migrations.h"

const struct migration store_migrations[] = {
	{1, "audit",
	    "CREATE TABLE audit ("
	    "  seq INTEGER PRIMARY KEY CHECK (seq > 0),"
	    "  at INTEGER NOT NULL,"
	    "  actor TEXT NOT NULL,"
	    "  action TEXT NOT NULL,"
	    "  object TEXT NOT NULL,"
	    "  detail TEXT NOT NULL,"
	    "  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),"
	    "  hash TEXT NOT NULL CHECK (length(hash) = 64)"
	    ");"
	    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"},
	{2, "ca",
	    "CREATE TABLE ca_cert ("
	    "  id INTEGER PRIMARY KEY,"
	    "  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp')),"
	    "  serial TEXT NOT NULL UNIQUE,"
	    "  subject TEXT NOT NULL,"
	    "  key_type TEXT NOT NULL CHECK (key_type IN ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')),"
	    "  not_before INTEGER NOT NULL,"
	    "  not_after INTEGER NOT NULL CHECK (not_after > not_before),"
	    "  der BLOB NOT NULL,"
	    "  created_at INTEGER NOT NULL"
	    ");"
	    "CREATE TABLE certificate ("
	    "  serial TEXT PRIMARY KEY CHECK (length(serial) BETWEEN 2 AND 40),"
	    "  issuer_id INTEGER NOT NULL REFERENCES ca_cert(id),"
	    "  profile TEXT NOT NULL,"
	    "  subject TEXT NOT NULL,"
	    "  cn TEXT NOT NULL,"
	    "  nik TEXT CHECK (nik IS NULL OR (length(nik) = 16 AND nik NOT GLOB '*[^0-9]*')),"
	    "  nip TEXT CHECK (nip IS NULL OR (length(nip) = 18 AND nip NOT GLOB '*[^0-9]*')),"
	    "  email TEXT,"
	    "  key_type TEXT NOT NULL CHECK (key_type IN ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')),"
	    "  key_source TEXT NOT NULL CHECK (key_source IN ('csr', 'server')),"
	    "  not_before INTEGER NOT NULL,"
	    "  not_after INTEGER NOT NULL CHECK (not_after > not_before),"
	    "  issued_at INTEGER NOT NULL,"
	    "  status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'expired')),"
	    "  revoked_at INTEGER,"
	    "  reason INTEGER CHECK (reason IS NULL OR reason IN (0, 1, 3, 4, 5)),"
	    "  invalidity_date INTEGER,"
	    "  der BLOB NOT NULL,"
	    "  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL AND reason IS NOT NULL))"
	    ");"
	    /* The one-active-certificate-per-NIK policy, as a hard backstop. */
	    "CREATE UNIQUE INDEX certificate_one_active_nik ON certificate(nik)"
	    "  WHERE status = 'active' AND profile = 'individual';"
	    "CREATE INDEX certificate_nik ON certificate(nik);"
	    "CREATE INDEX certificate_not_after ON certificate(not_after);"
	    /* Revoked entries, pre-encoded as CRL entries and clustered by
	     * serial, so that a CRL of a million entries is one sequential scan
	     * of a compact table. */
	    "CREATE TABLE revocation ("
	    "  issuer_id INTEGER NOT NULL REFERENCES ca_cert(id),"
	    "  serial TEXT NOT NULL REFERENCES certificate(serial),"
	    "  entry BLOB NOT NULL,"
	    "  PRIMARY KEY (issuer_id, serial)"
	    ") WITHOUT ROWID;"
	    "CREATE TRIGGER revocation_no_update BEFORE UPDATE ON revocation"
	    "  BEGIN SELECT RAISE(ABORT, 'a revocation never changes'); END;"
	    "CREATE TRIGGER revocation_no_delete BEFORE DELETE ON revocation"
	    "  BEGIN SELECT RAISE(ABORT, 'a revocation is never removed'); END;"
	    "CREATE TRIGGER certificate_no_delete BEFORE DELETE ON certificate"
	    "  BEGIN SELECT RAISE(ABORT, 'certificates are never deleted'); END;"
	    "CREATE TRIGGER certificate_revoked_final BEFORE UPDATE ON certificate"
	    "  WHEN OLD.status = 'revoked'"
	    "  BEGIN SELECT RAISE(ABORT, 'a revoked certificate never changes'); END;"
	    "CREATE TRIGGER certificate_status_flow BEFORE UPDATE OF status ON certificate"
	    "  WHEN NOT (NEW.status = OLD.status"
	    "    OR (OLD.status = 'active' AND NEW.status IN ('revoked', 'expired'))"
	    "    OR (OLD.status = 'expired' AND NEW.status = 'revoked'))"
	    "  BEGIN SELECT RAISE(ABORT, 'certificate status transition not allowed'); END;"
	    "CREATE TRIGGER certificate_fixed_fields BEFORE UPDATE OF serial, issuer_id, der, not_before, not_after, nik ON certificate"
	    "  BEGIN SELECT RAISE(ABORT, 'issued certificate fields never change'); END;"
	    "CREATE TABLE crl ("
	    "  issuer TEXT NOT NULL CHECK (issuer IN ('root', 'issuing')),"
	    "  number INTEGER NOT NULL CHECK (number > 0),"
	    "  this_update INTEGER NOT NULL,"
	    "  next_update INTEGER NOT NULL CHECK (next_update > this_update),"
	    "  entries INTEGER NOT NULL CHECK (entries >= 0),"
	    "  sha256 TEXT NOT NULL,"
	    "  PRIMARY KEY (issuer, number)"
	    ");"
	    "CREATE TRIGGER crl_number_increases BEFORE INSERT ON crl"
	    "  WHEN NEW.number <= (SELECT COALESCE(MAX(number), 0) FROM crl WHERE issuer = NEW.issuer)"
	    "  BEGIN SELECT RAISE(ABORT, 'CRL number must increase'); END;"},
};

const int store_nmigrations = (int)(sizeof store_migrations / sizeof store_migrations[0]);
