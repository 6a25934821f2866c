-- The live (not deleted) domain p_name, which must be held by the
-- tenant_customer through the accreditation. Raises PV006 otherwise.
CREATE OR REPLACE FUNCTION provision_find_domain(
    p_name               TEXT,
    p_tenant_customer_id UUID,
    p_accreditation_id   UUID,
    p_column             TEXT DEFAULT 'name'
)
RETURNS domain
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_domain domain;
    v_at     v_accreditation_tld;
    v_acc    TEXT;
BEGIN
    SELECT * INTO v_domain FROM domain WHERE name = p_name AND status <> 'deleted';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'domain % (%) is not registered here', quote_literal(p_name), p_column
            USING ERRCODE = 'PV006', COLUMN = p_column;
    END IF;
    IF v_domain.tenant_customer_id <> p_tenant_customer_id THEN
        RAISE EXCEPTION 'domain % (%) is not held by tenant_customer_id %',
            quote_literal(p_name), p_column, p_tenant_customer_id
            USING ERRCODE = 'PV006', COLUMN = p_column;
    END IF;
    SELECT * INTO v_at FROM v_accreditation_tld WHERE id = v_domain.accreditation_tld_id;
    IF v_at.accreditation_id <> p_accreditation_id THEN
        SELECT name INTO v_acc FROM accreditation WHERE id = p_accreditation_id;
        RAISE EXCEPTION 'domain % is managed through accreditation %, not % (accreditation_id)',
            quote_literal(p_name), quote_literal(v_at.accreditation_name), quote_literal(v_acc)
            USING ERRCODE = 'PV006', COLUMN = 'accreditation_id';
    END IF;
    RETURN v_domain;
END;
$$;
