-- A domain action is refused (PV005) while another request for the same name
-- is still pending; p_table names the provision table in the error's TABLE field.
CREATE OR REPLACE FUNCTION provision_check_domain_free(p_name TEXT, p_table TEXT)
RETURNS VOID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_pending TEXT := provision_domain_pending(p_name);
BEGIN
    IF v_pending IS NOT NULL THEN
        RAISE EXCEPTION 'domain % (name) already has a pending % request', quote_literal(p_name), v_pending
            USING ERRCODE = 'PV005', COLUMN = 'name', TABLE = p_table;
    END IF;
END;
$$;
