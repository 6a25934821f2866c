-- TRUE when value is a lower case LDH host name with at least two labels,
-- labels of 1..63 characters that neither start nor end with a hyphen, and a
-- total length of at most 253. Used by CHECK constraints (backstop of the
-- validation triggers, which give the precise message).
--
-- Replaces the first definition (db/tables/00_schemas_and_types.sql, which the
-- CHECK constraints needed at CREATE time): a single SQL expression, which the
-- planner inlines into each constraint instead of calling PL/pgSQL per row.
CREATE OR REPLACE FUNCTION tc_is_fqdn(value TEXT)
RETURNS BOOLEAN
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT value IS NOT NULL
       AND length(value) <= 253
       AND value ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
$$;
