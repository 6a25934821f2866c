-- A host action is refused (PV005) while another request for the same host
-- (create, update or delete) is still pending at the accreditation.
-- COLLATE "default": see provision_domain_pending.
CREATE OR REPLACE FUNCTION provision_check_host_free(p_accreditation_id UUID, p_name TEXT, p_table TEXT)
RETURNS VOID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_table TEXT;
BEGIN
    SELECT x.tbl INTO v_table
      FROM (
            SELECT 'provision_host' AS tbl, status_id FROM provision_host
             WHERE accreditation_id = p_accreditation_id AND name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_host_update', status_id FROM provision_host_update
             WHERE accreditation_id = p_accreditation_id AND name = p_name COLLATE "default"
            UNION ALL
            SELECT 'provision_host_delete', status_id FROM provision_host_delete
             WHERE accreditation_id = p_accreditation_id AND name = p_name COLLATE "default"
           ) x
      JOIN provision_status s ON s.id = x.status_id
     WHERE NOT s.is_final
     LIMIT 1;
    IF v_table IS NOT NULL THEN
        RAISE EXCEPTION 'host % (name) already has a pending % request', quote_literal(p_name), v_table
            USING ERRCODE = 'PV005', COLUMN = 'name', TABLE = p_table;
    END IF;
END;
$$;
