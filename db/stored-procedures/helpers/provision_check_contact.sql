-- Checks a contact handle given in column p_column (registrant,
-- admin_contact, ...): syntax (PV008), and that it names a contact of the
-- tenant_customer at the accreditation, existing or with a pending create
-- (PV006). Returns the trimmed handle; NULL or '' give NULL.
CREATE OR REPLACE FUNCTION provision_check_contact(
    p_handle             TEXT,
    p_column             TEXT,
    p_tenant_customer_id UUID,
    p_accreditation_id   UUID
)
RETURNS TEXT
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_handle TEXT := NULLIF(btrim(p_handle), '');
    v_owner  UUID;
BEGIN
    IF v_handle IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_handle !~ '^[A-Za-z0-9][A-Za-z0-9_-]{2,15}$' THEN
        RAISE EXCEPTION '% % is not a contact handle (3 to 16 letters, digits, ''-'' or ''_'')',
            p_column, quote_literal(v_handle)
            USING ERRCODE = 'PV008', COLUMN = p_column;
    END IF;
    SELECT tenant_customer_id INTO v_owner
      FROM contact
     WHERE accreditation_id = p_accreditation_id AND handle = v_handle;
    IF NOT FOUND THEN
        SELECT pc.tenant_customer_id INTO v_owner
          FROM provision_contact pc
          JOIN provision_status s ON s.id = pc.status_id
         WHERE pc.accreditation_id = p_accreditation_id
           AND pc.handle = v_handle
           AND NOT s.is_final
         LIMIT 1;
    END IF;
    IF v_owner IS NULL THEN
        RAISE EXCEPTION '% % is not a known contact at this accreditation', p_column, quote_literal(v_handle)
            USING ERRCODE = 'PV006', COLUMN = p_column;
    END IF;
    IF v_owner <> p_tenant_customer_id THEN
        RAISE EXCEPTION '% % belongs to another tenant_customer', p_column, quote_literal(v_handle)
            USING ERRCODE = 'PV006', COLUMN = p_column;
    END IF;
    RETURN v_handle;
END;
$$;
