-- The host p_name at the accreditation, which must be held by the
-- tenant_customer; raises PV006 otherwise. Locks it for the transaction.
CREATE OR REPLACE FUNCTION provision_find_host(
    p_name               TEXT,
    p_tenant_customer_id UUID,
    p_accreditation_id   UUID,
    p_table              TEXT
)
RETURNS host
LANGUAGE plpgsql
AS $$
DECLARE
    v_host host;
BEGIN
    SELECT * INTO v_host FROM host
     WHERE accreditation_id = p_accreditation_id AND name = p_name COLLATE "default"
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'host % (name) does not exist at this accreditation', quote_literal(p_name)
            USING ERRCODE = 'PV006', COLUMN = 'name', TABLE = p_table;
    END IF;
    IF v_host.tenant_customer_id <> p_tenant_customer_id THEN
        RAISE EXCEPTION 'host % (name) is not held by tenant_customer_id %', quote_literal(p_name), p_tenant_customer_id
            USING ERRCODE = 'PV006', COLUMN = 'name', TABLE = p_table;
    END IF;
    RETURN v_host;
END;
$$;
