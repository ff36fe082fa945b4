-- Database roles for production (run as a superuser once; then `registry db upgrade` as registry_owner).
-- The owner runs migrations and `registry audit retention` (dropping an archived month of audit entries
-- is DDL, which only the owner can do); the application connects as registry_app with the least it
-- needs and owns nothing. Never let the application connect as registry_owner.
CREATE ROLE registry_owner LOGIN;
CREATE ROLE registry_app LOGIN;
CREATE DATABASE registry OWNER registry_owner;
\connect registry
ALTER DEFAULT PRIVILEGES FOR ROLE registry_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO registry_app;
ALTER DEFAULT PRIVILEGES FOR ROLE registry_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO registry_app;

-- After `registry db upgrade`: the audit tables are append-only for the application. Their triggers
-- refuse UPDATE, DELETE and TRUNCATE for everyone; the grants make the intent explicit as well.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry, audit_leaf, audit_checkpoint, audit_signing_key,
    audit_witness, audit_cosignature FROM registry_app;
GRANT SELECT, INSERT ON audit_entry, audit_leaf, audit_checkpoint, audit_signing_key,
    audit_witness, audit_cosignature TO registry_app;
-- audit_retention (the record of dropped months) is written by the owner only. The monthly partitions
-- of audit_entry are made by audit_entry_add_month() (SECURITY DEFINER): the application reaches them
-- through audit_entry, as INSERT and SELECT on the parent allow.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_retention FROM registry_app;
GRANT SELECT ON audit_retention TO registry_app;
