-- The contact p_handle at the accreditation, which must be held by the
-- tenant_customer; raises PV006 otherwise. Locks it for the transaction.
CREATE OR REPLACE FUNCTION provision_find_contact(
    p_handle             TEXT,
    p_tenant_customer_id UUID,
    p_accreditation_id   UUID,
    p_table              TEXT
)
RETURNS contact
LANGUAGE plpgsql
AS $$
DECLARE
    v_contact contact;
BEGIN
    SELECT * INTO v_contact FROM contact
     WHERE accreditation_id = p_accreditation_id AND handle = p_handle COLLATE "default"
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contact handle % does not exist at this accreditation', quote_literal(p_handle)
            USING ERRCODE = 'PV006', COLUMN = 'handle', TABLE = p_table;
    END IF;
    IF v_contact.tenant_customer_id <> p_tenant_customer_id THEN
        RAISE EXCEPTION 'contact handle % is not held by tenant_customer_id %', quote_literal(p_handle), p_tenant_customer_id
            USING ERRCODE = 'PV006', COLUMN = 'handle', TABLE = p_table;
    END IF;
    RETURN v_contact;
END;
$$;
