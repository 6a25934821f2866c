-- Version 1: the tables as first released. Stored procedures, triggers and roles
-- are not versioned: `provisioning db upgrade` re-applies them whenever they change.
--
-- A migration never changes once released (the runner refuses a database whose
-- applied checksum differs). When a table file below changes after release,
-- freeze this migration (replace its \ir line by the old text) and add the
-- change as 0002_<what>.sql.
\ir ../tables/00_schemas_and_types.sql
\ir ../tables/10_audit.sql
\ir ../tables/20_reference.sql
\ir ../tables/30_objects.sql
\ir ../tables/40_provision_status.sql
\ir ../tables/50_jobs.sql
\ir ../tables/60_provision.sql
\ir ../tables/70_outbox.sql
\ir ../tables/80_orders.sql
\ir ../tables/90_dlq.sql
