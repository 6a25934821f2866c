-- A contact action is refused (PV005) while another request for the same
-- handle (create, update or delete) is still pending at the accreditation.
-- COLLATE "default": see provision_domain_pending.
CREATE OR REPLACE FUNCTION provision_check_contact_free(p_accreditation_id UUID, p_handle TEXT, p_table TEXT)
RETURNS VOID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_table TEXT;
BEGIN
    SELECT x.tbl INTO v_table
      FROM (
            SELECT 'provision_contact' AS tbl, status_id FROM provision_contact
             WHERE accreditation_id = p_accreditation_id AND handle = p_handle COLLATE "default"
            UNION ALL
            SELECT 'provision_contact_update', status_id FROM provision_contact_update
             WHERE accreditation_id = p_accreditation_id AND handle = p_handle COLLATE "default"
            UNION ALL
            SELECT 'provision_contact_delete', status_id FROM provision_contact_delete
             WHERE accreditation_id = p_accreditation_id AND handle = p_handle COLLATE "default"
           ) x
      JOIN provision_status s ON s.id = x.status_id
     WHERE NOT s.is_final
     LIMIT 1;
    IF v_table IS NOT NULL THEN
        RAISE EXCEPTION 'contact handle % already has a pending % request', quote_literal(p_handle), v_table
            USING ERRCODE = 'PV005', COLUMN = 'handle', TABLE = p_table;
    END IF;
END;
$$;
