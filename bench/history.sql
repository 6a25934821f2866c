-- History for the "flat with history" benchmark and the hot-lookup plan test:
-- copies of the rows a table already holds, fast (no triggers: the caller sets
-- session_replication_role = replica), with fresh ids and distinct names, so
-- that every lookup the trigger chain makes runs against a table of realistic
-- size.

-- name: create_history_copy
-- pg_temp.history_copy(table, copies, tag): each row of the table (ONLY: not its
-- children) copied `copies` times; uuid ids and request/event ids fresh, names,
-- handles and common names prefixed with <tag><n>-, roids suffixed with -<tag><n>.
-- Returns the number of rows written.
CREATE OR REPLACE FUNCTION pg_temp.history_copy(p_table REGCLASS, p_copies INT, p_tag TEXT)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    v_cols  TEXT;
    v_exprs TEXT;
    v_count BIGINT;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
           string_agg(CASE
               WHEN a.attname IN ('id', 'request_id', 'event_id', 'provision_id')
                    AND a.atttypid = 'uuid'::REGTYPE
                   THEN 'gen_random_uuid()'
               WHEN a.attname IN ('name', 'handle', 'common_name')
                   THEN format('%L || g || ''-'' || %I', p_tag, a.attname)
               WHEN a.attname = 'roid'
                   THEN format('%I || ''-'' || %L || g', a.attname, p_tag)
               ELSE quote_ident(a.attname)
           END, ', ' ORDER BY a.attnum)
      INTO v_cols, v_exprs
      FROM pg_attribute a
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = p_table
       AND a.attnum > 0
       AND NOT a.attisdropped
       AND a.attidentity = ''
       AND a.attgenerated = ''
       AND COALESCE(pg_get_expr(d.adbin, d.adrelid), '') NOT LIKE 'nextval(%';
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM ONLY %s, generate_series(1, %s) AS g',
                   p_table, v_cols, v_exprs, p_table, p_copies);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

-- name: history_tables
-- The tables a request reads or writes, that grow with the history.
SELECT c.oid::REGCLASS::TEXT AS name
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname = 'public'
   AND c.relname IN ('provision_domain', 'provision_domain_renew', 'provision_domain_transfer',
                     'provision_domain_restore', 'provision_domain_delete',
                     'provision_domain_update', 'provision_contact', 'provision_host',
                     'provision_ssl', 'provision_rejection', 'job', 'audit_trail_log',
                     'outbox', 'domain', 'contact', 'host', 'certificate')
 ORDER BY c.relname

-- name: rename_originals
-- The rows copied from get a tag too, so the same requests can be made again.
SELECT pg_temp.history_rename(%(table)s::REGCLASS, %(tag)s)

-- name: create_history_rename
CREATE OR REPLACE FUNCTION pg_temp.history_rename(p_table REGCLASS, p_tag TEXT)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    v_sets  TEXT;
    v_count BIGINT := 0;
BEGIN
    SELECT string_agg(format('%I = %L || %I', a.attname, p_tag, a.attname), ', ')
      INTO v_sets
      FROM pg_attribute a
     WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname IN ('name', 'handle', 'common_name');
    IF v_sets IS NOT NULL THEN
        EXECUTE format('UPDATE ONLY %s SET %s', p_table, v_sets);
        GET DIAGNOSTICS v_count = ROW_COUNT;
    END IF;
    RETURN v_count;
END;
$$;

-- name: copy
SELECT pg_temp.history_copy(%(table)s::REGCLASS, %(copies)s, %(tag)s)

-- name: without_triggers
SET LOCAL session_replication_role = replica

-- name: analyze
ANALYZE

-- name: register_request_ids
-- The copies' request_ids, as the trigger chain would have recorded them.
INSERT INTO request_ids (request_id, recorded_as)
SELECT p.request_id, p.tableoid::REGCLASS::TEXT FROM class.provision p
UNION ALL
SELECT r.request_id, 'rejection' FROM provision_rejection r
ON CONFLICT DO NOTHING
