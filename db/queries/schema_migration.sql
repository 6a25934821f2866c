-- Bookkeeping of `provisioning db upgrade` (provisioning/migrations.py).

-- name: lock
-- One upgrader at a time per database; other processes wait here.
SELECT pg_advisory_lock(hashtext('provisioning.schema_migration'))

-- name: unlock
SELECT pg_advisory_unlock(hashtext('provisioning.schema_migration'))

-- name: create_bookkeeping
CREATE TABLE IF NOT EXISTS schema_migration (
  version     INT PRIMARY KEY,
  name        TEXT NOT NULL,
  checksum    TEXT NOT NULL,
  applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS schema_repeatable (
  name        TEXT PRIMARY KEY,
  checksum    TEXT NOT NULL,
  applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- name: applied_migrations
SELECT version, name, checksum, applied_at FROM schema_migration ORDER BY version

-- name: applied_repeatables
SELECT name, checksum FROM schema_repeatable

-- name: record_migration
INSERT INTO schema_migration (version, name, checksum)
VALUES (%(version)s, %(name)s, %(checksum)s)

-- name: record_repeatable
INSERT INTO schema_repeatable (name, checksum) VALUES (%(name)s, %(checksum)s)
ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()

-- name: relax_function_bodies
-- Functions may refer to each other in any order; bodies are checked when called.
SET LOCAL check_function_bodies = off

-- name: catalog_snapshot
-- Everything that makes up the schema, as comparable rows (bookkeeping excluded).
SELECT 'column' AS kind, table_schema || '.' || table_name || '.' || column_name AS name,
       concat_ws(' ', data_type, udt_name, is_nullable, column_default) AS definition
  FROM information_schema.columns
 WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
   AND table_name NOT IN ('schema_migration', 'schema_repeatable')
UNION ALL
SELECT 'constraint', n.nspname || '.' || c.conrelid::regclass::text || '.' || c.conname,
       pg_get_constraintdef(c.oid)
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND c.conrelid::regclass::text NOT IN ('schema_migration', 'schema_repeatable')
UNION ALL
SELECT 'index', schemaname || '.' || indexname, indexdef
  FROM pg_indexes
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
   AND tablename NOT IN ('schema_migration', 'schema_repeatable')
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       md5(pg_get_functiondef(p.oid))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'trigger', c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'inherits', c.oid::regclass::text, string_agg(p.oid::regclass::text, ',' ORDER BY i.inhseqno)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
 GROUP BY c.oid
UNION ALL
SELECT 'grant', table_schema || '.' || table_name || ':' || grantee, string_agg(privilege_type, ',' ORDER BY privilege_type)
  FROM information_schema.role_table_grants
 WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
   AND table_name NOT IN ('schema_migration', 'schema_repeatable')
 GROUP BY table_schema, table_name, grantee
ORDER BY 1, 2
