-- The name of the provision table holding a not yet final request for the
-- domain p_name (create, renew, transfer, restore, delete or update), or
-- NULL when there is none.
--
-- COLLATE "default": a PL/pgSQL parameter takes the collation of the call's
-- arguments, and the validation triggers call with TG_TABLE_NAME (type name,
-- collation "C") beside the name; compared under "C", name = p_name cannot use
-- the name indexes (built with the default collation) and every request read
-- the whole history (tests/db/test_hot_lookups.py).
CREATE OR REPLACE FUNCTION provision_domain_pending(p_name TEXT)
RETURNS TEXT
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_table TEXT;
BEGIN
    SELECT x.tbl INTO v_table
      FROM (
            SELECT 'provision_domain' AS tbl, status_id FROM provision_domain WHERE name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_domain_renew', status_id FROM provision_domain_renew WHERE name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_domain_transfer', status_id FROM provision_domain_transfer WHERE name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_domain_restore', status_id FROM provision_domain_restore WHERE name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_domain_delete', status_id FROM provision_domain_delete WHERE name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_domain_update', status_id FROM provision_domain_update WHERE name = p_name COLLATE "default"
           ) x
      JOIN provision_status s ON s.id = x.status_id
     WHERE NOT s.is_final
     LIMIT 1;
    RETURN v_table;
END;
$$;
