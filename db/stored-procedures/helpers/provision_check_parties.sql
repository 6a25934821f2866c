-- Checks who asks and through what: the tenant_customer and the
-- accreditation must exist, belong to the same tenant, the accreditation must
-- be active and of the right service type. Raises PV002.
CREATE OR REPLACE FUNCTION provision_check_parties(
    p_tenant_customer_id UUID,
    p_accreditation_id   UUID,
    p_service_type       TEXT,
    p_action             TEXT
)
RETURNS VOID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_tc  tenant_customer;
    v_acc accreditation;
BEGIN
    IF p_tenant_customer_id IS NULL THEN
        RAISE EXCEPTION 'tenant_customer_id is required'
            USING ERRCODE = 'PV002', COLUMN = 'tenant_customer_id';
    END IF;
    SELECT * INTO v_tc FROM tenant_customer WHERE id = p_tenant_customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant_customer_id % does not exist', p_tenant_customer_id
            USING ERRCODE = 'PV002', COLUMN = 'tenant_customer_id';
    END IF;
    IF p_accreditation_id IS NULL THEN
        RAISE EXCEPTION 'accreditation_id is required'
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    SELECT * INTO v_acc FROM accreditation WHERE id = p_accreditation_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'accreditation_id % does not exist', p_accreditation_id
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF v_acc.tenant_id <> v_tc.tenant_id THEN
        RAISE EXCEPTION 'accreditation % does not belong to the tenant of tenant_customer_id %',
            quote_literal(v_acc.name), p_tenant_customer_id
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF NOT v_acc.is_active THEN
        RAISE EXCEPTION 'accreditation % is not active', quote_literal(v_acc.name)
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF v_acc.service_type <> p_service_type THEN
        RAISE EXCEPTION 'accreditation % is a % accreditation; % needs a % accreditation',
            quote_literal(v_acc.name), v_acc.service_type, p_action, p_service_type
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
END;
$$;
